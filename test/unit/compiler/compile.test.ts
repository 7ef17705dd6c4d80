import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import scriptBackend from '../../../src/core/compiler/backends/script.js';
import type { CompileBackend } from '../../../src/core/compiler/backends/types.js';
import { runCompile } from '../../../src/core/compiler/compile.js';
import { BackendUnavailableError } from '../../../src/core/compiler/errors.js';
import { acquireCompileLock } from '../../../src/core/compiler/lock.js';
import { readReceiptHistory } from '../../../src/core/compiler/receipts.js';
import { UsageError } from '../../../src/core/errors.js';
import { countQueue, readEnvelope } from '../../../src/core/queue/queue.js';
import { isRecallSearchIndexFresh, parseRecallSearchIndex } from '../../../src/core/recall/index-build.js';
import { bucket, mem, queue, recall, skill } from './helpers.js';

type Item = {
  kind: string;
  state: string;
  suggestion_id?: string;
  index?: number;
  reason?: string;
  part?: string;
};

function items(receipt: Record<string, unknown>): Item[] {
  return receipt.item_receipts as Item[];
}

/** (suggestion_id:index) of every suggestion-level item across receipts (skill candidates excluded). */
function accounted(receipts: Array<Record<string, unknown>>): string[] {
  return receipts.flatMap((r) =>
    items(r)
      .filter((i) => i.kind === 'suggestion' && !i.part)
      .map((i) => `${i.suggestion_id}:${i.index}`),
  );
}

const json = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;

