/**
 * Evaluates the local reviewer on the fixture rollouts (test/fixtures/rollouts/*.jsonl, each with
 * a `<name>.expected.json` written by a human): precision and recall overall, per category and
 * per language. Exits 1 below the aim (precision ≥ 0.8, recall ≥ 0.6).
 *
 *   npm run eval:reviewer               # summary and the misses / false positives
 *   npm run eval:reviewer -- --verbose  # every proposal
 *   npm run eval:reviewer -- --json     # machine-readable result
 *
 * A proposal matches an expected lesson when it is of the lesson's family and its text (summary,
 * content, source paths) contains every keyword of the lesson, case-insensitively. Each lesson is
 * matched at most once: a second proposal for the same lesson is a false positive (noise), as is a
 * proposal matching no lesson or containing a forbidden keyword. Optional lessons count neither
 * way. Scope agreement of matched memory updates is reported separately.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readRollout } from '../src/core/review/transcript.js';
import { reviewLocally, type ReviewerOutputItem } from '../src/core/review/local/review.js';

/** Precision and recall must reach these. */
export const AIM = { precision: 0.8, recall: 0.6 } as const;

export const DEFAULT_FIXTURE_DIR = join(import.meta.dirname, '..', 'test', 'fixtures', 'rollouts');

interface ExpectedLesson {
  family: 'memory_updates' | 'recall_candidate';
  scope?: 'user' | 'global';
  keywords: string[];
  note: string;
  optional?: boolean;
}

interface ExpectedFile {
  name: string;
  category: string;
  language: string;
  /** `dev` or `holdout` (written after the reviewer, never tuned on). */
  set?: string;
  lessons: ExpectedLesson[];
  existing?: { userMd: string; memoryMd: string };
  forbidden?: string[];
}

/** How one proposal was judged. */
export interface JudgedProposal {
  family: string;
  summary: string;
  scope: string | undefined;
  confidence: number;
  verdict: 'match' | 'optional' | 'duplicate' | 'unexpected' | 'forbidden';
  lesson?: string;
}

/** The result on one fixture. */
export interface FixtureResult {
  name: string;
  category: string;
  language: string;
  set: string;
  truePositives: number;
  falsePositives: number;
  requiredLessons: number;
  matchedLessons: number;
  scopeChecked: number;
  scopeAgreed: number;
  missed: string[];
  proposals: JudgedProposal[];
}

/** Totals over a group of fixtures. */
export interface Score {
  fixtures: number;
  truePositives: number;
  falsePositives: number;
  requiredLessons: number;
  matchedLessons: number;
  /** TP / (TP + FP); 1 when nothing was proposed. */
  precision: number;
  /** matched / required; 1 when nothing was expected. */
  recall: number;
}

/** The whole evaluation. */
export interface Evaluation {
  overall: Score;
  byCategory: Record<string, Score>;
  byLanguage: Record<string, Score>;
  bySet: Record<string, Score>;
  scopeAgreement: { checked: number; agreed: number };
  fixtures: FixtureResult[];
  meetsAim: boolean;
}

function textOf(item: ReviewerOutputItem): string {
  const details = item.details;
  const paths = Array.isArray(details.source_paths) ? details.source_paths.join(' ') : '';
  const content = typeof details.content === 'string' ? details.content : '';
  return `${item.summary}\n${content}\n${paths}`.toLowerCase();
}

/** Judges the proposals of one fixture against its expected lessons. */
export function judge(expected: ExpectedFile, output: { memory_updates: ReviewerOutputItem[]; recall_candidate: ReviewerOutputItem[] }): FixtureResult {
  const required = expected.lessons.filter((lesson) => !lesson.optional);
  const matched = new Set<ExpectedLesson>();
  const proposals: JudgedProposal[] = [];
  let truePositives = 0;
  let falsePositives = 0;
  let scopeChecked = 0;
  let scopeAgreed = 0;
  const families = [
    ['memory_updates', output.memory_updates],
    ['recall_candidate', output.recall_candidate],
  ] as const;
  for (const [family, items] of families) {
    for (const item of items) {
      const text = textOf(item);
      const scope = typeof item.details.scope === 'string' ? item.details.scope : undefined;
      const base = { family, summary: item.summary, scope, confidence: item.confidence };
      if ((expected.forbidden ?? []).some((word) => text.includes(word.toLowerCase()))) {
        falsePositives += 1;
        proposals.push({ ...base, verdict: 'forbidden' });
        continue;
      }
      const fits = (lesson: ExpectedLesson): boolean => lesson.family === family && lesson.keywords.every((word) => text.includes(word.toLowerCase()));
      const lesson = required.find((candidate) => !matched.has(candidate) && fits(candidate)) ?? expected.lessons.find((candidate) => candidate.optional && !matched.has(candidate) && fits(candidate));
      if (lesson === undefined) {
        const duplicate = expected.lessons.some(fits);
        falsePositives += 1;
        proposals.push({ ...base, verdict: duplicate ? 'duplicate' : 'unexpected' });
        continue;
      }
      matched.add(lesson);
      if (lesson.optional) {
        proposals.push({ ...base, verdict: 'optional', lesson: lesson.note });
        continue;
      }
      truePositives += 1;
      if (lesson.scope !== undefined && family === 'memory_updates') {
        scopeChecked += 1;
        if (scope === lesson.scope) scopeAgreed += 1;
      }
      proposals.push({ ...base, verdict: 'match', lesson: lesson.note });
    }
  }
  return {
    name: expected.name,
    category: expected.category,
    language: expected.language,
    set: expected.set ?? 'dev',
    truePositives,
    falsePositives,
    requiredLessons: required.length,
    matchedLessons: required.filter((lesson) => matched.has(lesson)).length,
    scopeChecked,
    scopeAgreed,
    missed: required.filter((lesson) => !matched.has(lesson)).map((lesson) => `${lesson.family}: ${lesson.note} [${lesson.keywords.join(', ')}]`),
    proposals,
  };
}

