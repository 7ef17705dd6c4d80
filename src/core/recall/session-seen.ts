/**
 * Which recall notes prompt-time recall already injected in a session, so a note is injected once
 * per session. Kept cheap for the hook path: one small append-only file per session,
 * `recall/sessions/<sha1(session id), 16 hex>.txt`, one note id per line; reading it is one small
 * read, recording is one append. Files older than {@link SEEN_MAX_AGE_MS} are removed when a new
 * session's file is created. Every failure is swallowed (reported to the caller as a problem): a
 * lost record only means a note may be shown twice.
 */
import {
  constants,
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';

/** How long a session's record is kept. */
export const SEEN_MAX_AGE_MS = 7 * 24 * 3600 * 1000;

function seenFile(recallDir: string, sessionId: string): string {
  return join(
    recallDir,
    'sessions',
    `${createHash('sha1').update(sessionId).digest('hex').slice(0, 16)}.txt`,
  );
}

/** Ids already injected in `sessionId` (empty when none were, or the record cannot be read). */
export function readSeen(recallDir: string, sessionId: string): Set<string> {
  try {
    const fd = openSync(seenFile(recallDir, sessionId), constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      return new Set(
        readFileSync(fd, 'utf8')
          .split('\n')
          .filter((x) => x !== ''),
      );
    } finally {
      closeSync(fd);
    }
  } catch {
    return new Set();
  }
}

/** Appends `ids` to the session's record (never follows a symlink). Returns a problem or undefined. */
export function recordSeen(
  recallDir: string,
  sessionId: string,
  ids: readonly string[],
  now = Date.now(),
): string | undefined {
  if (ids.length === 0) return undefined;
  const file = seenFile(recallDir, sessionId);
  try {
    const dir = join(recallDir, 'sessions');
    mkdirSync(dir, { recursive: true });
    let created = false;
    try {
      statSync(file);
    } catch {
      created = true;
    }
    const fd = openSync(
      file,
      constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW,
      0o600,
    );
    try {
      writeSync(fd, `${ids.map((id) => id.replace(/\n/g, ' ')).join('\n')}\n`);
    } finally {
      closeSync(fd);
    }
    if (created) prune(dir, now);
    return undefined;
  } catch (error) {
    return `could not record the injected notes of this session (${(error as Error).message})`;
  }
}

function prune(dir: string, now: number): void {
  for (const name of readdirSync(dir).slice(0, 500)) {
    if (!name.endsWith('.txt')) continue;
    try {
      const path = join(dir, name);
      if (now - statSync(path).mtimeMs > SEEN_MAX_AGE_MS) unlinkSync(path);
    } catch {
      // Another hook removed it first.
    }
  }
}
