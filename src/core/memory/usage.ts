/**
 * Injection and recall counters without slowing the hooks. The SessionStart hook (and
 * the prompt-recall hook) append one short line to `memory/usage.log` of the bucket:
 *
 *   `<utc> i <id>,<id>,...`   entries injected at a session start
 *   `<utc> r <id>,<id>,...`   recall records returned for a prompt
 *
 * One `appendFileSync` (no read, no lock, no JSON parse): a few tens of microseconds. The compiler
 * folds the log into `memory/usage.json` (`{<id>: {injected_count, last_injected_at,
 * recalled_count, last_recalled_at}}`) under its lock. Counters live outside memory.json on
 * purpose: they change with every session, and lessons (and their undo records) should change
 * only when what is believed changes. The fold renames the log aside first, so appends that race
 * with the fold land in a fresh log and are counted next time. Counts are best effort (a crash
 * between the commit and the removal of the folded file counts it twice); they only decide what is
 * archived when unused.
 *
 * Hot path: no zod; node built-ins and the small fs helpers only (the totals are written with the
 * one atomic writer, fs/atomic.ts, whose zod import is a type).
 */
import { existsSync, readdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../fs/atomic.js';
import { appendNoFollow, readRegularText } from '../fs/safe.js';
import { reportMovedAside } from '../log.js';

/** Past this size the hooks stop appending (a bucket nobody compiles must not grow without bound). */
export const USAGE_LOG_MAX_BYTES = 4 * 1024 * 1024;

/** `memory/usage.log` of a bucket. */
export function usageLogPath(memoryDir: string): string {
  return join(memoryDir, 'usage.log');
}

/**
 * Appends one usage line. Only when the bucket's memory dir exists (a hook never creates a
 * bucket); never throws (a hook must not fail because counting failed).
 */
export function recordUsage(
  memoryDir: string,
  kind: 'i' | 'r',
  ids: readonly string[],
  now: Date = new Date(),
): boolean {
  const clean = ids.filter((id) => /^[0-9A-Za-z_-]{1,64}$/.test(id));
  if (clean.length === 0) return false;
  try {
    if (!existsSync(memoryDir)) return false;
    const file = usageLogPath(memoryDir);
    try {
      if (statSync(file).size > USAGE_LOG_MAX_BYTES) return false;
    } catch {
      // No log yet.
    }
    appendNoFollow(file, `${now.toISOString().replace(/\.\d{3}Z$/, 'Z')} ${kind} ${clean.join(',')}\n`, {
      onMovedAside: reportMovedAside,
    });
    return true;
  } catch {
    return false;
  }
}

/** Folded counts per id. */
export interface UsageCounts {
  injected: Map<string, { count: number; last: string }>;
  recalled: Map<string, { count: number; last: string }>;
  /** Files folded (remove them after the commit that applied the counts). */
  files: string[];
}

/** Renames the live log aside (`usage.log.fold-<tag>`) and reads every folded file not yet removed. */
export function takeUsage(memoryDir: string, tag: string): UsageCounts {
  const counts: UsageCounts = { injected: new Map(), recalled: new Map(), files: [] };
  const live = usageLogPath(memoryDir);
  if (existsSync(live)) {
    try {
      renameSync(live, `${live}.fold-${tag}`);
    } catch {
      // Another fold took it; whatever is there is read below.
    }
  }
  let names: string[];
  try {
    names = readdirSync(memoryDir)
      .filter((n) => n.startsWith('usage.log.fold-'))
      .sort();
  } catch {
    return counts;
  }
  for (const name of names) {
    const file = join(memoryDir, name);
    let text: string;
    try {
      text = readRegularText(file);
    } catch {
      continue;
    }
    counts.files.push(file);
    for (const line of text.split('\n')) {
      const [at, kind, list] = line.split(' ');
      if (!at || !list || (kind !== 'i' && kind !== 'r')) continue;
      const map = kind === 'i' ? counts.injected : counts.recalled;
      for (const id of list.split(',')) {
        if (!id) continue;
        const seen = map.get(id);
        if (seen) {
          seen.count++;
          if (at > seen.last) seen.last = at;
        } else {
          map.set(id, { count: 1, last: at });
        }
      }
    }
  }
  return counts;
}

/** Removes folded files after their counts were committed. */
export function dropUsageFiles(files: readonly string[]): void {
  for (const file of files) {
    try {
      unlinkSync(file);
    } catch {
      // Already gone.
    }
  }
}

/** Totals per entry id, as kept in `memory/usage.json` (`UsageTotalsSchema` in schema.ts). */
export interface UsageTotals {
  injected_count?: number;
  last_injected_at?: string;
  recalled_count?: number;
  last_recalled_at?: string;
}

const isCount = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const USAGE_FIELDS: ReadonlyArray<[keyof UsageTotals, (v: unknown) => boolean]> = [
  ['injected_count', isCount],
  ['last_injected_at', (v) => typeof v === 'string'],
  ['recalled_count', isCount],
  ['last_recalled_at', (v) => typeof v === 'string'],
];

/**
 * The totals of one entry as `UsageTotalsSchema` reads them, without zod (this module is on the
 * hook path): undefined when not an object, a malformed counter dropped. Never throws.
 */
export function readUsageTotalsEntry(raw: unknown): UsageTotals | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const out: Record<string, unknown> = { ...raw };
  for (const [field, valid] of USAGE_FIELDS)
    if (field in out && out[field] !== undefined && !valid(out[field])) out[field] = undefined;
  return out;
}

/** `memory/usage.json`. */
export function usageTotalsPath(memoryDir: string): string {
  return join(memoryDir, 'usage.json');
}

/**
 * Reads `memory/usage.json` (empty when missing or damaged; an entry that is not an object is
 * skipped). Never throws.
 */
export function readUsageTotals(memoryDir: string): Map<string, UsageTotals> {
  const out = new Map<string, UsageTotals>();
  try {
    const data: unknown = JSON.parse(readRegularText(usageTotalsPath(memoryDir)));
    if (data === null || typeof data !== 'object' || Array.isArray(data)) return out;
    for (const [id, raw] of Object.entries(data)) {
      const totals = readUsageTotalsEntry(raw);
      if (totals) out.set(id, totals);
    }
  } catch {
    // Missing or damaged: the counts start again from the next fold.
  }
  return out;
}

/** Adds folded counts to the totals and writes them atomically (call under the compile lock). */
export function addUsageTotals(
  memoryDir: string,
  counts: UsageCounts,
  keep?: ReadonlySet<string>,
): Map<string, UsageTotals> {
  const totals = readUsageTotals(memoryDir);
  const add = (
    map: UsageCounts['injected'],
    count: 'injected_count' | 'recalled_count',
    last: 'last_injected_at' | 'last_recalled_at',
  ) => {
    for (const [id, used] of map) {
      const t = totals.get(id) ?? {};
      t[count] = (t[count] ?? 0) + used.count;
      if (!t[last] || used.last > t[last]!) t[last] = used.last;
      totals.set(id, t);
    }
  };
  add(counts.injected, 'injected_count', 'last_injected_at');
  add(counts.recalled, 'recalled_count', 'last_recalled_at');
  if (keep) for (const id of [...totals.keys()]) if (!keep.has(id)) totals.delete(id);
  const sorted = Object.fromEntries([...totals.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
  writeFileAtomic(usageTotalsPath(memoryDir), `${JSON.stringify(sorted, null, 1)}\n`, { mode: 0o600 });
  return totals;
}
