/**
 * The heartbeat lock: one holder at a time of a named lock file, with a heartbeat, stale rules and
 * a short acquisition mutex. The compile lock of a bucket (`compiler/compile.lock`) is one; the
 * memory commands and the search-index repair take the same lock through {@link withLock}.
 * (The review worker's light pid-file lock, loaded by the Stop hook, is in `pid-file.ts`.)
 *
 * Layout, for a lock file `compile.lock`, all in its directory:
 * - `compile.lock.d/` — the lock itself: a directory created with `mkdir` by proper-lockfile
 *   (atomic: exactly one creator wins). proper-lockfile refreshes its mtime every
 *   `heartbeatMs` while the owner's event loop runs; that mtime is the heartbeat.
 * - `compile.lock` — owner info as JSON `{created_at, pid, hostname, lock_id, owner}`, in the
 *   Python original's format (`{created_at, pid}` plus our fields). The Python 0.7.x reads this
 *   file and therefore respects our lock during a migration; a Python-written `compile.lock`
 *   without our directory is respected by us while its pid is alive and its age is inside the
 *   stale window.
 * - `compile.lock.guard/` — a short mutex (mkdir, held for milliseconds) serializing acquisitions,
 *   so "judge the old lock stale, remove it, take it, write the owner info" is one step: two
 *   processes can never both break the same stale lock and both believe they hold it.
 *
 * Stale rules (seed README §6), first match wins: the owner pid is gone (same host only),
 * `created_at` is in the future (beyond a minute of clock skew), the heartbeat (directory mtime;
 * `created_at` for a Python lock) is older than the stale window (1800 s). A heartbeat in the future
 * is not a heartbeat (a clock jump or a planted mtime): the age from `created_at` is used instead. A live
 * owner with a running heartbeat is never stale,
 * however long it compiles. An empty or corrupt `compile.lock` never wedges a bucket: alone it is
 * stale at once; next to a lock directory it is stale once the directory's heartbeat is older than
 * a few seconds (inside the guard at once, because owners write their info inside the guard).
 *
 * A compromised lock (directory removed or re-created by someone else) is reported through
 * `compromised`/`assertHeld()`; the compiler checks it before it applies anything.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { hostname } from 'node:os';
import lockfile from 'proper-lockfile';
import { utcNow } from '../constants.js';
import { z } from 'zod';
import { AppError, SchemaError, type AppErrorOptions } from '../errors.js';
import { parseJsonWith, writeJsonAtomic } from '../fs/atomic.js';
import { readRegularText } from '../fs/safe.js';
import { FUTURE_TOLERANCE_MS, isPidAlive } from './pid.js';

export { FUTURE_TOLERANCE_MS, isPidAlive };

/** The lock was taken away (or its directory removed) while this process held it. */
export class LockCompromisedError extends AppError {
  constructor(message: string, options: AppErrorOptions = {}) {
    super(`compile lock compromised: ${message}`, {
      hint: 'another compile may have judged this one stale; the batch was not applied',
      ...options,
    });
  }
}

/** Stale window: a lock whose heartbeat is older than this is reclaimable (seed: 30 min). */
export const LOCK_STALE_SECONDS = 1800;
/** Heartbeat period of a held lock. */
export const LOCK_HEARTBEAT_MS = 10_000;
/** A lock directory with no readable owner info is stale after this long (owners write it at once). */
const ORPHAN_DIR_GRACE_MS = 5_000;
/** The acquisition mutex is held for milliseconds; older than this its owner died inside it. */
const GUARD_STALE_MS = 10_000;
/** How long an acquisition waits for the mutex before reporting the lock as busy. */
const GUARD_WAIT_MS = 3_000;

/** Owner string written into our lock info. */
export const LOCK_OWNER = 'codex-self-evolution';

export type StaleReason =
  'pid_not_alive' | 'negative_age' | 'exceeded_max_age' | 'corrupt_lock_file' | 'missing_owner_info';

/** What `status`, preflight and compile know about a lock. */
export interface LockStatus {
  locked: boolean;
  stale: boolean;
  stale_reason: StaleReason | null;
  /** null when unknown: no owner info, or the owner is on another host. */
  pid_alive: boolean | null;
  /** Seconds since the owner's `created_at`. */
  age_seconds: number | null;
  /** Seconds since the last heartbeat (our locks only). */
  heartbeat_age_seconds: number | null;
  owner_pid: number | null;
  created_at: string | null;
  hostname: string | null;
  /** `directory`: ours (heartbeat); `file`: a bare `compile.lock` (Python 0.7.x or a leftover). */
  kind: 'directory' | 'file' | null;
  /** Path of `compile.lock`. */
  path: string;
}

