/**
 * The memory-edit flow: changes a user asks for by hand, `memory forget|restore|edit` and `undo`.
 * Each runs under the compile lock (the compiler is the only writer of assets), through the same
 * journaled commit as a compile, and writes a receipt with before-images, so every manual change
 * is itself listed by `history` and can be undone. The CLI calls it; it calls the compiler (the
 * compiler never imports it). The record transitions themselves are memory/lifecycle.ts.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { utcNow, type MemoryScope } from '../constants.js';
import { readEnv } from '../env.js';
import { AppError, SchemaError, UsageError } from '../errors.js';
import { parseJsonWith, writeJsonAtomic } from '../fs/atomic.js';
import type { StatePaths } from '../paths.js';
import { edited, forgotten, restored } from '../memory/lifecycle.js';
import type { MemoryRecord } from '../memory/schema.js';
import {
  commitApply,
  planApply,
  recoverJournal,
  sha256,
  undoRoot,
  type ApplyPlan,
  UndoManifestSchema,
  type UndoManifest,
} from '../compiler/apply.js';
import type { CompileArtifacts } from '../compiler/backends/types.js';
import { publishNativeSkills } from '../compiler/compile.js';
import { loadCompileContext } from '../compiler/context.js';
import { lessonIdFor } from '../compiler/normalize.js';
import { newReceiptId, readReceiptHistory } from '../compiler/receipts.js';
import { readRegularText } from '../fs/safe.js';
import { withLock, type HeldLock } from '../lock/lock.js';

/** The lock is held by a running compile: try again in a moment. */
export class BucketBusyError extends AppError {}
/** An undo that would overwrite later changes. */
export class UndoConflictError extends AppError {}

/** An undo whose record is not ours to follow (targets outside the state dir): refused, exit 1. */
export class UndoRefusedError extends AppError {}

/** How long memory/review/undo commands wait for a running compile (`..._LOCK_WAIT_SECONDS`). */
export const LOCK_WAIT_MS = 30_000;

let waitNotice: ((ownerPid: number | null) => void) | undefined;

/** Sets what is told (once per wait) while a command waits for a compile; the CLI prints a line. */
export function setLockWaitNotice(notice: ((ownerPid: number | null) => void) | undefined): void {
  waitNotice = notice;
}

function lockWaitMs(): number {
  const raw = Number(readEnv('CODEX_SELF_EVOLUTION_LOCK_WAIT_SECONDS'));
  return Number.isFinite(raw) && raw >= 0 && readEnv('CODEX_SELF_EVOLUTION_LOCK_WAIT_SECONDS') !== undefined
    ? raw * 1000
    : LOCK_WAIT_MS;
}

/**
 * Runs `fn` holding the bucket's compile lock, after completing any interrupted apply. A running
 * compile is waited for (up to {@link LOCK_WAIT_MS}; compiles take seconds) instead of failing.
 */
export async function withCompileLock<T>(
  paths: StatePaths,
  fn: (lock: HeldLock) => T | Promise<T>,
): Promise<T> {
  if (!existsSync(paths.stateDir))
    throw new UsageError(`no learned state for this repository (${paths.stateDir} does not exist)`);
  const waitMs = lockWaitMs();
  const result = await withLock(
    paths.lockFile,
    (lock) => {
      recoverJournal(paths);
      return fn(lock);
    },
    { waitMs, onWait: (status) => waitNotice?.(status.owner_pid) },
  );
  if (!result.acquired) {
    throw new BucketBusyError(
      `a compile holds the lock of this repository (pid ${String(result.status.owner_pid ?? '?')}) and did not finish within ${Math.round(waitMs / 1000)} s`,
      { hint: 'try again when it finishes' },
    );
  }
  return result.value;
}

/** Memory with every entry carrying its id (entries from before ids get the compiler's derivation). */
export function memoryWithIds(
  memory: Record<MemoryScope, MemoryRecord[]>,
): Record<MemoryScope, MemoryRecord[]> {
  const taken = new Set<string>();
  const out = { user: [] as MemoryRecord[], global: [] as MemoryRecord[] };
  for (const scope of ['user', 'global'] as const) {
    for (const record of memory[scope]) {
      const raw = record.id;
      const id = raw && !taken.has(raw) ? raw : lessonIdFor(scope, record.content, taken);
      taken.add(id);
      out[scope].push(id === raw ? record : { ...record, id });
    }
  }
  return out;
}

/** What a manual memory change did. */
export interface ManualChangeResult {
  receipt_id: string | null;
  record: MemoryRecord;
  scope: MemoryScope;
}

/**
 * Changes one memory entry (found by id, or an unambiguous id prefix of at least 4 characters)
 * with `mutate`, as one journaled commit with a `run_status: "manual"` receipt.
 */
