/**
 * Applying a compile. The compiler is the only writer of memory,
 * recall and skills. Deciding and doing are separate:
 *
 * 1. `guardArtifacts` checks a backend's output whatever the backend: skill ids match
 *    `[a-z0-9-]` (no path can escape `skills/managed/`), only entries this tool owns change,
 *    foreign manifest entries pass through untouched, records that would break recall are dropped.
 * 2. `planApply` turns artifacts into a list of whole-file writes (unchanged files are skipped).
 * 3. `commitApply` applies the list as one transaction:
 *    stage every file as `.<name>.stage-<txid>` next to its target (fsynced) → write
 *    `compiler/apply-journal.json` (the commit point) → rename the staged files over their targets
 *    in plan order → move the batch's envelopes to `done/` → write the receipt → remove the journal.
 *    A crash before the journal leaves only stage files (removed on the next run; the envelopes
 *    return to the queue). A crash after it is rolled forward by `recoverJournal` on the next run:
 *    remaining renames, envelopes to `done/`, the receipt. Either way no suggestion is lost or
 *    applied twice.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeSync,
  existsSync,
} from 'node:fs';
import { basename, dirname, isAbsolute, join, relative } from 'node:path';
import { z } from 'zod';
import { utcNow } from '../constants.js';
import { AppError } from '../errors.js';
import { parseJsonWith, quarantineFile, writeJsonAtomic } from '../fs/atomic.js';
import { renderMemoryMarkdown } from '../memory/view.js';
import type { StatePaths } from '../paths.js';
import { discardRaw, envelopePath, moveEnvelope, readEnvelope } from '../queue/queue.js';
import { buildRecallIndex, serializeRecallSearchIndex } from '../recall/index-build.js';
import { MemoryRecordSchema, type MemoryRecord } from '../memory/schema.js';
import { isInactiveMemory } from '../memory/status.js';
import {
  RecallRecordSchema,
  SkillManifestEntrySchema,
  type Envelope,
  type RecallRecord,
  type SkillManifestEntry,
} from '../schemas.js';
import { sortKeysDeep, stableStringify } from '../json.js';
import { isOwnedEntry } from './backends/common.js';
import type { CompileArtifacts, CompiledSkill, ItemReceipt } from './backends/types.js';
import type { CompileContext } from './context.js';
import { crashPoint } from './crash.js';
import { SKILL_ID_PATTERN } from './normalize.js';
import { lastReceiptId, writeReceipt } from './receipts.js';
import { readRegularText } from '../fs/safe.js';

/** Name of the journal under `compiler/`. */
export function journalPath(paths: StatePaths): string {
  return join(paths.compilerDir, 'apply-journal.json');
}

// ---------------------------------------------------------------- guard

/**
 * Makes a backend's output safe to apply. Never throws: whatever is refused is dropped and
 * reported as a discarded item. For the script backend this changes nothing.
 */
