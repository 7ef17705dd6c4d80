/**
 * End-to-end: the built CLI's compile, compile-preflight and scan, including crashes (SIGKILL at
 * every named stage of a compile through the test-only CODEX_SELF_EVOLUTION_TEST_CRASH_AT hook),
 * concurrent compiles as real processes, and damaged or foreign locks.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CRASH_STAGES } from '../../src/core/compiler/crash.js';
import { lockDirOf } from '../../src/core/compiler/lock.js';
import { readReceiptHistory } from '../../src/core/compiler/receipts.js';
import { ensureRuntimeDirs, resolveStatePaths, type StatePaths } from '../../src/core/paths.js';
import { countQueue, enqueueReviewedTurn } from '../../src/core/queue/queue.js';
import type { Suggestion } from '../../src/core/schemas.js';
import { CLI, runCli } from '../helpers/run-cli.js';
import { ensureBuilt } from '../helpers/built.js';
import { tempDir } from '../helpers/tmp.js';

beforeAll(() => {
  // The suite spawns dist/: make sure it is built from the current sources.
  ensureBuilt();
}, 120_000);

interface World {
  root: string;
  home: string;
  repo: string;
  env: Record<string, string>;
  paths: StatePaths;
}

function world(): World {
  const root = tempDir('csep-e2e-compile-');
  const home = join(root, 'home');
  const repo = join(root, 'repo');
  mkdirSync(join(repo, '.git'), { recursive: true });
  const paths = resolveStatePaths({ cwd: repo, home });
  ensureRuntimeDirs(paths);
  return { root, home, repo, env: { HOME: root, CODEX_SELF_EVOLUTION_HOME: home }, paths };
}

const at = (n: number) => new Date(Date.UTC(2026, 10, 1) + n * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Queues `count` envelopes, each with a memory, a recall and (every third) a skill suggestion. Returns the
 * number of suggestions. */
function seed(paths: StatePaths, count: number, prefix = 'lesson'): number {
  let total = 0;
  for (let i = 0; i < count; i++) {
    const suggestions: Suggestion[] = [
      {
        family: 'memory_updates',
        summary: `${prefix} ${i}`,
        details: { action: 'add', scope: i % 2 ? 'user' : 'global', content: `${prefix} ${i}: do the thing` },
        confidence: 0.9,
      },
      {
        family: 'recall_candidate',
        summary: `${prefix} fact ${i}`,
        details: { content: `${prefix} fact ${i} in detail`, source_paths: ['src/x.ts'] },
        confidence: 1,
      },
    ];
    if (i % 3 === 0)
      suggestions.push({
        family: 'skill_action',
        summary: 'skill',
        details: {
          action: 'create',
          skill_id: `${prefix}-skill-${i}`,
          description: 'Use when testing',
          content: 'Run the steps and verify the result',
        },
        confidence: 1,
      });
    enqueueReviewedTurn(paths, {
      threadId: 'thread',
      turnId: `${prefix}-${i}`,
      cwd: paths.cwd,
      suggestions,
      reviewerProvider: 'dummy',
      timestamp: at(i),
    });
    total += suggestions.length;
  }
  return total;
}

const compileArgs = (w: World, ...extra: string[]) => ['compile', '--once', '--repo-root', w.repo, ...extra];

function parse(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout) as Record<string, unknown>;
}

/** Every suggestion-level receipt item, as `suggestion_id:index`. */
function accounted(paths: StatePaths): string[] {
  return readReceiptHistory(paths).flatMap((r) =>
    (r.item_receipts as Array<{ kind: string; part?: string; suggestion_id: string; index: number }>)
      .filter((i) => i.kind === 'suggestion' && !i.part)
      .map((i) => `${i.suggestion_id}:${i.index}`),
  );
}

