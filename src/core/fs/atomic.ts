/**
 * Atomic file writes: the one helper every writer uses.
 *
 * A write goes to a temp file in the same directory (created exclusively, unique per process and
 * call), is fsynced, then renamed over the target; the directory is fsynced so the rename itself
 * survives a crash. If anything fails the temp file is removed and the first error is rethrown:
 * the previous content of the target stays intact.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { z } from 'zod';
import { SchemaError } from '../errors.js';
import { stableStringify } from '../json.js';
import { readRegularText } from './safe.js';

export interface AtomicWriteOptions {
  /** File mode of the new file (default 0o600: state files may hold private notes). */
  mode?: number;
  /** Create the parent directory when missing (default true). */
  mkdir?: boolean;
  /** fsync file and directory (default true; tests of throughput may turn it off). */
  fsync?: boolean;
}

let counter = 0;

/** Name of a temp file next to `target`, unique per pid and call. Never derived from content. */
export function tempPathFor(target: string): string {
  counter = (counter + 1) % 1_000_000;
  return join(
    dirname(target),
    `.${basename(target)}.${process.pid}.${counter}.${randomBytes(3).toString('hex')}.tmp`,
  );
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic there.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Writes `data` to `target` atomically. Synchronous on purpose: hooks and the compiler write a
 * handful of small files and a sync write keeps ordering obvious (and is faster than the
 * promise machinery for small files).
 */
export function writeFileAtomic(
  target: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): void {
  const { mode = 0o600, mkdir = true, fsync = true } = options;
  const dir = dirname(target);
  if (mkdir) mkdirSync(dir, { recursive: true });
  const temp = tempPathFor(target);
  let fd: number | undefined;
  try {
    fd = openSync(temp, 'wx', mode);
    const buffer = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let offset = 0;
    while (offset < buffer.length) offset += writeSync(fd, buffer, offset, buffer.length - offset);
    if (fsync) fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, target);
  } catch (error) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // Already failing: the original error is the one to report.
      }
    }
    try {
      unlinkSync(temp);
    } catch {
      // The temp file may never have been created.
    }
    throw error;
  }
  if (fsync) fsyncDir(dir);
}

/** Writes `value` as sorted, 2-space-indented JSON with a trailing newline, atomically. */
export function writeJsonAtomic(target: string, value: unknown, options: AtomicWriteOptions = {}): void {
  writeFileAtomic(target, `${stableStringify(value)}\n`, options);
}

/** Formats zod issues as `path.to[2].key: message` strings. */
export function formatZodIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    let path = '';
    for (const part of issue.path) {
      path += typeof part === 'number' ? `[${part}]` : path === '' ? String(part) : `.${String(part)}`;
    }
    return `${path === '' ? '(root)' : path}: ${issue.message}`;
  });
}

/** Validates already-parsed data against `schema`, throwing a SchemaError that names `file` and the JSON
 * path. */
export function parseWith<S extends z.ZodType>(schema: S, data: unknown, file?: string): z.infer<S> {
  const result = schema.safeParse(data);
  if (!result.success) throw new SchemaError(file, formatZodIssues(result.error));
  return result.data;
}

/**
 * Parses JSON text and validates it against `schema`, throwing a SchemaError that names `file`
 * for invalid JSON or a schema mismatch.
 */
export function parseJsonWith<S extends z.ZodType>(schema: S, text: string, file?: string): z.infer<S> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new SchemaError(file, [`invalid JSON: ${error instanceof Error ? error.message : String(error)}`]);
  }
  return parseWith(schema, data, file);
}

/**
 * Reads and validates a JSON file. Returns `undefined` when the file does not exist; throws a
 * SchemaError naming the file for invalid JSON or a schema mismatch.
 */
export function readJsonFile<S extends z.ZodType>(file: string, schema: S): z.infer<S> | undefined {
  let text: string;
  try {
    text = readRegularText(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return parseJsonWith(schema, text, file);
}

/**
 * Moves a damaged file aside as `<file>.corrupt-<timestamp>` so it is kept for inspection and
 * never silently replaced. Returns the new path, or undefined if the file vanished meanwhile.
 */
export function quarantineFile(file: string, now: Date = new Date()): string | undefined {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const target = `${file}.corrupt-${stamp}-${randomBytes(2).toString('hex')}`;
  try {
    renameSync(file, target);
    return target;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