export interface LockOptions {
  /** Stale window in seconds (default {@link LOCK_STALE_SECONDS}). */
  staleSeconds?: number;
  /** Heartbeat period in ms (default {@link LOCK_HEARTBEAT_MS}; at least 1000). */
  heartbeatMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/** The lock directory of a lock file (`compile.lock.d`): its mtime is the heartbeat. */
export function lockDirOf(file: string): string {
  return `${file}.d`;
}

/** The acquisition mutex of a lock file (`compile.lock.guard`). */
export function guardDirOf(file: string): string {
  return `${file}.guard`;
}

/**
 * The owner info of a lock file (`compile.lock`, the Python package's format plus our host and
 * lock id). Lenient where the Python package is: a non-integer pid is kept as 0 (dead), an
 * unreadable host or id as null; only a missing or unparsable `created_at` makes it corrupt.
 */
export const LockInfoSchema = z.looseObject({
  created_at: z.string().refine((v) => Number.isFinite(Date.parse(v)), 'must be a date'),
  pid: z.number().int().catch(0),
  hostname: z.string().nullable().catch(null),
  lock_id: z.string().nullable().catch(null),
  heartbeat_at: z.string().optional().catch(undefined),
});
export type LockInfo = z.infer<typeof LockInfoSchema>;

type InfoRead =
  | { state: 'missing' }
  | { state: 'corrupt'; reason: string }
  | { state: 'ok'; info: LockInfo & { createdMs: number } };

function readLockInfo(file: string): InfoRead {
  let text: string;
  try {
    text = readRegularText(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'missing' };
    return { state: 'corrupt', reason: (error as NodeJS.ErrnoException).code ?? String(error) };
  }
  if (text.trim() === '') return { state: 'corrupt', reason: 'empty file' };
  try {
    const info = parseJsonWith(LockInfoSchema, text);
    return { state: 'ok', info: { ...info, createdMs: Date.parse(info.created_at) } };
  } catch (error) {
    return {
      state: 'corrupt',
      reason: error instanceof SchemaError ? error.issues.join('; ') : String(error),
    };
  }
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

/**
 * Reads the state of a lock. Read-only and cheap (two stats and one small read); never throws for
 * a damaged lock.
 */
export function lockStatus(file: string, options: LockOptions & { insideGuard?: boolean } = {}): LockStatus {
  const now = options.now?.() ?? Date.now();
  const staleMs = (options.staleSeconds ?? LOCK_STALE_SECONDS) * 1000;
  let dirMtime: number | undefined;
  try {
    dirMtime = statSync(lockDirOf(file)).mtimeMs;
  } catch {
    dirMtime = undefined;
  }
  const read = readLockInfo(file);
  const status: LockStatus = {
    locked: false,
    stale: false,
    stale_reason: null,
    pid_alive: null,
    age_seconds: null,
    heartbeat_age_seconds: dirMtime === undefined ? null : round1(Math.max(0, now - dirMtime) / 1000),
    owner_pid: null,
    created_at: null,
    hostname: null,
    kind: dirMtime !== undefined ? 'directory' : read.state === 'missing' ? null : 'file',
    path: file,
  };
  if (dirMtime === undefined && read.state === 'missing') return status;
  status.locked = true;
  if (read.state !== 'ok') {
    const reason: StaleReason = read.state === 'missing' ? 'missing_owner_info' : 'corrupt_lock_file';
    // Alone, a damaged file is garbage. Next to a directory it may be an owner between its mkdir
    // and its info write (inside the guard, so never when we hold the guard ourselves).
    // An owner writes its info while holding the guard: with no live guard holder, the directory
    // is an orphan of a killed compile and is stale at once.
    const stale =
      dirMtime === undefined ||
      options.insideGuard === true ||
      !guardHeldByLiveProcess(file) ||
      now - dirMtime > ORPHAN_DIR_GRACE_MS ||
      dirMtime - now > FUTURE_TOLERANCE_MS;
    if (stale) {
      status.stale = true;
      status.stale_reason = reason;
    }
    return status;
  }
  const { info } = read;
  status.owner_pid = info.pid;
  status.created_at = info.created_at;
  status.hostname = info.hostname;
  status.age_seconds = round1((now - info.createdMs) / 1000);
  const sameHost = info.hostname === null || info.hostname === hostname();
  status.pid_alive = sameHost ? isPidAlive(info.pid) : null;
  // The heartbeat of our locks is the directory mtime; a Python lock only has created_at.
  // A heartbeat in the future (a clock jump, a planted mtime) is no heartbeat: the lock is then
  // judged on its owner info and its age from created_at.
  const futureHeartbeat = dirMtime !== undefined && dirMtime - now > FUTURE_TOLERANCE_MS;
  const heartbeatAgeMs = dirMtime !== undefined && !futureHeartbeat ? now - dirMtime : now - info.createdMs;
  let reason: StaleReason | null = null;
  if (status.pid_alive === false) reason = 'pid_not_alive';
  else if (now - info.createdMs < -FUTURE_TOLERANCE_MS) reason = 'negative_age';
  else if (heartbeatAgeMs > staleMs) reason = 'exceeded_max_age';
  status.stale = reason !== null;
  status.stale_reason = reason;
  return status;
}

/** A held lock. */
export interface HeldLock {
  /** Owner info as written to the lock file. */
  readonly info: Readonly<Record<string, unknown>> & { lock_id: string; pid: number; created_at: string };
  /** The lock that was broken to get this one, if any (stale, with its reason). */
  readonly replaced: LockStatus | null;
  /** True once the lock was found taken away; work must stop. */
  readonly compromised: boolean;
  /** Throws LockCompromisedError unless the lock is still ours (checks the files, not only the flag). */
  assertHeld(): void;
  /** Releases the lock (idempotent). Removes the lock file only while it is still ours. */
  release(): Promise<void>;
}

export type AcquireResult =
  { acquired: true; lock: HeldLock } | { acquired: false; status: LockStatus; reason: 'locked' | 'busy' };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** True while a live process holds the guard (or one is between its mkdir and its pid write). */
function guardHeldByLiveProcess(file: string): boolean {
  const dir = guardDirOf(file);
  let mtime: number;
  try {
    mtime = statSync(dir).mtimeMs;
  } catch {
    return false;
  }
  try {
    const pid = Number(readRegularText(join(dir, 'pid')));
    return Number.isInteger(pid) && pid > 0 && isPidAlive(pid);
  } catch {
    const age = Date.now() - mtime;
    return age <= GUARD_STALE_MS && age >= -FUTURE_TOLERANCE_MS;
  }
}

async function acquireGuard(file: string): Promise<(() => void) | undefined> {
  const dir = guardDirOf(file);
  const deadline = Date.now() + GUARD_WAIT_MS;
  for (;;) {
    try {
      mkdirSync(dir);
      // Who holds the guard, so a holder killed inside it is recognised at once (not after 10 s).
      try {
        writeFileSync(join(dir, 'pid'), String(process.pid));
      } catch {
        // Without it the guard still goes stale by age.
      }
      return () => rmSync(dir, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    try {
      let holderDead = false;
      try {
        const pid = Number(readRegularText(join(dir, 'pid')));
        holderDead = Number.isInteger(pid) && pid > 0 && !isPidAlive(pid);
      } catch {
        holderDead = false; // Between its mkdir and its pid write, or an old guard: age decides.
      }
      if (holderDead || Date.now() - statSync(dir).mtimeMs > GUARD_STALE_MS) {
        // Rename first, so two breakers cannot both remove a guard a third process just took.
        const aside = `${dir}.stale-${process.pid}-${Date.now()}`;
        renameSync(dir, aside);
        rmSync(aside, { recursive: true, force: true });
        continue;
      }
    } catch {
      continue; // Released or broken meanwhile.
    }
    if (Date.now() > deadline) return undefined;
    await sleep(10 + Math.floor(Math.random() * 30));
  }
}

/** Removes a stale lock: our directory and the owner info file. Call inside the guard only. */
function breakLock(file: string): void {
  rmSync(lockDirOf(file), { recursive: true, force: true });
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/**
 * Tries to take a lock, once (no waiting for a live owner). A stale lock is broken and taken over.
 * Returns `{acquired:false}` with the status when a live owner holds it. The lock file's directory
 * is created when missing.
 */
export async function acquireLock(file: string, options: LockOptions = {}): Promise<AcquireResult> {
  const staleSeconds = options.staleSeconds ?? LOCK_STALE_SECONDS;
  const heartbeatMs = Math.max(1000, options.heartbeatMs ?? LOCK_HEARTBEAT_MS);
  mkdirSync(dirname(file), { recursive: true });
  const releaseGuard = await acquireGuard(file);
  if (!releaseGuard) return { acquired: false, status: lockStatus(file, options), reason: 'busy' };
  let replaced: LockStatus | null = null;
  let releaseDir: () => Promise<void>;
  let compromisedBy: Error | undefined;
  const lockId = randomUUID();
  const info = {
    created_at: utcNow(),
    pid: process.pid,
    hostname: hostname(),
    lock_id: lockId,
    owner: LOCK_OWNER,
    heartbeat_seconds: heartbeatMs / 1000,
  };
  try {
    const current = lockStatus(file, { ...options, insideGuard: true });
    if (current.locked && !current.stale) return { acquired: false, status: current, reason: 'locked' };
    if (current.locked) {
      replaced = current;
      breakLock(file);
    }
    try {
      releaseDir = await lockfile.lock(file, {
        lockfilePath: lockDirOf(file),
        realpath: false,
        retries: 0,
        stale: Math.max(staleSeconds * 1000, heartbeatMs * 2),
        update: heartbeatMs,
        onCompromised: (error) => {
          // proper-lockfile's default throws from a timer; record it and let the compiler stop.
          compromisedBy = error;
        },
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ELOCKED') {
        return { acquired: false, status: lockStatus(file, options), reason: 'locked' };
      }
      throw error;
    }
    writeJsonAtomic(file, info);
  } finally {
    releaseGuard();
  }

  let released = false;
  const stillOurs = (): string | undefined => {
    if (compromisedBy) return compromisedBy.message;
    try {
      statSync(lockDirOf(file));
    } catch {
      return 'lock directory removed';
    }
    const read = readLockInfo(file);
    if (read.state !== 'ok' || read.info.lock_id !== lockId)
      return `${basename(file)} was replaced by another owner`;
    return undefined;
  };
  return {
    acquired: true,
    lock: {
      info,
      replaced,
      get compromised() {
        return compromisedBy !== undefined;
      },
      assertHeld() {
        if (released) throw new LockCompromisedError('already released');
        const problem = stillOurs();
        if (problem) throw new LockCompromisedError(problem);
      },
      async release() {
        if (released) return;
        released = true;
        const read = readLockInfo(file);
        if (read.state === 'ok' && read.info.lock_id === lockId) {
          try {
            unlinkSync(file);
          } catch {
            // Already gone.
          }
        }
        try {
          await releaseDir();
        } catch {
          // ERELEASED after a compromise: the directory is someone else's now; leave it.
        }
      },
    },
  };
}

/** How {@link withLock} waits for a live owner. */
export interface WaitOptions {
  /** How long to wait for a live owner before giving up (default 0: try once). */
  waitMs?: number;
  /** Told once, when the first attempt finds the lock held and a wait begins. */
  onWait?: (status: LockStatus) => void;
  /** Between two attempts (default 200 ms). */
  pollMs?: number;
}

/**
 * Runs `fn` while holding the lock, releasing it in `finally`. A live owner is waited for up to
 * `waitMs`; past that `{acquired:false}` is returned without running `fn`.
 */
export async function withLock<T>(
  file: string,
  fn: (lock: HeldLock) => T | Promise<T>,
  options: LockOptions & WaitOptions = {},
): Promise<{ acquired: true; value: T } | { acquired: false; status: LockStatus }> {
  const deadline = Date.now() + (options.waitMs ?? 0);
  let result = await acquireLock(file, options);
  let told = false;
  while (!result.acquired && Date.now() < deadline) {
    if (!told) {
      told = true;
      options.onWait?.(result.status);
    }
    await sleep(options.pollMs ?? 200);
    result = await acquireLock(file, options);
  }
  if (!result.acquired) return { acquired: false, status: result.status };
  try {
    return { acquired: true, value: await fn(result.lock) };
  } finally {
    await result.lock.release();
  }
}
