import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pruneDir, runHousekeeping } from '../../../src/core/compiler/housekeeping.js';
import {
  addActionStats,
  appendReceiptHistory,
  memoryActionStats,
  readReceiptHistory,
  trimReceiptHistory,
  writeReceipt,
} from '../../../src/core/compiler/receipts.js';
import { EnvelopeSchema } from '../../../src/core/schemas.js';
import { tempDir } from '../../helpers/tmp.js';
import { bucket, mem } from './helpers.js';

const DAY = 24 * 3600 * 1000;

function touch(file: string, ageDays: number, now: number): void {
  writeFileSync(file, '{}');
  const t = (now - ageDays * DAY) / 1000;
  utimesSync(file, t, t);
}

describe('receipts', () => {
  it('appends history then last_receipt, skips torn lines and never glues a line to a torn one', () => {
    const paths = bucket();
    writeReceipt(paths, { receipt_id: 'a' });
    appendFileSync(paths.receiptsLog, '{"receipt_id": "torn'); // a crash mid-append
    writeReceipt(paths, { receipt_id: 'b' });
    expect(readReceiptHistory(paths).map((r) => r.receipt_id)).toEqual(['a', 'b']);
    expect(JSON.parse(readFileSync(paths.lastReceipt, 'utf8'))).toEqual({ receipt_id: 'b' });
    writeReceipt(paths, { receipt_id: 'c' }, { history: false });
    expect(readReceiptHistory(paths)).toHaveLength(2);
  });

  it('keeps the newest entries when trimming by count or size', () => {
    const paths = bucket();
    for (let i = 0; i < 12; i++) appendReceiptHistory(paths, { receipt_id: `r${i}`, pad: 'x'.repeat(100) });
    expect(trimReceiptHistory(paths, { maxEntries: 5 })).toBe(7);
    expect(readReceiptHistory(paths).map((r) => r.receipt_id)).toEqual(['r7', 'r8', 'r9', 'r10', 'r11']);
    expect(trimReceiptHistory(paths, { maxBytes: 300 })).toBe(3);
    expect(readReceiptHistory(paths).map((r) => r.receipt_id)).toEqual(['r10', 'r11']);
  });

  it('counts memory actions as the original (missing action = add, missing scope = global)', () => {
    const envelope = EnvelopeSchema.parse({
      schema_version: 1,
      suggestion_id: 'a',
      idempotency_key: 'k',
      thread_id: 't',
      cwd: '/',
      repo_fingerprint: 'f',
      reviewer_timestamp: 'x',
      state: 'pending',
      suggestions: [
        mem('a', { action: undefined, scope: undefined }),
        mem('b', { action: 'remove', old_summary: 'a', scope: 'user' }),
        { family: 'recall_candidate', summary: 'r', details: {}, confidence: 1 },
      ],
    });
    const stats = memoryActionStats([envelope]);
    expect(stats).toEqual({
      total: 2,
      by_action: { add: 1, replace: 0, remove: 1 },
      by_scope: { user: 1, global: 1 },
    });
    expect(memoryActionStats([])).toEqual({});
    expect(addActionStats(stats, stats)).toEqual({
      total: 4,
      by_action: { add: 2, replace: 0, remove: 2 },
      by_scope: { user: 2, global: 2 },
    });
  });
});

describe('housekeeping', () => {
  it('prunes by age, then keeps only the newest by count', () => {
    const dir = tempDir();
    const now = Date.now();
    touch(join(dir, 'old.json'), 40, now);
    for (let i = 0; i < 5; i++) touch(join(dir, `n${i}.json`), i, now);
    expect(pruneDir(dir, { maxAgeDays: 30, maxCount: 3, now })).toBe(3);
    expect(readdirSync(dir).sort()).toEqual(['n0.json', 'n1.json', 'n2.json']);
  });

  it('bounds done/, snapshots, failure dumps, key markers and kept-aside files, at most once per interval', () => {
    const paths = bucket();
    const now = Date.now();
    for (let i = 0; i < 6; i++) touch(join(paths.queue.done, `d${i}.json`), 0, now);
    touch(join(paths.snapshotsDir, 'old-snap.json'), 31, now);
    touch(join(paths.snapshotsDir, 'new-snap.json'), 1, now);
    mkdirSync(paths.reviewFailedDir, { recursive: true });
    touch(join(paths.reviewFailedDir, 'old.txt'), 45, now);
    mkdirSync(join(paths.suggestionsDir, '.keys'), { recursive: true });
    touch(join(paths.suggestionsDir, '.keys', 'oldkey'), 31, now);
    touch(join(paths.suggestionsDir, '.keys', 'newkey'), 29, now);
    touch(`${paths.memoryJson}.corrupt-20260101T000000Z-ab12`, 31, now);
    touch(`${paths.memoryJson}.corrupt-20261101T000000Z-cd34`, 2, now);
    touch(join(paths.queue.pending, 'p.json'), 365, now);

    const report = runHousekeeping(paths, { doneMaxCount: 4 }, now);
    expect(report).toEqual({
      ran: true,
      removed: { done: 2, discarded: 0, snapshots: 1, review_failed: 1, keys: 1, corrupt: 1, receipts: 0 },
    });
    expect(readdirSync(join(paths.suggestionsDir, '.keys'))).toEqual(['newkey']);
    expect(existsSync(join(paths.queue.pending, 'p.json'))).toBe(true);
    // Throttled: a second run within the interval does nothing.
    touch(join(paths.snapshotsDir, 'another-old.json'), 40, now);
    expect(runHousekeeping(paths, {}, now + 1000).ran).toBe(false);
    expect(runHousekeeping(paths, {}, now + 2 * 3600 * 1000).removed.snapshots).toBe(1);
  });

  it('ages done/ envelopes by when they were done, not by their reviewer time', () => {
    const paths = bucket();
    const now = Date.now();
    // The queue stamps mtime with the (old) reviewer time; ctime is when the file landed in done/.
    touch(join(paths.queue.done, 'reviewed-long-ago.json'), 60, now);
    expect(runHousekeeping(paths, { minIntervalSeconds: 0 }, now).removed.done).toBe(0);
    expect(runHousekeeping(paths, { minIntervalSeconds: 0 }, now + 31 * DAY).removed.done).toBe(1);
  });
});

describe('receipt history after a crash', () => {
  it('keeps one line per receipt id when recovery writes the same receipt again', async () => {
    const { ensureRuntimeDirs, resolveStatePaths } = await import('../../../src/core/paths.js');
    const { writeReceipt, readReceiptHistory } = await import('../../../src/core/compiler/receipts.js');
    const { tempDir } = await import('../../helpers/tmp.js');
    const paths = resolveStatePaths({ cwd: tempDir(), home: tempDir() });
    ensureRuntimeDirs(paths);
    writeReceipt(paths, { receipt_id: 'r1', run_status: 'success' });
    writeReceipt(paths, { receipt_id: 'r2', run_status: 'success' });
    writeReceipt(paths, { receipt_id: 'r2', run_status: 'success' });
    expect(readReceiptHistory(paths).map((r) => r.receipt_id)).toEqual(['r1', 'r2']);
  });
});
