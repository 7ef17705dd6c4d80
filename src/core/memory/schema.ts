/**
 * The memory entry, defined once: `memory/memory.json` and each of its records, with the
 * lifecycle fields. Types come from here (`z.infer`); the hook path reads entries with the
 * zod-free `readMemoryRecord` (read.ts), which a unit test checks against this schema.
 *
 * Objects are loose (unknown keys survive a round trip) so files written by the Python original,
 * which knew only the first six fields, load. The lifecycle fields were read through casts before
 * they were declared here; a malformed one is dropped (`lenient`) rather than making the whole
 * entry invalid, so declaring them changed no entry's fate.
 *
 * A new field on memory entries: declare it here and in read.ts (the test fails until both agree);
 * if `memory list` should show it, add it to `describeMemoryEntry` in view.ts.
 */
import { z } from 'zod';
import { MEMORY_SCOPES } from '../constants.js';

/** An optional field whose malformed value is dropped instead of failing the entry. */
function lenient<T extends z.ZodType>(schema: T) {
  return schema.optional().catch(undefined);
}

/** Provenance of a learned entry; all optional so old files load. */
export const ProvenanceSchema = z.looseObject({
  session_id: z.string().optional(),
  thread_id: z.string().optional(),
  turn_id: z.string().optional(),
  suggestion_id: z.string().optional(),
  quote: z.string().optional(),
  at: z.string().optional(),
});

/** One lifecycle event of an entry's `history` (superseded, stale, archived, restored, ...). */
export const MemoryEventSchema = z.looseObject({
  at: z.string(),
  event: z.string(),
  detail: z.string().optional(),
  /** The entry that replaced this one (`superseded`). */
  by: z.string().optional(),
});
export type MemoryEvent = z.infer<typeof MemoryEventSchema>;

/** One memory entry. */
export const MemoryRecordSchema = z.looseObject({
  // The Python original's fields.
  scope: z.enum(MEMORY_SCOPES).default('global'),
  summary: z.string().default(''),
  content: z.string(),
  source_paths: z.array(z.string()).default([]),
  confidence: z.coerce.number().min(0).max(1).catch(1).default(1),
  provenance: z.array(z.unknown()).default([]),
  // Identity and provenance over time.
  /** Stable id (`m-` + hex), unique across both scopes; older entries get one at the next compile. */
  id: lenient(z.string()),
  created_at: lenient(z.string()),
  updated_at: lenient(z.string()),
  last_confirmed_at: lenient(z.string()),
  /** Suggestions that stated the entry (entries from before the counter: their provenance count). */
  confirmations: lenient(z.number()),
  /** HEAD when the entry was learned or last confirmed (staleness diffs from there). */
  source_commit: lenient(z.string()),
  /** Set when the entry was rebuilt from USER.md / MEMORY.md after memory.json was lost. */
  recovered_from: lenient(z.string()),
  // Lifecycle (see status.ts and lifecycle.ts).
  /** One of MEMORY_STATUSES; absent = active. */
  status: lenient(z.string()),
  status_reason: lenient(z.string()),
  superseded_by: lenient(z.string()),
  supersedes: lenient(z.array(z.string())),
  valid_from: lenient(z.string()),
  valid_until: lenient(z.string()),
  stale_reason: lenient(z.string()),
  stale_at: lenient(z.string()),
  stale_head: lenient(z.string()),
  archived_at: lenient(z.string()),
  retired_at: lenient(z.string()),
  forgotten_at: lenient(z.string()),
  restored_at: lenient(z.string()),
  edited_at: lenient(z.string()),
  /** Lifecycle events, newest last, bounded (confirmations are counted, not listed). */
  history: lenient(z.array(MemoryEventSchema)),
});
export type MemoryRecord = z.infer<typeof MemoryRecordSchema>;

/** `memory/memory.json`: the source of truth the markdown files are rendered from. */
export const MemoryIndexSchema = z.looseObject({
  user: z.array(z.unknown()).default([]),
  global: z.array(z.unknown()).default([]),
});

/**
 * The counters of one entry in `memory/usage.json` (`{<id>: totals}`), folded by the compiler from
 * the hooks' usage log. A malformed counter is dropped (the entry counts as unused there), a value
 * that is not an object drops the entry. usage.ts reads the file without zod, tested against this.
 */
export const UsageTotalsSchema = z.looseObject({
  injected_count: lenient(z.number().int().nonnegative()),
  last_injected_at: lenient(z.string()),
  recalled_count: lenient(z.number().int().nonnegative()),
  last_recalled_at: lenient(z.string()),
});
