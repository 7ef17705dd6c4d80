/**
 * Recall quality evaluation (`npm run eval:recall`).
 *
 * Builds the search index over test/fixtures/recall/records.json, runs every query of
 * queries.json and queries-holdout.json (same directory) from its cwd and repository, and prints
 * Recall@1, Recall@5 and MRR over the answerable queries plus the false-positive rate over the
 * unanswerable ones (the fraction that returned anything), per query set and overall. Exits 1 when,
 * over all queries, Recall@5 < 0.9 or fewer than 90% of the unanswerable queries return nothing.
 *
 * `--bench [N]` instead measures a synthetic corpus of N records (default 10,000): the time to
 * read and parse index.json and search-index.json and to answer queries, as the CLI would.
 * `--verbose` lists every query with its top results.
 */

import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  type RecallRecord,
  buildRecallIndex,
  loadRecallSearchIndex,
  parseRecallSearchIndex,
  serializeRecallSearchIndex,
} from '../src/core/recall/index-build.js';
import { searchRecall, searchRecallFile, searchRecallSource } from '../src/core/recall/search.js';

/** Default location of the fixture set. */
export const RECALL_FIXTURE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'recall');

/**
 * Query sets. `queries` was used while choosing the ranking parameters; `queries-holdout` was
 * written after they were frozen and measures how well they generalize.
 */
export const RECALL_QUERY_FILES: readonly string[] = ['queries.json', 'queries-holdout.json'];

/** The quality bar the evaluation enforces (over all query sets together). */
export const RECALL_AIM = { recallAt5: 0.9, unanswerableEmpty: 0.9 } as const;

/** One query of the fixture set. */
export interface EvalQuery {
  id: string;
  kind: string;
  query: string;
  repo: string | null;
  cwd: string;
  /** Acceptable answers (any one counts); empty for an unanswerable query. */
  expected: string[];
  /** The query file it came from, without `.json`. */
  set?: string;
}

/** Figures over a subset of the queries. */
export interface EvalFigures {
  answerable: number;
  unanswerable: number;
  recallAt1: number;
  recallAt5: number;
  mrr: number;
  /** Fraction of unanswerable queries that returned at least one result. */
  falsePositiveRate: number;
}

/** Outcome of one query. */
export interface EvalOutcome {
  query: EvalQuery;
  results: string[];
  /** 1-based rank of the first expected id, or 0 when absent. */
  rank: number;
}

/** Aggregate figures of one evaluation run. */
export interface EvalReport extends EvalFigures {
  records: number;
  /** Mean number of results returned for answerable queries. */
  meanResults: number;
  bySet: Record<string, EvalFigures>;
  byKind: Record<string, { count: number; recallAt1: number; recallAt5: number }>;
  outcomes: EvalOutcome[];
  meetsAim: boolean;
}

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8')) as unknown;
}

/** Runs the evaluation over the fixture set in `fixtureDir`. */
export function evaluateRecall(
  fixtureDir: string = RECALL_FIXTURE_DIR,
  queryFiles: readonly string[] = RECALL_QUERY_FILES,
): EvalReport {
  const { records } = readJson(join(fixtureDir, 'records.json')) as { records: RecallRecord[] };
  const repos: Record<string, string> = {};
  const queries: EvalQuery[] = [];
  for (const file of queryFiles) {
    const data = readJson(join(fixtureDir, file)) as { repos: Record<string, string>; queries: EvalQuery[] };
    Object.assign(repos, data.repos);
    for (const q of data.queries) queries.push({ ...q, set: file.replace(/\.json$/, '') });
  }
  // Round-trip through JSON, exactly as the compiler writes and the CLI reads the index.
  const index = parseRecallSearchIndex(JSON.parse(serializeRecallSearchIndex(buildRecallIndex(records))));
  if (index === undefined) throw new Error('the freshly built index does not parse');

  const outcomes: EvalOutcome[] = queries.map((query) => {
    const root = query.repo === null ? undefined : repos[query.repo];
    const results = searchRecall(index, records, {
      query: query.query,
      cwd: query.cwd,
      ...(root === undefined ? {} : { repoFingerprint: sha1(root) }),
      topK: 5,
    }).map((r) => r.id);
    const position = results.findIndex((id) => query.expected.includes(id));
    return { query, results, rank: position + 1 };
  });

  const answerable = outcomes.filter((o) => o.query.expected.length > 0);
  const byKind: EvalReport['byKind'] = {};
  for (const kind of [...new Set(answerable.map((o) => o.query.kind))]) {
    const xs = answerable.filter((o) => o.query.kind === kind);
    const f = figures(xs);
    byKind[kind] = { count: xs.length, recallAt1: f.recallAt1, recallAt5: f.recallAt5 };
  }
  const bySet: EvalReport['bySet'] = {};
  for (const set of [...new Set(outcomes.map((o) => o.query.set ?? ''))]) {
    bySet[set] = figures(outcomes.filter((o) => (o.query.set ?? '') === set));
  }
  const all = figures(outcomes);
  return {
    records: records.length,
    ...all,
    meanResults: answerable.reduce((sum, o) => sum + o.results.length, 0) / Math.max(1, answerable.length),
    bySet,
    byKind,
    outcomes,
    meetsAim: all.recallAt5 >= RECALL_AIM.recallAt5 && 1 - all.falsePositiveRate >= RECALL_AIM.unanswerableEmpty,
  };
}

