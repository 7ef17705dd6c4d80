/**
 * The Stop-hook spool: where a finished turn waits for review (issue 3).
 *
 * The hook writes one small file per turn (`review/spool/<key>.json`, key = the turn's
 * idempotency key) and returns; a detached worker reviews spooled turns and deletes each entry
 * only after its envelope is queued. A worker that dies leaves the entry in place, so the turn is
 * picked up by the next Stop, preflight or scan. Failures are retried with backoff; after
 * MAX_REVIEW_ATTEMPTS an entry moves to `review/spool/dead/` with its reason, never deleted.
 *
 * Zod-free on purpose: the hook loads this module.
 */
import { closeSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { utcNow } from '../constants.js';
import { writeJsonAtomic } from '../fs/atomic.js';
import { sha1, type StatePaths } from '../paths.js';

/** Attempts before a spooled turn is parked in `dead/`. */
export const MAX_REVIEW_ATTEMPTS = 6;
/** Delay before attempt n+1 (seconds), indexed by attempts made so far. */
export const RETRY_BACKOFF_SECONDS = [0, 60, 300, 1800, 7200, 43200];

/** Idempotency key of a turn: stable for the same session and turn (16 hex). */
export function turnIdempotencyKey(threadId: string, turnId: string): string {
  return sha1(JSON.stringify({ thread_id: threadId, turn_id: turnId })).slice(0, 16);
}

/** One spooled turn. Every text in it is already redacted. */
export interface SpoolEntry {
  schema_version: 1;
  key: string;
  session_id: string;
  turn_id: string;
  cwd: string;
  transcript_path: string | null;
  /** Size of the rollout when the hook ran: the review reads no further (later turns are theirs). */
  transcript_size: number | null;
  last_assistant_message: string;
  model: string | null;
  stop_hook_active: boolean;
  /** Explicit provider from the payload (manual runs and tests); normally absent. */
  reviewer_provider: string | null;
  /** Canned reviewer answer for the `dummy` provider (tests). */
  provider_stub_response?: unknown;
  spooled_at: string;
  attempts: number;
  last_error: string | null;
  next_attempt_at: string | null;
  history: Array<{ at: string; event: string }>;
}

export function spoolDir(paths: StatePaths): string {
  return paths.spoolDir;
}

export function deadDir(paths: StatePaths): string {
  return join(paths.spoolDir, 'dead');
}

export function spoolEntryPath(paths: StatePaths, key: string): string {
  return join(paths.spoolDir, `${key}.json`);
}

/** Writes (or refreshes) a turn's spool entry. A refresh keeps attempts and history. */
export function writeSpoolEntry(paths: StatePaths, entry: SpoolEntry): string {
  const file = spoolEntryPath(paths, entry.key);
  writeJsonAtomic(file, entry);
  return file;
}

/** Reads a spool entry, or undefined when it is gone or unreadable. */
export function readSpoolEntry(file: string): SpoolEntry | undefined {
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as SpoolEntry;
    if (data === null || typeof data !== 'object' || typeof data.key !== 'string' || typeof data.session_id !== 'string') return undefined;
    return data;
  } catch {
    return undefined;
  }
}

/** Spool entries of a bucket, oldest first. */
export function listSpool(paths: StatePaths): Array<{ key: string; file: string; mtimeMs: number }> {
  let names: string[];
  try {
    names = readdirSync(paths.spoolDir);
  } catch {
    return [];
  }
  const out: Array<{ key: string; file: string; mtimeMs: number }> = [];
  for (const name of names) {
    if (!name.endsWith('.json') || name.startsWith('.')) continue;
    const file = join(paths.spoolDir, name);
    try {
      out.push({ key: name.slice(0, -5), file, mtimeMs: statSync(file).mtimeMs });
    } catch {
      // Finished meanwhile.
    }
  }
  return out.sort((a, b) => a.mtimeMs - b.mtimeMs || a.key.localeCompare(b.key));
}

/** Counts spooled and dead turns (for status and preflight). */
export function spoolCounts(paths: StatePaths): { spooled: number; dead: number } {
  let dead = 0;
  try {
    dead = readdirSync(deadDir(paths)).filter((n) => n.endsWith('.json')).length;
  } catch {
    dead = 0;
  }
  return { spooled: listSpool(paths).length, dead };
}

/** True when the entry may be attempted now. */
export function isDue(entry: SpoolEntry, now = Date.now()): boolean {
  return entry.next_attempt_at === null || Date.parse(entry.next_attempt_at) <= now;
}

