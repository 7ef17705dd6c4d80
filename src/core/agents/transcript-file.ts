/**
 * Reading a session transcript file, whatever the agent: bounded in size (the tail of a large
 * file, starting at a line boundary, plus its first line, which often names the session), never
 * blocking on a FIFO or device planted as the transcript, invalid UTF-8 replaced. Agents parse
 * the text; this module only reads it.
 */
import { constants as fsConstants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { AppError } from '../errors.js';

/** How much of a transcript's tail is read by default (bytes). */
export const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;

/**
 * Tool names whose calls are shell commands, whatever the agent (their input is rendered as the
 * command line): Codex's shell tools.
 */
export const SHELL_TOOL_NAMES: ReadonlySet<string> = new Set([
  'shell',
  'container.exec',
  'shell_command',
  'exec_command',
  'local_shell',
]);

/** A first line can carry ~20 KB of base instructions; never read more than this for it. */
const MAX_HEAD_LINE_BYTES = 1024 * 1024;

/** Why a transcript could not be read. */
export type TranscriptReadFailure = 'missing' | 'not_a_file' | 'unreadable';

/** A transcript file that is missing or cannot be read. Never carries the file's content. */
export class TranscriptReadError extends AppError {
  readonly path: string;
  readonly reason: TranscriptReadFailure;

  constructor(path: string, reason: TranscriptReadFailure, options: { cause?: unknown } = {}) {
    const what =
      reason === 'missing'
        ? 'does not exist'
        : reason === 'not_a_file'
          ? 'is not a regular file'
          : 'cannot be read';
    super(`transcript ${path} ${what}`, { cause: options.cause });
    this.path = path;
    this.reason = reason;
  }
}

/** The text of a transcript file, or of its tail. */
export interface TranscriptText {
  /** The whole file, or the tail starting at its first full line. */
  text: string;
  /** The file's first line when only the tail was read and the line ends within 1 MiB. */
  headLine: string | undefined;
  /** True when the file was larger than `maxBytes` and only its tail was read. */
  truncated: boolean;
  /** Size of the file when it was read. */
  totalBytes: number;
  /** Bytes of `text`. */
  bytesRead: number;
}

/**
 * Reads a transcript file: all of it up to `maxBytes` (default {@link DEFAULT_MAX_BYTES}), else its
 * tail from the first full line, and then its first line (bounded) as `headLine`.
 *
 * @throws {TranscriptReadError} when the file is missing, not a regular file, or unreadable.
 */
export async function readTranscriptText(
  path: string,
  maxBytes = DEFAULT_MAX_BYTES,
): Promise<TranscriptText> {
  const limit = Math.max(1, Math.floor(maxBytes));
  let handle: FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO (or a device) planted as the transcript must not wait for a
    // writer; fstat below then refuses anything but a regular file.
    handle = await open(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  } catch (error) {
    throw new TranscriptReadError(path, failureOf(error), { cause: error });
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new TranscriptReadError(path, 'not_a_file');
    const totalBytes = info.size;
    if (totalBytes <= limit) {
      const buffer = await readRange(handle, 0, totalBytes);
      return {
        text: decodeUtf8(buffer),
        headLine: undefined,
        truncated: false,
        totalBytes,
        bytesRead: buffer.length,
      };
    }
    const start = totalBytes - limit;
    const tail = await readRange(handle, start, limit);
    const previous = await readRange(handle, start - 1, 1);
    // Start at a line boundary: a line cut in half would only count as a bad line.
    let body: Buffer;
    if (previous[0] === 0x0a) body = tail;
    else {
      const newline = tail.indexOf(0x0a);
      body = newline < 0 ? Buffer.alloc(0) : tail.subarray(newline + 1);
    }
    const head = await readFirstLine(handle, Math.min(MAX_HEAD_LINE_BYTES, start));
    return {
      text: decodeUtf8(body),
      headLine: head === undefined ? undefined : decodeUtf8(head),
      truncated: true,
      totalBytes,
      bytesRead: body.length,
    };
  } catch (error) {
    if (error instanceof TranscriptReadError) throw error;
    throw new TranscriptReadError(path, failureOf(error), { cause: error });
  } finally {
    await handle.close().catch(() => undefined);
  }
}

function failureOf(error: unknown): TranscriptReadFailure {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
  if (code === 'EISDIR') return 'not_a_file';
  return 'unreadable';
}

async function readRange(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break; // the file shrank under us: use what we have
    filled += bytesRead;
  }
  return filled === length ? buffer : buffer.subarray(0, filled);
}

/** The first line of the file if it ends within `limit` bytes (else undefined). */
async function readFirstLine(handle: FileHandle, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let position = 0;
  while (position < limit) {
    const chunk = await readRange(handle, position, Math.min(64 * 1024, limit - position));
    if (chunk.length === 0) return undefined;
    const newline = chunk.indexOf(0x0a);
    if (newline >= 0) {
      chunks.push(chunk.subarray(0, newline));
      return Buffer.concat(chunks);
    }
    chunks.push(chunk);
    position += chunk.length;
  }
  return undefined;
}

function decodeUtf8(buffer: Buffer): string {
  // Non-fatal decoding replaces invalid sequences with U+FFFD.
  return new TextDecoder('utf-8').decode(buffer);
}
