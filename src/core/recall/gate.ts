/**
 * The learned answerability gate: a small logistic model that turns what the ranking knows about a
 * candidate note (how much of the question it covers, what the question names that no note has,
 * how far it is ahead of the next note, and the precision rules' verdicts) into the probability
 * that the note answers the question. The coefficients are fitted on the dev half of the recall
 * fixtures by `scripts/train-recall-gate.ts` and shipped in gate-model.ts; every feature is a share,
 * a ratio or a flag, so it means the same for a short or long question and a small or large store.
 */

import { GATE_MODEL } from './gate-model.js';

/** What the ranking knows about one candidate (see rankRecall in search.ts). */
export interface GateSignals {
  /** Share of the query's IDF mass the note matches. */
  coverage: number;
  /** The coverage rule (`minCoverage`, or `minCoverageMulti` with two terms) admits it. */
  enough: boolean;
  /** The hand-written rules admit the note (coverage, specificity, distinguishing terms and the filters). */
  rules: boolean;
  /** Matched IDF mass in nats. */
  matchedIdf: number;
  /** Distinct query terms (with synonyms) matched. */
  matchedGroups: number;
  /** Share of the distinguishing terms' mass the note matches. */
  distinctShare: number;
  /** The question asks for a number, duration, port or version. */
  answerAsked: boolean;
  /** ... and the note states none. */
  answerMiss: boolean;
  /** An asked attribute, value subject or why-symptom the note does not name. */
  requiredMiss: boolean;
  /** The note names another thing of a kind the question names, and not it. */
  sibling: boolean;
  /** The note belongs to the asking repository. */
  sameRepo: boolean;
  /** Another repository's note that the query does not name. */
  otherRepoUnnamed: boolean;
  /** Share of the query's mass that no note of the store matches (a topic the notes lack). */
  unknownShare: number;
  /** The same for the notes of the asking repository (when it has notes in the store). */
  unknownRepoShare: number;
  /** Share of the query's mass the note lacks and the best other candidate matches. */
  otherHasShare: number;
  /** Share of the mass of the query's three heaviest words that the note matches. */
  topShare: number;
  /** Share of the query's mass the note lacks and a note of the asking repository has. */
  repoMissShare: number;
  /** Bit mask of the query's first 32 terms the note matches. */
  mask: number;
  /** The query has Chinese (or other CJK) text. */
  cjk: boolean;
  /** The query mixes CJK text with Latin-script words (an English term in a Chinese question). */
  mixed: boolean;
  /** Coverage with a CJK word no note has counted in full (prompt-time recall's coverage). */
  promptCoverage: number;
  /** Coverage of the best other candidate (0 when alone). */
  otherCoverage: number;
  /** Mean term-frequency saturation of the matched words (their weight in the note: topic or mention). */
  focus: number;
  /** Score relative to the best candidate's (1 for the best). */
  ratioBest: number;
  /** Score relative to the best other candidate's (Infinity when alone). */
  marginNext: number;
  /** For a note the rules admit: score relative to the best other admitted note's (Infinity when alone). */
  marginAdmitted: number;
}

/** Names of the features, in the order of {@link gateFeatures} and the model's weights. */
export const GATE_FEATURES = [
  'coverage',
  'top_share',
  'rules_admit',
  'log_matched_idf',
  'matched_groups',
  'distinct_share',
  'answer_asked',
  'answer_miss',
  'required_miss',
  'sibling',
  'same_repo',
  'repo_miss_share',
  'unknown_share',
  'unknown_repo_share',
  'other_has_share',
  'cjk',
  'mixed',
  'prompt_coverage',
  'cjk_coverage',
  'other_coverage',
  'focus',
  'log_ratio_best',
  'log_margin_next',
  'log_margin_admitted',
] as const;

const flag = (b: boolean): number => (b ? 1 : 0);
const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

/** The feature vector of one candidate, in {@link GATE_FEATURES} order. */
export function gateFeatures(s: GateSignals): number[] {
  return [
    s.coverage,
    s.topShare,
    flag(s.rules),
    Math.log1p(s.matchedIdf),
    Math.min(s.matchedGroups, 4) / 4,
    s.distinctShare,
    flag(s.answerAsked),
    flag(s.answerMiss),
    flag(s.requiredMiss),
    flag(s.sibling),
    flag(s.sameRepo),
    s.repoMissShare,
    s.unknownShare,
    s.unknownRepoShare,
    s.otherHasShare,
    flag(s.cjk),
    flag(s.mixed),
    s.promptCoverage,
    // Chinese questions get their own slope on coverage: their words are bigrams, so a share means
    // less than an English word's.
    s.cjk ? s.coverage : 0,
    s.otherCoverage,
    s.focus,
    clamp(Math.log(s.ratioBest), -3, 0),
    clamp(Math.log(s.marginNext), -3, 3),
    s.rules ? clamp(Math.log(s.marginAdmitted), -3, 3) : -3,
  ];
}

/** Probability that the note with features `x` answers the question, under `model`. */
export function gateProbability(
  x: readonly number[],
  model: { weights: readonly number[]; bias: number } = GATE_MODEL,
): number {
  let z = model.bias;
  for (let i = 0; i < x.length; i++) z += (model.weights[i] ?? 0) * (x[i] as number);
  return 1 / (1 + Math.exp(-z));
}
