/**
 * The suggestion queue, rebuilt so nothing is lost and nothing is done twice.
 *
 * - One envelope per reviewed turn, `suggestions/<state>/<suggestion_id>.json`, where the id is
 *   derived from the turn (`sha1(idempotency_key)[:16]`), so the same turn always maps to the
 *   same file name and a file name never comes from untrusted text.
 * - Idempotency without reading history: `suggestions/.keys/<idempotency_key>` is created with
 *   O_EXCL when a turn is first queued; a second Stop for the same turn finds it in one `open`.
 * - Moves between states are atomic renames (claim) or atomic write-then-unlink (transitions that
 *   record history). A crash between the two leaves the same id in two states; `reconcile`
 *   keeps the one further along, so no suggestion is lost or applied twice.
 * - Failures never strand work: a failed compile puts envelopes back in `pending` with
 *   `attempt_count + 1` and the reason; after MAX_ATTEMPTS they go to `failed`. An invalid
 *   envelope goes to `discarded` with the reason and does not stop the others.
 */
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { MAX_ATTEMPTS, QUEUE_STATES, utcNow, type QueueState } from '../constants.js';
import { SchemaError } from '../errors.js';
import { parseJsonWith, writeJsonAtomic, type AtomicWriteOptions } from '../fs/atomic.js';
import { sha1, type StatePaths } from '../paths.js';
import { EnvelopeSchema, type Envelope, type Suggestion } from '../schemas.js';
import { turnKey } from '../agents/turn-key.js';
import type { AgentName } from '../agents/types.js';
import { readRegularText } from '../fs/safe.js';

/** Where a queued turn's envelope lives. */
export function envelopePath(paths: StatePaths, state: QueueState, suggestionId: string): string {
  return join(paths.queue[state], `${suggestionId}.json`);
}

/** Suggestion id of a turn's envelope. */
export function suggestionIdFor(idempotencyKey: string): string {
  return sha1(`suggestion:${idempotencyKey}`).slice(0, 16);
}

function keysDir(paths: StatePaths): string {
  return join(paths.suggestionsDir, '.keys');
}

/** Finds the state an envelope id is in (most advanced first), if any. */
export function findEnvelope(
  paths: StatePaths,
  suggestionId: string,
): { state: QueueState; path: string } | undefined {
  for (const state of ['done', 'discarded', 'failed', 'processing', 'pending'] as const) {
    const path = envelopePath(paths, state, suggestionId);
    if (existsSync(path)) return { state, path };
  }
  return undefined;
}

export interface NewEnvelopeInput {
  /** The agent the turn ran in (default `codex`); part of the turn's key. */
  agent?: AgentName;
  threadId: string;
  turnId: string;
  cwd: string;
  suggestions: Suggestion[];
  reviewerProvider: string;
  snapshotPath?: string | null;
  /** Items the lenient parser dropped, with reasons (kept for the audit trail). */
  skipped?: unknown[];
  /** Reviewer timestamp; defaults to now. */
  timestamp?: string;
  extra?: Record<string, unknown>;
}

export type QueueResult =
  | { status: 'written'; suggestionId: string; path: string }
  | { status: 'duplicate'; suggestionId: string; path: string | null }
  | { status: 'empty'; suggestionId: string; path: null };

/** `suggestions/.keys/<key>`: the marker of a turn queued once (an empty review writes no envelope). */
const KeyMarkerSchema = z.looseObject({
  suggestion_id: z.string().optional(),
  empty: z.boolean().optional(),
  at: z.string().optional(),
});

/**
 * Queues a reviewed turn. Zero suggestions write no envelope (the turn is still marked as
 * reviewed). Safe to call again after a crash at any point: it completes the missing part.
 */
