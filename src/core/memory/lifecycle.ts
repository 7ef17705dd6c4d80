/**
 * Lifecycle transitions of a memory entry, shared by the compiler's backends, maintenance and the
 * memory commands. Each returns a new record (records are never changed in place) and appends one
 * event to the entry's bounded `history`. Pure: no I/O, no clock (the caller passes `at`).
 */
import type { MemoryEvent, MemoryRecord } from './schema.js';
import { memoryStatusOf } from './status.js';

/** Lifecycle events kept per entry (newest last); confirmations are counted, not listed. */
export const MAX_HISTORY = 20;

/** Fields that make an entry inactive, removed when it becomes active again. */
export const LIFECYCLE_FIELDS = [
  'status',
  'status_reason',
  'stale_reason',
  'stale_at',
  'stale_head',
  'superseded_by',
  'valid_until',
  'archived_at',
  'retired_at',
  'forgotten_at',
] as const;

/** The entry's history with `event` appended, bounded to {@link MAX_HISTORY}. */
export function withEvent(record: MemoryRecord, event: MemoryEvent): MemoryEvent[] {
  const history = Array.isArray(record.history) ? record.history : [];
  return [...history, event].slice(-MAX_HISTORY);
}

/** Number of suggestions that stated an entry (entries written before the counter: their provenance). */
export function confirmationsOf(record: MemoryRecord): number {
  const value = record.confirmations;
  if (typeof value === 'number' && Number.isFinite(value) && value >= 1) return Math.floor(value);
  return Math.max(1, Array.isArray(record.provenance) ? record.provenance.length : 0);
}

/** `record` active again: the inactive markers removed, valid from `at`, with the event. */
function activated(record: MemoryRecord, extra: Partial<MemoryRecord>, event: MemoryEvent): MemoryRecord {
  const out: Record<string, unknown> = { ...record };
  for (const field of LIFECYCLE_FIELDS) delete out[field];
  Object.assign(out, extra);
  out.history = withEvent(record, event);
  return out as MemoryRecord;
}

/** A later session restated an inactive entry: active again. */
export function reactivated(record: MemoryRecord, at: string, why: string): MemoryRecord {
  const previous = memoryStatusOf(record) ?? 'superseded';
  return activated(record, { valid_from: at }, { at, event: 'reactivated', detail: `${previous}: ${why}` });
}

/** `memory restore`: active again (from archived, stale, forgotten, superseded or retired). */
export function restored(record: MemoryRecord, at: string): MemoryRecord {
  const previous = typeof record.status === 'string' ? record.status : 'active';
  return activated(
    record,
    { restored_at: at, valid_from: at },
    { at, event: 'restored', detail: `from ${previous}` },
  );
}

/** `record` replaced by the entry `nextId` (both keep their history). */
export function superseded(record: MemoryRecord, nextId: string, at: string, reason: string): MemoryRecord {
  return {
    ...record,
    status: 'superseded',
    superseded_by: nextId,
    valid_until: at,
    status_reason: reason,
    history: withEvent(record, { at, event: 'superseded', by: nextId, detail: reason }),
  };
}

/** A later session asked to remove the entry: retired, not deleted. */
export function retired(record: MemoryRecord, at: string, suggestionId: string): MemoryRecord {
  return {
    ...record,
    status: 'retired',
    valid_until: at,
    status_reason: 'removed by a later session',
    history: withEvent(record, { at, event: 'retired', suggestion_id: suggestionId }),
  };
}

/** Its sources changed or are gone since it was learned (maintenance). */
export function markedStale(record: MemoryRecord, at: string, reason: string, head: string): MemoryRecord {
  return {
    ...record,
    status: 'stale',
    stale_reason: reason,
    stale_at: at,
    stale_head: head,
    history: withEvent(record, { at, event: 'stale', detail: reason }),
  };
}

/** Unused and of low confidence for long (maintenance); restorable. */
export function archived(record: MemoryRecord, at: string, reason: string): MemoryRecord {
  return {
    ...record,
    status: 'archived',
    archived_at: at,
    status_reason: reason,
    history: withEvent(record, { at, event: 'archived', detail: reason }),
  };
}

/** `memory forget`: kept in history; a session restating it does not bring it back. */
export function forgotten(record: MemoryRecord, at: string, reason: string): MemoryRecord {
  return {
    ...record,
    status: 'forgotten',
    forgotten_at: at,
    status_reason: reason || 'forgotten by the user',
    history: withEvent(record, { at, event: 'forgotten', ...(reason ? { detail: reason } : {}) }),
  };
}

/** `memory edit`: new content and/or summary (already checked and trimmed), same id. */
export function edited(
  record: MemoryRecord,
  at: string,
  changes: { content?: string; summary?: string },
): MemoryRecord {
  return {
    ...record,
    ...(changes.content !== undefined ? { content: changes.content } : {}),
    ...(changes.summary !== undefined ? { summary: changes.summary } : {}),
    edited_at: at,
    updated_at: at,
    history: withEvent(record, {
      at,
      event: 'edited',
      detail: [changes.content !== undefined ? 'content' : '', changes.summary !== undefined ? 'summary' : '']
        .filter(Boolean)
        .join(','),
    }),
  };
}
