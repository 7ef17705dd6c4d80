/**
 * Per-invocation bookkeeping shared by the hook fast path and the commander program: logging set
 * up under the home, `.env.provider` hydration, and the one summary line each run appends.
 */
import { configureLog, hydrateEnvProvider, log, logDirFor, resolveHome } from '../core/index.js';

export interface Invocation {
  home: string;
  started: number;
  /** Extra fields for the summary line (counts, statuses; never content). */
  extras: Record<string, unknown>;
  /** Names of the variables `.env.provider` set. */
  hydrated: string[];
}

/**
 * Monotonic milliseconds. Not `performance.now()`: the first use of the `performance` global loads
 * nine perf_hooks modules, ~2 ms of every hook call (docs/performance.md); hrtime is built in.
 */
function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Starts an invocation: configures the log and (unless `hydrate` is false) loads `.env.provider`. */
export function startInvocation(options: { home?: string; hydrate?: boolean } = {}): Invocation {
  const started = nowMs();
  const home = resolveHome(options.home);
  configureLog({ dir: logDirFor(home) });
  const hydrated = options.hydrate === false ? [] : hydrateEnvProvider(home);
  return { home, started, extras: {}, hydrated };
}

/** Appends the one summary line of the invocation. */
export function finishInvocation(inv: Invocation, kind: string, exitCode: number): void {
  log(exitCode === 0 ? 'INFO' : 'ERROR', 'cli command completed', {
    kind,
    exit_code: exitCode,
    duration_ms: Math.round((nowMs() - inv.started) * 10) / 10,
    ...inv.extras,
  });
}
