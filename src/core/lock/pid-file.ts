/**
 * The pid-file lock: a file created with O_EXCL holding `<pid>\n<created_at>\n`, whose mtime is
 * its heartbeat (the holder touches it with {@link touchPidFileLock}). The review worker takes one
 * per bucket and one global slot this way. Light on purpose (no proper-lockfile, no zod): the Stop
 * hook asks {@link isPidFileLockLive} before it starts a worker.
 *
 * Stale rules (shared with the heartbeat lock in `lock.ts`): the holder pid is gone, or the
 * heartbeat is older than the stale window; a heartbeat in the future (a clock jump, a planted
 * mtime) is no heartbeat, and the age from the creation time is used instead.
 *
 * The lock file appears with its content in one step (written beside it, then hard-linked into
 * place, which fails when the lock exists), so nobody reads a lock without its pid. Where hard
 * links are refused it is created with O_EXCL and written after; a lock without a readable pid
 * counts as live for {@link UNWRITTEN_GRACE_MS} from its mtime, so a holder between the two
 * steps is not taken for a dead one.
 */
import {
  closeSync,
  linkSync,
  openSync,
  renameSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import { utcNow } from '../constants.js';
import { readRegularText } from '../fs/safe.js';
import { FUTURE_TOLERANCE_MS, isPidAlive } from './pid.js';

/** How long a lock file without a readable pid counts as being written by a live holder. */
export const UNWRITTEN_GRACE_MS = 2_000;

/** True when `file` is a lock held by a live process that refreshed it within `staleMs`. */
export function isPidFileLockLive(file: string, staleMs: number, now = Date.now()): boolean {
  try {
    const stat = statSync(file);
    const [pidLine, createdLine] = readRegularText(file).split('\n');
    const pid = Number(pidLine);
    let beat = stat.mtimeMs;
    if (!Number.isInteger(pid) || pid <= 0) {
      const age = now - beat;
      return age > -FUTURE_TOLERANCE_MS && age < Math.min(staleMs, UNWRITTEN_GRACE_MS);
    }
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
  const content = `${process.pid}\n${utcNow()}\n`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      createWithContent(file, content);
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
      breakStale(file, staleMs);
    }
  }
  return undefined;
}

/** Creates `file` holding `content`, failing with EEXIST when it exists; never a moment empty. */
function createWithContent(file: string, content: string): void {
  const draft = `${file}.new-${process.pid}`;
  let linked = false;
  try {
    unlinkSync(draft); // A leftover of a crashed process that had our pid.
  } catch {
    // The usual case.
  }
  try {
    const fd = openSync(draft, 'wx', 0o600);
    try {
      writeSync(fd, content);
    } finally {
      closeSync(fd);
    }
    linkSync(draft, file);
    linked = true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error;
  } finally {
    try {
      unlinkSync(draft);
    } catch {
      // Never created.
    }
  }
  if (linked) return;
  // No hard links here: O_EXCL, then the content (readers give it the unwritten grace).
  const fd = openSync(file, 'wx', 0o600);
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
}

/**
 * Breaks a lock judged stale: moved aside first, so only one breaker wins. When what was moved
 * turns out to be a live lock (another breaker replaced the stale one between our look and our
 * move), it is put back, unless a third process has taken the name meanwhile.
 */
function breakStale(file: string, staleMs: number): void {
  const aside = `${file}.stale-${process.pid}`;
  try {
    renameSync(file, aside);
  } catch {
    return; // Another process broke it first; the retry decides.
  }
  try {
    if (isPidFileLockLive(aside, staleMs)) linkSync(aside, file);
  } catch {
    // The name was taken again meanwhile; that holder decides.
  } finally {
    try {
      unlinkSync(aside);
    } catch {
      // Gone already.
    }
  }
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
