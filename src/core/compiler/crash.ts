/**
 * Test-only fault injection: `CODEX_SELF_EVOLUTION_TEST_CRASH_AT=<stage>[:<batch>]` makes the
 * process SIGKILL itself when the compile reaches `<stage>` (in batch `<batch>`, 1-based; any batch
 * when omitted), so tests can prove that the next run recovers from a crash at that exact point.
 * Unset in normal use, where this is one environment lookup per stage.
 */
import { readEnv } from '../env.js';

/** The named points of a compile where a crash can be injected, in order. */
export const CRASH_STAGES = [
  'after-lock',
  'after-claim',
  'after-backend',
  'after-stage',
  'after-journal',
  'mid-commit',
  'after-commit',
  'after-done',
  'after-receipt',
] as const;
export type CrashStage = (typeof CRASH_STAGES)[number];

/** Kills the process with SIGKILL if the test hook names this stage (and batch). */
export function crashPoint(stage: CrashStage, batch = 1): void {
  const spec = readEnv('CODEX_SELF_EVOLUTION_TEST_CRASH_AT');
  if (!spec) return;
  const [name, at] = spec.split(':');
  if (name !== stage) return;
  if (at !== undefined && Number(at) !== batch) return;
  process.kill(process.pid, 'SIGKILL');
}