export function guardArtifacts(
  artifacts: CompileArtifacts,
  context: CompileContext,
  paths: StatePaths,
): CompileArtifacts {
  const items: ItemReceipt[] = [];
  const before = new Map(context.manifest.map((e) => [e.skill_id, e]));

  const skills: CompiledSkill[] = [];
  const refused = new Set<string>();
  for (const skill of artifacts.skills) {
    const prev = before.get(skill.skill_id);
    let reason: string | undefined;
    if (typeof skill.skill_id !== 'string' || !SKILL_ID_PATTERN.test(skill.skill_id))
      reason = 'invalid_skill_id';
    else if (prev && !isOwnedEntry(prev)) reason = 'ownership_violation';
    else if (!prev && skill.action !== 'create') reason = 'missing_managed_skill';
    if (reason) {
      refused.add(String(skill.skill_id));
      items.push({
        state: 'discarded',
        kind: 'guard',
        family: 'skill_action',
        reason,
        skill_id: String(skill.skill_id).slice(0, 80),
      });
    } else {
      skills.push(skill);
    }
  }

  // Foreign entries pass through verbatim; ours come from the backend (refused ones stay as they were).
  const manifest = new Map<string, SkillManifestEntry>();
  for (const entry of artifacts.manifest) {
    const parsed = SkillManifestEntrySchema.safeParse(entry);
    if (!parsed.success || refused.has(entry.skill_id)) continue;
    const prev = before.get(parsed.data.skill_id);
    if (prev && !isOwnedEntry(prev)) continue;
    manifest.set(parsed.data.skill_id, {
      ...parsed.data,
      path: join(paths.skillsManagedDir, `${parsed.data.skill_id}.md`),
    });
  }
  for (const [id, entry] of before) {
    // Foreign and refused entries stay as they were; no action deletes an entry (retire keeps it).
    if (!isOwnedEntry(entry) || refused.has(id) || !manifest.has(id)) manifest.set(id, entry);
  }

  const recall: RecallRecord[] = [];
  const ids = new Set<string>();
  // Records passed through unchanged (same object) were validated when loaded; only new or
  // changed ones are checked, and stored with sorted keys (planApply relies on it).
  const known = new Set(context.recall);
  for (const record of artifacts.recall) {
    if (known.has(record) && !ids.has(record.id)) {
      ids.add(record.id);
      recall.push(record);
      continue;
    }
    const parsed = RecallRecordSchema.safeParse(record);
    if (!parsed.success || ids.has(parsed.data.id)) {
      items.push({
        state: 'discarded',
        kind: 'guard',
        family: 'recall_candidate',
        reason: parsed.success ? 'duplicate_record_id' : 'invalid_record',
        record_id: String((record as { id?: unknown }).id ?? '').slice(0, 40),
      });
      continue;
    }
    ids.add(parsed.data.id);
    recall.push(sortKeysDeep(parsed.data) as RecallRecord);
  }

  const memory = { user: [] as MemoryRecord[], global: [] as MemoryRecord[] };
  for (const scope of ['user', 'global'] as const) {
    for (const record of artifacts.memory[scope] ?? []) {
      const parsed = MemoryRecordSchema.safeParse(record);
      if (!parsed.success || parsed.data.content.trim() === '') {
        items.push({
          state: 'discarded',
          kind: 'guard',
          family: 'memory_updates',
          scope,
          reason: 'invalid_record',
        });
        continue;
      }
      memory[scope].push({ ...parsed.data, scope });
    }
  }

  return {
    ...artifacts,
    memory,
    recall,
    skills,
    manifest: [...manifest.values()].sort((a, b) =>
      a.skill_id < b.skill_id ? -1 : a.skill_id > b.skill_id ? 1 : 0,
    ),
    items: items.length > 0 ? [...artifacts.items, ...items] : artifacts.items,
  };
}

// ---------------------------------------------------------------- plan

/** One whole-file write of the plan (a Buffer for byte-exact restores by `undo`). */
export interface PlannedWrite {
  target: string;
  content: string | Buffer;
}

/** The writes of one batch, in commit order. */
export interface ApplyPlan {
  writes: PlannedWrite[];
  /** Targets whose content did not change (not written). */
  unchanged: string[];
  /** Files removed after the writes (only `undo` of a compile that created them uses this). */
  deletes?: string[];
}

/** `recall/compiled.md`. */
export function renderCompiledRecall(records: readonly RecallRecord[]): string {
  const parts = ['# Compiled Recall', ''];
  for (const r of records)
    parts.push(
      `## ${r.summary}`,
      '',
      r.content.trim(),
      '',
      `Provenance: ${(r.source_paths ?? []).join(', ')}`,
      '',
    );
  return `${parts.join('\n').trimEnd()}\n`;
}

/** `skills/managed/<id>.md`. */
export function renderSkillFile(skill: CompiledSkill): string {
  return skill.status === 'retired'
    ? `# ${skill.title}\n\nStatus: retired\n`
    : `# ${skill.title}\n\n${skill.content.trim()}\n`;
}

/** A write or delete aimed outside the state dir (a hostile undo manifest or journal): refused. */
export class UnsafeTargetError extends AppError {}