function figures(outcomes: readonly EvalOutcome[]): EvalFigures {
  const answerable = outcomes.filter((o) => o.query.expected.length > 0);
  const unanswerable = outcomes.filter((o) => o.query.expected.length === 0);
  const share = (xs: readonly EvalOutcome[], pred: (o: EvalOutcome) => boolean): number =>
    xs.length === 0 ? 0 : xs.filter(pred).length / xs.length;
  return {
    answerable: answerable.length,
    unanswerable: unanswerable.length,
    recallAt1: share(answerable, (o) => o.rank === 1),
    recallAt5: share(answerable, (o) => o.rank >= 1 && o.rank <= 5),
    mrr: answerable.reduce((sum, o) => sum + (o.rank > 0 ? 1 / o.rank : 0), 0) / Math.max(1, answerable.length),
    falsePositiveRate: share(unanswerable, (o) => o.results.length > 0),
  };
}

function pct(x: number): string {
  return x.toFixed(3);
}

function printReport(report: EvalReport, verbose: boolean): void {
  const lines: string[] = [];
  lines.push(`records: ${report.records}, queries: ${report.answerable} answerable + ${report.unanswerable} unanswerable`);
  for (const o of report.outcomes) {
    const answerable = o.query.expected.length > 0;
    const miss = answerable ? o.rank !== 1 : o.results.length > 0;
    if (!verbose && !miss) continue;
    const tag = !answerable ? (o.results.length ? 'FALSE POSITIVE' : 'empty') : o.rank === 0 ? 'MISS' : `rank ${o.rank}`;
    const got = o.results.join(', ') || '(none)';
    lines.push(`  [${tag}] ${o.query.id} ${JSON.stringify(o.query.query)} → ${got}; want ${o.query.expected.join(' | ') || 'nothing'}`);
  }
  lines.push('by kind:');
  for (const [kind, k] of Object.entries(report.byKind)) {
    lines.push(`  ${kind.padEnd(12)} n=${String(k.count).padStart(3)}  R@1 ${pct(k.recallAt1)}  R@5 ${pct(k.recallAt5)}`);
  }
  lines.push('by query set:');
  for (const [set, f] of Object.entries(report.bySet)) lines.push(`  ${set.padEnd(16)} ${figureLine(f)}`);
  lines.push(`all:               ${figureLine(report)}`);
  lines.push(`Recall@1 ${pct(report.recallAt1)}`);
  lines.push(`Recall@5 ${pct(report.recallAt5)} (aim ≥ ${RECALL_AIM.recallAt5})`);
  lines.push(`MRR      ${pct(report.mrr)}`);
  lines.push(
    `false-positive rate on unanswerable queries ${pct(report.falsePositiveRate)} (aim ≤ ${pct(1 - RECALL_AIM.unanswerableEmpty)})`,
  );
  lines.push(`mean results per answerable query ${report.meanResults.toFixed(2)}`);
  lines.push(report.meetsAim ? 'PASS' : 'FAIL: below the aim');
  process.stdout.write(`${lines.join('\n')}\n`);
}

function figureLine(f: EvalFigures): string {
  return `n=${f.answerable}+${f.unanswerable}  R@1 ${pct(f.recallAt1)}  R@5 ${pct(f.recallAt5)}  MRR ${pct(f.mrr)}  FP ${pct(f.falsePositiveRate)}`;
}

