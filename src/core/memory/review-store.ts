/**
 * Human review of suggestions. A policy per kind (`[review] memory|recall|skills =
 * "auto"|"review"`, defaults auto/auto/review) decides at compile time which suggestions wait for
 * a human. Those are staged in `review/staged/<id>.json`, one file per item, written before the
 * batch's commit point with O_EXCL (a retried batch finds them there; nothing is staged twice and
 * nothing is lost across restarts). States: `staged` → `approved` (a one-suggestion envelope
 * `rv…` goes to `suggestions/pending/`, which the next compile applies like any other) or
 * `rejected` (kept with the reason; never deleted silently). `edit` changes a staged item's
 * suggestion and keeps the original.
 *
 * Item ids are derived from (envelope id, suggestion index, part), so they never come from
 * untrusted text and the same suggestion always maps to the same item.
 */
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { utcNow } from '../constants.js';
import { UsageError } from '../errors.js';
import { parseJsonWith, writeJsonAtomic } from '../fs/atomic.js';
import { sha1, type StatePaths } from '../paths.js';
import { envelopePath, findEnvelope } from '../queue/queue.js';
import { SuggestionSchema, type Suggestion } from '../schemas.js';
import { readRegularText } from '../fs/safe.js';

export type ReviewMode = 'auto' | 'review';
export type ReviewKind = 'memory' | 'recall' | 'skills';
export type ReviewPolicy = Record<ReviewKind, ReviewMode>;

/** Defaults: memory and recall are applied, skills (loaded into every session) wait for a human. */
export const DEFAULT_REVIEW_POLICY: ReviewPolicy = { memory: 'auto', recall: 'auto', skills: 'review' };
/** Policy of the library entry points when none is given (the CLI passes the configured one). */
export const AUTO_REVIEW_POLICY: ReviewPolicy = { memory: 'auto', recall: 'auto', skills: 'auto' };

const ID_PATTERN = /^r-[0-9a-f]{10}$/;

/** A staged item, `review/staged/<id>.json`. */
export const StagedItemSchema = z.looseObject({
  version: z.literal(1),
  id: z.string().regex(ID_PATTERN, 'must be r- and 10 hex digits'),
  state: z.enum(['staged', 'approved', 'rejected']),
  kind: z.enum(['memory', 'recall', 'skills']),
  suggestion: SuggestionSchema,
  /** Where it came from. */
  source: z.looseObject({
    suggestion_id: z.string(),
    index: z.number().int().nonnegative(),
    part: z.literal('skill_candidate').optional(),
    thread_id: z.string(),
    turn_id: z.string(),
    cwd: z.string(),
    repo_fingerprint: z.string(),
    reviewer_timestamp: z.string(),
    reviewer_provider: z.string().optional(),
  }),
  staged_at: z.string(),
  decided_at: z.string().optional(),
  reason: z.string().optional(),
  /** Envelope id queued by approve. */
  approved_envelope: z.string().optional(),
  original_suggestion: SuggestionSchema.optional(),
  /**
   * Set when the planted-instruction check (queue/content-check.ts) found a dangerous
   * instruction: the item waits for a human whatever the policy, and is never applied or
   * injected unless approved. Other areas (team memory) exclude flagged items.
   */
  flagged: z.looseObject({ reason: z.string() }).optional(),
  history: z.array(z.looseObject({ at: z.string(), event: z.string(), detail: z.string().optional() })),
});
export type StagedItem = z.infer<typeof StagedItemSchema>;

/** `review/staged/`. */
export function stagedDir(paths: StatePaths): string {
  return join(paths.reviewDir, 'staged');
}

function itemPath(paths: StatePaths, id: string): string {
  if (!ID_PATTERN.test(id))
    throw new UsageError(
      `not a review item id: ${JSON.stringify(id)} (expected r- and 10 hex digits; see \`review list\`)`,
    );
  return join(stagedDir(paths), `${id}.json`);
}

/** Id of the item of a suggestion (part = the skill candidate inside a memory/recall suggestion). */
export function stagedItemId(suggestionId: string, index: number, part?: string): string {
  return `r-${sha1(`${suggestionId}:${index}:${part ?? ''}`).slice(0, 10)}`;
}

/** Writes new staged items (existing ids, whatever their state, are left alone). Returns how many were new.
 * */
export function writeStagedItems(paths: StatePaths, items: readonly StagedItem[]): number {
  if (items.length === 0) return 0;
  mkdirSync(stagedDir(paths), { recursive: true });
  let written = 0;
  for (const item of items) {
    const file = itemPath(paths, item.id);
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw error;
    }
    try {
      writeSync(fd, `${JSON.stringify(item, null, 2)}\n`);
    } finally {
      closeSync(fd);
    }
    written++;
  }
  return written;
}

