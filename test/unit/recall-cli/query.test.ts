import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildRecallIndex,
  serializeRecallSearchIndex,
  type RecallRecord,
} from '../../../src/core/recall/index-build.js';
import {
  RecallIndexError,
  checkRecallRecord,
  queryRecall,
  type RecallFiles,
} from '../../../src/core/recall/query.js';
import { tempDir } from '../../helpers/tmp.js';

const sha1 = (s: string): string => createHash('sha1').update(s).digest('hex');
const ROOT = '/home/dev/src/app';
const FP = sha1(ROOT);

function rec(id: string, summary: string, content: string, extra: Partial<RecallRecord> = {}): RecallRecord {
  return {
    id,
    summary,
    content,
    source_paths: ['docs/x.md'],
    repo_fingerprint: FP,
    cwd: ROOT,
    thread_id: 't',
    turn_id: 'u',
    source_updated_at: '',
    ...extra,
  };
}

const RECORDS: RecallRecord[] = [
  rec(
    'r1',
    'Database migrations',
    'Run alembic upgrade head before the test suite; migrations live in migrations/versions.',
  ),
  rec('r2', 'Formatting', 'Prettier formats the code on save; run the formatter before committing.'),
  rec('r3', 'Node version', 'Use Node 20 as pinned in .nvmrc; Node 22 breaks streaming in dev.'),
  rec('r4', 'Feature flags', 'Flags are cached for thirty seconds per process; clear the cache in tests.'),
  rec('r5', 'Deploys', 'Deploys go through the release workflow; never push tags by hand.'),
  rec('r6', 'Logging', 'Use the structured logger and pass fields as keyword arguments.'),
];

type Layout = 'spans' | 'no-spans' | 'no-search-index' | 'stale';

/** Writes index.json (as the compiler does) and, per layout, search-index.json. */
function bucket(records: readonly unknown[], layout: Layout = 'spans'): RecallFiles {
  const dir = join(tempDir(), 'recall');
  mkdirSync(dir, { recursive: true });
  const files = { recallIndex: join(dir, 'index.json'), recallSearchIndex: join(dir, 'search-index.json') };
  const text = `${JSON.stringify({ records }, null, 2)}\n`;
  writeFileSync(files.recallIndex, text);
  const valid = records as RecallRecord[];
  if (layout === 'spans')
    writeFileSync(
      files.recallSearchIndex,
      serializeRecallSearchIndex(buildRecallIndex(valid, { source: Buffer.from(text) })),
    );
  if (layout === 'no-spans')
    writeFileSync(files.recallSearchIndex, serializeRecallSearchIndex(buildRecallIndex(valid)));
  if (layout === 'stale')
    writeFileSync(files.recallSearchIndex, serializeRecallSearchIndex(buildRecallIndex(valid.slice(1))));
  return files;
}

const ask = (files: RecallFiles, query: string, extra = {}) =>
  queryRecall(files, { query, cwd: ROOT, repoFingerprint: FP, ...extra });

