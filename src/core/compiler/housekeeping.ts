/**
 * Housekeeping after a successful compile, so nothing in a bucket grows without bound:
 * `suggestions/done/` and `discarded/`, review snapshots and reviewer failure dumps are pruned by
 * age and count, idempotency markers (`suggestions/.keys/*`) and kept-aside `*.corrupt-*` files by
 * age, and the receipt history by count. Cheap: it stats directory entries only, and runs at most
 * once per `minIntervalSeconds` per bucket (stamp in `compiler/housekeeping.json`).
 *
 * Markers are pruned by age only: a marker is what makes a re-delivered Stop for the same turn a
 * no-op, so it must outlive any plausible re-delivery; 30 days does.
 */
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { utcNow } from '../constants.js';
import { parseJsonWith, writeJsonAtomic } from '../fs/atomic.js';
import type { StatePaths } from '../paths.js';
import { trimReceiptHistory } from './receipts.js';
import { readRegularText } from '../fs/safe.js';

const DAY_MS = 24 * 3600 * 1000;

/** Retention rules. Ages in days; counts are the newest entries kept. */
export interface HousekeepingPolicy {
  doneMaxAgeDays: number;
  doneMaxCount: number;
  discardedMaxAgeDays: number;
  discardedMaxCount: number;
  snapshotsMaxAgeDays: number;
  snapshotsMaxCount: number;
  reviewFailedMaxAgeDays: number;
  reviewFailedMaxCount: number;
  keysMaxAgeDays: number;
  corruptMaxAgeDays: number;
  receiptHistoryMaxEntries: number;
  /** Minimum time between two runs on one bucket (0 = always run). */
  minIntervalSeconds: number;
}

export const DEFAULT_HOUSEKEEPING: HousekeepingPolicy = {
  doneMaxAgeDays: 30,
  doneMaxCount: 2000,
  discardedMaxAgeDays: 90,
  discardedMaxCount: 2000,
  snapshotsMaxAgeDays: 30,
  snapshotsMaxCount: 500,
  reviewFailedMaxAgeDays: 30,
  reviewFailedMaxCount: 200,
  keysMaxAgeDays: 30,
  corruptMaxAgeDays: 30,
  receiptHistoryMaxEntries: 500,
  minIntervalSeconds: 3600,
};

/** What one run removed. */
export interface HousekeepingReport {
  ran: boolean;
  removed: {
    done: number;
    discarded: number;
    snapshots: number;
    review_failed: number;
    keys: number;
    corrupt: number;
    receipts: number;
  };
}

interface Entry {
  path: string;
  mtimeMs: number;
}

function listEntries(dir: string, filter: (name: string) => boolean, clock: 'mtime' | 'ctime'): Entry[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: Entry[] = [];
  for (const name of names) {
    if (!filter(name)) continue;
    const path = join(dir, name);
    try {
      const stat = statSync(path);
      out.push({ path, mtimeMs: clock === 'ctime' ? stat.ctimeMs : stat.mtimeMs });
    } catch {
      // Removed meanwhile.
    }
  }
  return out;
}

function remove(path: string): boolean {
  try {
    rmSync(path, { recursive: true, force: true });
    return true;
  } catch {
    return false;
  }
}

/**
 * Removes entries older than `maxAgeDays`, then all but the newest `maxCount`. Returns the count
 * removed. `clock: 'ctime'` ages a file by when it landed in the directory; queue files need it
 * because the queue stamps their mtime with the reviewer time (a turn reviewed long ago but
 * compiled today must not be pruned at once).
 */
export function pruneDir(
  dir: string,
  options: {
    maxAgeDays: number;
    maxCount?: number;
    now: number;
    filter?: (name: string) => boolean;
    clock?: 'mtime' | 'ctime';
  },
): number {
  const entries = listEntries(dir, options.filter ?? ((n) => !n.startsWith('.')), options.clock ?? 'mtime');
  const cutoff = options.now - options.maxAgeDays * DAY_MS;
  let removed = 0;
  const kept: Entry[] = [];
  for (const entry of entries) {
    if (entry.mtimeMs < cutoff) {
      if (remove(entry.path)) removed++;
    } else {
      kept.push(entry);
    }
  }
  if (options.maxCount !== undefined && kept.length > options.maxCount) {
    kept.sort((a, b) => b.mtimeMs - a.mtimeMs || (a.path < b.path ? -1 : 1));
    for (const entry of kept.slice(options.maxCount)) if (remove(entry.path)) removed++;
  }
  return removed;
}

function stampPath(paths: StatePaths): string {
  return join(paths.compilerDir, 'housekeeping.json');
}

/** `compiler/housekeeping.json`: when housekeeping last ran. */
const StampSchema = z.looseObject({ last_run_at: z.string() });

/** When housekeeping last ran; 0 (run now) when never, or when the stamp is damaged. */
function lastRunMs(paths: StatePaths): number {
  try {
    const ms = Date.parse(parseJsonWith(StampSchema, readRegularText(stampPath(paths))).last_run_at);
    return Number.isFinite(ms) ? ms : 0;
  } catch {
    return 0;
  }
}

/** Runs housekeeping on one bucket (call under the compile lock). Never throws. */
export function runHousekeeping(
  paths: StatePaths,
  policy: Partial<HousekeepingPolicy> = {},
  now: number = Date.now(),
): HousekeepingReport {
  const p = { ...DEFAULT_HOUSEKEEPING, ...policy };
  const report: HousekeepingReport = {
    ran: false,
    removed: { done: 0, discarded: 0, snapshots: 0, review_failed: 0, keys: 0, corrupt: 0, receipts: 0 },
  };
  const last = lastRunMs(paths);
  // A stamp from the future (clock change) does not block housekeeping forever.
  if (p.minIntervalSeconds > 0 && last <= now && now - last < p.minIntervalSeconds * 1000) return report;
  report.ran = true;
  const json = (n: string) => n.endsWith('.json') && !n.startsWith('.');
  try {
    report.removed.done = pruneDir(paths.queue.done, {
      maxAgeDays: p.doneMaxAgeDays,
      maxCount: p.doneMaxCount,
      now,
      filter: json,
      clock: 'ctime',
    });
    report.removed.discarded = pruneDir(paths.queue.discarded, {
      maxAgeDays: p.discardedMaxAgeDays,
      maxCount: p.discardedMaxCount,
      now,
      filter: json,
      clock: 'ctime',
    });
    report.removed.snapshots = pruneDir(paths.snapshotsDir, {
      maxAgeDays: p.snapshotsMaxAgeDays,
      maxCount: p.snapshotsMaxCount,
      now,
    });
    report.removed.review_failed = pruneDir(paths.reviewFailedDir, {
      maxAgeDays: p.reviewFailedMaxAgeDays,
      maxCount: p.reviewFailedMaxCount,
      now,
    });
    report.removed.keys = pruneDir(join(paths.suggestionsDir, '.keys'), {
      maxAgeDays: p.keysMaxAgeDays,
      now,
    });
    const corrupt = (n: string) => n.includes('.corrupt-');
    for (const dir of [paths.memoryDir, paths.recallDir, paths.skillsDir, paths.compilerDir]) {
      report.removed.corrupt += pruneDir(dir, { maxAgeDays: p.corruptMaxAgeDays, now, filter: corrupt });
    }
    report.removed.receipts = trimReceiptHistory(paths, { maxEntries: p.receiptHistoryMaxEntries });
    writeJsonAtomic(stampPath(paths), { last_run_at: utcNow(new Date(now)), removed: report.removed });
  } catch {
    // Housekeeping must never fail a compile; the next run tries again.
  }
  return report;
}
