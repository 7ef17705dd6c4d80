/**
 * Building the missing search index of a bucket (`recall/search-index.json`), for state homes left
 * by the Python original (which wrote only `recall/index.json`) or by a compile that could not
 * refresh it. Without it, prompt-time recall answers nothing for a big bucket (it will not rebuild
 * on a prompt) and every `recall` rebuilds the index in memory and throws it away.
 *
 * `install` and `scan` repair every bucket; `recall` builds a missing one before answering. Each
 * writes under the bucket's compile lock (the compiler is the other writer of the file), and never
 * waits for it: a bucket whose lock is busy is left for the compile that holds it.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { describeError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { listBuckets, statePathsForBucket, type StatePaths } from '../paths.js';
import {
  buildRecallIndexFromSource,
  readRecallSearchIndexFile,
  serializeRecallSearchIndex,
} from './index-build.js';

/** What became of one bucket's search index. */
export type IndexRepairOutcome = 'fresh' | 'built' | 'locked' | 'no_recall' | 'failed';

/**
 * True when the stored search index can answer queries without a rebuild: it loads (this
 * version, tokenizer and parameters) and was built over an index.json of exactly this size with
 * record spans. Cheap: it never parses index.json. (A same-size edit is caught by the query,
 * which checks the ids of the records it returns.)
 */
export function searchIndexUsable(paths: Pick<StatePaths, 'recallIndex' | 'recallSearchIndex'>): boolean {
  let size: number;
  try {
    const fd = openSync(paths.recallIndex, 'r');
    try {
      size = fstatSync(fd).size;
    } finally {
      closeSync(fd);
    }
  } catch {
    return true; // No recall yet: nothing to index.
  }
  let index;
  try {
    index = readRecallSearchIndexFile(paths.recallSearchIndex);
  } catch {
    return false;
  }
  if (index === undefined) return false;
  if (index.count === 0) return true;
  return index.spans !== '' && index.source_bytes === size;
}

function readAll(file: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.allocUnsafe(size);
    let done = 0;
    while (done < size) {
      const n = readSync(fd, buf, done, size - done, done);
      if (n === 0) break;
      done += n;
    }
    return buf.subarray(0, done);
  } finally {
    closeSync(fd);
  }
}

/**
 * Builds and saves the bucket's search index when it is missing or stale, under the compile lock
 * (taken without waiting). `error` says why on `failed` (an index.json that is not JSON).
 */
export async function repairSearchIndex(
  paths: StatePaths,
  options: { force?: boolean } = {},
): Promise<{ outcome: IndexRepairOutcome; error?: string }> {
  if (!existsSync(paths.recallIndex)) return { outcome: 'no_recall' };
  if (!options.force && searchIndexUsable(paths)) return { outcome: 'fresh' };
  const { acquireLock } = await import('../lock/lock.js');
  let acquired;
  try {
    acquired = await acquireLock(paths.lockFile);
  } catch (error) {
    return { outcome: 'failed', error: describeError(error) };
  }
  if (!acquired.acquired) return { outcome: 'locked' };
  try {
    // Checked again inside the lock: a compile may have written it meanwhile.
    if (!options.force && searchIndexUsable(paths)) return { outcome: 'fresh' };
    const { index } = buildRecallIndexFromSource(readAll(paths.recallIndex));
    acquired.lock.assertHeld();
    writeFileAtomic(paths.recallSearchIndex, `${serializeRecallSearchIndex(index)}\n`);
    return { outcome: 'built' };
  } catch (error) {
    return { outcome: 'failed', error: describeError(error) };
  } finally {
    await acquired.lock.release();
  }
}

/** Repairs the search index of every non-archived bucket under `home`. */
export async function repairAllSearchIndexes(
  home: string,
): Promise<Array<{ project: string; outcome: IndexRepairOutcome; error?: string }>> {
  const out: Array<{ project: string; outcome: IndexRepairOutcome; error?: string }> = [];
  for (const bucket of listBuckets(home)) {
    if (bucket.archived) continue;
    const result = await repairSearchIndex(statePathsForBucket(home, bucket));
    out.push({ project: bucket.name, ...result });
  }
  return out;
}
