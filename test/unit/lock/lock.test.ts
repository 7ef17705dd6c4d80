import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  acquireCompileLock,
  lockDirOf,
  lockStatus,
  withCompileLock,
} from '../../../src/core/compiler/lock.js';
import { guardDirOf as guardDirOfFile, withLock } from '../../../src/core/lock/lock.js';
import { isPidAlive } from '../../../src/core/lock/pid.js';
import {
  isPidFileLockLive,
  touchPidFileLock,
  tryPidFileLock,
  UNWRITTEN_GRACE_MS,
} from '../../../src/core/lock/pid-file.js';
import { join } from 'node:path';
import { bucket } from '../compiler/helpers.js';

const guardDirOf = (paths: { lockFile: string }) => guardDirOfFile(paths.lockFile);

/** A pid that certainly belonged to a process that has exited (and was reaped). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return Number(child.stdout);
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

describe('lockStatus', () => {
  it('reports an unlocked bucket with every key', () => {
    const paths = bucket();
    expect(lockStatus(paths)).toEqual({
      locked: false,
      stale: false,
      stale_reason: null,
      pid_alive: null,
      age_seconds: null,
      heartbeat_age_seconds: null,
      owner_pid: null,
      created_at: null,
      hostname: null,
      kind: null,
      path: paths.lockFile,
    });
  });

  it('respects a Python-style compile.lock from a live pid and reclaims one from a dead pid', () => {
    const paths = bucket();
    writeFileSync(paths.lockFile, JSON.stringify({ created_at: iso(Date.now() - 60_000), pid: process.pid }));
    expect(lockStatus(paths)).toMatchObject({
      locked: true,
      stale: false,
      pid_alive: true,
      owner_pid: process.pid,
      kind: 'file',
    });
    expect(lockStatus(paths).age_seconds).toBeGreaterThanOrEqual(59);
    const dead = deadPid();
    expect(isPidAlive(dead)).toBe(false);
    writeFileSync(paths.lockFile, JSON.stringify({ created_at: iso(Date.now()), pid: dead }));
    expect(lockStatus(paths)).toMatchObject({
      locked: true,
      stale: true,
      stale_reason: 'pid_not_alive',
      pid_alive: false,
    });
  });

  it('treats a lock dated in the future, one past the stale window, and a damaged file as stale', () => {
    const paths = bucket();
    writeFileSync(
      paths.lockFile,
      JSON.stringify({ created_at: iso(Date.now() + 3600_000), pid: process.pid }),
    );
    expect(lockStatus(paths)).toMatchObject({ stale: true, stale_reason: 'negative_age' });
    writeFileSync(
      paths.lockFile,
      JSON.stringify({ created_at: iso(Date.now() - 1801_000), pid: process.pid }),
    );
    expect(lockStatus(paths)).toMatchObject({ stale: true, stale_reason: 'exceeded_max_age' });
    for (const text of ['', '{', '[]', '{"pid": 1}']) {
      writeFileSync(paths.lockFile, text);
      expect(lockStatus(paths)).toMatchObject({
        locked: true,
        stale: true,
        stale_reason: 'corrupt_lock_file',
      });
    }
  });

  it('disbelieves a heartbeat in the future (clock jump, planted mtime): judged on owner info and created_at', async () => {
    const paths = bucket();
    mkdirSync(lockDirOf(paths));
    // The owner pid is alive but unrelated (ours), created 2 h ago; the directory says 2036.
    writeFileSync(
      paths.lockFile,
      JSON.stringify({ created_at: iso(Date.now() - 7200_000), pid: process.pid }),
    );
    const future = new Date('2036-01-01T00:00:00Z');
    utimesSync(lockDirOf(paths), future, future);
    expect(lockStatus(paths)).toMatchObject({ locked: true, stale: true, stale_reason: 'exceeded_max_age' });
    const taken = await acquireCompileLock(paths);
    expect(taken.acquired).toBe(true);
    if (taken.acquired) await taken.lock.release();
    // A recent owner with the same future heartbeat is still respected until its age runs out.
    mkdirSync(lockDirOf(paths), { recursive: true });
    writeFileSync(paths.lockFile, JSON.stringify({ created_at: iso(Date.now() - 60_000), pid: process.pid }));
    utimesSync(lockDirOf(paths), future, future);
    expect(lockStatus(paths)).toMatchObject({ locked: true, stale: false });
    // A small skew is tolerated.
    writeFileSync(paths.lockFile, JSON.stringify({ created_at: iso(Date.now() + 20_000), pid: process.pid }));
    expect(lockStatus(paths)).toMatchObject({ stale: false });
  });

  it('uses the heartbeat, not created_at, for the age of our own locks', () => {
    const paths = bucket();
    mkdirSync(lockDirOf(paths));
    writeFileSync(
      paths.lockFile,
      JSON.stringify({ created_at: iso(Date.now() - 7200_000), pid: process.pid }),
    );
    expect(lockStatus(paths)).toMatchObject({ locked: true, stale: false, kind: 'directory' });
    const old = (Date.now() - 1900_000) / 1000;
    utimesSync(lockDirOf(paths), old, old);
    expect(lockStatus(paths)).toMatchObject({ stale: true, stale_reason: 'exceeded_max_age' });
  });

  it('gives a lock directory without owner info a short grace while a live owner holds the guard, then calls it stale', () => {
    const paths = bucket();
    mkdirSync(lockDirOf(paths));
    // A live process inside the guard is between its mkdir and its info write.
    mkdirSync(guardDirOf(paths));
    writeFileSync(join(guardDirOf(paths), 'pid'), String(process.pid));
    expect(lockStatus(paths)).toMatchObject({ locked: true, stale: false });
    const old = (Date.now() - 10_000) / 1000;
    utimesSync(lockDirOf(paths), old, old);
    expect(lockStatus(paths)).toMatchObject({
      locked: true,
      stale: true,
      stale_reason: 'missing_owner_info',
    });
  });

  it('calls a lock directory without owner info stale at once when nobody holds the guard (its owner was killed)', () => {
    const paths = bucket();
    mkdirSync(lockDirOf(paths));
    expect(lockStatus(paths)).toMatchObject({
      locked: true,
      stale: true,
      stale_reason: 'missing_owner_info',
    });
    // A guard left by a killed process does not count either.
    mkdirSync(guardDirOf(paths));
    writeFileSync(join(guardDirOf(paths), 'pid'), '999999999');
    expect(lockStatus(paths)).toMatchObject({ locked: true, stale: true });
  });

  it('breaks a guard left by a killed process at once', async () => {
    const paths = bucket();
    mkdirSync(guardDirOf(paths));
    writeFileSync(join(guardDirOf(paths), 'pid'), '999999999');
    const taken = await acquireCompileLock(paths);
    expect(taken.acquired).toBe(true);
    if (taken.acquired) await taken.lock.release();
  });
});

describe('acquireCompileLock', () => {
  it('writes owner info in the original format and refuses a second holder', async () => {
    const paths = bucket();
    const first = await acquireCompileLock(paths);
    expect(first.acquired).toBe(true);
    if (!first.acquired) return;
    const info = JSON.parse(readFileSync(paths.lockFile, 'utf8')) as Record<string, unknown>;
    expect(info).toMatchObject({ pid: process.pid, owner: 'codex-self-evolution' });
    expect(info.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const second = await acquireCompileLock(paths);
    expect(second).toMatchObject({
      acquired: false,
      reason: 'locked',
      status: { locked: true, stale: false, owner_pid: process.pid },
    });
    first.lock.assertHeld();
    await first.lock.release();
    expect(existsSync(paths.lockFile)).toBe(false);
    expect(existsSync(lockDirOf(paths))).toBe(false);
    expect(lockStatus(paths).locked).toBe(false);
  });

  it.each([
    ['a dead pid', () => JSON.stringify({ created_at: iso(Date.now()), pid: deadPid() }), 'pid_not_alive'],
    [
      'a future date',
      () => JSON.stringify({ created_at: iso(Date.now() + 86_400_000), pid: process.pid }),
      'negative_age',
    ],
    ['an empty file', () => '', 'corrupt_lock_file'],
    ['garbage', () => 'not json at all', 'corrupt_lock_file'],
  ])('takes over a stale lock from %s (with or without our directory)', async (_name, content, reason) => {
    for (const withDir of [false, true]) {
      const paths = bucket();
      if (withDir) mkdirSync(lockDirOf(paths));
      writeFileSync(paths.lockFile, content());
      const result = await acquireCompileLock(paths);
      expect(result.acquired).toBe(true);
      if (!result.acquired) return;
      expect(result.lock.replaced?.stale_reason).toBe(reason);
      await result.lock.release();
    }
  });

  it('notices when the lock is taken away and does not delete the new owner’s info', async () => {
    const paths = bucket();
    const result = await acquireCompileLock(paths);
    if (!result.acquired) throw new Error('not acquired');
    rmSync(lockDirOf(paths), { recursive: true });
    writeFileSync(
      paths.lockFile,
      JSON.stringify({ created_at: iso(Date.now()), pid: process.pid, lock_id: 'someone-else' }),
    );
    expect(() => result.lock.assertHeld()).toThrow(/compromised/);
    await result.lock.release();
    expect(JSON.parse(readFileSync(paths.lockFile, 'utf8'))).toMatchObject({ lock_id: 'someone-else' });
  });

  it('keeps a held lock fresh with its heartbeat, so a long compile is not judged stale', async () => {
    const paths = bucket();
    const result = await acquireCompileLock(paths, { staleSeconds: 3, heartbeatMs: 1000 });
    if (!result.acquired) throw new Error('not acquired');
    try {
      // Longer than the stale window: without the heartbeat the lock would be stale by now.
      await new Promise((resolve) => setTimeout(resolve, 4500));
      expect(lockStatus(paths, { staleSeconds: 3 })).toMatchObject({ locked: true, stale: false });
      expect(await acquireCompileLock(paths, { staleSeconds: 3 })).toMatchObject({ acquired: false });
      result.lock.assertHeld();
    } finally {
      await result.lock.release();
    }
  });

  it('withCompileLock releases in finally, even when the work throws', async () => {
    const paths = bucket();
    await expect(
      withCompileLock(paths, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(lockStatus(paths).locked).toBe(false);
    expect(await withCompileLock(paths, async () => 42)).toEqual({ acquired: true, value: 42 });
  });
});

describe('withLock', () => {
  it('waits for a live owner up to waitMs, tells once, and runs once the owner releases', async () => {
    const paths = bucket();
    const first = await acquireCompileLock(paths);
    if (!first.acquired) throw new Error('not acquired');
    const told: Array<number | null> = [];
    setTimeout(() => void first.lock.release(), 300);
    const result = await withLock(paths.lockFile, () => 'ran', {
      waitMs: 10_000,
      pollMs: 50,
      onWait: (status) => told.push(status.owner_pid),
    });
    expect(result).toEqual({ acquired: true, value: 'ran' });
    expect(told).toEqual([process.pid]);
    expect(lockStatus(paths).locked).toBe(false);
  });

  it('gives up after waitMs without running the work', async () => {
    const paths = bucket();
    const first = await acquireCompileLock(paths);
    if (!first.acquired) throw new Error('not acquired');
    let ran = false;
    const result = await withLock(
      paths.lockFile,
      () => {
        ran = true;
      },
      { waitMs: 150, pollMs: 50 },
    );
    expect(result).toMatchObject({ acquired: false, status: { locked: true, owner_pid: process.pid } });
    expect(ran).toBe(false);
    await first.lock.release();
  });
});

describe('pid-file lock', () => {
  const STALE = 60_000;

  it('admits one holder, releases only its own file, and breaks a dead holder’s lock', () => {
    const dir = bucket().compilerDir;
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'worker.lock');
    const release = tryPidFileLock(file, STALE);
    expect(release).toBeDefined();
    expect(readFileSync(file, 'utf8')).toMatch(new RegExp(`^${process.pid}\\n\\d{4}-`));
    expect(isPidFileLockLive(file, STALE)).toBe(true);
    expect(tryPidFileLock(file, STALE)).toBeUndefined();
    release?.();
    expect(existsSync(file)).toBe(false);
    writeFileSync(file, `${deadPid()}\n${iso(Date.now())}\n`);
    expect(isPidFileLockLive(file, STALE)).toBe(false);
    const again = tryPidFileLock(file, STALE);
    expect(again).toBeDefined();
    again?.();
  });

  it('never takes a lock still being written for a dead one, and breaks an old unwritten one', () => {
    const dir = bucket().compilerDir;
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'worker.lock');
    // A holder between creating the file and writing its pid: the file is empty and fresh.
    writeFileSync(file, '');
    expect(isPidFileLockLive(file, STALE)).toBe(true);
    expect(tryPidFileLock(file, STALE)).toBeUndefined();
    expect(readFileSync(file, 'utf8')).toBe('');
    // One that crashed there: after the grace it is stale and is broken.
    const old = new Date(Date.now() - UNWRITTEN_GRACE_MS - 1_000);
    utimesSync(file, old, old);
    expect(isPidFileLockLive(file, STALE)).toBe(false);
    const release = tryPidFileLock(file, STALE);
    expect(release).toBeDefined();
    expect(readFileSync(file, 'utf8')).toMatch(new RegExp(`^${process.pid}\\n`));
    release?.();
    expect(readdirSync(dir).filter((name) => name.includes('lock'))).toEqual([]);
  });

  it('appears with its pid written: no reader ever sees the lock empty', () => {
    const dir = bucket().compilerDir;
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'worker.lock');
    // A leftover draft of a crashed process that had this pid does not stop the acquire.
    writeFileSync(`${file}.new-${process.pid}`, 'junk');
    const release = tryPidFileLock(file, STALE);
    expect(release).toBeDefined();
    expect(readdirSync(dir).filter((name) => name.includes('lock'))).toEqual(['worker.lock']);
    expect(readFileSync(file, 'utf8').split('\n')[0]).toBe(String(process.pid));
    release?.();
  });

  it('judges a future heartbeat by the creation time, and an old heartbeat as stale', () => {
    const dir = bucket().compilerDir;
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'worker.lock');
    writeFileSync(file, `${process.pid}\n${iso(Date.now() - 2 * STALE)}\n`);
    const future = new Date(Date.now() + 86_400_000);
    utimesSync(file, future, future);
    expect(isPidFileLockLive(file, STALE)).toBe(false);
    writeFileSync(file, `${process.pid}\n${iso(Date.now())}\n`);
    utimesSync(file, future, future);
    expect(isPidFileLockLive(file, STALE)).toBe(true);
    const old = new Date(Date.now() - 2 * STALE);
    utimesSync(file, old, old);
    expect(isPidFileLockLive(file, STALE)).toBe(false);
    touchPidFileLock(file);
    expect(isPidFileLockLive(file, STALE)).toBe(true);
  });
});