/** Deterministic pseudo-random generator (mulberry32) so the synthetic corpus is reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A synthetic corpus of `n` records: fixture records spread over 50 repositories, each rewritten
 * with a few words borrowed from other records, so the vocabulary and posting lists grow the way
 * a real corpus does.
 */
function syntheticRecords(base: readonly RecallRecord[], n: number): RecallRecord[] {
  const random = rng(42);
  const words = base.flatMap((r) => r.content.split(/\s+/)).filter((w) => w.length > 3);
  const out: RecallRecord[] = [];
  for (let i = 0; i < n; i++) {
    const src = base[i % base.length] as RecallRecord;
    const extra = Array.from({ length: 12 }, () => words[Math.floor(random() * words.length)]).join(' ');
    const repo = `/home/dev/src/project-${i % 50}`;
    out.push({
      ...src,
      id: sha1(`${i}:${src.id}`).slice(0, 12),
      content: `${src.content} ${extra} ticket-${i}`,
      repo_fingerprint: sha1(repo),
      cwd: repo,
    });
  }
  return out;
}

function bench(n: number): void {
  const { records: base } = readJson(join(RECALL_FIXTURE_DIR, 'records.json')) as { records: RecallRecord[] };
  const records = syntheticRecords(base, n);
  const dir = mkdtempSync(join(tmpdir(), 'recall-bench-'));
  try {
    // index.json as the compiler writes it (2-space indent), then the index from those exact bytes.
    const indexPath = join(dir, 'index.json');
    const searchPath = join(dir, 'search-index.json');
    writeFileSync(indexPath, `${JSON.stringify({ records }, null, 2)}\n`);
    const t0 = performance.now();
    const built = buildRecallIndex(records, { source: readFileSync(indexPath) });
    const buildMs = performance.now() - t0;
    writeFileSync(searchPath, serializeRecallSearchIndex(built));

    const queries = ['how do I run the tests?', 'SignatureVerificationError', 'Spark 任务内存不够', 'what is the capital of australia'];
    const cwd = '/home/dev/src/project-3';
    const runs = 7;
    const timings: number[][] = [];
    let modes = '';
    for (let run = 0; run < runs; run++) {
      const a = performance.now();
      const index = loadRecallSearchIndex(readFileSync(searchPath));
      const b = performance.now();
      const found: string[] = [];
      for (const q of queries) {
        const { results, mode } = searchRecallFile(index, indexPath, { query: q, cwd, repoFingerprint: sha1(cwd) });
        found.push(`${mode}:${results.length}`);
      }
      const c = performance.now();
      modes = found.join(' ');
      timings.push([b - a, (c - b) / queries.length]);
    }
    const median = (i: number): number => {
      const xs = timings.map((t) => t[i] as number).sort((x, y) => x - y);
      return xs[Math.floor(xs.length / 2)] as number;
    };
    // The fallback when no usable index exists: parse index.json and build the index in memory.
    const f0 = performance.now();
    const fallback = searchRecallSource(undefined, readFileSync(indexPath), { query: queries[0] as string, cwd });
    const fallbackMs = performance.now() - f0;
    process.stdout.write(
      [
        `records: ${n}; index.json ${(statSync(indexPath).size / 1e6).toFixed(2)} MB, search-index.json ${(statSync(searchPath).size / 1e6).toFixed(2)} MB`,
        `build at compile time: ${buildMs.toFixed(0)} ms`,
        `median of ${runs} runs: load search-index.json ${median(0).toFixed(1)} ms; query incl. reading the hits from index.json ${median(1).toFixed(2)} ms (${modes})`,
        `fallback without an index (parse index.json, build in memory, query): ${fallbackMs.toFixed(0)} ms (${fallback.mode})`,
      ].join('\n') + '\n',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function main(argv: readonly string[]): number {
  const benchAt = argv.indexOf('--bench');
  if (benchAt >= 0) {
    const n = Number(argv[benchAt + 1] ?? '10000');
    bench(Number.isInteger(n) && n > 0 ? n : 10000);
    return 0;
  }
  const report = evaluateRecall();
  printReport(report, argv.includes('--verbose'));
  return report.meetsAim ? 0 : 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2));
}
