/**
 * Evaluates the local reviewer on fixture rollouts (`<name>.jsonl`, a real Codex rollout, with a
 * `<name>.expected.json` written by a human). Two halves: the development fixtures
 * (test/fixtures/rollouts/, the reviewer is tuned on them) and the held-out test fixtures
 * (test/fixtures/reviewer-test/, written by someone else and never used to write a rule). Each
 * half is reported on its own.
 *
 *   npm run eval:reviewer                   # both halves, summary and the misses / false positives
 *   npm run eval:reviewer -- --set dev      # one half (dev | test)
 *   npm run eval:reviewer -- --verbose      # every proposal
 *   npm run eval:reviewer -- --json         # machine-readable result
 *   npm run eval:reviewer -- <dir>          # one folder of fixtures
 *   npm run eval:reviewer -- --set dev --only dev7-   # fixtures whose name starts so (comma list)
 *   npm run eval:reviewer -- --set dev --skip dev7-   # all but those (a batch kept out of tuning)
 *
 * Method: each user turn of a rollout is reviewed once, in order, as the Stop hook would (the
 * reviewer gets the session up to that turn; earlier turns are context), and the proposals are
 * gathered over the session. A proposal matches an expected lesson when its text (summary,
 * content, source paths) contains every keyword (case-insensitive) and every `exact` string
 * (byte-exact), whatever its kind; kind agreement (family, and scope for memory) is reported
 * separately. Each lesson is matched once: a second proposal for it is a false positive, as is a
 * proposal matching nothing. A proposal holding a forbidden string, or a recall note holding a
 * one-off step (git add/commit/push, sleep, cd /tmp, `| head`), is harmful. Optional lessons count
 * neither way.
 * Clean text is checked on every proposal (cleanTextProblems).
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanTextProblems, type CleanProblem } from '../src/core/review/local/clean.js';
import { reviewLocally, type ReviewerOutputItem } from '../src/core/review/local/review.js';
import { hasCjk } from '../src/core/review/local/text.js';
import { redactDeep } from '../src/core/redact/redact.js';
import { readRollout } from '../src/core/agents/codex/rollout.js';
import type { Transcript } from '../src/core/review/types.js';

/** Targets on held-out data. */
export const AIM = { precision: 0.85, recall: 0.65, recallZh: 0.6, clean: 0.9 } as const;

export const DEFAULT_FIXTURE_DIR = join(import.meta.dirname, '..', 'test', 'fixtures', 'rollouts');
/** The held-out half (never read while writing rules). */
export const TEST_FIXTURE_DIR = join(import.meta.dirname, '..', 'test', 'fixtures', 'reviewer-test');

interface ExpectedLesson {
  family: 'memory_updates' | 'recall_candidate';
  scope?: 'user' | 'global';
  keywords: string[];
  exact?: string[];
  note: string;
  optional?: boolean;
}

interface ExpectedFile {
  name: string;
  category: string;
  language: string;
  set?: string;
  lessons: ExpectedLesson[];
  existing?: { userMd: string; memoryMd: string };
  forbidden?: string[];
}

/** How one proposal was judged. */
export interface JudgedProposal {
  family: string;
  summary: string;
  content: string;
  scope: string | undefined;
  confidence: number;
  turn: number;
  verdict: 'match' | 'optional' | 'duplicate' | 'unexpected' | 'harmful';
  lesson?: string;
  /** Family (and scope for memory) as the lesson expects; undefined when not matched. */
  kindAgrees?: boolean;
  unclean: CleanProblem[];
}

/** The result on one fixture. */
export interface FixtureResult {
  name: string;
  category: string;
  language: string;
  set: string;
  nothingToLearn: boolean;
  truePositives: number;
  falsePositives: number;
  harmful: number;
  requiredLessons: number;
  matchedLessons: number;
  kindChecked: number;
  kindAgreed: number;
  entries: number;
  cleanEntries: number;
  missed: string[];
  proposals: JudgedProposal[];
  /** Set when the reviewer threw (the turn would be retried; counted as no output). */
  crashed?: string;
}

/** Totals over a group of fixtures. */
export interface Score {
  fixtures: number;
  truePositives: number;
  falsePositives: number;
  harmful: number;
  requiredLessons: number;
  matchedLessons: number;
  /** TP / (TP + FP); 1 when nothing was proposed. */
  precision: number;
  /** matched / required; 1 when nothing was expected. */
  recall: number;
  /** Proposals on fixtures with nothing to learn. */
  nothingSuggestions: number;
  nothingFixtures: number;
  entries: number;
  cleanEntries: number;
  /** clean / entries; 1 when there are none. */
  clean: number;
  kindChecked: number;
  kindAgreed: number;
}

