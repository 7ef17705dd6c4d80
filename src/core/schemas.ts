/**
 * Zod schemas of every file format. Files written by the Python original (0.7.x) must
 * load: objects are "loose" (unknown keys are kept, so a round trip loses nothing) and optional
 * fields we added have defaults. Collections are validated item by item by the callers that must
 * survive one bad entry (see `partitionValid`), so one poison item never wedges a bucket.
 */
import { z } from 'zod';

import {
  FAMILIES,
  MEMORY_ACTIONS,
  MEMORY_SCOPES,
  PLUGIN_OWNER,
  QUEUE_STATES,
  SKILL_ACTIONS,
} from './constants.js';

export * from './constants.js';

const nonEmpty = z.string().trim().min(1, 'must be a non-empty string');
const confidence = z
  .number('must be a number in [0,1]')
  .min(0, 'must be in [0,1]')
  .max(1, 'must be in [0,1]');

/** Evidence a reviewer attached to a suggestion: where in the session, and a short (redacted) quote. */
export const EvidenceSchema = z.looseObject({
  turn: z.number().int().nonnegative().optional(),
  turn_id: z.string().optional(),
  quote: z.string().max(1000).optional(),
});

const detailsBase = z.looseObject({
  content: z.string().optional(),
  source_paths: z.array(z.string()).optional(),
  evidence: EvidenceSchema.optional(),
});

/** `details` of a `memory_updates` item. */
export const MemoryDetailsSchema = detailsBase.extend({
  action: z.enum(MEMORY_ACTIONS).optional(),
  scope: z.enum(MEMORY_SCOPES).optional(),
  old_summary: z.string().optional(),
});

/** `details` of a `skill_action` item. */
export const SkillDetailsSchema = detailsBase.extend({
  action: z.enum(SKILL_ACTIONS, 'must be one of create, patch, edit, retire'),
  skill_id: z.string().optional(),
  title: z.string().optional(),
  description: z.string().optional(),
});

/** One reviewer suggestion as the reviewer writes it (family comes from the enclosing key). */
export const ReviewerItemSchema = z.looseObject({
  summary: z.string(),
  details: z.looseObject({}),
  confidence: confidence.optional(),
});

/** A stored suggestion: `{family, summary, details, confidence}`. */
export const SuggestionSchema = z
  .looseObject({
    family: z.enum(FAMILIES),
    summary: z.string(),
    details: z.looseObject({}),
    confidence: confidence.default(1),
  })
  .superRefine((s, ctx) => {
    const details = s.details as Record<string, unknown>;
    if (s.family === 'memory_updates') {
      const parsed = MemoryDetailsSchema.safeParse(details);
      if (!parsed.success) {
        for (const issue of parsed.error.issues)
          ctx.addIssue({ ...issue, path: ['details', ...issue.path] } as never);
        return;
      }
      const action = parsed.data.action ?? 'add';
      if ((action === 'replace' || action === 'remove') && !(parsed.data.old_summary ?? '').trim()) {
        ctx.addIssue({ code: 'custom', path: ['details', 'old_summary'], message: `required for ${action}` });
      }
      if (action !== 'remove' && !s.summary.trim()) {
        ctx.addIssue({ code: 'custom', path: ['summary'], message: 'must be a non-empty string' });
      }
    } else {
      if (!s.summary.trim())
        ctx.addIssue({ code: 'custom', path: ['summary'], message: 'must be a non-empty string' });
      if (s.family === 'skill_action') {
        const parsed = SkillDetailsSchema.safeParse(details);
        if (!parsed.success) {
          for (const issue of parsed.error.issues)
            ctx.addIssue({ ...issue, path: ['details', ...issue.path] } as never);
        }
      }
    }
  });
export type Suggestion = z.infer<typeof SuggestionSchema>;

/** Top level of a reviewer answer: only the three family keys, each a list (missing = empty). */
export const ReviewerOutputTopSchema = z.strictObject({
  memory_updates: z.array(z.unknown(), 'must be a list').optional(),
  recall_candidate: z.array(z.unknown(), 'must be a list').optional(),
  skill_action: z.array(z.unknown(), 'must be a list').optional(),
});

/** One entry of an envelope's history. */
export const TransitionSchema = z.looseObject({
  at: z.string(),
  from: z.string(),
  to: z.string(),
  reason: z.string().nullable().optional(),
});
export type Transition = z.infer<typeof TransitionSchema>;