describe('runCompile', () => {
  it('drains the queue in batches, each its own receipt, with every suggestion accounted for', async () => {
    const paths = bucket();
    const ids = Array.from({ length: 250 }, (_, i) =>
      queue(paths, [mem(`lesson ${i % 30}`, { content: `Lesson ${i % 30} body` }), recall(`fact ${i}`)], i),
    );
    const result = await runCompile(paths);
    expect(result).toMatchObject({
      status: 'success',
      processed_count: 250,
      batches: 3,
      suggestion_count: 500,
      backend: 'script',
      fallback_backend: null,
    });
    expect(result.memory_action_stats).toEqual({
      total: 250,
      by_action: { add: 250, replace: 0, remove: 0 },
      by_scope: { user: 0, global: 250 },
    });
    expect(countQueue(paths)).toMatchObject({ pending: 0, processing: 0, done: 250 });
    const history = readReceiptHistory(paths);
    expect(history.map((r) => r.receipt_id)).toEqual(result.receipt_ids);
    expect(history.map((r) => r.processed_count)).toEqual([100, 100, 50]);
    const keys = accounted(history);
    expect(new Set(keys).size).toBe(500);
    expect(keys).toHaveLength(500);
    expect(
      new Set(
        history.flatMap((r) =>
          items(r)
            .filter((i) => i.kind === 'envelope')
            .map((i) => i.suggestion_id),
        ),
      ),
    ).toEqual(new Set(ids));
    expect(json(paths.lastReceipt)).toMatchObject({
      receipt_id: result.receipt_ids[2],
      run_status: 'success',
      memory_records: 30,
      recall_records: 250,
    });
    // Memory, its renders and the recall search index agree.
    expect((json(paths.memoryJson).global as unknown[]).length).toBe(30);
    expect(readFileSync(paths.memoryMd, 'utf8')).toContain('## lesson 29');
    const records = json(paths.recallIndex).records as Array<{ id: string }>;
    // Fresh including the byte spans into this exact index.json (the fast query path).
    expect(
      isRecallSearchIndexFresh(
        parseRecallSearchIndex(json(paths.recallSearchIndex)),
        records as never,
        readFileSync(paths.recallIndex),
      ),
    ).toBe(true);
  });

  it('compiles 1,000 envelopes through the script backend with every suggestion in a receipt', async () => {
    const paths = bucket();
    for (let i = 0; i < 1000; i++)
      queue(
        paths,
        [
          mem(`m${i % 100}`, { scope: i % 2 ? 'user' : 'global', content: `memory ${i % 100}` }),
          recall(`r${i}`),
          skill({ skill_id: `skill-${i % 10}` }),
        ],
        i,
      );
    const result = await runCompile(paths, { housekeeping: false });
    expect(result).toMatchObject({
      status: 'success',
      processed_count: 1000,
      suggestion_count: 3000,
      batches: 10,
      failed_count: 0,
    });
    const history = readReceiptHistory(paths);
    expect(new Set(accounted(history)).size).toBe(3000);
    const memory = json(paths.memoryJson) as { user: unknown[]; global: unknown[] };
    // Caps: 30 user / 80 global entries by default.
    expect(memory.user.length).toBeLessThanOrEqual(30);
    expect(memory.global.length).toBeLessThanOrEqual(80);
    expect(history.some((r) => items(r).some((i) => i.state === 'evicted'))).toBe(true);
    expect(readdirSync(paths.skillsManagedDir).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `skill-${i}.md`).sort(),
    );
  });

  it('writes a skip_empty receipt (not into the history) when there is nothing to do', async () => {
    const paths = bucket();
    const result = await runCompile(paths);
    expect(result).toMatchObject({
      status: 'skip_empty',
      processed_count: 0,
      receipt_path: paths.lastReceipt,
      batches: 0,
    });
    expect(json(paths.lastReceipt)).toMatchObject({
      run_status: 'skip_empty',
      skip_reason: 'skip_empty',
      processed_count: 0,
    });
    expect(readReceiptHistory(paths)).toEqual([]);
  });

  it('returns skip_locked without touching the queue while a live compile holds the lock', async () => {
    const paths = bucket();
    queue(paths, [mem('a')]);
    const held = await acquireCompileLock(paths);
    if (!held.acquired) throw new Error('not acquired');
    try {
      const result = await runCompile(paths);
      expect(result).toMatchObject({
        status: 'skip_locked',
        processed_count: 0,
        receipt_path: null,
        lock: { locked: true, stale: false, owner_pid: process.pid },
      });
      expect(countQueue(paths).pending).toBe(1);
      expect(existsSync(paths.lastReceipt)).toBe(false);
    } finally {
      await held.lock.release();
    }
  });

  it('discards a poison envelope among good ones and compiles the rest', async () => {
    const paths = bucket();
    queue(paths, [mem('good one')], 1);
    writeFileSync(
      join(paths.queue.pending, '0000000000000bad.json'),
      '{"schema_version": 1, "suggestions": "nope"',
    );
    writeFileSync(join(paths.queue.pending, '0000000000000ba2.json'), JSON.stringify({ schema_version: 2 }));
    queue(paths, [mem('good two')], 2);
    const result = await runCompile(paths);
    expect(result).toMatchObject({ status: 'success', processed_count: 2, discarded_count: 2 });
    expect(countQueue(paths)).toMatchObject({ pending: 0, done: 2, discarded: 2 });
    const receipt = json(paths.lastReceipt);
    const discarded = items(receipt).filter((i) => i.kind === 'envelope' && i.state === 'discarded');
    expect(discarded.map((i) => i.suggestion_id).sort()).toEqual(['0000000000000ba2', '0000000000000bad']);
    expect(discarded.map((i) => i.reason)).toEqual([
      expect.stringMatching(/invalid JSON|schema_version|suggestions/),
      expect.stringMatching(/invalid JSON|schema_version|suggestions/),
    ]);
    expect(readdirSync(paths.queue.discarded).sort()).toEqual([
      '0000000000000ba2.json',
      '0000000000000bad.json',
    ]);
    expect((json(paths.memoryJson).global as Array<{ summary: string }>).map((r) => r.summary)).toEqual([
      'good one',
      'good two',
    ]);
  });

  it('isolates an envelope that makes the backend throw; it fails after 3 attempts, the others are compiled', async () => {
    const paths = bucket();
    const poison = queue(paths, [mem('POISON')], 1);
    for (let i = 2; i <= 5; i++) queue(paths, [mem(`fine ${i}`)], i);
    const picky: CompileBackend = {
      ...scriptBackend,
      async compile(input, options) {
        if (input.envelopes.some((e) => e.suggestions.some((s) => s.summary === 'POISON')))
          throw new Error('backend choked');
        return scriptBackend.compile(input, options);
      },
    };
    const result = await runCompile(paths, { backendImpl: picky });
    expect(result.status).toBe('failed');
    expect(result.processed_count).toBe(4);
    expect(countQueue(paths)).toMatchObject({ pending: 0, processing: 0, done: 4, failed: 1 });
    const failed = readEnvelope(join(paths.queue.failed, `${poison}.json`));
    expect(failed).toMatchObject({ attempt_count: 3, state: 'failed' });
    expect(failed.failure_reason).toContain('backend choked');
    const failures = readReceiptHistory(paths).filter((r) => r.run_status === 'failed');
    expect(failures.flatMap((r) => items(r).map((i) => [i.suggestion_id, i.state]))).toEqual([
      [poison, 'pending'],
      [poison, 'pending'],
      [poison, 'failed'],
    ]);
  });

  it('returns a failing batch of a non-deterministic backend to pending with an attempt counted', async () => {
    const paths = bucket();
    const ids = [queue(paths, [mem('a')], 1), queue(paths, [mem('b')], 2)];
    const flaky: CompileBackend = {
      name: 'agent:opencode',
      deterministic: false,
      compile: async () => {
        throw new Error('agent timed out');
      },
    };
    const result = await runCompile(paths, { backendImpl: flaky });
    expect(result).toMatchObject({ status: 'failed', processed_count: 0, failed_count: 2 });
    expect(result.error).toContain('agent timed out');
    for (const id of ids)
      expect(readEnvelope(join(paths.queue.pending, `${id}.json`))).toMatchObject({
        attempt_count: 1,
        failure_reason: expect.stringContaining('agent timed out'),
      });
    expect(json(paths.lastReceipt)).toMatchObject({ run_status: 'failed', processed_count: 0 });
    expect(existsSync(paths.memoryJson)).toBe(false);
  });

  it('puts a batch back without an attempt when interrupted before its commit', async () => {
    const paths = bucket();
    const id = queue(paths, [mem('a')]);
    const controller = new AbortController();
    const interrupting: CompileBackend = {
      ...scriptBackend,
      async compile(input, options) {
        controller.abort();
        return scriptBackend.compile(input, options);
      },
    };
    const result = await runCompile(paths, { backendImpl: interrupting, signal: controller.signal });
    expect(result).toMatchObject({ aborted: true, processed_count: 0 });
    expect(readEnvelope(join(paths.queue.pending, `${id}.json`))).toMatchObject({ attempt_count: 0 });
    expect(existsSync(paths.memoryJson)).toBe(false);
  });

  it('recovers envelopes stranded in processing/ and compiles them in the same run', async () => {
    const paths = bucket();
    const id = queue(paths, [mem('stranded')]);
    mkdirSync(paths.queue.processing, { recursive: true });
    writeFileSync(
      join(paths.queue.processing, `${id}.json`),
      readFileSync(join(paths.queue.pending, `${id}.json`)),
    );
    // A crash between claim and anything else: only the processing copy remains.
    unlinkSync(join(paths.queue.pending, `${id}.json`));
    const result = await runCompile(paths);
    expect(result.recovered?.stranded).toMatchObject({ recovered: 1 });
    expect(result).toMatchObject({ status: 'success', processed_count: 1 });
    expect(readEnvelope(join(paths.queue.done, `${id}.json`)).attempt_count).toBe(1);
  });

  it('proceeds past corrupt assets and reports them in the receipt', async () => {
    const paths = bucket();
    writeFileSync(paths.memoryJson, '{broken');
    writeFileSync(paths.recallIndex, '');
    writeFileSync(paths.skillsManifest, '[1,2');
    queue(paths, [mem('after corruption'), recall('fact')]);
    const result = await runCompile(paths);
    expect(result.status).toBe('success');
    const problems = json(paths.lastReceipt).context_problems as Array<{ file: string; kept_aside: string }>;
    expect(problems.map((p) => p.file).sort()).toEqual(
      [paths.memoryJson, paths.recallIndex, paths.skillsManifest].sort(),
    );
    for (const p of problems) expect(existsSync(p.kept_aside)).toBe(true);
    expect((json(paths.memoryJson).global as Array<{ summary: string }>).map((r) => r.summary)).toEqual([
      'after corruption',
    ]);
  });

  it('falls back to script for agent:opencode with an opencode_unavailable item, or refuses without fallback', async () => {
    // Under npm, node_modules/.bin (with the real opencode) is on PATH: point at a missing binary.
    vi.stubEnv('CODEX_SELF_EVOLUTION_OPENCODE_COMMAND', '/nonexistent/opencode');
    const paths = bucket();
    queue(paths, [mem('a')]);
    await expect(
      runCompile(paths, { backend: 'agent:opencode', allowFallback: false }),
    ).rejects.toBeInstanceOf(BackendUnavailableError);
    await expect(runCompile(paths, { backend: 'magic' })).rejects.toBeInstanceOf(UsageError);
    expect(countQueue(paths)).toMatchObject({ pending: 1, processing: 0 });
    const result = await runCompile(paths, { backend: 'agent:opencode' });
    expect(result).toMatchObject({
      status: 'success',
      backend: 'agent:opencode',
      fallback_backend: 'script',
      discarded_count: 1,
    });
    expect(items(json(paths.lastReceipt)).find((i) => i.kind === 'backend')).toMatchObject({
      state: 'discarded',
      reason: 'opencode_unavailable',
      backend: 'agent:opencode',
    });
  });

  it('does not rewrite files a batch did not change', async () => {
    const paths = bucket();
    queue(paths, [mem('stable memory')], 1);
    await runCompile(paths);
    const before = statSync(paths.memoryJson).mtimeMs;
    const ino = statSync(paths.memoryJson).ino;
    queue(paths, [recall('only recall')], 2);
    await runCompile(paths);
    expect(statSync(paths.memoryJson).ino).toBe(ino);
    expect(statSync(paths.memoryJson).mtimeMs).toBe(before);
    expect((json(paths.recallIndex).records as unknown[]).length).toBe(1);
  });

  it('leaves a fresh recall search index when the queue ends exactly on a batch boundary', async () => {
    const paths = bucket();
    for (let i = 0; i < 4; i++) queue(paths, [recall(`fact ${i}`)], i);
    const result = await runCompile(paths, { batchSize: 2 });
    expect(result).toMatchObject({ status: 'success', batches: 2, processed_count: 4 });
    const records = json(paths.recallIndex).records as Array<{ id: string }>;
    expect(records).toHaveLength(4);
    expect(
      isRecallSearchIndexFresh(
        parseRecallSearchIndex(json(paths.recallSearchIndex)),
        records as never,
        readFileSync(paths.recallIndex),
      ),
    ).toBe(true);
  });

  it('stops after one batch with drain: false', async () => {
    const paths = bucket();
    for (let i = 0; i < 5; i++) queue(paths, [mem(`x${i}`)], i);
    const result = await runCompile(paths, { batchSize: 2, drain: false });
    expect(result).toMatchObject({ processed_count: 2, batches: 1 });
    expect(countQueue(paths).pending).toBe(3);
  });
});
