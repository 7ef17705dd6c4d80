/**
 * Deterministic subject matching between two lessons: is a new lesson the same thing
 * said again (merge it, count a confirmation), an update of an existing one (supersede it), or
 * something else? No model, no embeddings: normalized key terms plus a few explicit signals, so
 * the outcome is reproducible and explainable in a receipt.
 *
 * - Terms: NFKC, lower case, words of letters/digits (each CJK character is a term), stop words
 *   and update cues removed, a light suffix stemmer (installs → install, running → run).
 * - Value slots: groups of mutually exclusive choices (npm | pnpm | yarn | bun, jest | vitest, ...).
 *   The *preferred* values of a lesson are the group members not negated or contrasted nearby
 *   ("use pnpm, not npm" prefers pnpm). Two lessons that prefer disjoint values of the same group
 *   and share their remaining subject terms are an update: "use npm" → "use pnpm from now on".
 * - Polarity: "always X" vs "never X" over the same terms is a reversal.
 * - Update cues ("from now on", "instead", "no longer", "switched to") with a high subject overlap
 *   are an update.
 * - Otherwise a Jaccard similarity ≥ DUPLICATE_JACCARD is a near-duplicate.
 *
 * Pure and dependency-free; the compiler calls it per new lesson against the active entries of
 * the same scope (bounded by the memory caps).
 */

/** Jaccard similarity at or above which two lessons are the same lesson. */
export const DUPLICATE_JACCARD = 0.7;
/** Overlap of the non-value subject terms needed to call a value change an update. */
export const VALUE_SUBJECT_OVERLAP = 0.5;
/** Jaccard needed for a polarity flip to count as a reversal of the same lesson. */
export const POLARITY_JACCARD = 0.6;
/** Overlap coefficient needed for a cue-driven update. */
export const CUE_OVERLAP = 0.75;

const STOP_WORDS = new Set(
  (
    'a an the and or but if then else of to in on at by for with from into onto as is are was were be been being it its this that these those ' +
    'we you they i he she our your their my me us them do does did doing have has had can could should would will shall may might must ' +
    'all always any each every some such so too very just also only here there when where which who whom what why how please use used using ' +
    'via per than over about up down out off new old prefer preferred preference'
  ).split(' '),
);

const NEGATIONS = new Set([
  'not',
  'never',
  'no',
  'dont',
  'don',
  'doesnt',
  'avoid',
  'without',
  'stop',
  'nor',
  'cannot',
  'cant',
  'wont',
  'shouldnt',
  'mustnt',
  'instead',
]);

/** Words that announce a change of mind ("from now on", "switched to", "no longer"). */
const CUE_WORDS = new Set([
  'now',
  'instead',
  'longer',
  'anymore',
  'switch',
  'switched',
  'switching',
  'migrate',
  'migrated',
  'moved',
  'replace',
  'replaced',
  'rather',
  'henceforth',
  'going',
  'forward',
]);
const CUE_PHRASES = [
  /\bfrom now on\b/,
  /\bno longer\b/,
  /\bnot anymore\b/,
  /\bany ?more\b/,
  /\binstead\b/,
  /\bswitch(?:ed|ing)? (?:to|over)\b/,
  /\bmigrat(?:e|ed|ing) to\b/,
  /\bmoved? to\b/,
  /\brather than\b/,
  /\bgoing forward\b/,
  /\bnow uses?\b/,
  /\bstarting (?:now|today)\b/,
  /\breplaced? (?:by|with)\b/,
];

/** Mutually exclusive choices. A lesson preferring one member contradicts one preferring another. */
export const VALUE_GROUPS: readonly (readonly string[])[] = [
  ['npm', 'pnpm', 'yarn', 'bun'],
  ['jest', 'vitest', 'mocha', 'ava', 'jasmine'],
  ['pip', 'poetry', 'uv', 'pipenv', 'conda', 'pdm'],
  ['pytest', 'unittest', 'nose'],
  ['webpack', 'vite', 'rollup', 'esbuild', 'parcel', 'tsup', 'rspack', 'turbopack'],
  ['eslint', 'biome', 'oxlint'],
  ['tab', 'tabs', 'space', 'spaces'],
  ['main', 'master', 'trunk', 'develop'],
  ['merge', 'rebase', 'squash'],
  ['docker', 'podman'],
  ['mysql', 'postgres', 'postgresql', 'sqlite', 'mongodb'],
  ['javascript', 'typescript'],
  ['esm', 'commonjs', 'cjs'],
  ['single', 'double'],
  ['camelcase', 'snakecase', 'kebabcase', 'pascalcase'],
];

const GROUP_OF = new Map<string, number>();
VALUE_GROUPS.forEach((group, i) => group.forEach((value) => GROUP_OF.set(value, i)));
/** Members of a group that are spellings of one value. */
const CANONICAL: Record<string, string> = {
  tabs: 'tab',
  spaces: 'space',
  postgresql: 'postgres',
  cjs: 'commonjs',
};

