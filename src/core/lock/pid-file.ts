/**
 * The pid-file lock: a file created with O_EXCL holding `<pid>\n<created_at>\n`, whose mtime is
 * its heartbeat (the holder touches it with {@link touchPidFileLock}). The review worker takes one
 * per bucket and one global slot this way. Light on purpose (no proper-lockfile, no zod): the Stop
 * hook asks {@link isPidFileLockLive} before it starts a worker.
 *
 * Stale rules (shared with the heartbeat lock in `lock.ts`): the holder pid is gone, or the
 * heartbeat is older than the stale window; a heartbeat in the future (a clock jump, a planted
 * mtime) is no heartbeat, and the age from the creation time is used instead.
 */
import { closeSync, openSync, renameSync, statSync, unlinkSync, utimesSync, writeSync } from 'node:fs';
import { utcNow } from '../constants.js';
import { readRegularText } from '../fs/safe.js';
import { FUTURE_TOLERANCE_MS, isPidAlive } from './pid.js';

/** True when `file` is a lock held by a live process that refreshed it within `staleMs`. */
export function isPidFileLockLive(file: string, staleMs: number, now = Date.now()): boolean {
  try {
    const stat = statSync(file);
    const [pidLine, createdLine] = readRegularText(file).split('\n');
    const pid = Number(pidLine);
    let beat = stat.mtimeMs;
    if (beat - now > FUTURE_TOLERANCE_MS) {
      const created = Date.parse(createdLine ?? '');
      beat = Number.isFinite(created) && created - now <= FUTURE_TOLERANCE_MS ? created : 0;
    }
    return isPidAlive(pid) && now - beat < staleMs;
  } catch {
    return false;
  }
}

/**
 * Tries to take a pid-file lock, once. A stale lock is broken (moved aside first, so only one
 * breaker wins). Returns the release function, or undefined when a live holder has it.
 */
export function tryPidFileLock(file: string, staleMs: number): (() => void) | undefined {
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
          if (Number(readRegularText(file).split('\n')[0]) === process.pid) unlinkSync(file);
        } catch {
          // Gone already.
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (isPidFileLockLive(file, staleMs)) return undefined;
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

/** The heartbeat of a held pid-file lock. Best effort: a vanished lock is the next acquire's business. */
export function touchPidFileLock(file: string): void {
  const now = new Date();
  try {
    utimesSync(file, now, now);
  } catch {
    // The lock vanished; the next acquire decides.
  }
}
