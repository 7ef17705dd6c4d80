/**
 * The schema of a spool entry, `review/spool/<key>.json`. The Stop hook and the review worker read
 * entries with the zod-free `readSpoolEntry` (spool.ts: the hook loads no zod); this schema is the
 * reference it is tested against (test/unit/review/spool-entry.test.ts).
 *
 * Only the turn's identity is required (`key`, `session_id`, and a known `agent` when there is
 * one). Every other field falls back to what a fresh entry holds when it is missing or malformed,
 * so a damaged detail never loses a turn; an entry without an identity is kept aside by the worker.
 */
import { z } from 'zod';
import { AGENT_NAMES } from '../agents/index.js';
import type { AgentName } from '../agents/types.js';
import { WAIT_REASONS } from './spool.js';

const stringOrNull = z.string().nullable().catch(null);

export const SpoolEntrySchema = z.looseObject({
  schema_version: z.literal(1).catch(1),
  key: z.string(),
  /** An agent this version does not know makes the entry invalid: its turn is never reviewed as another's. */
  agent: z
    .custom<AgentName>((v) => (AGENT_NAMES as readonly unknown[]).includes(v), 'must be a known agent')
    .optional(),
  session_id: z.string(),
  turn_id: z.string().catch(''),
  cwd: z.string().catch(''),
  transcript_path: stringOrNull,
  transcript_size: z.number().nonnegative().nullable().catch(null),
  last_assistant_message: z.string().catch(''),
  model: stringOrNull,
  stop_hook_active: z.boolean().catch(false),
  settling: z.boolean().optional().catch(undefined),
  reviewer_provider: stringOrNull,
  provider_stub_response: z.unknown().optional(),
  spooled_at: z.string().catch(''),
  attempts: z.number().int().nonnegative().catch(0),
  last_error: stringOrNull,
  next_attempt_at: stringOrNull,
  waiting: z
    .looseObject({
      reason: z.enum(WAIT_REASONS),
      since: z.string(),
      provider: z.string().nullable(),
      failures: z.number().int().nonnegative(),
      last_failed_at: z.string(),
    })
    .optional()
    .catch(undefined),
  history: z.array(z.looseObject({ at: z.string(), event: z.string() })).catch([]),
});
