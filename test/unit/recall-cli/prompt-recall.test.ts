import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildRecallIndex,
  serializeRecallSearchIndex,
  type RecallRecord,
} from '../../../src/core/recall/index-build.js';
import {
  PROMPT_RECALL_BUDGET,
  PROMPT_RECALL_MIN_BUDGET,
  promptRecall,
  renderPromptRecall,
} from '../../../src/core/flows/prompt-recall.js';
import type { RecallResult } from '../../../src/core/recall/search.js';
import { tempDir } from '../../helpers/tmp.js';

const sha1 = (s: string): string => createHash('sha1').update(s).digest('hex');
const ROOT = '/home/dev/src/app';
const FP = sha1(ROOT);

function hit(id: string, content: string, extra: Partial<RecallResult> = {}): RecallResult {
  return {
    id,
    summary: `Summary ${id}`,
    content,
    source_paths: [`src/${id}.ts`],
    repo_fingerprint: FP,
    cwd: ROOT,
    thread_id: '',
    turn_id: '',
    score: 1,
    ...extra,
  };
}

describe('renderPromptRecall', () => {
  it('introduces the notes as coming from earlier sessions and keeps provenance', () => {
    const { text, count } = renderPromptRecall([hit('a', 'Run pnpm test.'), hit('b', 'Use Node 20.')], {
      budget: PROMPT_RECALL_BUDGET,
      repoFingerprint: FP,
    });
    expect(count).toBe(2);
    expect(text.split('\n')[0]).toMatch(/^Notes from earlier Codex sessions/);
    expect(text).toContain('### 1. Summary a\nRun pnpm test.\nProvenance: src/a.ts');
    expect(text).toContain('### 2. Summary b\nUse Node 20.\nProvenance: src/b.ts');
    expect(text).not.toContain('another repository');
  });

  it('marks a note learned in another repository', () => {
    const { text } = renderPromptRecall(
      [hit('a', 'Run pnpm test.', { repo_fingerprint: sha1('/elsewhere'), cwd: '/elsewhere' })],
      { budget: 1500, repoFingerprint: FP },
    );
    expect(text).toContain('Provenance: src/a.ts; learned in another repository (/elsewhere)');
  });

  it.each([600, 1000, 1500, 3000])(
    'stays within a budget of %i characters, clipping long contents',
    (budget) => {
      const long = (w: string) => `${w} `.repeat(800).trim();
      const results = [hit('a', long('alpha')), hit('b', 'short note'), hit('c', long('gamma'))];
      const { text, count } = renderPromptRecall(results, { budget, repoFingerprint: FP });
      expect(text.length).toBeLessThanOrEqual(budget);
      expect(count).toBeGreaterThanOrEqual(1);
      expect(text).toContain('### 1. Summary a');
      expect(text).toContain('…');
      if (count === 3) expect(text).toContain('short note');
    },
  );

  it('lets short contents leave their room to long ones', () => {
    const results = [hit('a', 'x'.repeat(2000)), hit('b', 'tiny')];
    const { text } = renderPromptRecall(results, { budget: 1500, repoFingerprint: FP });
    expect(text.length).toBeGreaterThan(1450);
    expect(text.length).toBeLessThanOrEqual(1500);
  });

  it('drops the lowest ranked notes rather than clipping contents to nothing', () => {
    const results = Array.from({ length: 3 }, (_, i) =>
      hit(`n${i}`, 'y'.repeat(1000), { source_paths: [`${'deep/'.repeat(40)}file${i}.ts`] }),
    );
    const { text, count } = renderPromptRecall(results, {
      budget: PROMPT_RECALL_MIN_BUDGET,
      repoFingerprint: FP,
    });
    expect(count).toBe(1);
    expect(text).toContain('### 1. Summary n0');
    expect(text.length).toBeLessThanOrEqual(PROMPT_RECALL_MIN_BUDGET);
  });

  it('renders nothing for no results and treats tiny budgets as the minimum', () => {
    expect(renderPromptRecall([], { budget: 1500, repoFingerprint: FP })).toEqual({ text: '', count: 0 });
    const { text } = renderPromptRecall([hit('a', 'z'.repeat(5000))], { budget: 10, repoFingerprint: FP });
    expect(text.length).toBeLessThanOrEqual(PROMPT_RECALL_MIN_BUDGET);
    expect(text.length).toBeGreaterThan(PROMPT_RECALL_MIN_BUDGET - 10);
  });
});

