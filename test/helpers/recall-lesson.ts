/**
 * One recall lesson fed through the Stop hook's `--hook-payload` form with the dummy reviewer (a
 * synchronous review), shared by the end-to-end loops of every agent.
 */
import { writeFileSync } from 'node:fs';
import { expect } from 'vitest';
import { runCli } from './run-cli.js';

/** The fix the recall note teaches, as a later session should see it. */
export const RECALLED = 'run pnpm install --no-frozen-lockfile locally and commit pnpm-lock.yaml';

/** Queues the recall note (ERR_PNPM_OUTDATED_LOCKFILE) as learned from a turn of `sessionId`. */
export function queueRecallLesson(
  payloadFile: string,
  turn: {
    sessionId: string | null;
    transcriptPath: string | undefined;
    repo: string;
    env: Record<string, string>;
  },
): void {
  writeFileSync(
    payloadFile,
    JSON.stringify({
      session_id: turn.sessionId,
      turn_id: 'recall-lesson',
      transcript_path: turn.transcriptPath,
      cwd: turn.repo,
      hook_event_name: 'Stop',
      stop_hook_active: false,
      last_assistant_message: null,
      reviewer_provider: 'dummy',
      provider_stub_response: {
        memory_updates: [],
        skill_action: [],
        recall_candidate: [
          {
            summary: 'ERR_PNPM_OUTDATED_LOCKFILE in CI',
            details: {
              content: `When pnpm install fails in CI with ERR_PNPM_OUTDATED_LOCKFILE, ${RECALLED}.`,
              source_paths: ['pnpm-lock.yaml'],
            },
            confidence: 0.9,
          },
        ],
      },
    }),
  );
  const reviewed = runCli(['stop-review', '--hook-payload', payloadFile], { env: turn.env, cwd: turn.repo });
  expect(reviewed.status, reviewed.stderr).toBe(0);
}