function assertInside(root: string, target: string): void {
  const rel = relative(root, target);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel))
    throw new UnsafeTargetError(`refusing to write outside the state dir: ${target}`);
}

function currentText(context: CompileContext, target: string): string | undefined {
  if (context.texts.has(target)) return context.texts.get(target);
  try {
    return readRegularText(target);
  } catch {
    return undefined;
  }
}

/** Options of {@link planApply}. */
export interface PlanOptions {
  /**
   * Build `recall/search-index.json` in this commit (default true). A drain sets it only for its
   * last batch: the index is a cache whose freshness readers check against `index.json` (ids in
   * order) and rebuild in memory when stale, and building it for every intermediate batch made a
   * 10,000-suggestion drain quadratic.
   */
  searchIndex?: boolean;
}

/**
 * Computes the writes of a batch (pure apart from reading skill files to compare). Order: memory
 * (memory.json first: it is the source of truth), recall (search index last), skill files,
 * manifest last (so a listed skill always has its file).
 */
export function planApply(
  paths: StatePaths,
  context: CompileContext,
  artifacts: CompileArtifacts,
  options: PlanOptions = {},
): ApplyPlan {
  const candidates: PlannedWrite[] = [
    {
      target: paths.memoryJson,
      content: `${stableStringify({ user: artifacts.memory.user, global: artifacts.memory.global })}\n`,
    },
    {
      target: paths.userMd,
      content: renderMemoryMarkdown(
        'USER',
        artifacts.memory.user.filter((r) => !isInactiveMemory(r)),
      ),
    },
    {
      target: paths.memoryMd,
      content: renderMemoryMarkdown(
        'MEMORY',
        artifacts.memory.global.filter((r) => !isInactiveMemory(r)),
      ),
    },
  ];
  // Records carry sorted keys (context loader, backend, guard), so plain JSON.stringify gives the
  // same bytes as stableStringify without a deep copy of the largest file.
  const recallJson = `${JSON.stringify({ records: artifacts.recall }, null, 2)}\n`;
  candidates.push(
    { target: paths.recallIndex, content: recallJson },
    { target: paths.recallCompiled, content: renderCompiledRecall(artifacts.recall) },
  );
  const recallChanged = currentText(context, paths.recallIndex) !== recallJson;
  const searchStale =
    recallChanged || !context.searchIndexFresh || !context.texts.has(paths.recallSearchIndex);
  if (searchStale && options.searchIndex !== false) {
    // Compact and pure ASCII (fast to load): it is a machine file, and the largest one.
    // Built over the exact bytes of the index.json of this commit, so queries can read single records.
    const index = buildRecallIndex(artifacts.recall, { source: Buffer.from(recallJson, 'utf8') });
    candidates.push({ target: paths.recallSearchIndex, content: `${serializeRecallSearchIndex(index)}\n` });
  }
  const skills = [...artifacts.skills].sort((a, b) => (a.skill_id < b.skill_id ? -1 : 1));
  for (const skill of skills) {
    if (!SKILL_ID_PATTERN.test(skill.skill_id))
      throw new Error(`invalid skill id reached apply: ${JSON.stringify(skill.skill_id)}`);
    candidates.push({
      target: join(paths.skillsManagedDir, `${skill.skill_id}.md`),
      content: renderSkillFile(skill),
    });
  }
  candidates.push({
    target: paths.skillsManifest,
    content: `${stableStringify({ skills: artifacts.manifest })}\n`,
  });

  const plan: ApplyPlan = { writes: [], unchanged: [] };
  for (const write of candidates) {
    assertInside(paths.stateDir, write.target);
    if (currentText(context, write.target) === write.content) plan.unchanged.push(write.target);
    else plan.writes.push(write);
  }
  return plan;
}

