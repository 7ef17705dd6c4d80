/**
 * Writes src/core/recall/reference-vocab-data.ts, the data of the reference vocabulary that smooths
 * recall's IDF (see reference-vocab.ts). Two sources, both ours:
 * - the notes of the dev half of the recall evaluation (test/fixtures/recall/records*.json, never
 *   the held-out test/ folder nor the blind batch): how often a term occurs in developer notes;
 * - a hand-written list of everyday English words (below): words a question uses that notes rarely
 *   do, so a missing everyday word weighs less than a missing name.
 * Usage: `npx tsx scripts/make-recall-vocab.ts` (rerun after changing the tokenizer).
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RecallRecord } from '../src/core/recall/index-build.js';
import { tokenize } from '../src/core/recall/tokenize.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = join(root, 'test', 'fixtures', 'recall');

/** Everyday English: a document share of 1% unless the notes say more. */
const EVERYDAY = `able accept account act action active actual add address admin advice affect afraid age ago agree
ahead aim allow almost alone along already alright although amount annoying another answer anybody anyway
apart appear apply area argue around arrive ask asleep attempt available avoid away awful back bad badly
bag basic bear beat beautiful become begin behind believe belong big bigger billion black blame block blue
body book bother bottom box brand bring brother brown buy call calm came car care careful carry case catch
cause certain chance change cheap check child choice choose city claim clean clear clever close clothes
cold colour color come comment common company complain complete completely concern confuse confused consider
contain content continue control cook cool copy corner cost count country couple course cover crazy create
cross cup current customer customers cut daily damage dark date dated day days dead deal dear decide deep
definitely delay deliver describe design detail develop die difference different difficult dinner direct
discover discuss distance doctor dog door double doubt draw dream dress drink drive drop dry due early easily
east easy eat edge effect effort eight else empty end enjoy enough enter entire especially event everybody
everyone everywhere example except expect expensive experience extra eye face fact fair fall family famous
far fast father fault favourite fear feel few field fight figure fill final finally find fine finish fire
firm five fix flat floor fly focus follow food foot force forget form forward four free fresh friend front
full fun funny future game garden gave general gentle gets girl give glad glass goes gone great green ground
group grow guess guy half hand handle happy hard hate head healthy hear heart heavy help high hit hold hole
home hope horrible hot hour house huge human hundred hurry hurt ignore ill imagine immediately important
include increase indeed inside instead interest interesting invisible issue item job join joke jump keep key
kid kill kind kitchen knew lack lady land language large late later laugh lead learn least leave left leg
less letter level lie life light likely line list listen little live local long look lose loss lost loud
love low luck lucky machine main mainly major make man manage many mark market matter mean meaning meet
member mention message middle mind minute miss mistake modern moment money month morning mother move movie
name narrow nasty nature near nearly neat necessary neck negative neighbour nervous nice nobody noise none
normal north note nothing notice number obvious odd offer office often oil old open opinion opposite order
ordinary original others outside owner page pain paper parent part particular party pass past pay people
perfect perhaps period person pick picture piece place plain plan play player pleased plenty point police
poor popular position possible pour power practice prefer prepare present pretty price private probably
problem produce promise protect proud prove pull push put question quick quickly quiet raise rarely reach
read ready real realise realize reason receive recent recently red reduce refuse regular relax remove repeat
reply report rest result return rich ride ring rise risk road rock room rough round rule rush sad safe sale
save saw say scared school score sea search season seat second secret see seem sell send sense serious
several shape share sharp short shot shout side sign silly similar simple simply single sister sit site six
size skin sleep slightly slow small smart smell smile soft solid solve somebody somewhere son soon sorry
sound south space speak special speed spend spot spread square staff stage stand star stare state stay step
stick stop store story straight strange street strong student study stupid subject succeed success sudden
suggest summer sun supply support suppose sure surprise sweet table take talk tall taste teach team tear
tell ten terrible test thank thick thin think third thought three throw tiny tired today together tomorrow
tonight top total touch tough toward town track trade traffic travel treat tree trip trouble true trust
truth turn twice two type ugly understand unit unless unusual upset urgent useful usual value various view
visit voice wait walk wall warm wash watch water weak wear weather week weekend weight welcome west wet
white whole wide wife win window winter wish woman wonder wonderful word worker world worry worse worst
worth write writing year yellow yesterday young zero asian european american chinese english weekly monthly
yesterday earlier somehow anywhere everything whatever whenever wherever ourselves myself yourself`;

const records: RecallRecord[] = [];
// A blind batch (records-blind.json) stays out: it measures the rules, so nothing may be derived from it.
for (const file of readdirSync(fixtures)
  .filter((f) => /^records.*\.json$/.test(f) && !f.includes('blind'))
  .sort()) {
  records.push(
    ...(JSON.parse(readFileSync(join(fixtures, file), 'utf8')) as { records: RecallRecord[] }).records,
  );
}
const df = new Map<string, number>();
for (const r of records) {
  const terms = new Set(tokenize([r.summary, r.content, ...(r.source_paths ?? [])].join(' ')));
  for (const t of terms) df.set(t, (df.get(t) ?? 0) + 1);
}
const share = new Map<string, number>();
for (const [term, d] of df)
  if (d >= 2 && /^(?:[a-z]{2,}|[\u4e00-\u9fff]{1,2})$/.test(term)) share.set(term, d / records.length);
for (const term of tokenize(EVERYDAY)) share.set(term, Math.max(share.get(term) ?? 0, 0.01));
// Per mille, at least 1, sorted for a stable file.
const lines = [...share]
  .map(([term, s]) => `${term}\t${Math.max(1, Math.round(s * 1000))}`)
  .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
const body = JSON.stringify(lines.join('\n')).replace(
  /[\u0080-\uffff]/g,
  (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
);
const out = `/**
 * Data of the reference vocabulary (generated by scripts/make-recall-vocab.ts; do not edit): one
 * line per index term, sorted, with the share of developer notes it occurs in, per mille.
 * Generated from ${records.length} notes plus everyday English words. Lookup: reference-vocab.ts.
 */
export const REFERENCE_VOCAB_DATA = ${body};
`;
writeFileSync(join(root, 'src', 'core', 'recall', 'reference-vocab-data.ts'), out);
process.stdout.write(`${lines.length} terms from ${records.length} notes\n`);