describe('queryRecall', () => {
  it('answers from the spans of a compile-time index (indexed)', () => {
    const out = ask(bucket(RECORDS), 'how do we run database migrations');
    expect(out.mode).toBe('indexed');
    expect(out.results.map((r) => r.id)).toEqual(['r1']);
    expect(out.problems).toEqual([]);
  });

  it.each([
    ['no-spans', 'full_parse', /no record spans/],
    ['no-search-index', 'rebuilt', /search-index.json is missing/],
    ['stale', 'rebuilt', /stale/],
  ] as const)('with layout %s answers the same, in mode %s, and says why', (layout, mode, problem) => {
    const out = ask(bucket(RECORDS, layout), 'how do we run database migrations');
    expect(out.mode).toBe(mode);
    expect(out.results.map((r) => r.id)).toEqual(['r1']);
    expect(out.problems.join('\n')).toMatch(problem);
  });

  it('reports a damaged search index and still answers', () => {
    const files = bucket(RECORDS, 'no-search-index');
    writeFileSync(files.recallSearchIndex, '{"version": 1, "trunc');
    const out = ask(files, 'database migrations');
    expect(out.mode).toBe('rebuilt');
    expect(out.results[0]?.id).toBe('r1');
    expect(out.problems.join('\n')).toMatch(/damaged or of another version/);
  });

  it('answers nothing instead of rebuilding above maxRebuildRecords (stale_index)', () => {
    const files = bucket(RECORDS, 'stale');
    expect(ask(files, 'database migrations', { maxRebuildRecords: 5 })).toMatchObject({
      mode: 'stale_index',
      results: [],
    });
    expect(ask(files, 'database migrations', { maxRebuildRecords: 6 }).mode).toBe('rebuilt');
  });

  it('returns no_index when the bucket has no index.json', () => {
    const dir = tempDir();
    expect(
      queryRecall(
        { recallIndex: join(dir, 'nope.json'), recallSearchIndex: join(dir, 'nope2.json') },
        { query: 'database' },
      ),
    ).toEqual({
      results: [],
      mode: 'no_index',
      skipped: 0,
      problems: [],
    });
  });

  it('skips invalid records, counts them and still ranks the valid ones', () => {
    const records = [
      null,
      { id: 'x', summary: '', content: 'database migrations everywhere' },
      ...RECORDS,
      { id: 'y', summary: 's', content: 'c', source_paths: 'a.md' },
      42,
    ];
    const out = ask(bucket(records, 'no-search-index'), 'database migrations');
    expect(out.results.map((r) => r.id)).toEqual(['r1']);
    expect(out.skipped).toBe(4);
    expect(out.problems.join('\n')).toMatch(
      /skipped 4 invalid record\(s\).*records\[0\]\.not an object; records\[1\]\.summary: must be a non-empty string/,
    );
  });

  it('falls back to a full, checked parse when a record read through its span is incomplete', () => {
    // The index was built from these exact bytes, but the record lacks repo_fingerprint/cwd types.
    const odd = [...RECORDS.slice(1), { ...RECORDS[0]!, cwd: 7 }];
    const out = ask(bucket(odd, 'spans'), 'database migrations');
    expect(out.results).toEqual([]);
    expect(out.skipped).toBe(1);
    expect(out.mode).toBe('rebuilt');
    expect(out.problems.join('\n')).toMatch(/incomplete/);
  });

  it('keeps every key of the Python package and the score in results, with blank source paths dropped', () => {
    const records = [
      rec('r1', 'Database migrations', 'Run alembic upgrade head.', {
        source_paths: ['a.md', '  '],
        thread_id: undefined,
      }),
    ];
    const [hit] = ask(bucket(records, 'no-search-index'), 'alembic upgrade').results;
    expect(Object.keys(hit!).sort()).toEqual([
      'content',
      'cwd',
      'id',
      'repo_fingerprint',
      'score',
      'source_paths',
      'summary',
      'thread_id',
      'turn_id',
    ]);
    expect(hit!.source_paths).toEqual(['a.md']);
    expect(hit!.thread_id).toBe('');
  });

  it.each([
    ['not JSON', '{"records": [', /not valid JSON/],
    ['records not a list', '{"records": {"a": 1}}', /records must be a list/],
    ['a JSON array', '[]', /records must be a list/],
  ])('throws RecallIndexError for an index.json that is %s', (_name, text, message) => {
    const files = bucket(RECORDS);
    writeFileSync(files.recallIndex, text);
    expect(() => ask(files, 'database')).toThrow(RecallIndexError);
    expect(() => ask(files, 'database')).toThrow(message);
  });
});

describe('checkRecallRecord', () => {
  it('fills defaults and keeps unknown keys', () => {
    expect(checkRecallRecord({ id: 'a', summary: 's', content: 'c', created_at: 'x' })).toEqual({
      ok: true,
      record: {
        id: 'a',
        summary: 's',
        content: 'c',
        created_at: 'x',
        source_paths: [],
        repo_fingerprint: '',
        cwd: '',
        thread_id: '',
        turn_id: '',
        source_updated_at: '',
      },
    });
  });

  it.each([
    [{ id: ' ', summary: 's', content: 'c' }, 'id'],
    [{ id: 'a', summary: 's' }, 'content'],
    [{ id: 'a', summary: 's', content: 'c', source_paths: [1] }, 'source_paths'],
    [{ id: 'a', summary: 's', content: 'c', cwd: null }, 'cwd'],
    [['a'], 'not an object'],
  ])('rejects %j (%s)', (value, reason) => {
    const checked = checkRecallRecord(value);
    expect(checked.ok).toBe(false);
    expect(checked.ok ? '' : checked.reason).toContain(reason);
  });
});