/** The evaluation of one half (or one folder). */
export interface Evaluation {
  set: string;
  overall: Score;
  byCategory: Record<string, Score>;
  byLanguage: Record<string, Score>;
  fixtures: FixtureResult[];
  meetsAim: boolean;
}

/** Steps that are never "the way to do things" (git add/commit/push, sleep, cd /tmp, | head). */
const ONE_OFF_STEP =
  /`[^`]*(\bgit (add|commit|push)\b|\bsleep \d|\bcd \/tmp\b|\| *(head|tail)\b|\brm -rf\b)[^`]*`/;

function textOf(item: ReviewerOutputItem): string {
  const details = item.details;
  const paths = Array.isArray(details.source_paths) ? details.source_paths.join(' ') : '';
  const content = typeof details.content === 'string' ? details.content : '';
  return `${item.summary}\n${content}\n${paths}`;
}

/** A reviewer's output gathered over a session, each item with the turn that produced it. */
export interface SessionOutput {
  memory_updates: Array<ReviewerOutputItem & { turn?: number }>;
  recall_candidate: Array<ReviewerOutputItem & { turn?: number }>;
}

/**
 * Judges the proposals of one session against its expected lessons.
 *
 * @param source the session's text (user messages, commands, patches, outputs) for the byte-exact
 *   check; empty = not checked.
 */
export function judge(expected: ExpectedFile, output: SessionOutput, source = ''): FixtureResult {
  const required = expected.lessons.filter((lesson) => !lesson.optional);
  const matched = new Set<ExpectedLesson>();
  const proposals: JudgedProposal[] = [];
  let truePositives = 0;
  let falsePositives = 0;
  let harmful = 0;
  let kindChecked = 0;
  let kindAgreed = 0;
  let cleanEntries = 0;
  const families = [
    ['memory_updates', output.memory_updates],
    ['recall_candidate', output.recall_candidate],
  ] as const;
  for (const [family, items] of families) {
    for (const item of items) {
      const raw = textOf(item);
      const text = raw.toLowerCase();
      const scope = typeof item.details.scope === 'string' ? item.details.scope : undefined;
      const content = typeof item.details.content === 'string' ? item.details.content : '';
      const quote =
        isRecord(item.details.evidence) && typeof item.details.evidence.quote === 'string'
          ? item.details.evidence.quote
          : '';
      const unclean = cleanTextProblems(
        { title: item.summary, content },
        source,
        hasCjk(quote) && cjkShare(quote) > 0.3,
      );
      if (unclean.length === 0) cleanEntries += 1;
      const base = {
        family,
        summary: item.summary,
        content,
        scope,
        confidence: item.confidence,
        turn: item.turn ?? 0,
        unclean,
      };
      // A one-off step is harmful in a how-to note (recall: commands, fixes, procedures); a stated habit
      // ("whenever you commit for me use `git commit -S`") names a git command without being one.
      const oneOff = family === 'recall_candidate' && ONE_OFF_STEP.test(raw);
      if ((expected.forbidden ?? []).some((word) => text.includes(word.toLowerCase())) || oneOff) {
        falsePositives += 1;
        harmful += 1;
        proposals.push({ ...base, verdict: 'harmful' });
        continue;
      }
      const fits = (lesson: ExpectedLesson): boolean =>
        lesson.keywords.every((word) => text.includes(word.toLowerCase())) &&
        (lesson.exact ?? []).every((word) => raw.includes(word));
      const lesson =
        required.find((candidate) => !matched.has(candidate) && fits(candidate)) ??
        expected.lessons.find(
          (candidate) => candidate.optional && !matched.has(candidate) && fits(candidate),
        );
      if (lesson === undefined) {
        falsePositives += 1;
        proposals.push({ ...base, verdict: expected.lessons.some(fits) ? 'duplicate' : 'unexpected' });
        continue;
      }
      matched.add(lesson);
      const kindAgrees =
        lesson.family === family &&
        (family !== 'memory_updates' || lesson.scope === undefined || lesson.scope === scope);
      if (lesson.optional) {
        proposals.push({ ...base, verdict: 'optional', lesson: lesson.note, kindAgrees });
        continue;
      }
      truePositives += 1;
      kindChecked += 1;
      if (kindAgrees) kindAgreed += 1;
      proposals.push({ ...base, verdict: 'match', lesson: lesson.note, kindAgrees });
    }
  }
  return {
    name: expected.name,
    category: expected.category,
    language: expected.language,
    set: expected.set === 'test' ? 'test' : 'dev',
    nothingToLearn: expected.lessons.length === 0,
    truePositives,
    falsePositives,
    harmful,
    requiredLessons: required.length,
    matchedLessons: required.filter((lesson) => matched.has(lesson)).length,
    kindChecked,
    kindAgreed,
    entries: proposals.length,
    cleanEntries,
    missed: required
      .filter((lesson) => !matched.has(lesson))
      .map(
        (lesson) =>
          `${lesson.family}: ${lesson.note} [${[...lesson.keywords, ...(lesson.exact ?? []).map((word) => `=${word}`)].join(', ')}]`,
      ),
    proposals,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function cjkShare(text: string): number {
  const letters = text.replace(/[\s\d\p{P}\p{S}]/gu, '');
  if (letters.length === 0) return 0;
  return [...letters].filter((char) => hasCjk(char)).length / [...letters].length;
}

function score(results: readonly FixtureResult[]): Score {
  const sum = (pick: (result: FixtureResult) => number): number =>
    results.reduce((total, result) => total + pick(result), 0);
  const truePositives = sum((result) => result.truePositives);
  const falsePositives = sum((result) => result.falsePositives);
  const requiredLessons = sum((result) => result.requiredLessons);
  const matchedLessons = sum((result) => result.matchedLessons);
  const entries = sum((result) => result.entries);
  const cleanEntries = sum((result) => result.cleanEntries);
  const nothing = results.filter((result) => result.nothingToLearn);
  return {
    fixtures: results.length,
    truePositives,
    falsePositives,
    harmful: sum((result) => result.harmful),
    requiredLessons,
    matchedLessons,
    precision: truePositives + falsePositives === 0 ? 1 : truePositives / (truePositives + falsePositives),
    recall: requiredLessons === 0 ? 1 : matchedLessons / requiredLessons,
    nothingSuggestions: nothing.reduce((total, result) => total + result.entries, 0),
    nothingFixtures: nothing.length,
    entries,
    cleanEntries,
    clean: entries === 0 ? 1 : cleanEntries / entries,
    kindChecked: sum((result) => result.kindChecked),
    kindAgreed: sum((result) => result.kindAgreed),
  };
}

function groupBy(
  results: readonly FixtureResult[],
  key: (result: FixtureResult) => string,
): Record<string, Score> {
  const groups = new Map<string, FixtureResult[]>();
  for (const result of results) groups.set(key(result), [...(groups.get(key(result)) ?? []), result]);
  return Object.fromEntries(
    [...groups].sort(([a], [b]) => a.localeCompare(b)).map(([name, members]) => [name, score(members)]),
  );
}

/** Everything the session says or runs, for the byte-exact check. */
function sessionText(transcript: Transcript): string {
  const parts: string[] = [];
  for (const turn of transcript.turns) {
    for (const entry of turn.entries) {
      if (entry.kind === 'user' || entry.kind === 'assistant') parts.push(entry.text);
      else if (entry.kind === 'tool_call') parts.push(entry.input);
      else parts.push(entry.output);
    }
  }
  return parts.join('\n');
}

/**
 * Reviews each user turn of a session once, in order, as the Stop hook does (the session up to
 * that turn, redacted), and gathers the proposals.
 */
export function reviewSession(
  transcript: Transcript,
  existing: { userMd: string; memoryMd: string },
): SessionOutput {
  const redacted = redactDeep(transcript);
  const output: SessionOutput = { memory_updates: [], recall_candidate: [] };
  for (let index = 0; index < redacted.turns.length; index += 1) {
    const upTo = { ...redacted, turns: redacted.turns.slice(0, index + 1) };
    const result = reviewLocally(upTo, existing);
    for (const item of result.memory_updates) {
      // A `remove` takes back an entry an earlier turn proposed: the session is scored by what memory
      // holds after it, so both go. A remove that matches nothing stays and counts against precision.
      const target =
        item.details.action === 'remove'
          ? output.memory_updates.findIndex(
              (earlier) =>
                earlier.details.action !== 'remove' &&
                earlier.summary === item.details.old_summary &&
                (earlier.details.scope ?? 'global') === (item.details.scope ?? 'global'),
            )
          : -1;
      if (target >= 0) output.memory_updates.splice(target, 1);
      else output.memory_updates.push({ ...item, turn: index });
    }
    output.recall_candidate.push(...result.recall_candidate.map((item) => ({ ...item, turn: index })));
  }
  return output;
}

/** Runs the local reviewer on every fixture of `dir` and scores it. */
export async function evaluateReviewer(
  dir: string = DEFAULT_FIXTURE_DIR,
  set = 'dev',
  filter: { only?: string[]; skip?: string[] } = {},
): Promise<Evaluation> {
  const starts = (file: string, prefixes: string[] | undefined): boolean =>
    (prefixes ?? []).some((prefix) => file.startsWith(prefix));
  const names = (await readdir(dir))
    .filter((file) => file.endsWith('.expected.json'))
    .filter((file) => (filter.only === undefined || starts(file, filter.only)) && !starts(file, filter.skip))
    .sort();
  const fixtures: FixtureResult[] = [];
  for (const file of names) {
    const expected = JSON.parse(await readFile(join(dir, file), 'utf8')) as ExpectedFile;
    const existing = expected.existing ?? { userMd: '', memoryMd: '' };
    try {
      const transcript = await readRollout(join(dir, `${expected.name}.jsonl`));
      fixtures.push(
        judge({ ...expected, set }, reviewSession(transcript, existing), sessionText(transcript)),
      );
    } catch (error) {
      const result = judge({ ...expected, set }, { memory_updates: [], recall_candidate: [] });
      fixtures.push({ ...result, crashed: error instanceof Error ? error.message : String(error) });
    }
  }
  const overall = score(fixtures);
  const byLanguage = groupBy(fixtures, (result) => result.language);
  return {
    set,
    overall,
    byCategory: groupBy(fixtures, (result) => result.category),
    byLanguage,
    fixtures,
    meetsAim:
      overall.precision >= AIM.precision &&
      overall.recall >= AIM.recall &&
      (byLanguage.zh === undefined || byLanguage.zh.recall >= AIM.recallZh) &&
      overall.harmful === 0 &&
      overall.nothingSuggestions === 0 &&
      overall.clean >= AIM.clean,
  };
}

function percent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}

function row(name: string, value: Score): string {
  const kind = value.kindChecked > 0 ? `  kind ${value.kindAgreed}/${value.kindChecked}` : '';
  return (
    `${name.padEnd(16)} ${String(value.fixtures).padStart(4)}  ${percent(value.precision).padStart(9)}  ${percent(value.recall).padStart(7)}` +
    `  ${percent(value.clean).padStart(6)}   TP ${value.truePositives}  FP ${value.falsePositives}  harmful ${value.harmful}` +
    `  lessons ${value.matchedLessons}/${value.requiredLessons}  silent-on-nothing ${value.nothingSuggestions === 0 ? 'yes' : `no (${value.nothingSuggestions})`}${kind}`
  );
}

/** Human-readable report of one half. */
export function formatEvaluation(evaluation: Evaluation, verbose = false): string {
  const lines: string[] = [
    `Local reviewer evaluation: ${evaluation.set} (${evaluation.overall.fixtures} sessions)`,
    '',
  ];
  lines.push(
    `${'group'.padEnd(16)} ${'runs'.padStart(4)}  ${'precision'.padStart(9)}  ${'recall'.padStart(7)}  ${'clean'.padStart(6)}`,
  );
  lines.push(row('overall', evaluation.overall), '');
  for (const [name, value] of Object.entries(evaluation.byLanguage)) lines.push(row(`lang:${name}`, value));
  lines.push('');
  for (const [name, value] of Object.entries(evaluation.byCategory)) lines.push(row(name, value));
  const { kindAgreed, kindChecked, nothingFixtures } = evaluation.overall;
  lines.push(
    '',
    `kind agreement on matched lessons: ${kindAgreed}/${kindChecked}${kindChecked > 0 ? ` (${percent(kindAgreed / kindChecked)})` : ''}`,
  );
  lines.push(
    `sessions with nothing to learn: ${nothingFixtures}, suggestions on them: ${evaluation.overall.nothingSuggestions}`,
  );
  const problems = evaluation.fixtures.filter(
    (result) =>
      verbose ||
      result.missed.length > 0 ||
      result.falsePositives > 0 ||
      result.crashed ||
      result.cleanEntries < result.entries,
  );
  if (problems.length > 0)
    lines.push('', verbose ? 'Fixtures:' : 'Misses, false positives, unclean entries:');
  for (const result of problems) {
    lines.push(
      `  ${result.name} (${result.category}, ${result.language})${result.crashed ? `  CRASHED: ${result.crashed}` : ''}`,
    );
    for (const missed of result.missed) lines.push(`    missed      ${missed}`);
    for (const proposal of result.proposals) {
      const unclean = proposal.unclean.length > 0 ? `  UNCLEAN(${proposal.unclean.join(',')})` : '';
      const kind = proposal.kindAgrees === false ? '  (kind differs)' : '';
      if (
        !verbose &&
        (proposal.verdict === 'match' || proposal.verdict === 'optional') &&
        unclean === '' &&
        kind === ''
      )
        continue;
      lines.push(
        `    ${proposal.verdict.padEnd(11)} [t${proposal.turn} ${proposal.family}${proposal.scope ? `/${proposal.scope}` : ''} ${proposal.confidence}] ${proposal.summary}${unclean}${kind}`,
      );
      if (verbose || unclean !== '') lines.push(`                ${proposal.content}`);
    }
  }
  lines.push(
    '',
    `targets: precision ≥ ${percent(AIM.precision)}, recall ≥ ${percent(AIM.recall)} (zh ≥ ${percent(AIM.recallZh)}), 0 harmful, ` +
      `0 suggestions on nothing-to-learn sessions, clean ≥ ${percent(AIM.clean)} → ${evaluation.meetsAim ? 'met' : 'NOT met'}`,
  );
  return `${lines.join('\n')}\n`;
}

const USAGE = `Usage: npm run eval:reviewer -- [<dir>] [--set dev|test] [--only p1,p2] [--skip p1,p2] [--verbose] [--json]
  --set dev|test   one half (dev: tuned on; test: held out, run once after the rules froze)
  --only / --skip  fixtures whose name starts with one of these prefixes (comma list)
  --verbose        every proposal; --json  the machine-readable result
Without --set both halves run, and the misses of each are listed.
`;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(USAGE);
    return;
  }
  const known = new Set(['--set', '--only', '--skip', '--verbose', '--json']);
  const unknown = args.find((arg) => arg.startsWith('-') && !known.has(arg));
  if (unknown !== undefined) {
    process.stderr.write(`eval:reviewer: unknown option ${unknown}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const setValue = args.includes('--set') ? args[args.indexOf('--set') + 1] : undefined;
  if (args.includes('--set') && setValue !== 'dev' && setValue !== 'test') {
    process.stderr.write(`eval:reviewer: --set must be dev or test\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const valued = new Set(['--set', '--only', '--skip']);
  const dirArg = args.find((arg, index) => !arg.startsWith('--') && !valued.has(args[index - 1] ?? ''));
  const valueOf = (flag: string): string | undefined =>
    args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined;
  const setArg = valueOf('--set');
  const prefixes = (flag: string): string[] | undefined =>
    valueOf(flag)
      ?.split(',')
      .filter((prefix) => prefix !== '');
  const filter = { only: prefixes('--only'), skip: prefixes('--skip') };
  const runs: Array<[string, string]> = dirArg
    ? [[dirArg, 'dir']]
    : (
        [
          ['dev', DEFAULT_FIXTURE_DIR],
          ['test', TEST_FIXTURE_DIR],
        ] as const
      )
        .filter(([name, dir]) => (setArg === undefined || setArg === name) && existsSync(dir))
        .map(([name, dir]) => [dir, name]);
  const evaluations: Evaluation[] = [];
  for (const [dir, set] of runs) evaluations.push(await evaluateReviewer(dir, set, filter));
  if (args.includes('--json')) process.stdout.write(`${JSON.stringify(evaluations, null, 2)}\n`);
  else
    process.stdout.write(
      evaluations.map((evaluation) => formatEvaluation(evaluation, args.includes('--verbose'))).join('\n'),
    );
  // Only the held-out half decides the exit code when it is there (dev is tuned on).
  const decisive = evaluations.find((evaluation) => evaluation.set === 'test') ?? evaluations[0];
  if (decisive && !decisive.meetsAim) process.exitCode = 1;
}

if (process.argv[1] && import.meta.filename === process.argv[1]) await main();
