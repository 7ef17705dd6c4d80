/**
 * The front matter of a shared entry as a zod schema: the reference the hand-written parser of
 * store.ts (which the hooks use, without zod) is tested against. Keep the two in step.
 */
import { z } from 'zod';
import { MAX_TITLE_CHARS, TEAM_ID_RE } from './store.js';

/** Front matter of `.codex-self-evolution/<id>.md`; unknown keys are allowed (kept by hand edits). */
export const TeamFrontMatterSchema = z.looseObject({
  id: z.string().regex(TEAM_ID_RE),
  kind: z.enum(['memory', 'recall']),
  title: z
    .string()
    .refine((t) => t.trim() !== '', 'must be non-empty')
    .refine((t) => t.length <= MAX_TITLE_CHARS),
  created: z.string().optional(),
  updated: z.string().optional(),
  provenance: z.string().optional(),
  source_commit: z
    .string()
    .regex(/^(?:[0-9a-f]{7,64})?$/)
    .optional(),
  source_paths: z.array(z.string()).optional(),
  supersedes: z.array(z.string()).optional(),
  confidence: z.number().min(0).max(1).optional(),
});
export type TeamFrontMatter = z.infer<typeof TeamFrontMatterSchema>;
