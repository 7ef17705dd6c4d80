import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RECALL_FIXTURE_DIR, evaluateRecall, loadHalf } from '../../../scripts/eval-recall.js';

const dev = loadHalf(RECALL_FIXTURE_DIR, 'dev');
const sha1 = (s: string): string => createHash('sha1').update(s).digest('hex');

describe('recall dev fixture set', () => {
  it('has at least 250 notes across at least 8 repositories, some in Chinese, unique ids', () => {
    expect(dev.records.length).toBeGreaterThanOrEqual(250);
    expect(new Set(dev.records.map((r) => r.repo_fingerprint)).size).toBeGreaterThanOrEqual(8);
    expect(new Set(dev.records.map((r) => r.id)).size).toBe(dev.records.length);
    expect(dev.records.filter((r) => /\p{Script=Han}/u.test(r.content)).length).toBeGreaterThanOrEqual(40);
  });

  it('has 120+ queries: 45+ unanswerable, 30+ Chinese, 12+ mixed, every answer existing', () => {
    const { queries } = dev;
    expect(queries.length).toBeGreaterThanOrEqual(120);
    expect(queries.filter((q) => q.expected.length === 0).length).toBeGreaterThanOrEqual(45);
    expect(queries.filter((q) => q.language === 'zh').length).toBeGreaterThanOrEqual(30);
    expect(queries.filter((q) => q.language === 'mixed').length).toBeGreaterThanOrEqual(12);
    const ids = new Set(dev.records.map((r) => r.id));
    for (const q of queries) for (const id of q.expected) expect(ids.has(id), `${q.id} → ${id}`).toBe(true);
    for (const q of queries) expect(q.repo === null || dev.repos[q.repo] !== undefined, q.id).toBe(true);
  });

  it('answers cross-repo queries with notes of the repository the query is asked from', () => {
    for (const q of dev.queries.filter((x) => x.kind === 'cross_repo')) {
      const fingerprint = sha1(dev.repos[q.repo ?? ''] ?? '');
      for (const r of dev.records.filter((x) => q.expected.includes(x.id)))
        expect(r.repo_fingerprint, q.id).toBe(fingerprint);
    }
  });
});

describe('recall quality on the dev half (npm run eval:recall)', () => {
  // Dev notes only in the store, so the guard does not move when the held-out half changes. The blind
  // batch (records-blind.json, queries-blind.json) was measured untuned once (docs/recall.md) and is
  // dev data since. The later blind batches (blind2 to blind5) stay out: no rule was tuned on them.
  // blind6 and blind7 each decided a pass once (the seventh, merged; the eighth, not: docs/recall.md)
  // and stay out too.
  // The rules alone (the gate's vetoes, and what answers without an asking repository): the gate's
  // own guard is in gate.test.ts.
  const report = evaluateRecall({
    sets: ['dev'],
    testDir: join(RECALL_FIXTURE_DIR, 'no-test-half'),
    devFiles: { skip: ['blind2', 'blind3', 'blind4', 'blind5', 'blind6', 'blind7'] },
    params: { gate: false, promptGate: false },
  });
  const f = report.sets['dev']?.all;

  it('keeps the figures measured when the parameters were chosen (a regression guard, not the aim)', () => {
    expect(f).toBeDefined();
    if (f === undefined) return;
    // Seventh pass (the named repository, the thesaurus): 88.3% / 92.6% / 90.3%, one more unanswerable
    // question answered (78.0% / 78.0%).
    expect(f.recallAt1).toBeGreaterThanOrEqual(0.88);
    expect(f.recallAt5).toBeGreaterThanOrEqual(0.92);
    expect(f.bucketRecallAt1).toBeGreaterThanOrEqual(0.9);
    expect(f.emptyLarge).toBeGreaterThanOrEqual(0.775);
    expect(f.emptyBucket).toBeGreaterThanOrEqual(0.775);
    // Prompt-time recall trades right notes for silence: a wrong injected note costs more.
    expect(f.promptRight).toBeGreaterThanOrEqual(0.65);
    expect(f.promptNoise).toBeLessThanOrEqual(0.07);
  });

  it('prompt-time recall injects at most one note, and only from the asking repository', () => {
    for (const o of report.outcomes) expect(o.prompt.length).toBeLessThanOrEqual(1);
  });
});
