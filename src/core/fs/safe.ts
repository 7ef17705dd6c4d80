/**
 * File access that a planted file cannot subvert:
 *
 * - Appends open with `O_NOFOLLOW` (and `O_NONBLOCK`, and check `fstat`): a symlink planted as
 *   `logs/plugin.log` or `compiler/receipts.jsonl` is moved aside, never written through; a FIFO
 *   or device is moved aside too, never blocked on.
 * - Directories of the state home are checked with `lstat` before use: a symlinked `memory/` or
 *   `review/snapshots/` is moved aside and a real directory created in its place.
 * - Reads of untrusted or possibly damaged files (transcripts, payload files, state files) open
 *   with `O_NONBLOCK` and check `fstat` first: only a regular file of a sane size is read, so a
 *   FIFO or a device is a clear error, not a hang.
 *
 * Zod-free and small: the hooks load it. What was moved aside is reported through the optional
 * `onMovedAside` callback (the logger cannot be imported here: it uses this module).
 */
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { AppError, EXIT } from '../errors.js';

const { O_APPEND, O_CREAT, O_NOFOLLOW, O_NONBLOCK, O_RDONLY, O_WRONLY } = constants;

/** A path that is not a regular file (FIFO, device, socket, directory) or is too large to read. */
export class NotRegularFileError extends AppError {
  /** `fifo`, `device`, `socket`, `directory`, `symlink`, `too_large` or `other`. */
  readonly reason: string;

  constructor(file: string, reason: string, detail: string) {
    super(`${file}: ${detail}`, { exitCode: EXIT.failure });
    this.reason = reason;
  }
}

/** Called when a planted symlink or special file was moved out of the way. */
export type MovedAsideReporter = (what: { path: string; aside: string; kind: string }) => void;

function kindOf(stat: {
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}): string {
  if (stat.isSymbolicLink()) return 'symlink';
  if (stat.isFIFO()) return 'fifo';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'device';
  if (stat.isSocket()) return 'socket';
  if (stat.isDirectory()) return 'directory';
  return 'other';
}

/** Renames `path` to `<path>.<kind>-<ts>` next to it. Returns the new name. */
function moveAside(path: string, kind: string, report?: MovedAsideReporter): string {
  const aside = `${path}.${kind}-aside-${Date.now()}-${process.pid}`;
  renameSync(path, aside);
  report?.({ path, aside, kind });
  return aside;
}

/**
 * Appends `data` to `file`, creating it (mode 0600) when missing, never following a symlink and
 * never writing into anything but a regular file: a symlink, FIFO or device found there is moved
 * aside (reported) and a fresh file is created. Throws on other errors (callers that must not
 * fail catch them).
 */
export function appendNoFollow(
  file: string,
  data: string | Uint8Array,
  options: { mode?: number; onMovedAside?: MovedAsideReporter; fsync?: boolean } = {},
): void {
  const fd = openAppendNoFollow(file, options);
  try {
    const buffer = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let offset = 0;
    while (offset < buffer.length) offset += writeSync(fd, buffer, offset, buffer.length - offset);
  } finally {
    closeSync(fd);
  }
}

/**
 * Opens `file` for appending (read too when `read`), with the guarantees of
 * {@link appendNoFollow}. The caller closes the descriptor.
 */
export function openAppendNoFollow(
  file: string,
  options: { mode?: number; onMovedAside?: MovedAsideReporter; read?: boolean } = {},
): number {
  const flags = (options.read ? constants.O_RDWR : O_WRONLY) | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK;
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, flags, options.mode ?? 0o600);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // ELOOP: a symlink (O_NOFOLLOW); ENXIO: a FIFO without a reader (O_NONBLOCK).
      if (attempt === 0 && (code === 'ELOOP' || code === 'ENXIO' || code === 'EMLINK')) {
        moveAside(file, kindOf(lstatSync(file)), options.onMovedAside);
        continue;
      }
      throw error;
    }
    const stat = fstatSync(fd);
    if (stat.isFile()) return fd;
    closeSync(fd);
    if (attempt > 0)
      throw new NotRegularFileError(file, kindOf(stat), `not a regular file (${kindOf(stat)})`);
    moveAside(file, kindOf(stat), options.onMovedAside);
  }
}

/**
 * Makes sure `dir` is not a symlink: a symlink found there is moved aside (reported) and a real
 * directory created in its place. Parents are created as needed. Returns true when
 * something was moved aside.
 */
export function ensureRealDir(dir: string, onMovedAside?: MovedAsideReporter): boolean {
  let moved = false;
  try {
    const stat = lstatSync(dir);
    if (stat.isDirectory()) return false;
    // Anything else that is not a symlink (a stray file) fails the writer as before.
    if (!stat.isSymbolicLink()) return false;
    moveAside(dir, kindOf(stat), onMovedAside);
    moved = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dirname(dir), { recursive: true });
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // Created meanwhile by another process: check it again.
    if (!lstatSync(dir).isDirectory()) throw error;
  }
  return moved;
}

/** Default largest file {@link readRegularFile} reads (transcripts are bounded by the reader). */
export const MAX_READ_BYTES = 256 * 1024 * 1024;

/**
 * Reads a regular file, opened with `O_NONBLOCK` and checked with `fstat` before any read: a
 * FIFO, device, socket or directory (or a file over `maxBytes`) throws {@link NotRegularFileError}
 * at once instead of hanging. `limit` reads only the first bytes (the rest is ignored).
 */
export function readRegularFile(
  file: string,
  options: { maxBytes?: number; limit?: number; noFollow?: boolean } = {},
): Buffer {
  const fd = openSync(file, O_RDONLY | O_NONBLOCK | (options.noFollow ? O_NOFOLLOW : 0));
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile())
      throw new NotRegularFileError(file, kindOf(stat), `not a regular file (${kindOf(stat)}); not read`);
    const max = options.maxBytes ?? MAX_READ_BYTES;
    if (stat.size > max && options.limit === undefined) {
      throw new NotRegularFileError(file, 'too_large', `${stat.size} bytes, more than the ${max} this reads`);
    }
    const size = Math.min(stat.size, options.limit ?? stat.size);
    const buffer = Buffer.alloc(size);
    let offset = 0;
    while (offset < size) {
      const n = readSync(fd, buffer, offset, size - offset, offset);
      if (n === 0) break;
      offset += n;
    }
    return offset === size ? buffer : buffer.subarray(0, offset);
  } finally {
    closeSync(fd);
  }
}

/** {@link readRegularFile} as UTF-8 text. */
export function readRegularText(
  file: string,
  options: { maxBytes?: number; limit?: number; noFollow?: boolean } = {},
): string {
  return readRegularFile(file, options).toString('utf8');
}