/** The context after a plan was committed (the compiler is the only writer, so no re-read). */
export function contextAfter(
  context: CompileContext,
  artifacts: CompileArtifacts,
  plan: ApplyPlan,
  paths: StatePaths,
): CompileContext {
  const texts = new Map(context.texts);
  for (const write of plan.writes) {
    // Skill files are read on demand; keep the map to the fixed asset files.
    if (dirname(write.target) !== paths.skillsManagedDir)
      texts.set(
        write.target,
        typeof write.content === 'string' ? write.content : write.content.toString('utf8'),
      );
  }
  return {
    ...context,
    memory: artifacts.memory,
    recall: artifacts.recall,
    manifest: artifacts.manifest,
    texts,
    searchIndexFresh:
      plan.writes.some((w) => w.target === paths.recallSearchIndex) ||
      (context.searchIndexFresh && !plan.writes.some((w) => w.target === paths.recallIndex)),
    problems: [],
  };
}

// ---------------------------------------------------------------- commit

/**
 * `compiler/apply-journal.json`, written at the commit point. Read back only to roll an
 * interrupted apply forward; a journal that does not match is kept aside as not committed.
 */
export const ApplyJournalSchema = z.looseObject({
  version: z.literal(1),
  txid: z.string(),
  state: z.literal('committing').optional(),
  created_at: z.string().optional(),
  pid: z.number().optional(),
  files: z.array(z.looseObject({ target: z.string(), staged: z.string() })),
  /** Files to remove after the renames (optional: journals written before it have none). */
  deletes: z.array(z.string()).optional(),
  envelopes: z.array(z.string()),
  receipt: z.record(z.string(), z.unknown()),
});
export type ApplyJournal = z.infer<typeof ApplyJournalSchema>;

// ---------------------------------------------------------------- undo images

/** Undo records kept (`compiler/undo/<receipt-id>/`), newest first; older ones are removed. */
export const UNDO_KEEP = 50;

/** `compiler/undo/`. */
export function undoRoot(paths: StatePaths): string {
  return join(paths.compilerDir, 'undo');
}

/** `compiler/undo/<txid>/manifest.json`: what one commit changed, enough to revert it byte for byte. */
export const UndoManifestSchema = z.looseObject({
  version: z.literal(1),
  receipt_id: z.string(),
  created_at: z.string(),
  /** Targets relative to the state dir; `before`: image file name in this dir, null when the file did not
   * exist; `after_sha256`: null when the commit removed it. */
  files: z.array(
    z.looseObject({ target: z.string(), before: z.string().nullable(), after_sha256: z.string().nullable() }),
  ),
  undone_by: z.string().optional(),
});
export type UndoManifest = z.infer<typeof UndoManifestSchema>;

