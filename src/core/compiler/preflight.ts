/**
 * `compile-preflight`: decides cheaply whether a compile has work, without
 * taking the lock and without creating any directory (it runs every few minutes for every repo).
 * Order: a live lock → `skip_locked`; then work → `run`; else `skip_empty`. Work is pending
 * envelopes, failed ones still under the attempt budget, envelopes stranded in `processing/` by a
 * dead compile (the Python package ignored them), and an interrupted apply (a journal to roll forward).
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gitInfo } from '../git.js';
import type { StatePaths } from '../paths.js';
import { pendingWork } from '../queue/queue.js';
import { spoolCounts } from '../spool/spool.js';
import { journalPath } from './apply.js';
import { lockStatus, type LockOptions, type LockStatus } from './lock.js';
import { readMaintenanceState } from './maintenance-state.js';

/** Turns waiting for review (the Stop-hook spool): not compile work, but `scan` reviews them first. */
export interface ReviewBacklog {
  spooled_turns: number;
  dead_turns: number;
}

export type PreflightResult =
  | ({ status: 'skip_locked'; lock: LockStatus } & ReviewBacklog)
  | ({
      status: 'skip_empty';
      pending: 0;
      retryable_failed: 0;
      stranded: 0;
      interrupted_apply: false;
    } & ReviewBacklog)
  | ({
      status: 'run';
      lock: LockStatus;
      pending: number;
      retryable_failed: number;
      stranded: number;
      interrupted_apply: boolean;
      /** recall/index.json is newer than its search index (or has none): compile rebuilds it. */
      stale_search_index: boolean;
      /** Lesson maintenance is due: usage to fold, HEAD moved since the staleness check, or the daily archive
       * pass. */
      maintenance_due: boolean;
    } & ReviewBacklog);

/**
 * True when lesson maintenance has work with an empty queue: SessionStart usage lines to
 * fold, a repository HEAD that moved since the last staleness check, or the daily archive pass.
 * Only for buckets that have learned memory. One `git rev-parse` at most.
 */
export function maintenanceDue(paths: StatePaths, now = Date.now()): boolean {
  if (!existsSync(paths.memoryJson)) return false;
  try {
    if (statSync(join(paths.memoryDir, 'usage.log')).size > 0) return true;
  } catch {
    // No usage recorded since the last fold.
  }
  const state = readMaintenanceState(paths);
  if (!state) return true; // Never maintained (or the state is damaged: the compile rewrites it).
  const archived = Date.parse(state.archive_checked_at ?? '');
  if (!Number.isFinite(archived) || now - archived >= 86_400_000) return true;
  const head = gitInfo(paths.repoKey)?.head;
  return head !== undefined && head !== state.head;
}

/** True when recall/index.json exists and its compile-time search index is missing or older. */
export function searchIndexOutdated(paths: StatePaths): boolean {
  let indexMtime: number;
  try {
    indexMtime = statSync(paths.recallIndex).mtimeMs;
  } catch {
    return false;
  }
  try {
    return statSync(paths.recallSearchIndex).mtimeMs < indexMtime;
  } catch {
    return true;
  }
}

/** Runs the preflight of one bucket. Read-only. */
export function runPreflight(paths: StatePaths, options: LockOptions = {}): PreflightResult {
  const lock = lockStatus(paths, options);
  const spool = spoolCounts(paths);
  const backlog: ReviewBacklog = { spooled_turns: spool.spooled, dead_turns: spool.dead };
  if (lock.locked && !lock.stale) return { status: 'skip_locked', lock, ...backlog };
  const work = pendingWork(paths);
  const interrupted = existsSync(journalPath(paths));
  const staleIndex = searchIndexOutdated(paths);
  const maintenance = maintenanceDue(paths);
  // No live lock holds processing/, so anything there was stranded by a dead compile.
  if (
    work.pending === 0 &&
    work.retryableFailed === 0 &&
    work.processing === 0 &&
    !interrupted &&
    !staleIndex &&
    !maintenance
  ) {
    return {
      status: 'skip_empty',
      pending: 0,
      retryable_failed: 0,
      stranded: 0,
      interrupted_apply: false,
      ...backlog,
    };
  }
  return {
    status: 'run',
    lock,
    pending: work.pending,
    retryable_failed: work.retryableFailed,
    stranded: work.processing,
    interrupted_apply: interrupted,
    stale_search_index: staleIndex,
    maintenance_due: maintenance,
    ...backlog,
  };
}