/** Every item (any state), oldest first. Damaged files are skipped. */
export function listStagedItems(paths: StatePaths): StagedItem[] {
  let names: string[];
  try {
    names = readdirSync(stagedDir(paths)).filter((n) => /^r-[0-9a-f]{10}\.json$/.test(n));
  } catch {
    return [];
  }
  const items: StagedItem[] = [];
  for (const name of names) {
    try {
      const file = join(stagedDir(paths), name);
      items.push(parseJsonWith(StagedItemSchema, readRegularText(file), file));
    } catch {
      // A torn write is impossible (O_EXCL + atomic rewrites), a hand-damaged file is skipped.
    }
  }
  return items.sort((a, b) =>
    a.staged_at < b.staged_at ? -1 : a.staged_at > b.staged_at ? 1 : a.id < b.id ? -1 : 1,
  );
}

/** One item, or a UsageError naming the id. */
export function readStagedItem(paths: StatePaths, id: string): StagedItem {
  const file = itemPath(paths, id);
  if (!existsSync(file))
    throw new UsageError(`no review item ${id}`, { hint: 'see `codex-self-evolution review list`' });
  return parseJsonWith(StagedItemSchema, readRegularText(file), file);
}

function save(paths: StatePaths, item: StagedItem): void {
  writeJsonAtomic(itemPath(paths, item.id), item);
}

function requireStaged(item: StagedItem, verb: string): void {
  if (item.state !== 'staged')
    throw new UsageError(`review item ${item.id} is already ${item.state}; only staged items can be ${verb}`);
}

/** Envelope id of an approved item. */
export function approvedEnvelopeId(itemId: string): string {
  return `rv${sha1(`review:${itemId}`).slice(0, 14)}`;
}

/**
 * Approves an item: queues a one-suggestion envelope (applied by the next compile, without being
 * staged again), then records the decision. Safe to repeat after a crash between the two.
 */
export function approveItem(paths: StatePaths, id: string, now = utcNow()): StagedItem {
  const item = readStagedItem(paths, id);
  requireStaged(item, 'approved');
  const suggestionId = approvedEnvelopeId(item.id);
  if (!findEnvelope(paths, suggestionId)) {
    const envelope = {
      schema_version: 1,
      suggestion_id: suggestionId,
      idempotency_key: `review:${item.id}`,
      thread_id: item.source.thread_id,
      turn_id: item.source.turn_id,
      cwd: item.source.cwd,
      repo_fingerprint: item.source.repo_fingerprint,
      reviewer_timestamp: now,
      suggestions: [item.suggestion],
      source_authority: ['review'],
      state: 'pending',
      attempt_count: 0,
      review_snapshot_path: null,
      failure_reason: null,
      transition_log: [{ at: now, from: '', to: 'pending', reason: `approved review item ${item.id}` }],
      reviewer_provider: item.source.reviewer_provider ?? 'review',
      review_approved: true,
      review_item_id: item.id,
      original_suggestion_id: item.source.suggestion_id,
    };
    mkdirSync(paths.queue.pending, { recursive: true });
    writeJsonAtomic(envelopePath(paths, 'pending', suggestionId), envelope);
  }
  const next: StagedItem = {
    ...item,
    state: 'approved',
    decided_at: now,
    approved_envelope: suggestionId,
    history: [...item.history, { at: now, event: 'approved' }],
  };
  save(paths, next);
  return next;
}

/** Rejects an item, keeping it with the reason. */
export function rejectItem(paths: StatePaths, id: string, reason: string, now = utcNow()): StagedItem {
  const item = readStagedItem(paths, id);
  requireStaged(item, 'rejected');
  const next: StagedItem = {
    ...item,
    state: 'rejected',
    decided_at: now,
    reason: reason || 'rejected',
    history: [
      ...item.history,
      { at: now, event: 'rejected', detail: reason || undefined },
    ] as StagedItem['history'],
  };
  save(paths, next);
  return next;
}

/** Edits a staged item's suggestion (summary, content, title, description); the first original is kept. */
export function editItem(
  paths: StatePaths,
  id: string,
  changes: { summary?: string; content?: string; title?: string; description?: string },
  now = utcNow(),
): StagedItem {
  const item = readStagedItem(paths, id);
  requireStaged(item, 'edited');
  const details = { ...(item.suggestion.details as Record<string, unknown>) };
  if (changes.content !== undefined) details.content = changes.content;
  if (changes.title !== undefined) details.title = changes.title;
  if (changes.description !== undefined) details.description = changes.description;
  const suggestion: Suggestion = {
    ...item.suggestion,
    ...(changes.summary !== undefined ? { summary: changes.summary } : {}),
    details,
  };
  const fields = Object.keys(changes).filter((k) => changes[k as keyof typeof changes] !== undefined);
  if (fields.length === 0)
    throw new UsageError('nothing to edit: give --summary, --content, --title or --description');
  const next: StagedItem = {
    ...item,
    suggestion,
    original_suggestion: item.original_suggestion ?? item.suggestion,
    history: [...item.history, { at: now, event: 'edited', detail: fields.join(',') }],
  };
  save(paths, next);
  return next;
}