/** sha256 of some bytes (hex). */
export function sha256(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

/**
 * Keeps the before-image of every file a commit is about to replace or remove. Files are only
 * ever replaced by rename (never rewritten in place), so a hard link keeps the old bytes at no
 * cost; a file system without links gets a copy. Runs before the commit point: a failure aborts
 * the batch with nothing applied.
 */
function saveBeforeImages(
  paths: StatePaths,
  txid: string,
  writes: readonly PlannedWrite[],
  deletes: readonly string[],
): string {
  const dir = join(undoRoot(paths), txid);
  mkdirSync(dir, { recursive: true });
  const files: UndoManifest['files'] = [];
  const keep = (target: string, after: string | null, n: number) => {
    let before: string | null = null;
    if (existsSync(target)) {
      before = `${n}.before`;
      try {
        linkSync(target, join(dir, before));
      } catch {
        copyFileSync(target, join(dir, before));
      }
    }
    files.push({ target: relative(paths.stateDir, target), before, after_sha256: after });
  };
  writes.forEach((w, i) => keep(w.target, sha256(w.content), i));
  deletes.forEach((d, i) => keep(d, null, writes.length + i));
  const manifest: UndoManifest = { version: 1, receipt_id: txid, created_at: utcNow(), files };
  writeJsonAtomic(join(dir, 'manifest.json'), manifest);
  return dir;
}

/** Removes the oldest undo records past {@link UNDO_KEEP} (ids sort by time). */
export function pruneUndo(paths: StatePaths, keep = UNDO_KEEP): number {
  let names: string[];
  try {
    names = readdirSync(undoRoot(paths))
      .filter((n) => /^[0-9A-Za-z-]+$/.test(n))
      .sort();
  } catch {
    return 0;
  }
  const drop = names.slice(0, Math.max(0, names.length - keep));
  for (const name of drop) rmSync(join(undoRoot(paths), name), { recursive: true, force: true });
  return drop.length;
}

function stagedPathFor(target: string, txid: string): string {
  return join(dirname(target), `.${basename(target)}.stage-${txid}`);
}

const STAGE_PATTERN = /^\..+\.stage-[0-9A-Za-z-]+$/;

function writeStaged(path: string, content: string | Buffer): void {
  const fd = openSync(path, 'wx', 0o600);
  try {
    const buffer = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    let offset = 0;
    while (offset < buffer.length) offset += writeSync(fd, buffer, offset, buffer.length - offset);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function fsyncDirs(dirs: Iterable<string>): void {
  for (const dir of dirs) {
    let fd: number | undefined;
    try {
      fd = openSync(dir, 'r');
      fsyncSync(fd);
    } catch {
      // Not supported everywhere; the renames are atomic regardless.
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}

/** Removes stage files no journal refers to (a crash before the commit point). Returns how many. */
export function removeOrphanStages(paths: StatePaths): number {
  let removed = 0;
  for (const dir of [paths.memoryDir, paths.recallDir, paths.skillsDir, paths.skillsManagedDir]) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      if (!STAGE_PATTERN.test(name)) continue;
      removeQuietly(join(dir, name));
      removed++;
    }
  }
  return removed;
}

export interface CommitInput {
  txid: string;
  plan: ApplyPlan;
  /** Envelopes of the batch, still in `processing/` (as claimed, with their claim transition). */
  envelopes: readonly Envelope[];
  receipt: Record<string, unknown>;
  /** Batch number, for the crash hook. */
  batch?: number;
  /** Called just before the commit point; throws to abort (e.g. the lock was lost). */
  beforeCommit?: () => void;
}

/** Completes a journaled transaction. `batch` is set for a live commit (crash hooks), not for a recovery. */
function finishJournal(
  paths: StatePaths,
  journal: ApplyJournal,
  batch: number | undefined,
  claimed?: ReadonlyMap<string, Envelope>,
): void {
  for (const id of journal.envelopes) {
    const from = envelopePath(paths, 'processing', id);
    if (!existsSync(from)) continue;
    try {
      // No fsync per done file: the batch's outcome is already durable (assets + journal); done/
      // is an archive, fsynced once below. This is most of a large compile's I/O otherwise.
      moveEnvelope(
        paths,
        claimed?.get(id) ?? readEnvelope(from),
        from,
        'done',
        'done',
        { failure_reason: null },
        { fsync: false },
      );
    } catch (error) {
      // It was valid when claimed; if it is damaged now, keep it for a human instead of wedging.
      discardRaw(
        paths,
        from,
        id,
        `damaged after apply: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  fsyncDirs([paths.queue.done, paths.queue.processing]);
  if (batch !== undefined) crashPoint('after-done', batch);
  if (lastReceiptId(paths) !== journal.txid) writeReceipt(paths, journal.receipt);
  if (batch !== undefined) crashPoint('after-receipt', batch);
  removeQuietly(journalPath(paths));
}

/**
 * Commits a plan as one transaction (see the module comment). Before the commit point a failure
 * removes the stage files and rethrows (nothing was applied); after it, the journal guarantees
 * the transaction completes (now or on the next run).
 */
export function commitApply(paths: StatePaths, input: CommitInput): void {
  const batch = input.batch ?? 1;
  const files = input.plan.writes.map((w) => ({
    target: w.target,
    staged: stagedPathFor(w.target, input.txid),
  }));
  const deletes = (input.plan.deletes ?? []).filter((d) => existsSync(d));
  for (const d of deletes) assertInside(paths.stateDir, d);
  let undoDir: string | undefined;
  const abort = () => {
    for (const file of files) removeQuietly(file.staged);
    if (undoDir) rmSync(undoDir, { recursive: true, force: true });
  };
  try {
    input.plan.writes.forEach((write, i) => writeStaged(files[i]!.staged, write.content));
    crashPoint('after-stage', batch);
    fsyncDirs(new Set(files.map((f) => dirname(f.target))));
    if (files.length + deletes.length > 0) {
      undoDir = saveBeforeImages(paths, input.txid, input.plan.writes, deletes);
      input.receipt.undo_path = relative(paths.stateDir, undoDir);
    }
    input.beforeCommit?.();
  } catch (error) {
    abort();
    throw error;
  }
  const journal: ApplyJournal = {
    version: 1,
    txid: input.txid,
    state: 'committing',
    created_at: utcNow(),
    pid: process.pid,
    files,
    ...(deletes.length > 0 ? { deletes } : {}),
    envelopes: input.envelopes.map((e) => e.suggestion_id),
    receipt: input.receipt,
  };
  try {
    writeJsonAtomic(journalPath(paths), journal);
  } catch (error) {
    abort();
    throw error;
  }
  crashPoint('after-journal', batch);
  // Commit point passed: from here on the transaction only moves forward.
  files.forEach((file, i) => {
    renameSync(file.staged, file.target);
    if (i === 0) crashPoint('mid-commit', batch);
  });
  for (const d of deletes) removeQuietly(d);
  fsyncDirs(new Set([...files.map((f) => dirname(f.target)), ...deletes.map((d) => dirname(d))]));
  crashPoint('after-commit', batch);
  finishJournal(paths, journal, batch, new Map(input.envelopes.map((e) => [e.suggestion_id, e])));
  if (undoDir) pruneUndo(paths);
}

/** What `recoverJournal` found and did. */
export interface JournalRecovery {
  status: 'none' | 'rolled_forward' | 'quarantined';
  txid: string | null;
  files_renamed: number;
  envelopes: number;
  stage_files_removed: number;
  kept_aside: string | null;
}

/**
 * Completes or cleans up an interrupted apply (call under the compile lock, before claiming).
 * A journal is rolled forward; stage files without a journal are removed (their batch never
 * reached the commit point, its envelopes go back to the queue through `recoverStranded`). A
 * damaged journal is kept aside and treated as not committed.
 */
export function recoverJournal(paths: StatePaths): JournalRecovery {
  const result: JournalRecovery = {
    status: 'none',
    txid: null,
    files_renamed: 0,
    envelopes: 0,
    stage_files_removed: 0,
    kept_aside: null,
  };
  const file = journalPath(paths);
  let text: string | undefined;
  try {
    text = readRegularText(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (text !== undefined) {
    let journal: ApplyJournal | undefined;
    try {
      journal = parseJsonWith(ApplyJournalSchema, text, file);
    } catch {
      journal = undefined;
    }
    if (!journal) {
      result.status = 'quarantined';
      result.kept_aside = quarantineFile(file) ?? null;
    } else {
      result.status = 'rolled_forward';
      result.txid = journal.txid;
      const dirs = new Set<string>();
      for (const f of journal.files) {
        // Journal paths were written by us; still, never rename outside the state dir.
        assertInside(paths.stateDir, f.target);
        assertInside(paths.stateDir, f.staged);
        if (!existsSync(f.staged)) continue;
        renameSync(f.staged, f.target);
        dirs.add(dirname(f.target));
        result.files_renamed++;
      }
      for (const d of journal.deletes ?? []) {
        assertInside(paths.stateDir, d);
        removeQuietly(d);
        dirs.add(dirname(d));
      }
      fsyncDirs(dirs);
      result.envelopes = journal.envelopes.filter((id) =>
        existsSync(envelopePath(paths, 'processing', id)),
      ).length;
      finishJournal(paths, { ...journal, receipt: { ...journal.receipt, recovered: true } }, undefined);
    }
  }
  result.stage_files_removed = removeOrphanStages(paths);
  return result;
}
