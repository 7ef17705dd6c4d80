/**
 * The zod-free readers of what session start reads, for the hook path (it loads no zod; see
 * docs/performance.md): a memory entry, accepting exactly what `MemoryRecordSchema` (schema.ts)
 * accepts and returning what the schema would (defaults filled in, malformed lifecycle fields
 * dropped), and a managed-skill manifest entry, accepting what `SkillManifestEntrySchema`
 * (schemas.ts) accepts. test/unit/memory/read.test.ts checks each against its schema.
 */
import { MEMORY_SCOPES, PLUGIN_OWNER, SKILL_ACTIONS, type MemoryScope } from '../constants.js';
import type { SkillManifestEntry } from '../schemas.js';
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

const isNonEmpty: Check = (v) => typeof v === 'string' && v.trim() !== '';
const SKILL_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

/**
 * One entry of `skills/manifest.json` as `SkillManifestEntrySchema.parse` would return it (the
 * non-empty strings trimmed, `created_by` and `retired_at` filled in), or undefined where the
 * schema fails. Never throws.
 */
export function readSkillManifestEntry(raw: unknown): SkillManifestEntry | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const r = raw as Record<string, unknown>;
  if (typeof r.skill_id !== 'string' || !SKILL_ID.test(r.skill_id)) return undefined;
  if (!(SKILL_ACTIONS as readonly unknown[]).includes(r.action)) return undefined;
  if (!isNonEmpty(r.title) || !isNonEmpty(r.path) || !isNonEmpty(r.owner) || !isNonEmpty(r.updated_at))
    return undefined;
  if (r.status !== 'active' && r.status !== 'retired') return undefined;
  if (typeof r.managed !== 'boolean') return undefined;
  if (r.created_by !== undefined && !isString(r.created_by)) return undefined;
  if (r.retired_at !== undefined && r.retired_at !== null && !isString(r.retired_at)) return undefined;
  if (r.description !== undefined && !isString(r.description)) return undefined;
  const out: Record<string, unknown> = {
    ...r,
    title: (r.title as string).trim(),
    path: (r.path as string).trim(),
    owner: (r.owner as string).trim(),
    updated_at: (r.updated_at as string).trim(),
    created_by: r.created_by ?? PLUGIN_OWNER,
    retired_at: r.retired_at ?? null,
  };
  return out as SkillManifestEntry;
}
