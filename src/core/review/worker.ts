/**
 * The review worker: drains a bucket's spool (see spool.ts). One per bucket, at most
 * MAX_WORKERS across the home. Started detached by the Stop hook, and run inline by `scan`.
 */
import { mkdirSync, renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { utcNow } from '../constants.js';
import { describeError } from '../errors.js';
import { logInfo, logWarn } from '../log.js';
import type { StatePaths } from '../paths.js';
import { crashPoint } from '../testing.js';
import { reviewTurn } from './review-turn.js';
import { ReviewDeferredError } from './usage.js';
import {
  acquireWorker,
  classifyReviewFailure,
  markReviewerHealthy,
  recordWait,
  deadDir,
  isDue,
  listSpool,
  readSpoolEntry,
  recordFailure,
  touchWorkerLock,
  writeSpoolEntry,
  type SpoolEntry,
} from '../spool/spool.js';

export interface DrainResult {
  /** The bucket already had a worker (or all slots were taken): nothing done here. */
  busy: boolean;
  reviewed: number;
  duplicates: number;
  empty: number;
  retried: number;
  /** Failures of an outage: the turn waits, its attempt not counted. */
  waiting: number;
  dead: number;
  notDue: number;
  /** Turns left spooled until a later time without a failure (daily review cap). */
  deferred: number;
  suggestions: number;
}

/** Reviews every due spooled turn of a bucket. Never throws for a single turn's failure. */
export async function drainSpool(
  paths: StatePaths,
  options: {
    env?: NodeJS.ProcessEnv;
    maxEntries?: number;
    ignoreBackoff?: boolean;
    /** Stops between turns, and aborts the turn under review (its attempt is given back). */
    signal?: AbortSignal;
  } = {},
): Promise<DrainResult> {
  const result: DrainResult = {
    busy: false,
    reviewed: 0,
    duplicates: 0,
    empty: 0,
    retried: 0,
    waiting: 0,
    dead: 0,
    notDue: 0,
    deferred: 0,
    suggestions: 0,
  };
  const maxEntries = options.maxEntries ?? 500;
  let processed = 0;
  let idlePasses = 0;
  for (;;) {
    const release = acquireWorker(paths) ?? (await acquireWhileDue(paths, options));
    if (!release) {
      result.busy = processed === 0;
      return result;
    }
    let progressed = false;
    try {
      for (const item of listSpool(paths)) {
        if (processed >= maxEntries || options.signal?.aborted) break;
        touchWorkerLock(paths);
        const entry = readSpoolEntry(item.file);
        if (!entry) {
          // Not a readable entry (damaged by hand or disk): keep it aside, never delete it.
          mkdirSync(deadDir(paths), { recursive: true });
          try {
            renameSync(item.file, join(deadDir(paths), `${item.key}.corrupt-${Date.now()}`));
          } catch {
            // Gone meanwhile.
          }
          logWarn('stop-review: unreadable spool entry kept aside in review/spool/dead/', {
            kind: 'stop-review',
            key: item.key,
          });
          continue;
        }
        if (!options.ignoreBackoff && !isDue(entry, Date.now(), paths.home)) {
          result.notDue++;
          continue;
        }
        processed++;
        progressed = true;
        // Count the attempt before trying, so a turn that crashes the worker cannot loop forever.
        const attempt = {
          ...entry,
          attempts: entry.attempts + 1,
          history: [...entry.history, { at: utcNow(), event: `attempt ${entry.attempts + 1}` }].slice(-20),
        };
        writeSpoolEntry(paths, attempt);
        crashPoint('review:after-claim');
        try {
          const review = await reviewTurn(
            paths,
            {
              ...(attempt.agent !== undefined ? { agent: attempt.agent } : {}),
              sessionId: attempt.session_id,
              turnId: attempt.turn_id,
              cwd: attempt.cwd,
              transcriptPath: attempt.transcript_path,
              lastAssistantMessage: attempt.last_assistant_message,
              reviewerProvider: attempt.reviewer_provider,
              ...(attempt.provider_stub_response !== undefined
                ? { providerStubResponse: attempt.provider_stub_response }
                : {}),
              triggeredAt: attempt.spooled_at,
            },
            {
              ...(options.env ? { env: options.env } : {}),
              ...(options.signal ? { signal: options.signal } : {}),
            },
          );
          crashPoint('review:after-enqueue');
          unlinkSync(item.file);
          // The reviewer answers again: turns waiting out its outage (any bucket) are due now.
          markReviewerHealthy(paths.home, review.provider);
          if (review.queue.status === 'written') result.reviewed++;
          else if (review.queue.status === 'duplicate') result.duplicates++;
          else result.empty++;
          result.suggestions += review.suggestions.length;
          logInfo('stop-review reviewed a turn', {
            kind: 'stop-review',
            reviewer_provider: review.provider,
            reviewer_provider_source: review.providerSource,
            suggestion_count: review.suggestions.length,
            skipped_suggestion_count: review.skipped.length,
            queue_status: review.queue.status,
            suggestion_id: review.queue.suggestionId,
            ...(review.notes.length > 0 ? { notes: review.notes } : {}),
          });
        } catch (error) {
          if (error instanceof ReviewDeferredError) {
            // Not a failure (the daily cap): the turn waits, and the attempt is given back.
            writeSpoolEntry(paths, deferredEntry(attempt, entry.attempts, error));
            result.deferred++;
            const until = error.until.toISOString();
            logInfo(`stop-review: ${error.message}`, { kind: 'stop-review', key: attempt.key, until });
            continue;
          }
          const retryAfterMs = (error as { retryAfterMs?: number }).retryAfterMs;
          const retryAfter = retryAfterMs ? retryAfterMs / 1000 : undefined;
          // Outages (unreachable, rate limits, provider down, not configured) wait without
          // using up the turn's attempts; everything else counts toward review/spool/dead.
          const { wait, provider } = classifyReviewFailure(error);
          const outcome = wait
            ? recordWait(
                paths,
                attempt,
                wait,
                provider ?? attempt.reviewer_provider,
                describeError(error),
                retryAfter,
              )
            : recordFailure(paths, attempt, describeError(error), retryAfter);
          if (outcome === 'dead') result.dead++;
          else if (outcome === 'waiting') result.waiting++;
          else result.retried++;
          const what =
            outcome === 'dead'
              ? 'parked in review/spool/dead'
              : outcome === 'waiting'
                ? `waiting: ${wait}, not counted`
                : 'will retry';
          logWarn(`stop-review: review failed (${what}): ${describeError(error)}`, {
            kind: 'stop-review',
            key: attempt.key,
            attempts: attempt.attempts,
          });
        }
      }
    } finally {
      release();
    }
    // A Stop may have spooled a turn while we held the lock and seen us running: look again.
    const due = anyDue(paths, options);
    // A pass that did nothing may look once more: the Stop that made a turn due may have started a
    // worker that found our lock held and left, so nobody else will review the turn now.
    if (!progressed) idlePasses += 1;
    if (!due || idlePasses > 1 || processed >= maxEntries || options.ignoreBackoff || options.signal?.aborted)
      return result;
  }
}

interface DueOptions {
  ignoreBackoff?: boolean;
  signal?: AbortSignal;
}

/** Whether a spooled turn may be attempted now. */
function anyDue(paths: StatePaths, options: DueOptions): boolean {
  return listSpool(paths).some((item) => {
    const entry = readSpoolEntry(item.file);
    return entry !== undefined && (options.ignoreBackoff || isDue(entry, Date.now(), paths.home));
  });
}

/** How long a worker that found the bucket's lock held keeps trying while turns are due. */
const BUSY_RETRY_MS = 2000;

/**
 * Tries the worker lock again for a short while, as long as a turn is due: the holder may be a
 * worker that is just giving up (no global slot, or done a moment before this turn was spooled),
 * and the Stop hook that spooled the turn started no other worker because it saw the lock held.
 */
async function acquireWhileDue(paths: StatePaths, options: DueOptions): Promise<(() => void) | undefined> {
  const deadline = Date.now() + BUSY_RETRY_MS;
  while (Date.now() < deadline && !options.signal?.aborted) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (!anyDue(paths, options)) return undefined;
    const release = acquireWorker(paths);
    if (release) return release;
  }
  return undefined;
}

/** The entry of a deferred turn: its attempt count restored, due at `until`. */
function deferredEntry(attempt: SpoolEntry, attempts: number, error: ReviewDeferredError): SpoolEntry {
  return {
    ...attempt,
    attempts,
    next_attempt_at: utcNow(error.until),
    history: [...attempt.history, { at: utcNow(), event: `deferred: ${error.message.slice(0, 200)}` }].slice(
      -20,
    ),
  };
}
