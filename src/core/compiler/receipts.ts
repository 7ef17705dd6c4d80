/**
 * Compiler receipts: `compiler/last_receipt.json` (the Python package's keys plus `receipt_id`,
 * `started_at`, `finished_at`) and a bounded, append-only history `compiler/receipts.jsonl`
 * (one compact JSON object per line, newest last). The history is trimmed to the newest
 * RECEIPT_HISTORY_MAX_ENTRIES entries / RECEIPT_HISTORY_MAX_BYTES bytes; a torn last line (crash
 * mid-append) is skipped by readers and never glued to the next entry.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, fsyncSync, readSync, writeSync } from 'node:fs';
import { ReceiptSchema, type Envelope, type Receipt } from '../schemas.js';
import { writeFileAtomic, writeJsonAtomic } from '../fs/atomic.js';
import { openAppendNoFollow } from '../fs/safe.js';
import { reportMovedAside } from '../log.js';
import type { StatePaths } from '../paths.js';
import { readRegularText } from '../fs/safe.js';

/** One receipt (a line of the history or `last_receipt.json`), or undefined when it is not one. */
export function parseReceipt(text: string): Receipt | undefined {
  try {
    const result = ReceiptSchema.safeParse(JSON.parse(text));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}

/** Entries kept in `receipts.jsonl`. */
export const RECEIPT_HISTORY_MAX_ENTRIES = 500;
/** Size past which `receipts.jsonl` is trimmed (to half of it). */
export const RECEIPT_HISTORY_MAX_BYTES = 4 * 1024 * 1024;

/** A new receipt id: UTC time (sortable) plus randomness, `[0-9A-Za-z-]` only (used in file names). */
export function newReceiptId(now: Date = new Date()): string {
  return `${now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.(\d{3})Z$/, '$1Z')}-${randomBytes(3).toString('hex')}`;
}

/** Counts of memory actions in a batch: missing action = add, missing scope = global. */
export function memoryActionStats(envelopes: readonly Envelope[]): Record<string, unknown> {
  const byAction = { add: 0, replace: 0, remove: 0 };
  const byScope = { user: 0, global: 0 };
  let total = 0;
  for (const envelope of envelopes) {
    for (const suggestion of envelope.suggestions) {
      if (suggestion.family !== 'memory_updates') continue;
      total++;
      const details = suggestion.details as Record<string, unknown>;
      const action =
        typeof details.action === 'string' ? details.action.trim().toLowerCase() || 'add' : 'add';
      const scope =
        typeof details.scope === 'string' ? details.scope.trim().toLowerCase() || 'global' : 'global';
      if (action in byAction) byAction[action as keyof typeof byAction]++;
      if (scope in byScope) byScope[scope as keyof typeof byScope]++;
    }
  }
  return total === 0 ? {} : { total, by_action: byAction, by_scope: byScope };
}

/** Adds two memory_action_stats objects (for a multi-batch run). */
export function addActionStats(
  a: Record<string, unknown>,
  b: Record<string, unknown>,
): Record<string, unknown> {
  if (Object.keys(a).length === 0) return b;
  if (Object.keys(b).length === 0) return a;
  const sum = (x: unknown, y: unknown): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries((x as Record<string, number>) ?? {})) out[k] = (out[k] ?? 0) + v;
    for (const [k, v] of Object.entries((y as Record<string, number>) ?? {})) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  return {
    total: (a.total as number) + (b.total as number),
    by_action: sum(a.by_action, b.by_action),
    by_scope: sum(a.by_scope, b.by_scope),
  };
}

function endsWithNewline(fd: number): boolean {
  const size = fstatSync(fd).size;
  if (size === 0) return true;
  const buffer = Buffer.alloc(1);
  readSync(fd, buffer, 0, 1, size - 1);
  return buffer[0] === 0x0a;
}