describe('compile (CLI)', () => {
  it('compiles a repository bucket and prints the original result keys', () => {
    const w = world();
    seed(w.paths, 5);
    const result = runCli(compileArgs(w), { env: w.env });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const out = parse(result.stdout);
    expect(out).toMatchObject({
      status: 'success',
      processed_count: 5,
      receipt_path: w.paths.lastReceipt,
      backend: 'script',
      fallback_backend: null,
      discarded_count: 0,
      global_skill_publish: { published: [], removed: [], errors: [] },
      memory_action_stats: {
        total: 5,
        by_action: { add: 5, replace: 0, remove: 0 },
        by_scope: { user: 2, global: 3 },
      },
    });
    expect(countQueue(w.paths)).toMatchObject({ pending: 0, processing: 0, done: 5 });
    expect(readFileSync(w.paths.userMd, 'utf8')).toContain('## lesson 1');
    expect(existsSync(w.paths.lockFile) || existsSync(lockDirOf(w.paths))).toBe(false);
    // Nothing left to do: preflight says so, and a second compile is skip_empty.
    expect(parse(runCli(['compile-preflight', '--repo-root', w.repo], { env: w.env }).stdout)).toMatchObject({
      status: 'skip_empty',
      pending: 0,
      retryable_failed: 0,
    });
    expect(parse(runCli(compileArgs(w), { env: w.env }).stdout)).toMatchObject({
      status: 'skip_empty',
      processed_count: 0,
      receipt_path: w.paths.lastReceipt,
    });
  });

  it('rejects bad flags with exit 2', () => {
    const w = world();
    for (const [args, message] of [
      [['--interval', '5'], /cannot be used together/],
      [['--backend', 'magic'], /unknown compiler backend: magic/],
      [['--batch-size', '0'], /--batch-size must be a positive integer/],
    ] as const) {
      const result = runCli(compileArgs(w, ...args), { env: w.env });
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stdout).toBe('');
    }
  });

  it('falls back to script for agent:opencode and says why', () => {
    const w = world();
    seed(w.paths, 1);
    // Under npm, node_modules/.bin (with the real opencode) is on PATH: point at a missing binary.
    const out = parse(
      runCli(compileArgs(w, '--backend', 'agent:opencode'), {
        env: { ...w.env, CODEX_SELF_EVOLUTION_OPENCODE_COMMAND: join(w.root, 'no-such-opencode') },
      }).stdout,
    );
    expect(out).toMatchObject({
      status: 'success',
      backend: 'agent:opencode',
      fallback_backend: 'script',
      discarded_count: 1,
    });
  });

  describe.each(CRASH_STAGES.map((s) => [s]))('kill -9 at %s', (stage) => {
    it('is recovered by the next compile: no suggestion lost or applied twice, no wedged lock', () => {
      const w = world();
      const suggestions = seed(w.paths, 5);
      expect(suggestions).toBe(12);
      // Crash in the second batch (batch size 2), so a finished batch precedes the crash.
      const spec = stage === 'after-lock' ? stage : `${stage}:2`;
      const crashed = runCli(compileArgs(w, '--batch-size', '2'), {
        env: { ...w.env, CODEX_SELF_EVOLUTION_TEST_CRASH_AT: spec },
      });
      expect(crashed.status).toBeNull(); // killed by SIGKILL
      expect(parse(runCli(['compile-preflight', '--repo-root', w.repo], { env: w.env }).stdout).status).toBe(
        'run',
      );

      const next = runCli(compileArgs(w, '--batch-size', '2'), { env: w.env });
      expect(next.stderr).toBe('');
      expect(next.status).toBe(0);
      expect(parse(next.stdout).status).toBe('success');
      expect(countQueue(w.paths)).toMatchObject({
        pending: 0,
        processing: 0,
        failed: 0,
        discarded: 0,
        done: 5,
      });
      const keys = accounted(w.paths);
      expect(keys).toHaveLength(suggestions);
      expect(new Set(keys).size).toBe(suggestions);
      const memory = JSON.parse(readFileSync(w.paths.memoryJson, 'utf8')) as {
        user: Array<{ summary: string }>;
        global: Array<{ summary: string }>;
      };
      expect([...memory.user, ...memory.global].map((r) => r.summary).sort()).toEqual([
        'lesson 0',
        'lesson 1',
        'lesson 2',
        'lesson 3',
        'lesson 4',
      ]);
      const recall = JSON.parse(readFileSync(w.paths.recallIndex, 'utf8')) as { records: unknown[] };
      expect(recall.records).toHaveLength(5);
      // Skills wait for review by default ([review] skills = "review"): staged once each, never applied.
      expect(readdirSync(w.paths.skillsManagedDir).sort()).toEqual([]);
      expect(readdirSync(join(w.paths.reviewDir, 'staged')).length).toBe(2);
      expect(existsSync(w.paths.lockFile) || existsSync(lockDirOf(w.paths))).toBe(false);
      expect(existsSync(join(w.paths.compilerDir, 'apply-journal.json'))).toBe(false);
      for (const dir of [w.paths.memoryDir, w.paths.recallDir, w.paths.skillsDir])
        expect(readdirSync(dir).filter((n) => n.includes('.stage-'))).toEqual([]);
    });
  });

  it('runs exactly one of two compiles at once (the other reports skip_locked)', async () => {
    const w = world();
    seed(w.paths, 6);
    const holder = spawn(process.execPath, [CLI, ...compileArgs(w)], {
      env: {
        PATH: process.env.PATH ?? '',
        NO_COLOR: '1',
        ...w.env,
        CODEX_SELF_EVOLUTION_TEST_HOLD_LOCK_MS: '4000',
      },
    });
    let holderOut = '';
    holder.stdout.on('data', (d: Buffer) => (holderOut += d.toString()));
    const exited = new Promise<number | null>((resolve) => holder.on('exit', resolve));
    const deadline = Date.now() + 20_000;
    while (!existsSync(w.paths.lockFile) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(w.paths.lockFile)).toBe(true);
    const second = runCli(compileArgs(w), { env: w.env });
    expect(second.status).toBe(0);
    expect(parse(second.stdout)).toMatchObject({
      status: 'skip_locked',
      processed_count: 0,
      lock: { locked: true, stale: false, pid_alive: true, owner_pid: holder.pid },
    });
    expect(parse(runCli(['compile-preflight', '--repo-root', w.repo], { env: w.env }).stdout)).toMatchObject({
      status: 'skip_locked',
    });
    expect(await exited).toBe(0);
    expect(parse(holderOut)).toMatchObject({ status: 'success', processed_count: 6 });
    expect(countQueue(w.paths)).toMatchObject({ pending: 0, done: 6 });
  });

  it('lets only one of several simultaneous processes compile', async () => {
    const w = world();
    const suggestions = seed(w.paths, 20);
    const runs = await Promise.all(
      Array.from(
        { length: 3 },
        () =>
          new Promise<{ code: number | null; out: string }>((resolve) => {
            const child = spawn(process.execPath, [CLI, ...compileArgs(w)], {
              env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...w.env },
            });
            let out = '';
            child.stdout.on('data', (d: Buffer) => (out += d.toString()));
            child.on('exit', (code) => resolve({ code, out }));
          }),
      ),
    );
    const results = runs.map((r) => {
      expect(r.code).toBe(0);
      return parse(r.out);
    });
    expect(results.filter((r) => (r.processed_count as number) > 0).map((r) => r.processed_count)).toEqual([
      20,
    ]);
    for (const r of results) expect(['success', 'skip_locked', 'skip_empty']).toContain(r.status);
    expect(countQueue(w.paths)).toMatchObject({ pending: 0, processing: 0, done: 20 });
    const keys = accounted(w.paths);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toHaveLength(suggestions);
  });

  it.each([
    [
      'a dead pid',
      () => ({
        created_at: at(0).replace('2026-11-01', new Date().toISOString().slice(0, 10)),
        pid: deadPid(),
      }),
      'pid_not_alive',
    ],
    [
      'a date in the future',
      () => ({
        created_at: new Date(Date.now() + 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        pid: process.pid,
      }),
      'negative_age',
    ],
    ['an empty file', () => '', 'corrupt_lock_file'],
  ])('compiles through a lock from %s', (_name, lock, reason) => {
    const w = world();
    seed(w.paths, 2);
    const content = lock();
    writeFileSync(w.paths.lockFile, typeof content === 'string' ? content : JSON.stringify(content));
    expect(parse(runCli(['compile-preflight', '--repo-root', w.repo], { env: w.env }).stdout)).toMatchObject({
      status: 'run',
      lock: { locked: true, stale: true, stale_reason: reason },
    });
    const result = runCli(compileArgs(w), { env: w.env });
    expect(result.status).toBe(0);
    expect(parse(result.stdout)).toMatchObject({ status: 'success', processed_count: 2 });
    expect(existsSync(w.paths.lockFile)).toBe(false);
  });

  it('respects a live Python-style compile.lock (migration from the original)', () => {
    const w = world();
    seed(w.paths, 1);
    writeFileSync(
      w.paths.lockFile,
      JSON.stringify({ created_at: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), pid: process.pid }),
    );
    const out = parse(runCli(compileArgs(w), { env: w.env }).stdout);
    expect(out).toMatchObject({
      status: 'skip_locked',
      lock: { kind: 'file', owner_pid: process.pid, pid_alive: true },
    });
    expect(countQueue(w.paths).pending).toBe(1);
    expect(existsSync(w.paths.lockFile)).toBe(true);
  });

  it('--interval repeats until SIGTERM, then exits 0 with the lock released', async () => {
    const w = world();
    seed(w.paths, 2);
    const child = spawn(process.execPath, [CLI, 'compile', '--interval', '1', '--repo-root', w.repo], {
      env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...w.env },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const deadline = Date.now() + 20_000;
    // Two passes: the first compiles, the second finds nothing.
    // Each pass prints one indented JSON object, closed by a "}" line.
    while ((out.match(/^\}$/gm) ?? []).length < 2 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const passes = out.split(/\n(?=\{)/).map((t) => parse(t));
    expect(passes[0]).toMatchObject({ status: 'success', processed_count: 2 });
    expect(passes[1]).toMatchObject({ status: 'skip_empty' });
    expect(existsSync(w.paths.lockFile) || existsSync(lockDirOf(w.paths))).toBe(false);
  });
});

describe('scan (CLI)', () => {
  it('compiles every bucket of the home and prints the summary (no progress line off a TTY)', () => {
    const w = world();
    seed(w.paths, 3);
    const other = join(w.root, 'other-repo');
    mkdirSync(join(other, '.git'), { recursive: true });
    const otherPaths = resolveStatePaths({ cwd: other, home: w.home });
    ensureRuntimeDirs(otherPaths);
    const result = runCli(['scan', '--home', w.home], { env: w.env });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const out = parse(result.stdout) as {
      total_projects: number;
      counts: unknown;
      results: Array<Record<string, unknown>>;
      aggregate: unknown;
    };
    expect(out.total_projects).toBe(2);
    expect(out.counts).toEqual({ run: 1, skipped: 1, failed: 0 });
    const compiled = out.results.find((r) => r.state_dir === w.paths.stateDir);
    expect(compiled).toMatchObject({
      preflight_status: 'run',
      compile_status: 'success',
      processed_count: 3,
      backend: 'script',
      error: null,
    });
    expect(out.aggregate).toMatchObject({ buckets_processed: 1, total_memory_suggestions: 3 });
  });
});

function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return Number(child.stdout);
}