/** Records a failed attempt: backoff, or park in `dead/` past the budget. Returns where it went. */
export function recordFailure(paths: StatePaths, entry: SpoolEntry, reason: string, retryAfterSeconds?: number): 'retry' | 'dead' {
  const now = Date.now();
  const updated: SpoolEntry = {
    ...entry,
    last_error: reason.slice(0, 500),
    history: [...entry.history, { at: utcNow(), event: `attempt ${entry.attempts} failed: ${reason.slice(0, 200)}` }].slice(-20),
  };
  if (entry.attempts >= MAX_REVIEW_ATTEMPTS) {
    mkdirSync(deadDir(paths), { recursive: true });
    writeJsonAtomic(join(deadDir(paths), `${entry.key}.json`), { ...updated, next_attempt_at: null });
    try {
      unlinkSync(spoolEntryPath(paths, entry.key));
    } catch {
      // Already moved.
    }
    return 'dead';
  }
  const delay = Math.max(RETRY_BACKOFF_SECONDS[entry.attempts] ?? 43200, retryAfterSeconds ?? 0);
  updated.next_attempt_at = utcNow(new Date(now + delay * 1000));
  writeSpoolEntry(paths, updated);
  return 'retry';
}

/** Moves parked entries back into the spool, due now, with a fresh attempt budget. */
export function requeueDead(paths: StatePaths): number {
  let names: string[];
  try {
    names = readdirSync(deadDir(paths)).filter((n) => n.endsWith('.json'));
  } catch {
    return 0;
  }
  let moved = 0;
  for (const name of names) {
    const entry = readSpoolEntry(join(deadDir(paths), name));
    if (!entry) continue;
    writeSpoolEntry(paths, { ...entry, attempts: 0, next_attempt_at: null, history: [...entry.history, { at: utcNow(), event: 'requeued from dead' }] });
    unlinkSync(join(deadDir(paths), name));
    moved++;
  }
  return moved;
}

// ---------------------------------------------------------------------------------------------
// Worker locks: one review worker per bucket, at most MAX_WORKERS across the home.
// ---------------------------------------------------------------------------------------------

/** Review workers allowed to run at once across all repositories. */
export const MAX_WORKERS = 4;
/** A worker lock not refreshed for this long is stale even if its pid looks alive (pid reuse). */
export const WORKER_LOCK_STALE_MS = 15 * 60 * 1000;

export function isPidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when `file` is a lock held by a live process that refreshed it recently. */
export function isLockLive(file: string, now = Date.now()): boolean {
  try {
    const stat = statSync(file);
    const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
    return isPidAlive(pid) && now - stat.mtimeMs < WORKER_LOCK_STALE_MS;
  } catch {
    return false;
  }
}

/** Tries to take a lock file (O_EXCL). A stale lock is broken. Returns a release function or undefined. */
export function tryLock(file: string): (() => void) | undefined {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      try {
        writeSync(fd, `${process.pid}\n${utcNow()}\n`);
      } finally {
        closeSync(fd);
      }
      return () => {
        try {
          // Only remove the lock if it is still ours (a stale-breaker may have replaced it).
          if (Number(readFileSync(file, 'utf8').split('\n')[0]) === process.pid) unlinkSync(file);
        } catch {
          // Gone already.
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (isLockLive(file)) return undefined;
      // Stale: move it aside atomically so only one breaker wins, then retry the create.
      const aside = `${file}.stale-${process.pid}`;
      try {
        renameSync(file, aside);
        unlinkSync(aside);
      } catch {
        // Another process broke it first; the retry decides.
      }
    }
  }
  return undefined;
}

export function workerLockPath(paths: StatePaths): string {
  return join(paths.reviewDir, 'worker.lock');
}

export function workerSlotsDir(home: string): string {
  return join(home, 'run', 'review-slots');
}

/** Takes the bucket's worker lock and one global slot. Undefined when either is busy. */
export function acquireWorker(paths: StatePaths): (() => void) | undefined {
  mkdirSync(paths.reviewDir, { recursive: true });
  const releaseBucket = tryLock(workerLockPath(paths));
  if (!releaseBucket) return undefined;
  const slots = workerSlotsDir(paths.home);
  mkdirSync(slots, { recursive: true });
  for (let i = 0; i < MAX_WORKERS; i++) {
    const releaseSlot = tryLock(join(slots, `slot-${i}.lock`));
    if (releaseSlot) {
      return () => {
        releaseSlot();
        releaseBucket();
      };
    }
  }
  releaseBucket();
  return undefined;
}