function score(results: readonly FixtureResult[]): Score {
  const sum = (pick: (result: FixtureResult) => number): number => results.reduce((total, result) => total + pick(result), 0);
  const truePositives = sum((result) => result.truePositives);
  const falsePositives = sum((result) => result.falsePositives);
  const requiredLessons = sum((result) => result.requiredLessons);
  const matchedLessons = sum((result) => result.matchedLessons);
  return {
    fixtures: results.length,
    truePositives,
    falsePositives,
    requiredLessons,
    matchedLessons,
    precision: truePositives + falsePositives === 0 ? 1 : truePositives / (truePositives + falsePositives),
    recall: requiredLessons === 0 ? 1 : matchedLessons / requiredLessons,
  };
}

function groupBy(results: readonly FixtureResult[], key: (result: FixtureResult) => string): Record<string, Score> {
  const groups = new Map<string, FixtureResult[]>();
  for (const result of results) groups.set(key(result), [...(groups.get(key(result)) ?? []), result]);
  return Object.fromEntries([...groups].sort(([a], [b]) => a.localeCompare(b)).map(([name, members]) => [name, score(members)]));
}

/** Runs the local reviewer on every fixture of `dir` and scores it. */
export async function evaluateReviewer(dir: string = DEFAULT_FIXTURE_DIR): Promise<Evaluation> {
  const names = (await readdir(dir)).filter((file) => file.endsWith('.expected.json')).sort();
  const fixtures: FixtureResult[] = [];
  for (const file of names) {
    const expected = JSON.parse(await readFile(join(dir, file), 'utf8')) as ExpectedFile;
    const transcript = await readRollout(join(dir, `${expected.name}.jsonl`));
    const output = reviewLocally(transcript, expected.existing ?? { userMd: '', memoryMd: '' });
    fixtures.push(judge(expected, output));
  }
  const overall = score(fixtures);
  const checked = fixtures.reduce((total, result) => total + result.scopeChecked, 0);
  const agreed = fixtures.reduce((total, result) => total + result.scopeAgreed, 0);
  return {
    overall,
    byCategory: groupBy(fixtures, (result) => result.category),
    byLanguage: groupBy(fixtures, (result) => result.language),
    bySet: groupBy(fixtures, (result) => result.set),
    scopeAgreement: { checked, agreed },
    fixtures,
    meetsAim: overall.precision >= AIM.precision && overall.recall >= AIM.recall,
  };
}

function percent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}

function row(name: string, value: Score): string {
  return `${name.padEnd(16)} ${String(value.fixtures).padStart(4)}  ${percent(value.precision).padStart(9)}  ${percent(value.recall).padStart(7)}   TP ${value.truePositives}  FP ${value.falsePositives}  lessons ${value.matchedLessons}/${value.requiredLessons}`;
}

/** Human-readable report. */
export function formatEvaluation(evaluation: Evaluation, verbose = false): string {
  const lines: string[] = ['Local reviewer evaluation', ''];
  lines.push(`${'group'.padEnd(16)} ${'runs'.padStart(4)}  ${'precision'.padStart(9)}  ${'recall'.padStart(7)}`);
  lines.push(row('overall', evaluation.overall), '');
  for (const [name, value] of Object.entries(evaluation.byCategory)) lines.push(row(name, value));
  lines.push('');
  for (const [name, value] of Object.entries(evaluation.byLanguage)) lines.push(row(`lang:${name}`, value));
  for (const [name, value] of Object.entries(evaluation.bySet)) lines.push(row(`set:${name}`, value));
  const { checked, agreed } = evaluation.scopeAgreement;
  lines.push('', `scope agreement on matched memory updates: ${agreed}/${checked}${checked > 0 ? ` (${percent(agreed / checked)})` : ''}`);
  const problems = evaluation.fixtures.filter((result) => verbose || result.missed.length > 0 || result.falsePositives > 0);
  if (problems.length > 0) lines.push('', verbose ? 'Fixtures:' : 'Misses and false positives:');
  for (const result of problems) {
    lines.push(`  ${result.name} (${result.category})`);
    for (const missed of result.missed) lines.push(`    missed      ${missed}`);
    for (const proposal of result.proposals) {
      if (!verbose && (proposal.verdict === 'match' || proposal.verdict === 'optional')) continue;
      lines.push(`    ${proposal.verdict.padEnd(11)} [${proposal.family}${proposal.scope ? `/${proposal.scope}` : ''} ${proposal.confidence}] ${proposal.summary}`);
    }
  }
  lines.push('', `aim: precision ≥ ${AIM.precision}, recall ≥ ${AIM.recall} → ${evaluation.meetsAim ? 'met' : 'NOT met'}`);
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const dirArg = args.find((arg) => !arg.startsWith('--'));
  const evaluation = await evaluateReviewer(dirArg ?? DEFAULT_FIXTURE_DIR);
  if (args.includes('--json')) process.stdout.write(`${JSON.stringify(evaluation, null, 2)}\n`);
  else process.stdout.write(formatEvaluation(evaluation, args.includes('--verbose')));
  if (!evaluation.meetsAim) process.exitCode = 1;
}

if (process.argv[1] && import.meta.filename === process.argv[1]) await main();