/** Appends one receipt to the history (fsynced), trimming the file when it grew past the limit. */
export function appendReceiptHistory(paths: StatePaths, receipt: Record<string, unknown>): void {
  // O_NOFOLLOW: a symlink planted as receipts.jsonl is moved aside, never appended through.
  const fd = openAppendNoFollow(paths.receiptsLog, { read: true, onMovedAside: reportMovedAside });
  let size: number;
  try {
    // Recovery after a crash between this append and last_receipt.json writes the receipt
    // again: the history keeps one line per receipt id.
    if (typeof receipt.receipt_id === 'string' && lastLineReceiptId(fd) === receipt.receipt_id) return;
    const line = `${endsWithNewline(fd) ? '' : '\n'}${JSON.stringify(receipt)}\n`;
    writeSync(fd, line);
    fsyncSync(fd);
    size = fstatSync(fd).size;
  } finally {
    closeSync(fd);
  }
  if (size > RECEIPT_HISTORY_MAX_BYTES)
    trimReceiptHistory(paths, { maxBytes: RECEIPT_HISTORY_MAX_BYTES / 2 });
}

/** The `receipt_id` of the last complete line of the history (reads at most its last 256 KiB). */
function lastLineReceiptId(fd: number): string | undefined {
  const size = fstatSync(fd).size;
  if (size === 0) return undefined;
  const length = Math.min(size, 256 * 1024);
  const buffer = Buffer.alloc(length);
  readSync(fd, buffer, 0, length, size - length);
  const lines = buffer
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  return parseReceipt(lines[lines.length - 1] ?? '')?.receipt_id;
}

/** Writes a receipt: history first, then `last_receipt.json` (so the latter implies the former). */
export function writeReceipt(
  paths: StatePaths,
  receipt: Record<string, unknown>,
  options: { history?: boolean } = {},
): void {
  if (options.history !== false) appendReceiptHistory(paths, receipt);
  writeJsonAtomic(paths.lastReceipt, receipt);
}

/** The `receipt_id` of `last_receipt.json`, if readable. */
export function lastReceiptId(paths: StatePaths): string | undefined {
  try {
    return parseReceipt(readRegularText(paths.lastReceipt))?.receipt_id;
  } catch {
    return undefined;
  }
}

/**
 * Reads the receipt history, oldest first; damaged lines (a torn line from a crash mid-append, or
 * one that is not a receipt) are skipped.
 */
export function readReceiptHistory(paths: StatePaths): Receipt[] {
  let text: string;
  try {
    text = readRegularText(paths.receiptsLog);
  } catch {
    return [];
  }
  const out: Receipt[] = [];
  for (const line of text.split('\n')) {
    const receipt = line ? parseReceipt(line) : undefined;
    if (receipt) out.push(receipt);
  }
  return out;
}

/**
 * Keeps the newest entries of the history: at most `maxEntries` and at most `maxBytes` bytes.
 * Rewritten atomically. Returns how many entries were removed.
 */
export function trimReceiptHistory(
  paths: StatePaths,
  options: { maxEntries?: number; maxBytes?: number } = {},
): number {
  const maxEntries = options.maxEntries ?? RECEIPT_HISTORY_MAX_ENTRIES;
  const maxBytes = options.maxBytes ?? RECEIPT_HISTORY_MAX_BYTES;
  let text: string;
  try {
    text = readRegularText(paths.receiptsLog);
  } catch {
    return 0;
  }
  const lines = text.split('\n').filter((l) => l !== '');
  const kept: string[] = [];
  let bytes = 0;
  for (let i = lines.length - 1; i >= 0 && kept.length < maxEntries; i--) {
    const line = lines[i]!;
    const size = Buffer.byteLength(line) + 1;
    if (bytes + size > maxBytes && kept.length > 0) break;
    kept.push(line);
    bytes += size;
  }
  if (kept.length === lines.length) return 0;
  kept.reverse();
  writeFileAtomic(paths.receiptsLog, `${kept.join('\n')}\n`);
  return lines.length - kept.length;
}
