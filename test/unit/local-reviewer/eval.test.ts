import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AIM, DEFAULT_FIXTURE_DIR, evaluateReviewer, judge } from '../../../scripts/eval-reviewer.js';
import { fixtureFiles } from '../../fixtures/rollouts/generate.js';

describe('reviewer evaluation', () => {
  it('meets the targets on the development fixtures', async () => {
    // Every batch, blind ones included once they have been measured untuned (dev8- has: docs/learning.md).
    // dev11- and dev12- were each measured untuned once and a later pass tuned on them (the sixth and
    // the seventh), so they are guarded here too. dev13- and dev14- were each measured untuned once
    // (docs/learning.md; dev14- decided the seventh pass) and stay out of this guard of tuned figures.
    // dev15- decided the eighth pass (run once, docs/learning.md) and stays out too.
    const evaluation = await evaluateReviewer(DEFAULT_FIXTURE_DIR, 'dev', {
      skip: ['dev13-', 'dev14-', 'dev15-'],
    });
    expect(evaluation.overall.fixtures).toBeGreaterThanOrEqual(90);
    expect(evaluation.overall.precision).toBeGreaterThanOrEqual(AIM.precision);
    expect(evaluation.overall.recall).toBeGreaterThanOrEqual(AIM.recall);
    expect(evaluation.byLanguage.zh?.recall).toBeGreaterThanOrEqual(AIM.recallZh);
    expect(evaluation.overall.harmful).toBe(0);
    expect(evaluation.overall.nothingSuggestions).toBe(0);
    expect(evaluation.overall.clean).toBeGreaterThanOrEqual(AIM.clean);
    expect(evaluation.fixtures.filter((result) => result.crashed)).toEqual([]);
    expect(evaluation.meetsAim).toBe(true);
  });

  it('covers English, Chinese and mixed turns, sessions with nothing to learn (40%), traps and procedures', async () => {
    const files = (await readdir(DEFAULT_FIXTURE_DIR)).filter((file) => file.endsWith('.expected.json'));
    const expected = await Promise.all(
      files.map(
        async (file) =>
          JSON.parse(await readFile(join(DEFAULT_FIXTURE_DIR, file), 'utf8')) as {
            language: string;
            category: string;
            set: string;
            lessons: unknown[];
          },
      ),
    );
    expect(expected.filter((item) => item.language === 'zh').length).toBeGreaterThanOrEqual(30);
    expect(expected.filter((item) => item.language === 'mixed').length).toBeGreaterThanOrEqual(2);
    expect(
      expected.filter((item) => item.lessons.length === 0).length / expected.length,
    ).toBeGreaterThanOrEqual(0.3);
    expect(expected.filter((item) => item.category === 'trap').length).toBeGreaterThanOrEqual(8);
    expect(expected.filter((item) => item.category === 'procedure').length).toBeGreaterThanOrEqual(3);
    expect(new Set(expected.map((item) => item.set))).toEqual(new Set(['dev']));
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
  const item = (summary: string, content: string, scope?: string) => ({
    summary,
    details: { content, ...(scope ? { scope } : {}) },
    confidence: 0.8,
  });

  it('matches by keywords whatever the kind, once per lesson; repeats, strays and forbidden text are false positives', () => {
    const result = judge(expected, {
      memory_updates: [
        item('Use PNPM', 'always use pnpm', 'user'),
        item('pnpm again', 'pnpm pnpm'),
        item('Other', 'unrelated'),
        item('Bad', 'run curl x | sh'),
      ],
      recall_candidate: [item('Fix', 'econnrefused fixed'), item('pnpm', 'pnpm as recall')],
    });
    expect(result.proposals.map((proposal) => proposal.verdict)).toEqual([
      'match',
      'duplicate',
      'unexpected',
      'harmful',
      'optional',
      'duplicate',
    ]);
    expect(result.truePositives).toBe(1);
    expect(result.falsePositives).toBe(4);
    expect(result.harmful).toBe(1);
    expect(result.matchedLessons).toBe(1);
    expect(result.requiredLessons).toBe(1);
    // Matched, but as a user habit where the lesson is about the repository.
    expect(result.kindChecked).toBe(1);
    expect(result.kindAgreed).toBe(0);
  });

  it('needs exact strings byte-exact, flags one-off steps as harmful and counts unclean entries', () => {
    const lesson = {
      name: 'y',
      category: 'fact',
      language: 'en',
      lessons: [
        { family: 'memory_updates' as const, keywords: ['ui'], exact: ['packages/ui/src'], note: 'ui' },
      ],
    };
    const recased = judge(lesson, {
      memory_updates: [item('UI components', 'UI components live in Packages/UI/src.')],
      recall_candidate: [],
    });
    expect(recased.matchedLessons).toBe(0);
    const exact = judge(
      lesson,
      {
        memory_updates: [item('UI components', 'UI components live in packages/ui/src.')],
        recall_candidate: [],
      },
      'they live in packages/ui/src now',
    );
    expect(exact.matchedLessons).toBe(1);
    expect(exact.cleanEntries).toBe(1);
    const oneOff = judge(lesson, {
      memory_updates: [],
      recall_candidate: [item('Install', 'Run `npm ci && git commit -m x`.')],
    });
    expect(oneOff.harmful).toBe(1);
    const unclean = judge(lesson, {
      memory_updates: [
        item(
          'Going forward, UI components live in…',
          'Going forward, UI components live in packages/ui/src;',
        ),
      ],
      recall_candidate: [],
    });
    expect(unclean.cleanEntries).toBe(0);
    expect(unclean.proposals[0]?.unclean).toEqual(['truncated-title', 'lead-in', 'dangling-punctuation']);
  });

  it('reports a missed lesson', () => {
    const result = judge(expected, { memory_updates: [], recall_candidate: [] });
    expect(result.missed).toEqual(['memory_updates: pnpm [pnpm]']);
    expect(result.falsePositives).toBe(0);
  });
});
