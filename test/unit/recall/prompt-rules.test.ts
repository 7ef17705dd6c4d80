import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type RecallRecord, buildRecallIndex } from '../../../src/core/recall/index-build.js';
import { searchRecall } from '../../../src/core/recall/search.js';
import { SEEN_MAX_AGE_MS, readSeen, recordSeen } from '../../../src/core/recall/session-seen.js';
import { tempDir } from '../../helpers/tmp.js';

const sha1 = (s: string): string => createHash('sha1').update(s).digest('hex');
const ME = '/home/dev/src/shop-api';
const OTHER = '/home/dev/src/billing-worker';

function rec(id: string, summary: string, content: string, root = ME): RecallRecord {
  return {
    id,
    summary,
    content,
    source_paths: [],
    repo_fingerprint: sha1(root),
    cwd: root,
    thread_id: '',
    turn_id: '',
  };
}

const records: RecallRecord[] = [
  rec('fmt', 'Formatting', 'Prettier formats the code on save.'),
  rec('node', 'Node version', 'Use Node 20 as pinned in .nvmrc.'),
  rec('logs', 'Logging', 'Use the structured logger with fields.'),
  rec('pages', 'Pagination', 'List endpoints use cursor pagination.'),
  rec(
    'redis-port',
    'Redis port',
    'The local Redis listens on 6380 because 6379 is taken by another project.',
  ),
  rec('pg-port', 'Postgres port', 'The local Postgres listens on 5442.'),
  rec('queue', 'Queue retries', 'Failed jobs go to the dead letter queue after three retries.', OTHER),
  rec('tests-a', 'Running the tests', 'Run the tests with vitest from the root.'),
  rec('tests-b', 'Running the tests in watch mode', 'Run the tests with vitest --watch from the root.'),
];
const index = buildRecallIndex(records);
const prompt = (query: string, seen?: Set<string>): string[] =>
  searchRecall(index, records, {
    query,
    cwd: ME,
    repoFingerprint: sha1(ME),
    prompt: seen ? { seen } : {},
  }).map((r) => r.id);

describe('prompt-time recall rules', () => {
  it('injects the one note that is clearly ahead', () => {
    expect(prompt('which port does redis use locally?')).toEqual(['redis-port']);
  });

  it('stays quiet when the best note is not clearly ahead of the next', () => {
    expect(prompt('how do I run the tests with vitest')).toEqual([]);
  });

  it('never injects a note of another repository unless the prompt names it', () => {
    expect(prompt('what happens to failed jobs after the retries?')).toEqual([]);
    expect(prompt('in billing-worker, what happens to failed jobs after the retries?')).toEqual(['queue']);
  });

  it('counts a Chinese word no note has in full at prompt time, as an English one', () => {
    const zh = [...records, rec('grant', '数据门户申请权限', '在数据门户提交申请，组长审批后生效。')];
    const zhIndex = buildRecallIndex(zh);
    const ask = (query: string, params = {}, atPrompt = true): string[] =>
      searchRecall(zhIndex, zh, {
        query,
        cwd: ME,
        repoFingerprint: sha1(ME),
        params,
        ...(atPrompt ? { prompt: {} } : {}),
      }).map((r) => r.id);
    // 年假 (annual leave) is in no note: the approval note shares a topic word, not an answer.
    expect(ask('申请年假要找谁审批')).toEqual([]);
    expect(ask('申请年假要找谁审批', { promptCjkMissingWeight: 0.5 })).toEqual(['grant']);
    // `recall`, asked on purpose, still lists it.
    expect(ask('申请年假要找谁审批', {}, false)).toContain('grant');
  });

  it('does not inject a note already injected in this session', () => {
    expect(prompt('which port does redis use locally?', new Set(['redis-port']))).toEqual([]);
  });
});

describe('per-session record of injected notes', () => {
  it('remembers what was injected, per session', () => {
    const dir = tempDir();
    expect(readSeen(dir, 's1').size).toBe(0);
    expect(recordSeen(dir, 's1', ['a', 'b'])).toBeUndefined();
    expect(recordSeen(dir, 's1', ['c'])).toBeUndefined();
    expect([...readSeen(dir, 's1')]).toEqual(['a', 'b', 'c']);
    expect(readSeen(dir, 's2').size).toBe(0);
  });

  it('does not write through a symlink and reports the problem instead of throwing', () => {
    const dir = tempDir();
    recordSeen(dir, 's1', ['a']);
    const [name] = readdirSync(join(dir, 'sessions'));
    const target = join(dir, 'elsewhere.txt');
    writeFileSync(target, '');
    const other = tempDir();
    mkdirSync(join(other, 'sessions'));
    symlinkSync(target, join(other, 'sessions', name as string));
    expect(recordSeen(other, 's1', ['x'])).toMatch(/could not record/);
    expect(readSeen(other, 's1').size).toBe(0);
  });

  it('removes records older than a week when a new session starts', () => {
    const dir = tempDir();
    recordSeen(dir, 'old', ['a']);
    const [old] = readdirSync(join(dir, 'sessions'));
    const past = (Date.now() - SEEN_MAX_AGE_MS - 60_000) / 1000;
    utimesSync(join(dir, 'sessions', old as string), past, past);
    recordSeen(dir, 'new', ['b']);
    expect(existsSync(join(dir, 'sessions', old as string))).toBe(false);
    expect(readSeen(dir, 'new').has('b')).toBe(true);
  });
});