export function enqueueReviewedTurn(paths: StatePaths, input: NewEnvelopeInput): QueueResult {
  const idempotencyKey = turnKey({
    agent: input.agent ?? 'codex',
    session: input.threadId,
    turn: input.turnId,
  });
  const suggestionId = suggestionIdFor(idempotencyKey);
  mkdirSync(keysDir(paths), { recursive: true });
  const keyFile = join(keysDir(paths), idempotencyKey);
  const marker = JSON.stringify({
    suggestion_id: suggestionId,
    empty: input.suggestions.length === 0,
    at: utcNow(),
  });
  try {
    const fd = openSync(keyFile, 'wx', 0o600);
    try {
      writeSync(fd, marker);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // Seen before. Done unless a crash came between the marker and the envelope.
    let empty: boolean;
    try {
      empty = parseJsonWith(KeyMarkerSchema, readRegularText(keyFile), keyFile).empty === true;
    } catch {
      empty = false; // A marker torn by a crash: the envelope decides.
    }
    const found = findEnvelope(paths, suggestionId);
    if (found) return { status: 'duplicate', suggestionId, path: found.path };
    if (empty || input.suggestions.length === 0) return { status: 'duplicate', suggestionId, path: null };
  }
  if (input.suggestions.length === 0) return { status: 'empty', suggestionId, path: null };
  const timestamp = input.timestamp ?? utcNow();
  const envelope: Envelope = {
    ...(input.extra ?? {}),
    schema_version: 1,
    suggestion_id: suggestionId,
    idempotency_key: idempotencyKey,
    // The agent that taught it (provenance); Codex envelopes keep their earlier shape.
    ...(input.agent !== undefined && input.agent !== 'codex' ? { agent: input.agent } : {}),
    thread_id: input.threadId,
    turn_id: input.turnId,
    cwd: input.cwd,
    repo_fingerprint: paths.repoFingerprint,
    reviewer_timestamp: timestamp,
    suggestions: input.suggestions,
    source_authority: ['transcript', 'memory_files', 'managed_skills_manifest', 'hook_payload'],
    state: 'pending',
    attempt_count: 0,
    review_snapshot_path: input.snapshotPath ?? null,
    failure_reason: null,
    transition_log: [{ at: timestamp, from: '', to: 'pending', reason: input.reviewerProvider }],
    reviewer_provider: input.reviewerProvider,
    ...(input.skipped && input.skipped.length > 0 ? { skipped_suggestions: input.skipped } : {}),
  };
  const path = envelopePath(paths, 'pending', suggestionId);
  writeJsonAtomic(path, envelope);
  stampTime(path, timestamp);
  return { status: 'written', suggestionId, path };
}

/** Sets a file's mtime to the reviewer timestamp, so listing order is queue order without reading files. */
function stampTime(path: string, timestamp: string): void {
  const ms = Date.parse(timestamp);
  if (!Number.isFinite(ms)) return;
  try {
    utimesSync(path, ms / 1000, ms / 1000);
  } catch {
    // Order falls back to write time; nothing is lost.
  }
}

/** A queue file: its id (from the file name) and mtime (= reviewer timestamp). */
export interface QueueFile {
  id: string;
  path: string;
  mtimeMs: number;
}

/** Lists the envelope files of a state, oldest first (mtime, then id). Skips temp and dot files. */
export function listQueue(paths: StatePaths, state: QueueState): QueueFile[] {
  let names: string[];
  try {
    names = readdirSync(paths.queue[state]);
  } catch {
    return [];
  }
  const files: QueueFile[] = [];
  for (const name of names) {
    if (!name.endsWith('.json') || name.startsWith('.')) continue;
    const path = join(paths.queue[state], name);
    try {
      files.push({ id: name.slice(0, -5), path, mtimeMs: statSync(path).mtimeMs });
    } catch {
      // Moved by another process meanwhile.
    }
  }
  return files.sort((a, b) => a.mtimeMs - b.mtimeMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Counts files per state without reading them. */
export function countQueue(paths: StatePaths): Record<QueueState, number> {
  return Object.fromEntries(
    QUEUE_STATES.map((s) => {
      try {
        return [
          s,
          readdirSync(paths.queue[s]).filter((n) => n.endsWith('.json') && !n.startsWith('.')).length,
        ];
      } catch {
        return [s, 0];
      }
    }),
  ) as Record<QueueState, number>;
}

/** Reads and validates an envelope file. Throws SchemaError naming the file. */
export function readEnvelope(path: string): Envelope {
  return parseJsonWith(EnvelopeSchema, readRegularText(path), path);
}

/**
 * Moves an envelope to `to`, recording the transition: write the new file atomically, then
 * remove the old one. Returns the new path.
 */
export function moveEnvelope(
  paths: StatePaths,
  envelope: Envelope,
  fromPath: string,
  to: QueueState,
  reason: string,
  changes: Partial<Envelope> = {},
  writeOptions: AtomicWriteOptions = {},
): string {
  const updated: Envelope = {
    ...envelope,
    ...changes,
    state: to,
    transition_log: [...envelope.transition_log, { at: utcNow(), from: envelope.state, to, reason }],
  };
  const target = envelopePath(paths, to, envelope.suggestion_id);
  writeJsonAtomic(target, updated, writeOptions);
  stampTime(target, updated.reviewer_timestamp);
  if (target !== fromPath) {
    try {
      unlinkSync(fromPath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return target;
}

/** Moves a file that cannot be read as an envelope to `discarded/`, keeping its raw text and the reason. */
export function discardRaw(paths: StatePaths, fromPath: string, id: string, reason: string): string {
  let raw: string;
  try {
    raw = readRegularText(fromPath).slice(0, 100_000);
  } catch {
    raw = '';
  }
  let data: Record<string, unknown> | undefined;
  try {
    const parsed = JSON.parse(raw) as unknown;
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed))
      data = parsed as Record<string, unknown>;
  } catch {
    data = undefined;
  }
  const safeId = /^[A-Za-z0-9_-]{1,64}$/.test(id) ? id : sha1(id).slice(0, 16);
  const now = utcNow();
  const record = {
    ...(data ?? { raw }),
    suggestion_id: safeId,
    state: 'discarded',
    failure_reason: reason,
    transition_log: [
      ...(Array.isArray(data?.transition_log) ? (data.transition_log as unknown[]) : []),
      { at: now, from: typeof data?.state === 'string' ? data.state : 'unknown', to: 'discarded', reason },
    ],
  };
  const target = envelopePath(paths, 'discarded', safeId);
  writeJsonAtomic(target, record);
  try {
    unlinkSync(fromPath);
  } catch {
    // Already gone.
  }
  return target;
}

export interface ClaimResult {
  claimed: Array<{ envelope: Envelope; path: string }>;
  discarded: Array<{ id: string; path: string; reason: string }>;
}

/**
 * Claims up to `batchSize` envelopes, oldest first: pending ones, then failed ones still under
 * the attempt budget (files the Python original may have left). Each is renamed into
 * `processing/` (atomic: two claimers never get the same file) and validated; an invalid one is
 * discarded with its reason. Callers must hold the compile lock.
 */
export function claimBatch(paths: StatePaths, batchSize: number): ClaimResult {
  const result: ClaimResult = { claimed: [], discarded: [] };
  mkdirSync(paths.queue.processing, { recursive: true });
  const candidates = [...listQueue(paths, 'pending'), ...listQueue(paths, 'failed')];
  for (const file of candidates) {
    if (result.claimed.length >= batchSize) break;
    const fromFailed = file.path.startsWith(paths.queue.failed);
    if (fromFailed) {
      try {
        const env = readEnvelope(file.path);
        if (env.attempt_count >= MAX_ATTEMPTS) continue;
      } catch {
        continue; // A damaged failed file stays where it is, for a human to look at.
      }
    }
    const processingPath = envelopePath(paths, 'processing', file.id);
    try {
      renameSync(file.path, processingPath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // Someone else took it.
      throw error;
    }
    let envelope: Envelope;
    try {
      envelope = readEnvelope(processingPath);
      if (envelope.suggestion_id !== file.id)
        throw new SchemaError(processingPath, [
          `suggestion_id "${envelope.suggestion_id}" does not match the file name`,
        ]);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      result.discarded.push({
        id: file.id,
        path: discardRaw(paths, processingPath, file.id, `invalid envelope: ${reason}`),
        reason,
      });
      continue;
    }
    const from = envelope.state;
    // The rename is the claim; the file keeps its content (no rewrite, no fsync per envelope:
    // that cost dominated a large compile). The "claimed" transition lives in the returned
    // envelope and is written by the next move (done, pending or failed).
    const claimedEnvelope: Envelope = {
      ...envelope,
      state: 'processing',
      transition_log: [
        ...envelope.transition_log,
        { at: utcNow(), from, to: 'processing', reason: 'claimed' },
      ],
    };
    result.claimed.push({ envelope: claimedEnvelope, path: processingPath });
  }
  // Apply order is reviewer time, whatever the file system said.
  result.claimed.sort(
    (a, b) =>
      a.envelope.reviewer_timestamp.localeCompare(b.envelope.reviewer_timestamp) ||
      a.envelope.suggestion_id.localeCompare(b.envelope.suggestion_id),
  );
  return result;
}

/**
 * After a failed compile: each claimed envelope goes back to `pending` with `attempt_count + 1`
 * and the reason, or to `failed` once it has used MAX_ATTEMPTS.
 */
export function releaseFailed(
  paths: StatePaths,
  claimed: ClaimResult['claimed'],
  reason: string,
): Array<{ id: string; state: QueueState }> {
  return claimed.map(({ envelope, path }) => {
    const attempts = envelope.attempt_count + 1;
    const to: QueueState = attempts >= MAX_ATTEMPTS ? 'failed' : 'pending';
    moveEnvelope(paths, envelope, path, to, reason, { attempt_count: attempts, failure_reason: reason });
    return { id: envelope.suggestion_id, state: to };
  });
}

/** After a successful compile: every claimed envelope goes to `done`. */
export function completeClaimed(paths: StatePaths, claimed: ClaimResult['claimed']): string[] {
  return claimed.map(({ envelope, path }) =>
    moveEnvelope(paths, envelope, path, 'done', 'done', { failure_reason: null }),
  );
}

/**
 * Repairs what a crash can leave behind (call under the compile lock):
 * - an id present in two states (crash between write and unlink): the less advanced copy goes;
 * - envelopes stranded in `processing/` by a dead compile: back to `pending` with an attempt
 *   counted (a poison batch cannot loop forever), or to `failed` past the budget.
 */
export function recoverStranded(paths: StatePaths): {
  duplicatesRemoved: number;
  recovered: number;
  discarded: number;
} {
  const order: QueueState[] = ['done', 'discarded', 'failed', 'processing', 'pending'];
  const seen = new Set<string>();
  let duplicatesRemoved = 0;
  for (const state of order) {
    for (const file of listQueue(paths, state)) {
      if (seen.has(file.id)) {
        try {
          unlinkSync(file.path);
          duplicatesRemoved++;
        } catch {
          // Already gone.
        }
      } else {
        seen.add(file.id);
      }
    }
  }
  let recovered = 0;
  let discarded = 0;
  for (const file of listQueue(paths, 'processing')) {
    try {
      const envelope = readEnvelope(file.path);
      const attempts = envelope.attempt_count + 1;
      const to: QueueState = attempts >= MAX_ATTEMPTS ? 'failed' : 'pending';
      const reason = 'recovered from processing/ (an earlier compile was interrupted)';
      moveEnvelope(paths, envelope, file.path, to, reason, {
        attempt_count: attempts,
        failure_reason: reason,
      });
      recovered++;
    } catch (error) {
      discardRaw(
        paths,
        file.path,
        file.id,
        `invalid envelope: ${error instanceof Error ? error.message : String(error)}`,
      );
      discarded++;
    }
  }
  return { duplicatesRemoved, recovered, discarded };
}

/** True when there is work: pending envelopes, stranded ones, or failed ones still under budget. */
export function pendingWork(paths: StatePaths): {
  pending: number;
  processing: number;
  retryableFailed: number;
} {
  const pending = listQueue(paths, 'pending').length;
  const processing = listQueue(paths, 'processing').length;
  let retryableFailed = 0;
  for (const file of listQueue(paths, 'failed')) {
    try {
      if (readEnvelope(file.path).attempt_count < MAX_ATTEMPTS) retryableFailed++;
    } catch {
      // Damaged failed files are reported by status, not retried.
    }
  }
  return { pending, processing, retryableFailed };
}
