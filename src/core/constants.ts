/**
 * Constants and tiny helpers shared by hot paths (hooks) and the rest. This module must stay
 * free of heavy imports: hooks load it, and zod alone costs ~50 ms of start-up.
 */

/** The suggestion families a reviewer may emit. */
export const FAMILIES = ['memory_updates', 'recall_candidate', 'skill_action'] as const;
export type Family = (typeof FAMILIES)[number];

/** Queue states, one directory each under `suggestions/`. */
export const QUEUE_STATES = ['pending', 'processing', 'done', 'failed', 'discarded'] as const;
export type QueueState = (typeof QUEUE_STATES)[number];

export const MEMORY_ACTIONS = ['add', 'replace', 'remove'] as const;
export const MEMORY_SCOPES = ['user', 'global'] as const;
export type MemoryScope = (typeof MEMORY_SCOPES)[number];
export const SKILL_ACTIONS = ['create', 'patch', 'edit', 'retire'] as const;

/** Owner string of the skills this tool manages (kept from the Python package so its manifests stay ours). */
export const PLUGIN_OWNER = 'codex-self-evolution-plugin';

/** Attempts before a suggestion envelope moves to `failed` for good. */
export const MAX_ATTEMPTS = 3;

/** UTC timestamp with second precision, `YYYY-MM-DDTHH:MM:SSZ`. */
export function utcNow(now: Date = new Date()): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
