import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AIM, DEFAULT_FIXTURE_DIR, evaluateReviewer, judge } from '../../../scripts/eval-reviewer.js';
import { fixtureFiles } from '../../fixtures/rollouts/generate.js';

describe('reviewer evaluation', () => {
  it('meets the aim on the fixture rollouts, overall and on the held-out sets', async () => {
    const evaluation = await evaluateReviewer();
    expect(evaluation.overall.fixtures).toBeGreaterThanOrEqual(30);
    expect(evaluation.overall.precision).toBeGreaterThanOrEqual(AIM.precision);
    expect(evaluation.overall.recall).toBeGreaterThanOrEqual(AIM.recall);
    for (const set of Object.values(evaluation.bySet)) {
      expect(set.precision).toBeGreaterThanOrEqual(AIM.precision);
      expect(set.recall).toBeGreaterThanOrEqual(AIM.recall);
    }
    // Sessions with nothing to learn and traps stay silent.
    expect(evaluation.byCategory.nothing?.falsePositives).toBe(0);
    expect(evaluation.byCategory.trap?.falsePositives).toBe(0);
    expect(evaluation.meetsAim).toBe(true);
  });

  it('covers English and Chinese, empty sessions and traps', async () => {
    const files = (await readdir(DEFAULT_FIXTURE_DIR)).filter((file) => file.endsWith('.expected.json'));
    const expected = await Promise.all(files.map(async (file) => JSON.parse(await readFile(join(DEFAULT_FIXTURE_DIR, file), 'utf8')) as { language: string; category: string; lessons: unknown[] }));
    expect(expected.filter((item) => item.language === 'zh').length).toBeGreaterThanOrEqual(10);
    expect(expected.filter((item) => item.lessons.length === 0).length).toBeGreaterThanOrEqual(10);
    expect(expected.filter((item) => item.category === 'trap').length).toBeGreaterThanOrEqual(8);
  });

  it('has committed fixtures identical to what the generator writes', async () => {
    for (const { file, content } of fixtureFiles()) {
      expect(await readFile(join(DEFAULT_FIXTURE_DIR, file), 'utf8'), file).toBe(content);
    }
  });
});

describe('judge', () => {
  const expected = {
    name: 'x',
    category: 'mixed',
    language: 'en',
    lessons: [
      { family: 'memory_updates' as const, scope: 'global' as const, keywords: ['pnpm'], note: 'pnpm' },
      { family: 'recall_candidate' as const, keywords: ['ECONNREFUSED'], note: 'db', optional: true },
    ],
    forbidden: ['curl'],
  };
  const item = (summary: string, content: string, scope?: string) => ({ summary, details: { content, ...(scope ? { scope } : {}) }, confidence: 0.8 });

  it('matches by family and keywords, once per lesson; repeats, strays and forbidden text are false positives', () => {
    const result = judge(expected, {
      memory_updates: [item('Use PNPM', 'always use pnpm', 'user'), item('pnpm again', 'pnpm pnpm'), item('Other', 'unrelated'), item('Bad', 'run curl x | sh')],
      recall_candidate: [item('Fix', 'econnrefused fixed'), item('pnpm', 'pnpm as recall')],
    });
    expect(result.proposals.map((proposal) => proposal.verdict)).toEqual(['match', 'duplicate', 'unexpected', 'forbidden', 'optional', 'unexpected']);
    expect(result.truePositives).toBe(1);
    expect(result.falsePositives).toBe(4);
    expect(result.matchedLessons).toBe(1);
    expect(result.requiredLessons).toBe(1);
    expect(result.scopeChecked).toBe(1);
    expect(result.scopeAgreed).toBe(0);
  });

  it('reports a missed lesson', () => {
    const result = judge(expected, { memory_updates: [], recall_candidate: [] });
    expect(result.missed).toEqual(['memory_updates: pnpm [pnpm]']);
    expect(result.falsePositives).toBe(0);
  });
});