export async function changeMemoryEntry(
  paths: StatePaths,
  id: string,
  action: string,
  mutate: (record: MemoryRecord, now: string) => MemoryRecord,
): Promise<ManualChangeResult> {
  return withCompileLock(paths, (lock) => {
    const context = loadCompileContext(paths);
    const memory = memoryWithIds(context.memory);
    const matches: Array<{ scope: MemoryScope; index: number }> = [];
    for (const scope of ['user', 'global'] as const) {
      memory[scope].forEach((r, index) => {
        const rid = String(r.id);
        if (rid === id || (id.length >= 4 && rid.startsWith(id))) matches.push({ scope, index });
      });
    }
    if (matches.length === 0)
      throw new UsageError(`no memory entry ${id}`, { hint: 'see `codex-self-evolution memory list --all`' });
    if (matches.length > 1)
      throw new UsageError(`${matches.length} memory entries start with ${id}; give more of the id`);
    const { scope, index } = matches[0]!;
    const now = utcNow();
    const record = mutate(memory[scope][index]!, now);
    memory[scope] = memory[scope].map((r, i) => (i === index ? record : r));
    const artifacts: CompileArtifacts = {
      memory,
      recall: context.recall,
      skills: [],
      manifest: context.manifest,
      items: [],
      backend: 'manual',
      fallback_backend: null,
    };
    const plan = planApply(paths, context, artifacts, { searchIndex: false });
    if (plan.writes.length === 0) return { receipt_id: null, record, scope };
    const receiptId = newReceiptId();
    const receipt = {
      receipt_id: receiptId,
      run_status: 'manual',
      action,
      backend: null,
      fallback_backend: null,
      processed_count: 0,
      memory_records: memory.user.length + memory.global.length,
      recall_records: context.recall.length,
      managed_skills: 0,
      item_receipts: [
        {
          kind: 'manual',
          state: 'applied',
          action,
          scope,
          record_id: record.id,
          summary: record.summary.slice(0, 120),
        },
      ],
      skip_reason: null,
      memory_action_stats: {},
      started_at: now,
      finished_at: utcNow(),
    };
    commitApply(paths, {
      txid: receiptId,
      plan,
      envelopes: [],
      receipt,
      beforeCommit: () => lock.assertHeld(),
    });
    return { receipt_id: receiptId, record, scope };
  });
}

/** `memory forget`: status forgotten (kept in history; a session restating it does not bring it back). */
export function forgetMutation(reason: string) {
  return (record: MemoryRecord, now: string): MemoryRecord => forgotten(record, now, reason);
}

/** `memory restore`: active again (from archived, stale, forgotten, superseded or retired). */
export function restoreMutation(record: MemoryRecord, now: string): MemoryRecord {
  return restored(record, now);
}

/** `memory edit`: new content and/or summary, same id. */
export function editMutation(changes: { content?: string; summary?: string }) {
  if (changes.content === undefined && changes.summary === undefined)
    throw new UsageError('nothing to edit: give --content and/or --summary');
  if (changes.content !== undefined && changes.content.trim() === '')
    throw new UsageError('--content must not be empty (use `memory forget` to drop an entry)');
  const trimmed = {
    ...(changes.content !== undefined ? { content: changes.content.trim() } : {}),
    ...(changes.summary !== undefined ? { summary: changes.summary.trim() } : {}),
  };
  return (record: MemoryRecord, now: string): MemoryRecord => edited(record, now, trimmed);
}

// ---------------------------------------------------------------- undo

/**
 * The undo record of a receipt: undefined when there is none (or it cannot be read); a record
 * that does not match its schema is refused with the reason, and nothing is changed.
 */
function readUndoManifest(paths: StatePaths, id: string): UndoManifest | undefined {
  if (!/^[0-9A-Za-z-]{1,80}$/.test(id)) throw new UsageError(`not a receipt id: ${JSON.stringify(id)}`);
  const file = join(undoRoot(paths), id, 'manifest.json');
  let text: string;
  try {
    text = readRegularText(file);
  } catch {
    return undefined;
  }
  try {
    return parseJsonWith(UndoManifestSchema, text, file);
  } catch (error) {
    throw new UndoRefusedError(
      `refusing to undo ${id}: its undo record is damaged (${error instanceof SchemaError ? error.issues.slice(0, 3).join('; ') : String(error)})`,
      { hint: `nothing was changed; the record is ${file}` },
    );
  }
}

