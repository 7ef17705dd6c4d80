/** What `recall` and `recall-trigger` share: `--top-k`, the bucket of `--cwd`, the query and its log. */
import {
  expandPath,
  loadTeamRecall,
  logWarn,
  mergeTeamRecall,
  queryRecall,
  resolveStatePaths,
  sha1,
  UsageError,
  type RecallQueryOutcome,
  type StatePaths,
} from '../core/index.js';
import type { CommandContext } from './context.js';

/** Parses `--top-k`: an integer; values below 1 become 1. */
export function parseTopK(raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^\s*[-+]?\d+\s*$/.test(raw)) throw new UsageError(`--top-k must be an integer, got "${raw}"`);
  return Math.max(1, Number.parseInt(raw, 10));
}

/** The bucket paths for `--cwd` (default: the process cwd, `~` expanded) and `--state-dir`. Creates nothing.
 * */
export function recallPaths(options: { cwd?: string; stateDir?: string }, ctx: CommandContext): StatePaths {
  return resolveStatePaths({
    cwd: options.cwd ? expandPath(options.cwd) : process.cwd(),
    ...(options.stateDir ? { stateDir: options.stateDir } : {}),
    home: ctx.invocation.home,
  });
}

/** Runs a query against the bucket and logs how it was answered when that was not the fast path. */
export async function runQuery(
  kind: string,
  paths: StatePaths,
  query: string,
  topK: number,
  options: { team?: boolean } = {},
): Promise<RecallQueryOutcome> {
  let outcome = await queryRecall(paths, {
    query,
    cwd: paths.cwd,
    repoFingerprint: paths.repoFingerprint,
    topK,
  });
  // Shared team notes of the checkout, an extra source merged into the personal results.
  if (options.team) {
    const team = await loadTeamRecall(paths.cwd, paths.repoFingerprint, paths.home);
    outcome = await mergeTeamRecall(outcome, team, {
      query,
      cwd: paths.cwd,
      repoFingerprint: paths.repoFingerprint,
      topK,
    });
    if (team && team.problems.length > 0)
      outcome = { ...outcome, problems: [...outcome.problems, ...team.problems] };
  }
  if (outcome.mode === 'rebuilt' || outcome.mode === 'full_parse') {
    logWarn(
      `${kind}: the compile-time recall index did not answer (${outcome.mode}); the next compile rewrites it`,
      { kind, problems: outcome.problems },
    );
  } else if (outcome.problems.length > 0) {
    logWarn(`${kind}: recall state problems`, { kind, problems: outcome.problems });
  }
  return outcome;
}

/** sha1 of the query, 12 hex: logged instead of the query. */
export function queryHash(query: string): string {
  return sha1(query).slice(0, 12);
}