/** A suggestion envelope: `suggestions/<state>/<suggestion_id>.json`. */
export const EnvelopeSchema = z.looseObject({
  schema_version: z.literal(1, 'must be 1'),
  suggestion_id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 characters of [A-Za-z0-9_-]'),
  idempotency_key: nonEmpty,
  thread_id: nonEmpty,
  turn_id: z.string().default(''),
  cwd: nonEmpty,
  repo_fingerprint: nonEmpty,
  reviewer_timestamp: nonEmpty,
  suggestions: z.array(SuggestionSchema),
  source_authority: z.array(z.string()).default([]),
  state: z.enum(QUEUE_STATES),
  attempt_count: z.coerce.number().int().nonnegative().default(0),
  review_snapshot_path: z.string().nullable().optional(),
  failure_reason: z.string().nullable().default(null),
  transition_log: z.array(TransitionSchema).default([]),
  reviewer_provider: z.string().optional(),
});
export type Envelope = z.infer<typeof EnvelopeSchema>;

// The memory entry and memory.json are defined in memory/schema.ts (the memory module owns them).

/** One recall record. */
export const RecallRecordSchema = z.looseObject({
  id: nonEmpty,
  summary: nonEmpty,
  content: nonEmpty,
  source_paths: z
    .array(z.string())
    .default([])
    .transform((paths) => paths.filter((p) => p.trim() !== '')),
  repo_fingerprint: z.string().default(''),
  cwd: z.string().default(''),
  thread_id: z.string().default(''),
  turn_id: z.string().default(''),
  source_updated_at: z.string().default(''),
});
export type RecallRecord = z.infer<typeof RecallRecordSchema>;

/** `recall/index.json`. Records are validated one by one by the loader. */
export const RecallIndexSchema = z.looseObject({
  records: z.array(z.unknown()).default([]),
});

/** One managed-skill manifest entry. */
export const SkillManifestEntrySchema = z.looseObject({
  skill_id: z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9-]{0,63}$/,
      'must be 1-64 characters of [a-z0-9-], starting with a letter or digit',
    ),
  action: z.enum(SKILL_ACTIONS),
  title: nonEmpty,
  path: nonEmpty,
  status: z.enum(['active', 'retired']),
  owner: nonEmpty,
  managed: z.boolean(),
  created_by: z.string().default(PLUGIN_OWNER),
  updated_at: nonEmpty,
  retired_at: z.string().nullable().default(null),
  description: z.string().optional(),
});
export type SkillManifestEntry = z.infer<typeof SkillManifestEntrySchema>;

/** `skills/manifest.json`. Entries are validated one by one by the loader. */
export const SkillManifestSchema = z.looseObject({
  skills: z.array(z.unknown()).default([]),
});

/**
 * `compiler/last_receipt.json` and each line of `compiler/receipts.jsonl`: the Python package's
 * keys plus our `receipt_id`, timestamps and the fields of manual, undo and maintenance receipts.
 * Nothing is filled in: a receipt reads back exactly as it was written.
 */
export const ReceiptSchema = z.looseObject({
  run_status: z.string().optional(),
  backend: z.string().nullable().optional(),
  processed_count: z.number().int().nonnegative().optional(),
  archived_count: z.number().int().nonnegative().optional(),
  memory_records: z.number().int().nonnegative().optional(),
  recall_records: z.number().int().nonnegative().optional(),
  managed_skills: z.number().int().nonnegative().optional(),
  item_receipts: z.array(z.unknown()).optional(),
  outcome_counts: z.record(z.string(), z.unknown()).optional(),
  skip_reason: z.string().nullable().optional(),
  fallback_backend: z.string().nullable().optional(),
  memory_action_stats: z.record(z.string(), z.unknown()).optional(),
  receipt_id: z.string().optional(),
  started_at: z.string().optional(),
  finished_at: z.string().optional(),
  /** Manual edits: the action (forget, edit, restore); undo receipts: the receipt undone. */
  action: z.string().optional(),
  undoes: z.string().optional(),
});
export type Receipt = z.infer<typeof ReceiptSchema>;

// The compile lock's owner info is defined by lock/lock.ts (LockInfoSchema).

/** The review snapshot. Loose: it is an audit record, read back only for debugging. */
export const SnapshotSchema = z.looseObject({
  context: z.looseObject({
    thread_id: z.string(),
    turn_id: z.string().default(''),
    cwd: z.string(),
  }),
  turn_snapshot: z.looseObject({}).optional(),
  reviewer_provider: z.string().optional(),
});

/**
 * Validates each item of `items` with `schema`, keeping the valid ones and describing the rest,
 * so one bad entry is reported instead of making the whole file unusable.
 */
export function partitionValid<S extends z.ZodType>(
  schema: S,
  items: readonly unknown[],
): { valid: Array<z.infer<S>>; invalid: Array<{ index: number; reason: string; item: unknown }> } {
  const valid: Array<z.infer<S>> = [];
  const invalid: Array<{ index: number; reason: string; item: unknown }> = [];
  items.forEach((item, index) => {
    const result = schema.safeParse(item);
    if (result.success) valid.push(result.data);
    else {
      const first = result.error.issues[0];
      const path = first ? first.path.map(String).join('.') : '';
      invalid.push({ index, reason: `${path ? `${path}: ` : ''}${first?.message ?? 'invalid'}`, item });
    }
  });
  return { valid, invalid };
}
