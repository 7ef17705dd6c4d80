/**
 * The zod-free reader of a memory entry, for the hook path (session start loads no zod; see
 * docs/performance.md). It accepts exactly what `MemoryRecordSchema` (schema.ts) accepts and
 * returns what the schema would: defaults filled in, malformed lifecycle fields dropped.
 * test/unit/memory/read.test.ts checks the two against each other field by field.
 */
import { MEMORY_SCOPES, type MemoryScope } from '../constants.js';
import type { MemoryEvent, MemoryRecord } from './schema.js';

type Check = (value: unknown) => boolean;

const isString: Check = (v) => typeof v === 'string';
const isStringList: Check = (v) => Array.isArray(v) && v.every(isString);
const isEvent: Check = (v) =>
  v !== null &&
  typeof v === 'object' &&
  !Array.isArray(v) &&
  isString((v as MemoryEvent).at) &&
  isString((v as MemoryEvent).event) &&
  ((v as MemoryEvent).detail === undefined || isString((v as MemoryEvent).detail)) &&
  ((v as MemoryEvent).by === undefined || isString((v as MemoryEvent).by));

/** The schema's lenient fields: a malformed value is dropped, the entry stays valid. */
const LENIENT: Record<string, Check> = {
  id: isString,
  created_at: isString,
  updated_at: isString,
  last_confirmed_at: isString,
  confirmations: (v) => typeof v === 'number' && Number.isFinite(v),
  source_commit: isString,
  recovered_from: isString,
  status: isString,
  status_reason: isString,
  superseded_by: isString,
  supersedes: isStringList,
  valid_from: isString,
  valid_until: isString,
  stale_reason: isString,
  stale_at: isString,
  stale_head: isString,
  archived_at: isString,
  retired_at: isString,
  forgotten_at: isString,
  restored_at: isString,
  edited_at: isString,
  history: (v) => Array.isArray(v) && v.every(isEvent),
};

/** Every field the reader knows; the test checks it against the schema's shape. */
export const MEMORY_RECORD_FIELDS: readonly string[] = [
  'scope',
  'summary',
  'content',
  'source_paths',
  'confidence',
  'provenance',
  ...Object.keys(LENIENT),
];

/** `z.coerce.number().min(0).max(1).catch(1).default(1)` without zod. */
function confidenceOf(value: unknown): number {
  if (value === undefined) return 1;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 && n <= 1 ? n : 1;
}

/**
 * A stored memory entry as `MemoryRecordSchema.parse` would return it, or undefined where the
 * schema fails. Never throws.
 */
export function readMemoryRecord(raw: unknown): MemoryRecord | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const r = raw as Record<string, unknown>;
  if (typeof r.content !== 'string') return undefined;
  if (r.scope !== undefined && !(MEMORY_SCOPES as readonly unknown[]).includes(r.scope)) return undefined;
  if (r.summary !== undefined && typeof r.summary !== 'string') return undefined;
  if (r.source_paths !== undefined && !isStringList(r.source_paths)) return undefined;
  if (r.provenance !== undefined && !Array.isArray(r.provenance)) return undefined;
  const out: Record<string, unknown> = {
    ...r,
    scope: (r.scope as MemoryScope | undefined) ?? 'global',
    summary: r.summary ?? '',
    source_paths: r.source_paths ?? [],
    confidence: confidenceOf(r.confidence),
    provenance: r.provenance ?? [],
  };
  for (const [field, valid] of Object.entries(LENIENT))
    if (field in r && r[field] !== undefined && !valid(r[field])) out[field] = undefined;
  return out as MemoryRecord;
}
