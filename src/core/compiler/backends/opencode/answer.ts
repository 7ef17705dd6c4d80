/**
 * The agent's answer: one JSON object following COMPILE_CONTRACT (seed README §4), extracted from
 * the final text (whole text, else a fenced block, else the first balanced object) and validated
 * with zod. The answer is data: nothing in it is ever executed, and file names are never taken
 * from it (skill ids are normalized and re-checked by the guard).
 *
 * Meaning of each key (see prompts/compile-agent.md and docs/opencode.md):
 * - `memory_records.user` / `.global`: the complete new list of that scope. A scope (or the whole
 *   key) that is absent or null means "no change", never "delete everything".
 * - `recall_records`: records to add, or to update when `id` names an existing record. Recall is
 *   unbounded, so the agent never has to repeat it; it cannot delete recall.
 * - `compiled_skills`: skills to create, patch, edit or retire in this batch.
 * - `manifest_entries`: accepted for compatibility and ignored; the manifest is rebuilt by us.
 * - `discarded_items`: suggestions the agent did not apply (`suggestion_id`, `index`, `reason`),
 *   and the reason for each existing memory entry it dropped (`scope`, `summary`, `reason`).
 */
import { z } from 'zod';
import { SKILL_ACTIONS } from '../../../constants.js';
import { formatZodIssues } from '../../../fs/atomic.js';
import { MEMORY_STATUSES } from '../../../memory/status.js';
import { firstBalancedObject } from '../../../json.js';

/** Largest final text considered (a real answer is far smaller). */
export const MAX_ANSWER_CHARS = 4_000_000;

const nonEmpty = z.string('must be a string').trim().min(1, 'must be a non-empty string');
const paths = z.array(z.string('must be a string'), 'must be a list of strings').optional();

/**
 * One memory entry of the answer: the contract's view of the memory entry (memory/schema.ts), the
 * few fields an agent may set, checked strictly because the agent is not trusted. The merge turns
 * it back into a stored entry, keeping the existing entry's other fields.
 */
export const AgentMemoryRecordSchema = z.looseObject({
  summary: z.string('must be a string').default(''),
  content: nonEmpty,
  source_paths: paths,
  confidence: z
    .number('must be a number in [0,1]')
    .min(0, 'must be in [0,1]')
    .max(1, 'must be in [0,1]')
    .optional(),
  /** Any status the tool writes (the inactive ones keep an entry without injecting it). */
  status: z.enum(MEMORY_STATUSES).optional(),
  /** Batch suggestions the entry comes from (provenance). */
  suggestion_ids: z.array(z.string()).optional(),
});
export type AgentMemoryRecord = z.infer<typeof AgentMemoryRecordSchema>;

/** One recall record of the answer (new, or an update of an existing `id`). */
export const AgentRecallRecordSchema = z.looseObject({
  id: z.string('must be a string').optional(),
  summary: nonEmpty,
  content: nonEmpty,
  source_paths: paths,
  suggestion_id: z.string().optional(),
});
export type AgentRecallRecord = z.infer<typeof AgentRecallRecordSchema>;

/** One compiled skill of the answer. */
export const AgentSkillSchema = z.looseObject({
  skill_id: nonEmpty,
  action: z.enum(SKILL_ACTIONS, 'must be one of create, patch, edit, retire'),
  title: z.string('must be a string').default(''),
  description: z.string('must be a string').default(''),
  content: z.string('must be a string').default(''),
});
export type AgentSkill = z.infer<typeof AgentSkillSchema>;

/** A discarded suggestion, or the reason for a dropped memory entry. */
export const AgentDiscardedSchema = z.looseObject({
  reason: z.string('must be a string').optional(),
  suggestion_id: z.string().optional(),
  index: z.number().int().optional(),
  scope: z.string().optional(),
  summary: z.string().optional(),
  content: z.string().optional(),
});
export type AgentDiscarded = z.infer<typeof AgentDiscardedSchema>;

/** COMPILE_CONTRACT: only these five keys, every one optional. */
export const AgentAnswerSchema = z.strictObject({
  memory_records: z
    .strictObject({
      user: z.array(AgentMemoryRecordSchema, 'must be a list').nullable().optional(),
      global: z.array(AgentMemoryRecordSchema, 'must be a list').nullable().optional(),
    })
    .nullable()
    .optional(),
  recall_records: z.array(AgentRecallRecordSchema, 'must be a list').nullable().optional(),
  compiled_skills: z.array(AgentSkillSchema, 'must be a list').nullable().optional(),
  manifest_entries: z.array(z.unknown(), 'must be a list').nullable().optional(),
  discarded_items: z.array(AgentDiscardedSchema, 'must be a list').nullable().optional(),
});
export type AgentAnswer = z.infer<typeof AgentAnswerSchema>;

/** An answer that cannot be used; the message is safe for a receipt (no answer text). */
export class AgentAnswerError extends Error {}

/** The JSON value of a final text: the whole text, a fenced block, or the first balanced object. */
export function extractAnswerJson(raw: string): unknown {
  if (raw.length > MAX_ANSWER_CHARS) throw new AgentAnswerError(`answer too long (${raw.length} characters)`);
  const text = raw.trim();
  if (text === '') throw new AgentAnswerError('answer is empty');
  const attempts = [text];
  for (const match of text.matchAll(/```[A-Za-z]*[ \t]*\r?\n([\s\S]*?)```/g))
    attempts.push((match[1] ?? '').trim());
  for (const candidate of attempts) {
    if (!candidate.startsWith('{')) continue;
    try {
      return JSON.parse(candidate) as unknown;
    } catch {
      // Not this one.
    }
  }
  const object = firstBalancedObject(text);
  if (object === undefined) throw new AgentAnswerError('answer holds no JSON object');
  return JSON.parse(object) as unknown;
}

/** Extracts and validates an answer (AgentAnswerError naming the first problems otherwise). */
export function parseAgentAnswer(raw: string): AgentAnswer {
  const value = extractAnswerJson(raw);
  const parsed = AgentAnswerSchema.safeParse(value);
  if (!parsed.success) {
    const issues = formatZodIssues(parsed.error);
    throw new AgentAnswerError(
      `answer does not match the contract: ${issues.slice(0, 3).join('; ')}${issues.length > 3 ? ` (+${issues.length - 3} more)` : ''}`,
    );
  }
  const answer = parsed.data;
  const keys = Object.keys(value as object);
  if (keys.length === 0) throw new AgentAnswerError('answer is an empty object (none of the contract keys)');
  return answer;
}