/** Light stemmer: enough to match installs/install/installing, not a linguistic one. */
export function stem(word: string): string {
  if (word.length <= 4 || GROUP_OF.has(word)) return word;
  for (const [suffix, min] of [
    ['ies', 5],
    ['ing', 6],
    ['ed', 5],
    ['es', 5],
    ['s', 4],
  ] as const) {
    if (word.endsWith(suffix) && word.length - suffix.length >= min - suffix.length && !word.endsWith('ss')) {
      const base = word.slice(0, -suffix.length);
      if (suffix === 'ies') return `${base}y`;
      if (suffix === 'ing' || suffix === 'ed')
        return base.length >= 3 && base.at(-1) === base.at(-2) && !'lsz'.includes(base.at(-1)!)
          ? base.slice(0, -1)
          : base;
      return base;
    }
  }
  return word;
}

/** Raw lower-cased word tokens in order (CJK characters one by one). */
export function words(text: string): string[] {
  return (
    text
      .normalize('NFKC')
      .toLowerCase()
      .replace(/['’‘`]/g, '')
      .match(/[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]|[\p{L}\p{N}_]+/gu) ?? []
  );
}

/** What the matcher knows about one lesson. */
export interface LessonTerms {
  /** Subject terms (stemmed, no stop words, no cues, no negations). */
  terms: Set<string>;
  /** Preferred values per value group index. */
  values: Map<number, Set<string>>;
  /** The lesson is phrased negatively ("never", "don't", "avoid"). */
  negative: boolean;
  /** The lesson announces a change ("from now on", "instead", "switched to"). */
  cue: boolean;
}

/** Analyses a lesson (summary and content together). */
export function lessonTerms(text: string): LessonTerms {
  const tokens = words(text);
  const terms = new Set<string>();
  const values = new Map<number, Set<string>>();
  let negative = false;
  const flat = tokens.join(' ');
  const cue = CUE_PHRASES.some((re) => re.test(flat));
  tokens.forEach((token, i) => {
    const group = GROUP_OF.get(token);
    if (group !== undefined) {
      // Contrasted nearby ("not npm", "instead of npm", "rather than npm", "over npm"): not preferred.
      const before = tokens.slice(Math.max(0, i - 2), i);
      const contrasted = before.some(
        (w) => NEGATIONS.has(w) || w === 'than' || w === 'over' || (w === 'of' && before.includes('instead')),
      );
      if (!contrasted) {
        const set = values.get(group) ?? new Set<string>();
        set.add(CANONICAL[token] ?? token);
        values.set(group, set);
      }
      return;
    }
    if (NEGATIONS.has(token)) {
      if (token !== 'instead') negative = true;
      return;
    }
    if (STOP_WORDS.has(token) || CUE_WORDS.has(token)) return;
    terms.add(stem(token));
  });
  // A lesson that only contrasts values ("not npm") states no preference; it is negative.
  return { terms, values, negative, cue };
}

function intersectionSize(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  let n = 0;
  for (const x of a) if (b.has(x)) n++;
  return n;
}

/** |A∩B| / |A∪B| (1 for two empty sets). */
export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  const inter = intersectionSize(a, b);
  const union = a.size + b.size - inter;
  return union === 0 ? 1 : inter / union;
}

/** |A∩B| / min(|A|,|B|) (0 when one is empty). */
export function overlap(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  const min = Math.min(a.size, b.size);
  return min === 0 ? 0 : intersectionSize(a, b) / min;
}

/** How a new lesson relates to an existing one. */
export interface Relation {
  kind: 'duplicate' | 'supersedes' | 'unrelated';
  /** Higher is a better match (to pick among several candidates). */
  score: number;
  /** Why, for receipts and `memory show` (e.g. `value_changed:npm→pnpm`). */
  reason: string;
}

function allTerms(t: LessonTerms): Set<string> {
  const out = new Set(t.terms);
  for (const set of t.values.values()) for (const v of set) out.add(v);
  return out;
}

/** Classifies `next` against `prev` (see the module comment). Deterministic. */
export function relate(prev: LessonTerms, next: LessonTerms): Relation {
  // 1. A preferred value of the same group changed.
  for (const [group, before] of prev.values) {
    const after = next.values.get(group);
    if (!after || after.size === 0) continue;
    if (intersectionSize(before, after) > 0) continue;
    const subject = prev.terms.size === 0 || next.terms.size === 0 ? 1 : overlap(prev.terms, next.terms);
    if (subject >= VALUE_SUBJECT_OVERLAP) {
      return {
        kind: 'supersedes',
        score: 2 + subject,
        reason: `value_changed:${[...before].sort().join('|')}→${[...after].sort().join('|')}`,
      };
    }
  }
  const a = allTerms(prev);
  const b = allTerms(next);
  const jac = jaccard(a, b);
  // 2. Same statement, opposite polarity.
  if (
    prev.negative !== next.negative &&
    jaccard(prev.terms, next.terms) >= POLARITY_JACCARD &&
    prev.terms.size > 0
  ) {
    return {
      kind: 'supersedes',
      score: 1.5 + jac,
      reason: next.negative ? 'reversed:now_negative' : 'reversed:now_positive',
    };
  }
  // 3. An announced change about the same subject that says something new.
  if (next.cue && !prev.cue && overlap(a, b) >= CUE_OVERLAP && b.size > intersectionSize(a, b)) {
    return { kind: 'supersedes', score: 1 + overlap(a, b), reason: 'update_cue' };
  }
  // 4. Near-duplicate.
  if (jac >= DUPLICATE_JACCARD && prev.negative === next.negative)
    return { kind: 'duplicate', score: 1 + jac, reason: `similar:${jac.toFixed(2)}` };
  return { kind: 'unrelated', score: jac, reason: '' };
}
