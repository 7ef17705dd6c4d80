import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { journalPath } from '../../../src/core/compiler/apply.js';
import { acquireCompileLock } from '../../../src/core/compiler/lock.js';
import { runPreflight } from '../../../src/core/compiler/preflight.js';
import { runScan } from '../../../src/core/flows/scan.js';
import { ensureRuntimeDirs, resolveStatePaths } from '../../../src/core/paths.js';
import { tempDir } from '../../helpers/tmp.js';
import { bucket, mem, queue } from './helpers.js';

describe('runPreflight', () => {
  it('is skip_empty for an empty bucket and creates nothing for a bucket that does not exist', () => {
    const root = tempDir();
    const paths = resolveStatePaths({ cwd: root, home: join(root, 'home') });
    expect(runPreflight(paths)).toEqual({
      status: 'skip_empty',
      pending: 0,
      retryable_failed: 0,
      stranded: 0,
      interrupted_apply: false,
      spooled_turns: 0,
      dead_turns: 0,
    });
    expect(existsSync(join(root, 'home'))).toBe(false);
  });

  it('reports run for pending, stranded and interrupted work, and skip_locked under a live lock', async () => {
    const paths = bucket();
    queue(paths, [mem('a')]);
    expect(runPreflight(paths)).toMatchObject({
      status: 'run',
      pending: 1,
      stranded: 0,
      lock: { locked: false },
    });
    writeFileSync(join(paths.queue.processing, 'abc.json'), '{}');
    writeFileSync(journalPath(paths), '{}');
    expect(runPreflight(paths)).toMatchObject({ status: 'run', stranded: 1, interrupted_apply: true });
    const held = await acquireCompileLock(paths);
    if (!held.acquired) throw new Error('not acquired');
    expect(runPreflight(paths)).toMatchObject({
      status: 'skip_locked',
      lock: { locked: true, stale: false },
    });
    await held.lock.release();
    // A corrupt lock never wedges preflight.
    writeFileSync(paths.lockFile, '');
    expect(runPreflight(paths)).toMatchObject({
      status: 'run',
      lock: { stale: true, stale_reason: 'corrupt_lock_file' },
    });
  });
});

describe('runScan', () => {
  function home(): string {
    const root = tempDir();
    return join(root, 'home');
  }

  it('returns the original empty shape when there is no projects dir', async () => {
    const h = home();
    expect(await runScan(h)).toEqual({
      home: h,
      total_projects: 0,
      results: [],
      counts: { run: 0, skipped: 0, failed: 0 },
    });
  });

  it('compiles every bucket, skips empty and archived ones, and isolates a failing bucket', async () => {
    const h = home();
    const make = (name: string) => {
      const dir = join(h, 'projects', name);
      const paths = resolveStatePaths({ stateDir: dir, home: h, cwd: dir });
      ensureRuntimeDirs(paths);
      return paths;
    };
    const a = make('a-repo--0000000001');
    queue(a, [mem('alpha'), mem('beta', { action: 'replace', old_summary: 'alpha', scope: 'user' })]);
    make('b-empty--0000000002');
    const broken = make('c-broken--0000000003');
    queue(broken, [mem('gamma')]);
    // The bucket's compiler dir is a file: nothing can lock or write there.
    rmSync(broken.compilerDir, { recursive: true });
    writeFileSync(broken.compilerDir, 'oops');
    const archived = make('d-old.archived.20260101T000000');
    queue(archived, [mem('delta')]);
    const progress: string[] = [];
    const result = await runScan(h, { onProgress: (p) => progress.push(`${p.phase}:${p.index}/${p.total}`) });
    expect(result.total_projects).toBe(3);
    expect(result.counts).toEqual({ run: 1, skipped: 1, failed: 1 });
    expect(result.results.map((r) => [r.project, r.preflight_status, r.compile_status])).toEqual([
      ['a-repo--0000000001', 'run', 'success'],
      ['b-empty--0000000002', 'skip_empty', 'skip_empty'],
      ['c-broken--0000000003', 'run', 'error'],
    ]);
    expect(result.results[2]!.error).toMatch(/ENOTDIR|EEXIST|ENOENT/);
    expect(result.aggregate).toEqual({
      buckets_processed: 1,
      buckets_with_fallback: 0,
      total_memory_suggestions: 2,
      actions: { add: 1, replace: 1, remove: 0 },
      scopes: { user: 1, global: 1 },
      total_discarded: 1,
    });
    expect(progress).toEqual(['start:1/3', 'done:1/3', 'start:2/3', 'done:2/3', 'start:3/3', 'done:3/3']);
    // The archived bucket was not touched.
    expect(readdirSync(archived.queue.pending)).toHaveLength(1);
  });
});

