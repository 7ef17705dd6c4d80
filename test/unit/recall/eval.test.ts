import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RecallRecord } from '../../../src/core/recall/index-build.js';
import {
  type EvalQuery,
  RECALL_AIM,
  RECALL_FIXTURE_DIR,
  RECALL_QUERY_FILES,
  evaluateRecall,
} from '../../../scripts/eval-recall.js';

const { records } = JSON.parse(readFileSync(join(RECALL_FIXTURE_DIR, 'records.json'), 'utf8')) as { records: RecallRecord[] };
const files = RECALL_QUERY_FILES.map(
  (file) => JSON.parse(readFileSync(join(RECALL_FIXTURE_DIR, file), 'utf8')) as { repos: Record<string, string>; queries: EvalQuery[] },
);
const queries = files.flatMap((f) => f.queries);
const repos: Record<string, string> = Object.assign({}, ...files.map((f) => f.repos));
const sha1 = (s: string): string => createHash('sha1').update(s).digest('hex');

describe('recall fixture set', () => {
  it('has at least 200 records across at least 3 repositories, some in Chinese', () => {
    expect(records.length).toBeGreaterThanOrEqual(200);
    expect(new Set(records.map((r) => r.repo_fingerprint)).size).toBeGreaterThanOrEqual(3);
    expect(new Set(records.map((r) => r.id)).size).toBe(records.length);
    expect(records.filter((r) => /\p{Script=Han}/u.test(r.content)).length).toBeGreaterThanOrEqual(20);
  });

  it('has at least 50 queries of every kind, 10+ without an answer, all answers existing', () => {
    expect(queries.length).toBeGreaterThanOrEqual(50);
    const kinds = new Set(queries.map((q) => q.kind));
    for (const kind of ['paraphrase', 'identifier', 'chinese', 'cross_repo', 'unanswerable']) expect(kinds).toContain(kind);
    expect(queries.filter((q) => q.expected.length === 0).length).toBeGreaterThanOrEqual(10);
    const ids = new Set(records.map((r) => r.id));
    for (const q of queries) for (const id of q.expected) expect(ids.has(id), `${q.id} → ${id}`).toBe(true);
  });

  it('answers cross-repo queries with records of the repository the query is asked from', () => {
    for (const q of queries.filter((x) => x.kind === 'cross_repo')) {
      const fingerprint = sha1(repos[q.repo ?? ''] ?? '');
      for (const r of records.filter((x) => q.expected.includes(x.id))) expect(r.repo_fingerprint, q.id).toBe(fingerprint);
    }
  });
});

describe('recall quality (npm run eval:recall)', () => {
  const report = evaluateRecall();

  it(`meets the aim: Recall@5 ≥ ${RECALL_AIM.recallAt5}, unanswerable queries empty ≥ ${RECALL_AIM.unanswerableEmpty}`, () => {
    expect(report.recallAt5).toBeGreaterThanOrEqual(RECALL_AIM.recallAt5);
    expect(1 - report.falsePositiveRate).toBeGreaterThanOrEqual(RECALL_AIM.unanswerableEmpty);
    expect(report.meetsAim).toBe(true);
  });

  it('ranks the right record first for most queries and keeps result lists short', () => {
    expect(report.recallAt1).toBeGreaterThanOrEqual(0.8);
    expect(report.mrr).toBeGreaterThanOrEqual(0.85);
    expect(report.meanResults).toBeLessThanOrEqual(5);
  });

  it('finds every identifier and cross-repo query in the top 5, own repository first', () => {
    expect(report.byKind['identifier']?.recallAt5).toBe(1);
    expect(report.byKind['cross_repo']?.recallAt5).toBe(1);
    expect(report.byKind['cross_repo']?.recallAt1).toBeGreaterThanOrEqual(0.9);
  });
});
