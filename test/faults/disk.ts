/**
 * A full disk and a read-only home. The hooks must still answer Codex, nothing may be left
 * half-written (every JSON file parses, no temp or stage file remains), work that was already
 * queued or spooled must survive, and once space (or write access) is back everything completes.
 *
 * How the faults are made, decided at run time and named in the test titles:
 * - disk full: a small tmpfs mounted over the home and filled, leaving 0, 4, 16 and 64 KiB free
 *   (real ENOSPC at different points of a write), when this process may mount (root); a file-size
 *   limit (`ulimit -f`, EFBIG on any larger write) in a wrapper shell runs everywhere as well;
 * - read-only home: a read-only bind mount as root (root ignores file modes), `chmod -R a-w`
 *   otherwise.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureRuntimeDirs } from '../../src/core/paths.js';
import { enqueueReviewedTurn } from '../../src/core/queue/queue.js';
import { assertNoSecrets } from '../fixtures/secrets/corpus.js';
import { CLI, type CliResult } from '../helpers/run-cli.js';
import {
  accountSuggestions,
  accountedKeys,
  brokenJson,
  cli,
  countCase,
  expectHookAnswer,
  expectedKeys,
  holdWorkerLock,
  leftoverTemps,
  noteDefect,
  queueIds,
  reap,
  reviewFor,
  sessionIdFor,
  spoolEntries,
  stopPayload,
  suggestionsFor,
  waitForQuiet,
  walk,
  world,
  type World,
} from './helpers.js';

const isRoot = process.getuid?.() === 0;

function sh(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

/** True when this process can mount a tmpfs (root, and a kernel/container that allows it). */
function canMount(): boolean {
  if (!isRoot) return false;
  const dir = join(process.env.TMPDIR ?? '/tmp', `csep-mount-probe-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const ok = sh('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]);
  if (ok) sh('umount', [dir]);
  spawnSync('rmdir', [dir]);
  return ok;
}

const MOUNT = canMount();
const DISK_FULL = MOUNT ? 'tmpfs' : 'ulimit';
const READ_ONLY = isRoot ? (MOUNT ? 'read-only bind mount' : 'unavailable') : 'chmod -R a-w';

/** Fills the file system holding `dir` completely, then frees `freeBytes` (page-granular on tmpfs). */
function fill(dir: string, freeBytes: number): string {
  const filler = join(dir, 'filler.bin');
  const fd = openSync(filler, 'w');
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let size = 0;
  try {
    for (;;) {
      try {
        size += writeSync(fd, chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
        // Top up byte-wise granularity: try smaller writes until nothing fits.
        let small = 4096;
        for (;;) {
          try {
            size += writeSync(fd, chunk.subarray(0, small));
          } catch {
            if (small === 1) break;
            small = Math.max(1, small >> 1);
          }
        }
        break;
      }
    }
    if (freeBytes > 0) ftruncateSync(fd, Math.max(0, size - freeBytes));
  } finally {
    closeSync(fd);
  }
  return filler;
}

/** sha1 of every file under `dir` (path → hash), to prove a read-only phase changed nothing. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of walk(dir)) out.set(p, createHash('sha1').update(readFileSync(p)).digest('hex'));
  return out;
}

/** A hook's answer, allowing the log line the logger falls back to on stderr when it cannot write. */
function expectFailOpenHook(result: CliResult): Record<string, unknown> {
  const value = expectHookAnswer(result, true);
  for (const line of result.stderr.split('\n').filter(Boolean)) {
    expect(() => JSON.parse(line), `unexpected stderr: ${line}`).not.toThrow();
  }
  expect(assertNoSecrets(result.stderr)).toEqual([]);
  return value;
}

/** Learned state, one pending envelope and one spooled turn, as a busy bucket has. */
async function baseline(
  w: World,
): Promise<{ pendingKeys: string[]; spooled: { sessionId: string; turnId: string; count: number } }> {
  ensureRuntimeDirs(w.paths);
  for (let i = 0; i < 4; i++) {
    enqueueReviewedTurn(w.paths, {
      threadId: 'base',
      turnId: `b-${i}`,
      cwd: w.paths.cwd,
      suggestions: suggestionsFor(`disk-base-${i}`),
      reviewerProvider: 'dummy',
    });
  }
  const compiled = await cli(w, ['compile', '--once', '--repo-root', w.repo]);
  expect(compiled.status, compiled.stderr).toBe(0);
  enqueueReviewedTurn(w.paths, {
    threadId: 'base',
    turnId: 'pending',
    cwd: w.paths.cwd,
    suggestions: suggestionsFor('disk-pending'),
    reviewerProvider: 'dummy',
  });
  const release = holdWorkerLock(w);
  const spooled = { sessionId: sessionIdFor(7, 'disk'), turnId: 'spooled', count: 2 };
  expectHookAnswer(
    await cli(w, ['stop-review', '--from-stdin'], {
      input: stopPayload(w, {
        sessionId: spooled.sessionId,
        turnId: spooled.turnId,
        stub: reviewFor('disk-spooled').text,
      }),
    }),
  );
  release();
  expect(spoolEntries(w.paths)).toHaveLength(1);
  return { pendingKeys: expectedKeys('base', 'pending', 2), spooled };
}

type Runner = (args: string[], input?: string) => Promise<CliResult>;

/** Runs all three hooks and the worker, compile and drain against a failing disk; checks nothing is
 * half-written. */
async function underFault(
  w: World,
  label: string,
  run: Runner = (args, input) => cli(w, args, input === undefined ? {} : { input }),
): Promise<void> {
  const start = expectFailOpenHook(
    await run(
      ['session-start', '--from-stdin'],
      JSON.stringify({
        session_id: sessionIdFor(1, 'dsk'),
        cwd: w.repo,
        hook_event_name: 'SessionStart',
        source: 'startup',
      }),
    ),
  );
  expect(
    (start.hookSpecificOutput as { additionalContext: string } | undefined)?.additionalContext ?? '',
    label,
  ).toContain('lesson disk-base-3');
  expectFailOpenHook(
    await run(
      ['prompt-recall', '--from-stdin'],
      JSON.stringify({
        session_id: sessionIdFor(1, 'dsk'),
        turn_id: 't',
        cwd: w.repo,
        hook_event_name: 'UserPromptSubmit',
        prompt: 'what did we learn about billing?',
      }),
    ),
  );
  expect(
    expectFailOpenHook(
      await run(
        ['stop-review', '--from-stdin'],
        stopPayload(w, {
          sessionId: sessionIdFor(2, 'dsk'),
          turnId: `during-${label}`,
          stub: reviewFor(`disk-during-${label}`).text,
        }),
      ),
    ),
  ).toEqual({ continue: true });
  await waitForQuiet(w, 30_000);
  for (const args of [
    ['stop-review', '--drain', '--retry-now', '--cwd', w.repo],
    ['compile', '--once', '--repo-root', w.repo],
  ]) {
    const r = await run(args);
    if (r.status === null) {
      // Only a file-size limit kills: signal-exit (loaded by proper-lockfile) turns the SIGXFSZ
      // Node ignores into a fatal signal. A kill is a crash the next run recovers from (below).
      expect(label, `${args[0]} was killed by a signal: ${r.stderr}`).toBe('ulimit');
      noteDefect(
        `${args[0]} under a file-size limit dies of SIGXFSZ (signal-exit re-raises the signal Node ignores)`,
      );
    } else {
      // A full or read-only disk is the machine's problem, said plainly, not "internal error".
      expect(r.stderr, `${args[0]} under ${label}`).not.toMatch(/internal error/);
    }
  }
  expect(brokenJson(w.home), `${label}: half-written JSON`).toEqual([]);
  expect(leftoverTemps(w.home), `${label}: temp files left`).toEqual([]);
}

/** Runs the CLI under `ulimit -f <blocks>` (512-byte blocks in sh), like a shell wrapper would. */
function ulimitRunner(w: World, blocks: number): Runner {
  return (args, input) =>
    new Promise((resolve, reject) => {
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', NO_COLOR: '1', ...w.env };
      const child = spawn(
        '/bin/sh',
        ['-c', `ulimit -f ${blocks} && exec "$0" "$@"`, process.execPath, CLI, ...args],
        { env, stdio: ['pipe', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (status) => resolve({ stdout, stderr, status }));
      child.stdin.end(input ?? '');
    });
}

/** After the fault: everything queued or spooled before it (and whatever got through) is compiled exactly
 * once. */
async function recovered(w: World, base: Awaited<ReturnType<typeof baseline>>, label: string): Promise<void> {
  const drained = await cli(w, ['stop-review', '--drain', '--retry-now', '--cwd', w.repo]);
  expect(drained.status, drained.stderr).toBe(0);
  expect(spoolEntries(w.paths)).toEqual([]);
  const compiled = await cli(w, ['compile', '--once', '--repo-root', w.repo]);
  expect(compiled.status, compiled.stderr).toBe(0);
  expect(['success', 'skip_empty']).toContain(JSON.parse(compiled.stdout).status);
  expect(queueIds(w.paths)).toMatchObject({ pending: [], processing: [], failed: [] });
  const expected = [
    ...base.pendingKeys,
    ...expectedKeys(base.spooled.sessionId, base.spooled.turnId, base.spooled.count),
  ];
  // The turn that ended while the disk was full is compiled too if its spool entry got written.
  const during = expectedKeys(sessionIdFor(2, 'dsk'), `during-${label}`, 2);
  const accounted = accountedKeys(w.paths);
  if (accounted.includes(during[0]!)) expected.push(...during);
  const { lost, duplicated } = accountSuggestions(expected, accounted);
  expect(lost, label).toEqual([]);
  expect(duplicated, label).toEqual([]);
  expect(brokenJson(w.home)).toEqual([]);
  expect(leftoverTemps(w.home)).toEqual([]);
}

export function disk(): void {
  describe(`a full disk (${DISK_FULL}${MOUNT ? ' and ulimit -f' : ''}) and a read-only home (${READ_ONLY})`, () => {
    if (MOUNT) {
      for (const freeKiB of [0, 4, 16, 64]) {
        it(`disk full (tmpfs, ${freeKiB} KiB free): hooks answer, nothing half-written, nothing queued is lost`, async () => {
          const root = world().root;
          const home = join(root, 'home');
          mkdirSync(home, { recursive: true });
          expect(sh('mount', ['-t', 'tmpfs', '-o', 'size=3m,mode=0700', 'tmpfs', home])).toBe(true);
          const w = world({ root, home });
          try {
            const base = await baseline(w);
            const filler = fill(home, freeKiB * 1024);
            countCase('disk full (ENOSPC)');
            await underFault(w, `${freeKiB} KiB free`);
            reap(w);
            spawnSync('rm', ['-f', filler]);
            await recovered(w, base, `${freeKiB} KiB free`);
          } finally {
            reap(w);
            spawnSync('umount', ['-l', home]);
          }
        }, 120_000);
      }
    }

    if (MOUNT) {
      it('disk full for four scheduled compiles in a row (tmpfs, 24 KiB free): no envelope is parked in failed/ for it', async () => {
        const root = world().root;
        const home = join(root, 'home');
        mkdirSync(home, { recursive: true });
        expect(sh('mount', ['-t', 'tmpfs', '-o', 'size=3m,mode=0700', 'tmpfs', home])).toBe(true);
        const w = world({ root, home });
        try {
          const base = await baseline(w);
          const drained = await cli(w, ['stop-review', '--drain', '--retry-now', '--cwd', w.repo]);
          expect(drained.status).toBe(0);
          const filler = fill(home, 24 * 1024);
          countCase('disk full (ENOSPC)', 4);
          let failedRuns = 0;
          for (let run = 0; run < 4; run++) {
            const r = await cli(w, ['compile', '--once', '--repo-root', w.repo]);
            if (r.status !== 0) failedRuns++;
            expect(
              queueIds(w.paths).failed,
              'an envelope parked in failed/ because the disk was full',
            ).toEqual([]);
          }
          // The fault really hit the compiles (otherwise this case proves nothing).
          expect(failedRuns).toBe(4);
          expect(brokenJson(w.home)).toEqual([]);
          spawnSync('rm', ['-f', filler]);
          await recovered(w, base, 'four runs');
        } finally {
          reap(w);
          spawnSync('umount', ['-l', home]);
        }
      }, 120_000);
    }

    it('file-size limit (ulimit -f 4: EFBIG past 2 KiB): hooks answer, nothing half-written, nothing queued is lost', async () => {
      const w = world();
      const base = await baseline(w);
      countCase('file-size limit (EFBIG)');
      await underFault(w, 'ulimit', ulimitRunner(w, 4));
      reap(w);
      await recovered(w, base, 'ulimit');
    }, 120_000);

    it(`read-only home (${READ_ONLY}): hooks answer with the learned background, nothing changes, then everything completes`, async () => {
      expect(READ_ONLY, 'no way to make the home read-only here (root without mount)').not.toBe(
        'unavailable',
      );
      const w = world();
      const base = await baseline(w);
      const before = snapshot(w.home);
      const makeWritable = readOnly(w.home);
      countCase('read-only home');
      try {
        await underFault(w, 'read-only');
        expect(snapshot(w.home)).toEqual(before);
      } finally {
        reap(w);
        makeWritable();
      }
      await recovered(w, base, 'read-only');
    }, 120_000);
  });
}

/** Makes `dir` read-only; returns the undo. */
function readOnly(dir: string): () => void {
  if (isRoot) {
    expect(sh('mount', ['--bind', dir, dir])).toBe(true);
    expect(sh('mount', ['-o', 'remount,bind,ro', dir])).toBe(true);
    return () => {
      spawnSync('umount', ['-l', dir]);
    };
  }
  spawnSync('chmod', ['-R', 'a-w', dir]);
  return () => {
    spawnSync('chmod', ['-R', 'u+w', dir]);
  };
}