describe('promptRecall', () => {
  const records: RecallRecord[] = [
    {
      id: 'r1',
      summary: 'Database migrations',
      content: 'Run alembic upgrade head before the test suite.',
      source_paths: ['migrations/env.py'],
      repo_fingerprint: FP,
      cwd: ROOT,
    },
    {
      id: 'r2',
      summary: 'Formatting',
      content: 'Prettier formats the code on save.',
      source_paths: [],
      repo_fingerprint: FP,
      cwd: ROOT,
    },
    {
      id: 'r3',
      summary: 'Node version',
      content: 'Use Node 20 as pinned in .nvmrc.',
      source_paths: [],
      repo_fingerprint: FP,
      cwd: ROOT,
    },
  ];
  function files(withIndex = true) {
    const dir = join(tempDir(), 'recall');
    mkdirSync(dir);
    const text = `${JSON.stringify({ records }, null, 2)}\n`;
    const f = { recallIndex: join(dir, 'index.json'), recallSearchIndex: join(dir, 'search-index.json') };
    writeFileSync(f.recallIndex, text);
    if (withIndex)
      writeFileSync(
        f.recallSearchIndex,
        serializeRecallSearchIndex(buildRecallIndex(records, { source: Buffer.from(text) })),
      );
    return f;
  }
  const opts = { cwd: ROOT, repoFingerprint: FP };

  it('injects what clears the threshold', () => {
    const out = promptRecall(files(), 'the alembic migrations fail, how do we upgrade the database?', opts);
    expect(out).toMatchObject({ status: 'injected', count: 1, mode: 'indexed' });
    expect(out.context).toContain('Run alembic upgrade head before the test suite.');
    expect(out.context).toContain('Provenance: migrations/env.py');
  });

  it('skips trivial prompts without searching, and answers no_match for unrelated ones', () => {
    expect(promptRecall(files(), 'thanks, great!', opts)).toMatchObject({
      status: 'trivial',
      context: '',
      count: 0,
    });
    expect(promptRecall(files(), 'what is the capital of australia', opts)).toMatchObject({
      status: 'no_match',
      context: '',
      count: 0,
    });
  });

  it('rebuilds a missing index in memory only for a small bucket', () => {
    expect(promptRecall(files(false), 'alembic database migrations', opts)).toMatchObject({
      status: 'injected',
      mode: 'rebuilt',
    });
  });

  it('uses only the start of a very long prompt as the query', () => {
    // Past the first 2,000 characters come hundreds of distinct words the corpus lacks: counted,
    // they would sink the record's coverage below the threshold.
    const unknown = Array.from(
      { length: 400 },
      (_, i) => `zq${i.toString(26).replace(/[0-9]/g, (d) => 'abcdefghij'[Number(d)]!)}x`,
    ).join(' ');
    const prompt = `alembic database migrations fail ${'the '.repeat(600)}${unknown}`;
    expect(prompt.indexOf('zq')).toBeGreaterThan(2000);
    expect(promptRecall(files(), prompt, opts)).toMatchObject({ status: 'injected', count: 1 });
    expect(promptRecall(files(), `alembic database migrations fail ${unknown}`, opts)).toMatchObject({
      status: 'no_match',
    });
  });

  it('injects a note once per session and keeps the record in recall/sessions/', () => {
    const f = files();
    const prompt = 'the alembic migrations fail, how do we upgrade the database?';
    const session = { ...opts, sessionId: 'sess-1' };
    expect(promptRecall(f, prompt, session)).toMatchObject({ status: 'injected', count: 1 });
    expect(promptRecall(f, prompt, session)).toMatchObject({ status: 'no_match', count: 0 });
    expect(promptRecall(f, prompt, { ...opts, sessionId: 'sess-2' })).toMatchObject({
      status: 'injected',
      count: 1,
    });
    expect(promptRecall(f, prompt, opts)).toMatchObject({ status: 'injected', count: 1 });
    expect(readdirSync(join(dirname(f.recallIndex), 'sessions'))).toHaveLength(2);
  });
});
