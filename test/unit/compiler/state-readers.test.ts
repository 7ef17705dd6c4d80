/**
 * Every state file is read through its schema: a damaged or foreign-shaped file (valid JSON of
 * another shape included) gives the documented outcome (kept aside, skipped, refused with the
 * reason, or the default), never a crash or a half-understood value.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readInstallRecord } from '../../../src/core/install/stable-copy.js';
import { readAgentInstallRecords } from '../../../src/core/agents/install-record.js';
import { journalPath, recoverJournal } from '../../../src/core/compiler/apply.js';
import { lockStatus } from '../../../src/core/compiler/lock.js';
import { readMaintenanceState } from '../../../src/core/compiler/maintenance-state.js';
import { maintenanceDue } from '../../../src/core/compiler/preflight.js';
import { lastReceiptId, readReceiptHistory } from '../../../src/core/compiler/receipts.js';
import { SchemaError } from '../../../src/core/errors.js';
import { undoReceipt, UndoRefusedError } from '../../../src/core/flows/memory-edit.js';
import { listStagedItems, readStagedItem } from '../../../src/core/memory/review-store.js';
import { localDay, readReviewsToday, usageDir } from '../../../src/core/review/usage.js';
import { recentActivity } from '../../../src/core/status.js';
import { bucket } from './helpers.js';

describe('state files of another shape', () => {
  it('an apply journal of another shape is kept aside as not committed', () => {
    for (const journal of [
      [],
      { version: 1, txid: 't', files: [{ target: 3, staged: 'x' }], envelopes: [], receipt: {} },
      { version: 1, txid: 't', files: [], envelopes: 'all', receipt: {} },
      { version: 1, txid: 't', files: [], envelopes: [], receipt: {}, deletes: 'x' },
      { version: 2, txid: 't', files: [], envelopes: [], receipt: {} },
    ]) {
      const paths = bucket();
      writeFileSync(journalPath(paths), JSON.stringify(journal));
      const result = recoverJournal(paths);
      expect(result.status, JSON.stringify(journal)).toBe('quarantined');
      expect(existsSync(journalPath(paths))).toBe(false);
      expect(result.kept_aside && existsSync(result.kept_aside)).toBe(true);
    }
  });

  it('a damaged undo record is refused with the reason, and nothing is changed', async () => {
    for (const manifest of ['{"version": 1, "files": [', JSON.stringify({ version: 1, files: 'all' })]) {
      const paths = bucket();
      const dir = join(paths.compilerDir, 'undo', 'r-1');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'manifest.json'), manifest);
      const error = await undoReceipt(paths, 'r-1').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UndoRefusedError);
      expect((error as Error).message).toMatch(/refusing to undo r-1: its undo record is damaged/);
      expect(readReceiptHistory(paths)).toEqual([]);
    }
  });

  it('receipts of another shape are skipped in the history and not taken as the last one', () => {
    const paths = bucket();
    writeFileSync(
      paths.receiptsLog,
      [
        JSON.stringify({ receipt_id: 'a', run_status: 'success', processed_count: 1 }),
        '[1, 2]',
        JSON.stringify({ receipt_id: 'b', processed_count: 'many' }),
        JSON.stringify({ receipt_id: 7 }),
        JSON.stringify({ receipt_id: 'c', run_status: 'manual', action: 'forget' }),
      ].join('\n'),
    );
    expect(readReceiptHistory(paths).map((r) => r.receipt_id)).toEqual(['a', 'c']);
    writeFileSync(paths.lastReceipt, JSON.stringify({ receipt_id: 'x', memory_records: -1 }));
    expect(lastReceiptId(paths)).toBeUndefined();
    writeFileSync(paths.lastReceipt, JSON.stringify({ receipt_id: 'x', run_status: 'success' }));
    expect(lastReceiptId(paths)).toBe('x');
  });

  it('a maintenance state of another shape means maintenance is due', () => {
    const paths = bucket();
    writeFileSync(paths.memoryJson, JSON.stringify({ user: [], global: [] }));
    const file = join(paths.compilerDir, 'maintenance.json');
    const recent = new Date().toISOString();
    writeFileSync(file, JSON.stringify({ archive_checked_at: recent }));
    expect(readMaintenanceState(paths)).toEqual({ archive_checked_at: recent });
    for (const text of ['[]', '"x"', '{"archive_checked_at"']) {
      writeFileSync(file, text);
      expect(readMaintenanceState(paths), text).toBeUndefined();
      expect(maintenanceDue(paths), text).toBe(true);
    }
    // A field of another type is dropped, the others kept.
    writeFileSync(file, JSON.stringify({ archive_checked_at: 5, head: 'abc' }));
    expect(readMaintenanceState(paths)).toEqual({ archive_checked_at: undefined, head: 'abc' });
    expect(maintenanceDue(paths)).toBe(true);
  });

  it('a staged review item of another shape is skipped in the list and named when asked for', () => {
    const paths = bucket();
    const dir = join(paths.reviewDir, 'staged');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'r-0123456789.json'), JSON.stringify({ version: 1, id: 'r-0123456789' }));
    writeFileSync(join(dir, 'r-abcdefabcd.json'), '{"version": 1, "id": "r-abc');
    expect(listStagedItems(paths)).toEqual([]);
    expect(() => readStagedItem(paths, 'r-0123456789')).toThrow(SchemaError);
    expect(() => readStagedItem(paths, 'r-0123456789')).toThrow(/r-0123456789\.json: .*state/);
    expect(() => readStagedItem(paths, 'r-abcdefabcd')).toThrow(/invalid JSON/);
  });

  it('compile lock info of another shape is a corrupt lock, judged stale, never trusted', () => {
    for (const info of [[], { pid: 1 }, { created_at: 5, pid: 1 }, { created_at: 'yesterday', pid: 1 }]) {
      const paths = bucket();
      writeFileSync(paths.lockFile, JSON.stringify(info));
      const status = lockStatus(paths);
      expect(status.stale_reason, JSON.stringify(info)).toBe('corrupt_lock_file');
      expect(status.owner_pid).toBeNull();
    }
    // The Python package's leniency is kept: a pid that is not an integer is a dead owner.
    const paths = bucket();
    writeFileSync(paths.lockFile, JSON.stringify({ created_at: new Date().toISOString(), pid: 'x' }));
    expect(lockStatus(paths)).toMatchObject({ owner_pid: 0, stale_reason: 'pid_not_alive' });
  });

  it('install records of another shape read as none (Codex) or are skipped (other agents)', () => {
    const home = bucket().home;
    mkdirSync(home, { recursive: true });
    for (const record of [[], { version: 3 }, { version: '1.0.0', launcher: 'pip' }]) {
      writeFileSync(join(home, 'install.json'), JSON.stringify(record));
      expect(readInstallRecord(home), JSON.stringify(record)).toBeNull();
    }
    writeFileSync(join(home, 'install.json'), JSON.stringify({ version: '1.0.0' }));
    expect(readInstallRecord(home)).toMatchObject({ version: '1.0.0', launcher: 'node', cli: null });

    mkdirSync(join(home, 'agents'), { recursive: true });
    const dir = join(home, 'agents');
    writeFileSync(join(dir, 'claude-code.json'), JSON.stringify({ agent: 'claude-code', config_dir: '/c' }));
    writeFileSync(
      join(dir, 'some-agent.json'),
      JSON.stringify({ agent: 'some-agent', config_dir: '/s', skills_dir: '/s/skills' }),
    );
    expect(readAgentInstallRecords(home)).toEqual([]);
    writeFileSync(
      join(dir, 'claude-code.json'),
      JSON.stringify({ agent: 'claude-code', config_dir: '/c', skills_dir: '/c/skills', installed_at: 1 }),
    );
    expect(readAgentInstallRecords(home)).toEqual([
      { agent: 'claude-code', config_dir: '/c', skills_dir: '/c/skills', installed_at: '' },
    ]);
  });

  it('review usage and log lines of another shape are not counted', () => {
    const home = bucket().home;
    const now = new Date();
    mkdirSync(usageDir(home), { recursive: true });
    writeFileSync(
      join(usageDir(home), `${localDay(now)}.jsonl`),
      [
        JSON.stringify({ at: now.toISOString(), provider: 'codex', turn: 'k1' }),
        JSON.stringify({ provider: '' }),
        JSON.stringify({ provider: 3 }),
        '"codex"',
        JSON.stringify({ at: now.toISOString(), provider: 'codex', turn: 'k2', refund: 'yes' }),
        '{"provider": "cod',
      ].join('\n'),
    );
    expect(readReviewsToday(home, now)).toEqual({
      date: localDay(now),
      total: 2,
      by_reviewer: { codex: 2 },
    });

    mkdirSync(join(home, 'logs'), { recursive: true });
    const ts = now.toISOString();
    const done = { ts, level: 'INFO', msg: 'cli command completed', kind: 'scan', exit_code: 0 };
    writeFileSync(
      join(home, 'logs', 'plugin.log'),
      [
        JSON.stringify(done),
        JSON.stringify({ ...done, kind: 7 }),
        JSON.stringify([done]),
        JSON.stringify({ ...done, ts: 12 }),
        'plain text',
      ].join('\n'),
    );
    const activity = recentActivity(home, now.getTime());
    expect(activity.commands).toEqual({ scan: { total: 1, failed: 0 } });
    expect(activity.last_scan).toBe(ts);
  });
});
