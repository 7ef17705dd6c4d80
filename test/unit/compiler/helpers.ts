/** Shared fixtures of the compiler tests: a fresh bucket and envelopes built through the real queue. */
import { ensureRuntimeDirs, resolveStatePaths, type StatePaths } from '../../../src/core/paths.js';
import { enqueueReviewedTurn } from '../../../src/core/queue/queue.js';
import type { Suggestion } from '../../../src/core/schemas.js';
import { tempDir } from '../../helpers/tmp.js';

/** A fresh bucket (explicit state dir) with its runtime tree. */
export function bucket(): StatePaths {
  const root = tempDir('csep-compiler-');
  const paths = resolveStatePaths({ stateDir: `${root}/state`, home: `${root}/home`, cwd: root });
  ensureRuntimeDirs(paths);
  return paths;
}

/** Reviewer timestamp `n` seconds after a fixed origin (so order is explicit). */
export function at(n: number): string {
  return new Date(Date.UTC(2026, 10, 1, 0, 0, 0) + n * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

let turn = 0;

/** Queues one envelope with `suggestions` at reviewer time `at(n)`. Returns its suggestion id. */
export function queue(paths: StatePaths, suggestions: Suggestion[], n = turn, threadId = 'thread-1'): string {
  turn++;
  const result = enqueueReviewedTurn(paths, {
    threadId,
    turnId: `turn-${turn}-${n}`,
    cwd: paths.cwd,
    suggestions,
    reviewerProvider: 'dummy',
    timestamp: at(n),
  });
  if (result.status !== 'written') throw new Error(`not queued: ${result.status}`);
  return result.suggestionId;
}

export const mem = (
  summary: string,
  details: Record<string, unknown> = {},
  confidence = 0.9,
): Suggestion => ({
  family: 'memory_updates',
  summary,
  details: { action: 'add', scope: 'global', content: `${summary}.`, ...details },
  confidence,
});

export const recall = (summary: string, details: Record<string, unknown> = {}): Suggestion => ({
  family: 'recall_candidate',
  summary,
  details: { content: `${summary} in detail`, source_paths: ['src/a.ts'], ...details },
  confidence: 1,
});

export const skill = (details: Record<string, unknown>, summary = 'A skill'): Suggestion => ({
  family: 'skill_action',
  summary,
  details: {
    action: 'create',
    description: 'Use when deploying the service',
    content: 'Run the deploy script, then verify the health check',
    ...details,
  },
  confidence: 1,
});
