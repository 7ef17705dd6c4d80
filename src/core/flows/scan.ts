/**
 * `scan`: preflight + compile over every bucket under a home, sequentially, one
 * bucket's failure isolated from the others. Archived buckets (migrate-worktrees tombstones) are
 * skipped. Output keeps the Python package's keys; `aggregate` sums the buckets that compiled.
 */
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { describeError } from '../errors.js';
import { listBuckets, statePathsForBucket } from '../paths.js';
import { runCompile, type CompileOptions, type CompileResult } from '../compiler/compile.js';
import { runPreflight } from '../compiler/preflight.js';
import { spoolCounts } from '../spool/spool.js';

/** One bucket's line of the scan result. */
export interface ScanEntry {
  project: string;
  state_dir: string;
  preflight_status: string | null;
  compile_status: string;
  processed_count: number;
  backend: string | null;
  receipt_path: string | null;
  error: string | null;
  fallback_backend?: string | null;
  memory_action_stats?: Record<string, unknown>;
  discarded_count?: number;
  failed_count?: number;
  /** Spooled turns reviewed before compiling (the Stop hook's worker may have died). */
  review?: { reviewed: number; retried: number; waiting: number; dead: number; busy: boolean };
}

export interface ScanResult {
  home: string;
  total_projects: number;
  results: ScanEntry[];
  counts: { run: number; skipped: number; failed: number };
  aggregate?: {
    buckets_processed: number;
    buckets_with_fallback: number;
    total_memory_suggestions: number;
    actions: { add: number; replace: number; remove: number };
    scopes: { user: number; global: number };
    total_discarded: number;
  };
}

/** Progress of a scan, for a TTY progress line. */
export interface ScanProgress {
  index: number;
  total: number;
  project: string;
  phase: 'start' | 'done';
  entry?: ScanEntry;
}

export interface ScanOptions extends Omit<CompileOptions, 'backendImpl'> {
  onProgress?: (progress: ScanProgress) => void;
  /** Review spooled turns of each bucket before compiling (default true). */
  review?: boolean;
  /** Time budget of one bucket (default {@link BUCKET_BUDGET_MS}). */
  bucketBudgetMs?: number;
}

/** Default time budget of one bucket in a scan (review of spooled turns + compile). */
export const BUCKET_BUDGET_MS = 5 * 60 * 1000;

/** An AbortSignal that fires on the scan's signal or when the bucket's budget runs out. */
function bucketBudget(
  outer: AbortSignal | undefined,
  ms: number,
): { signal: AbortSignal; exceeded: boolean; done: () => void } {
  const controller = new AbortController();
  const state = { signal: controller.signal, exceeded: false, done: () => undefined as void };
  const onOuter = (): void => controller.abort(outer?.reason);
  if (outer?.aborted) controller.abort(outer.reason);
  else outer?.addEventListener('abort', onOuter, { once: true });
  const timer = setTimeout(() => {
    state.exceeded = true;
    controller.abort(new Error('bucket time budget exceeded'));
  }, ms);
  timer.unref();
  state.done = () => {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuter);
  };
  return state;
}

/** Runs preflight + compile over every non-archived bucket of `home`. Never throws for one bucket. */
export async function runScan(home: string, options: ScanOptions = {}): Promise<ScanResult> {
  const { onProgress, review = true, bucketBudgetMs: _budget, ...compileOptions } = options;
  if (!existsSync(join(home, 'projects')))
    return { home, total_projects: 0, results: [], counts: { run: 0, skipped: 0, failed: 0 } };
  const buckets = listBuckets(home).filter((b) => !b.archived);
  const results: ScanEntry[] = [];
  const counts = { run: 0, skipped: 0, failed: 0 };
  const aggregate = {
    buckets_processed: 0,
    buckets_with_fallback: 0,
    total_memory_suggestions: 0,
    actions: { add: 0, replace: 0, remove: 0 },
    scopes: { user: 0, global: 0 },
    total_discarded: 0,
  };
  for (const [i, bucket] of buckets.entries()) {
    if (options.signal?.aborted) break;
    onProgress?.({ index: i + 1, total: buckets.length, project: bucket.name, phase: 'start' });
    const entry: ScanEntry = {
      project: bucket.name,
      state_dir: bucket.stateDir,
      preflight_status: null,
      compile_status: 'not_run',
      processed_count: 0,
      backend: null,
      receipt_path: null,
      error: null,
    };
    // A per-bucket time budget: one bad bucket (a hung reviewer, a huge backlog) stops between
    // steps and leaves the rest of its work for the next scan, so it cannot hold the others.
    const budgetMs = options.bucketBudgetMs ?? BUCKET_BUDGET_MS;
    const budget = bucketBudget(options.signal, budgetMs);
    try {
      const paths = statePathsForBucket(home, bucket);
      // A turn whose review worker died is still spooled: review it now, so it reaches this compile.
      if (review && spoolCounts(paths).spooled > 0) {
        const { drainSpool } = await import('../review/worker.js');
        const drained = await drainSpool(paths, { signal: budget.signal });
        entry.review = {
          reviewed: drained.reviewed,
          retried: drained.retried,
          waiting: drained.waiting,
          dead: drained.dead,
          busy: drained.busy,
        };
      }
      const preflight = runPreflight(paths, options.lock);
      entry.preflight_status = preflight.status;
      if (preflight.status !== 'run') {
        entry.compile_status = preflight.status;
        counts.skipped++;
      } else {
        const compiled: CompileResult = await runCompile(paths, { ...compileOptions, signal: budget.signal });
        entry.compile_status = compiled.status;
        entry.processed_count = compiled.processed_count;
        entry.backend = compiled.backend;
        entry.receipt_path = compiled.receipt_path;
        entry.fallback_backend = compiled.fallback_backend;
        entry.memory_action_stats = compiled.memory_action_stats;
        entry.discarded_count = compiled.discarded_count;
        entry.failed_count = compiled.failed_count;
        if (compiled.error) entry.error = compiled.error;
        if (compiled.status === 'success') {
          counts.run++;
          aggregate.buckets_processed += compiled.processed_count > 0 ? 1 : 0;
          if (compiled.fallback_backend) aggregate.buckets_with_fallback++;
          aggregate.total_discarded += compiled.discarded_count;
        } else if (compiled.status === 'failed') {
          counts.failed++;
        } else {
          counts.skipped++;
        }
        const stats = compiled.memory_action_stats as {
          total?: number;
          by_action?: Record<string, number>;
          by_scope?: Record<string, number>;
        };
        if (typeof stats.total === 'number') {
          aggregate.total_memory_suggestions += stats.total;
          for (const k of ['add', 'replace', 'remove'] as const)
            aggregate.actions[k] += stats.by_action?.[k] ?? 0;
          for (const k of ['user', 'global'] as const) aggregate.scopes[k] += stats.by_scope?.[k] ?? 0;
        }
      }
    } catch (error) {
      entry.error = describeError(error);
      entry.preflight_status ??= 'error';
      entry.compile_status = 'error';
      counts.failed++;
    } finally {
      budget.done();
    }
    if (budget.exceeded)
      entry.error = `${entry.error ? `${entry.error}; ` : ''}time budget of ${Math.round(budgetMs / 1000)} s exceeded; the rest waits for the next scan`;
    results.push(entry);
    onProgress?.({ index: i + 1, total: buckets.length, project: bucket.name, phase: 'done', entry });
  }
  return { home, total_projects: results.length, results, counts, aggregate };
}