describe('review backlog', () => {
  it('preflight reports spooled turns and scan reviews them before compiling', async () => {
    const { ensureRuntimeDirs, resolveStatePaths } = await import('../../../src/core/paths.js');
    const { writeSpoolEntry } = await import('../../../src/core/spool/spool.js');
    const { legacyTurnKey } = await import('../../../src/core/agents/turn-key.js');
    const { runScan } = await import('../../../src/core/flows/scan.js');
    const { tempDir } = await import('../../helpers/tmp.js');
    const home = tempDir();
    const repo = tempDir();
    const paths = resolveStatePaths({ cwd: repo, home });
    ensureRuntimeDirs(paths);
    const key = legacyTurnKey('s1', 't1');
    writeSpoolEntry(paths, {
      schema_version: 1,
      key,
      session_id: 's1',
      turn_id: 't1',
      cwd: repo,
      transcript_path: null,
      transcript_size: null,
      last_assistant_message: 'done',
      model: null,
      stop_hook_active: false,
      reviewer_provider: 'dummy',
      provider_stub_response: {
        memory_updates: [
          { summary: 'Use pnpm', details: { action: 'add', scope: 'user', content: 'Always use pnpm.' } },
        ],
      },
      spooled_at: '2026-11-26T00:00:00Z',
      attempts: 0,
      last_error: null,
      next_attempt_at: null,
      history: [],
    });
    expect(runPreflight(paths)).toMatchObject({ status: 'skip_empty', spooled_turns: 1, dead_turns: 0 });
    const scan = await runScan(home);
    expect(scan.results[0]).toMatchObject({
      review: { reviewed: 1, retried: 0, dead: 0, busy: false },
      compile_status: 'success',
      processed_count: 1,
    });
    expect(runPreflight(paths)).toMatchObject({ status: 'skip_empty', spooled_turns: 0 });
  });
});

describe('stale recall search index', () => {
  it('a bucket with recall records but no search index (e.g. written by the Python original) is work, and compile builds the index', async () => {
    const { ensureRuntimeDirs, resolveStatePaths } = await import('../../../src/core/paths.js');
    const { runCompile } = await import('../../../src/core/compiler/compile.js');
    const { writeFileSync, existsSync } = await import('node:fs');
    const { tempDir } = await import('../../helpers/tmp.js');
    const paths = resolveStatePaths({ cwd: tempDir(), home: tempDir() });
    ensureRuntimeDirs(paths);
    writeFileSync(
      paths.recallIndex,
      JSON.stringify({
        records: [
          {
            id: 'abc123def456',
            summary: 'Start the db',
            content: 'Run docker compose up -d db before migrating.',
            source_paths: [],
            repo_fingerprint: paths.repoFingerprint,
            cwd: paths.cwd,
          },
        ],
      }),
    );
    expect(runPreflight(paths)).toMatchObject({ status: 'run', pending: 0, stale_search_index: true });
    const compiled = await runCompile(paths, { housekeeping: false });
    expect(compiled.status).toBe('skip_empty');
    expect(existsSync(paths.recallSearchIndex)).toBe(true);
    expect(runPreflight(paths)).toMatchObject({ status: 'skip_empty' });
  });
});

describe('lesson maintenance as work', () => {
  it('usage to fold makes preflight run, and the compile that folds it settles the bucket', async () => {
    const { ensureRuntimeDirs, resolveStatePaths } = await import('../../../src/core/paths.js');
    const { runCompile } = await import('../../../src/core/compiler/compile.js');
    const { enqueueReviewedTurn } = await import('../../../src/core/queue/queue.js');
    const { appendFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tempDir } = await import('../../helpers/tmp.js');
    const paths = resolveStatePaths({ cwd: tempDir(), home: tempDir() });
    ensureRuntimeDirs(paths);
    enqueueReviewedTurn(paths, {
      threadId: 's',
      turnId: 't',
      cwd: paths.cwd,
      reviewerProvider: 'dummy',
      suggestions: [
        {
          family: 'memory_updates',
          summary: 'Use pnpm',
          details: { action: 'add', scope: 'user', content: 'Always use pnpm.' },
          confidence: 1,
        },
      ],
    });
    await runCompile(paths, { housekeeping: false });
    expect(runPreflight(paths)).toMatchObject({ status: 'skip_empty' });
    appendFileSync(join(paths.memoryDir, 'usage.log'), 'i 2026-11-26T00:00:00Z m-x\n');
    expect(runPreflight(paths)).toMatchObject({ status: 'run', pending: 0, maintenance_due: true });
    await runCompile(paths, { housekeeping: false });
    expect(runPreflight(paths)).toMatchObject({ status: 'skip_empty' });
  });
});