function isInside(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

function currentHash(file: string): string | null {
  try {
    return sha256(readFileSync(file));
  } catch {
    return null;
  }
}

/** Receipt ids that have an undo record, oldest first. */
export function undoableReceiptIds(paths: StatePaths): string[] {
  try {
    return readdirSync(undoRoot(paths))
      .filter((n) => /^[0-9A-Za-z-]+$/.test(n) && existsSync(join(undoRoot(paths), n, 'manifest.json')))
      .sort();
  } catch {
    return [];
  }
}

/** What an undo did. */
export interface UndoResult {
  undone: string;
  receipt_id: string;
  files: Array<{ target: string; action: 'restored' | 'removed' }>;
}

/**
 * Reverts one commit's file changes byte for byte. Refuses when any of its files changed since
 * (a later compile or manual change touched it): undo the later ones first, newest first. The
 * undo is itself a commit with a receipt and before-images (so it can be undone too). Envelopes
 * stay in `done/`: the suggestions are not re-applied by the next compile.
 */
export async function undoReceipt(paths: StatePaths, id: string): Promise<UndoResult> {
  const result = await withCompileLock(paths, (lock) => {
    const manifest = readUndoManifest(paths, id);
    if (!manifest) {
      const known = readReceiptHistory(paths).some((r) => r.receipt_id === id);
      throw new UsageError(
        known
          ? `receipt ${id} changed no file or its undo record was pruned (the newest ${50} are kept)`
          : `no receipt ${id}`,
        { hint: 'see `codex-self-evolution history`' },
      );
    }
    if (manifest.undone_by) throw new UsageError(`receipt ${id} was already undone by ${manifest.undone_by}`);
    // The record lives in the state dir, where anything can be planted: every target must stay
    // inside the state dir and every before-image inside the record's folder.
    const unsafe = manifest.files.filter(
      (f) =>
        !isInside(paths.stateDir, join(paths.stateDir, f.target)) ||
        (f.before !== null && !isInside(join(undoRoot(paths), id), join(undoRoot(paths), id, f.before))),
    );
    if (unsafe.length > 0) {
      throw new UndoRefusedError(
        `refusing to undo ${id}: its undo record names ${unsafe.length} file(s) outside the state dir (${unsafe
          .map((f) => JSON.stringify(f?.target ?? f))
          .slice(0, 3)
          .join(', ')})`,
        { hint: `nothing was changed; the record is ${join(undoRoot(paths), id, 'manifest.json')}` },
      );
    }
    const conflicts = manifest.files.filter(
      (f) => currentHash(join(paths.stateDir, f.target)) !== f.after_sha256,
    );
    if (conflicts.length > 0) {
      const later = undoableReceiptIds(paths)
        .filter((other) => other > id)
        .filter((other) => {
          let m: UndoManifest | undefined;
          try {
            m = readUndoManifest(paths, other);
          } catch {
            return false; // A damaged later record cannot be undone either; it is not named.
          }
          return m && !m.undone_by && m.files.some((f) => conflicts.some((c) => c.target === f.target));
        });
      throw new UndoConflictError(
        `cannot undo ${id}: ${conflicts.map((c) => c.target).join(', ')} changed since${later.length > 0 ? ` (by ${later.join(', ')})` : ' (edited outside the compiler?)'}`,
        {
          hint:
            later.length > 0
              ? `undo the later receipts first, newest first: ${[...later].reverse().join(', ')}`
              : 'nothing was changed',
        },
      );
    }
    const plan: ApplyPlan = { writes: [], unchanged: [], deletes: [] };
    const files: UndoResult['files'] = [];
    for (const f of manifest.files) {
      const target = join(paths.stateDir, f.target);
      if (f.before === null) {
        plan.deletes!.push(target);
        files.push({ target: f.target, action: 'removed' });
      } else {
        plan.writes.push({ target, content: readFileSync(join(undoRoot(paths), id, f.before)) });
        files.push({ target: f.target, action: 'restored' });
      }
    }
    const receiptId = newReceiptId();
    const now = utcNow();
    const receipt = {
      receipt_id: receiptId,
      run_status: 'undo',
      undoes: id,
      backend: null,
      fallback_backend: null,
      processed_count: 0,
      item_receipts: files.map((f) => ({ kind: 'undo', state: 'applied', ...f })),
      skip_reason: null,
      memory_action_stats: {},
      started_at: now,
      finished_at: utcNow(),
    };
    commitApply(paths, {
      txid: receiptId,
      plan,
      envelopes: [],
      receipt,
      beforeCommit: () => lock.assertHeld(),
    });
    writeJsonAtomic(join(undoRoot(paths), id, 'manifest.json'), { ...manifest, undone_by: receiptId });
    return { undone: id, receipt_id: receiptId, files };
  });
  // Native skills follow the manifest that is now on disk.
  if (result.files.some((f) => f.target.startsWith('skills/'))) publishNativeSkills(paths);
  return result;
}
