/** What `compile` and `scan` share: flag parsing, the orderly stop on a signal, the team auto-share. */
import { autoShare, describeError, logInfo, logWarn, UsageError, type StatePaths } from '../core/index.js';
import type { CommandContext } from './context.js';

/** Parses a positive integer flag value (UsageError naming the flag otherwise). */
export function positiveInt(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`${flag} must be a positive integer, got "${value}"`);
  return n;
}

/**
 * Turns the first SIGINT/SIGTERM into an abort of `controller` (orderly stop, the lock is
 * released); the listener is then removed so a second signal terminates the process.
 */
export function abortOnSignals(controller: AbortController): () => void {
  const onSignal = () => {
    remove();
    controller.abort();
  };
  const remove = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return remove;
}

/**
 * `[team] auto_share = true`: eligible entries not yet in the shared store are written
 * into the working tree (never committed). Failures are logged; they never fail the compile.
 */
export async function autoShareAfterCompile(paths: StatePaths, ctx: CommandContext): Promise<void> {
  try {
    const written = await autoShare(paths);
    if (written.length > 0) {
      ctx.invocation.extras.team_shared =
        ((ctx.invocation.extras.team_shared as number | undefined) ?? 0) + written.length;
      logInfo(
        `team: auto_share wrote ${written.length} entr${written.length === 1 ? 'y' : 'ies'} into the working tree (not committed)`,
        { kind: 'team', files: written.map((w) => w.target) },
      );
    }
  } catch (error) {
    logWarn(`team: auto_share failed: ${describeError(error)}`, { kind: 'team' });
  }
}
