/**
 * The Stop hook reads spool entries without zod: its reader agrees with SpoolEntrySchema on valid,
 * damaged and foreign-shaped entries, and a damaged file is kept aside by the worker, never lost.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveStatePaths } from '../../../src/core/paths.js';
import { SpoolEntrySchema } from '../../../src/core/spool/schema.js';
import { parseSpoolEntry, readSpoolEntry, SPOOL_ENTRY_FIELDS } from '../../../src/core/spool/spool.js';
import { drainSpool } from '../../../src/core/review/worker.js';

function agree(raw: unknown): void {
  const parsed = SpoolEntrySchema.safeParse(raw);
  const expected = parsed.success ? parsed.data : undefined;
  const actual = parseSpoolEntry(raw);
  expect(actual === undefined, JSON.stringify(raw)).toBe(expected === undefined);
  expect(actual, JSON.stringify(raw)).toEqual(expected);
}

const full = {
  schema_version: 1,
  key: '0123456789abcdef',
  agent: 'claude-code',
  session_id: 's1',
  turn_id: 't1',
  cwd: '/repo',
  transcript_path: '/tmp/rollout.jsonl',
  transcript_size: 1234,
  last_assistant_message: 'done',
  model: 'gpt-5',
  stop_hook_active: false,
  settling: true,
  reviewer_provider: null,
  provider_stub_response: { memory_updates: [] },
  spooled_at: '2026-12-07T00:00:00Z',
  attempts: 2,
  last_error: 'timeout',
  next_attempt_at: '2026-12-07T00:05:00Z',
  waiting: {
    reason: 'unreachable',
    since: '2026-12-07T00:00:00Z',
    provider: 'openai',
    failures: 1,
    last_failed_at: '2026-12-07T00:01:00Z',
  },
  history: [{ at: '2026-12-07T00:00:00Z', event: 'spooled' }],
  written_by_a_later_version: [1, 2],
};

describe('parseSpoolEntry (the hook’s reader) against SpoolEntrySchema', () => {
  it('knows every field of the schema, and no other', () => {
    expect([...SPOOL_ENTRY_FIELDS].sort()).toEqual(Object.keys(SpoolEntrySchema.shape).sort());
  });

  it('reads complete and minimal entries as the schema does (fresh values filled in, unknown kept)', () => {
    agree(full);
    const { agent: _agent, ...codex } = full;
    agree(codex);
    agree({ key: 'k', session_id: 's' });
    expect(parseSpoolEntry({ key: 'k', session_id: 's' })).toEqual({
      key: 'k',
      session_id: 's',
      schema_version: 1,
      turn_id: '',
      cwd: '',
      transcript_path: null,
      transcript_size: null,
      last_assistant_message: '',
      model: null,
      stop_hook_active: false,
      reviewer_provider: null,
      spooled_at: '',
      attempts: 0,
      last_error: null,
      next_attempt_at: null,
      history: [],
    });
  });

  it('replaces each malformed detail the way the schema does', () => {
    const broken: Record<string, unknown[]> = {
      schema_version: [2, '1', null],
      turn_id: [3, null],
      cwd: [[], null],
      transcript_path: [5, {}],
      transcript_size: [-1, '12', {}],
      last_assistant_message: [null, 1],
      model: [1, []],
      stop_hook_active: ['yes', 1, null],
      settling: ['true', 0, null],
      reviewer_provider: [2],
      spooled_at: [0, null],
      attempts: [-1, 1.5, '3', null],
      last_error: [{}, 1],
      next_attempt_at: [7],
      waiting: [
        null,
        'x',
        { ...full.waiting, reason: 'bored' },
        { ...full.waiting, failures: -1 },
        { ...full.waiting, provider: 3 },
        { reason: 'config' },
      ],
      history: [null, 'spooled', [{ at: 1, event: 'x' }], [{ at: 'now' }], [null]],
    };
    for (const [field, values] of Object.entries(broken))
      for (const value of values) {
        agree({ ...full, [field]: value });
        expect(parseSpoolEntry({ ...full, [field]: value })).toBeDefined();
      }
  });

  it('rejects what the schema rejects: no identity, an unknown agent, not an object', () => {
    for (const raw of [
      null,
      'entry',
      7,
      [],
      [full],
      {},
      { ...full, key: 1 },
      { ...full, key: null },
      { ...full, session_id: undefined },
      { ...full, session_id: 42 },
      { ...full, agent: 'some-future-agent' },
      { ...full, agent: 3 },
    ]) {
      agree(raw);
      expect(parseSpoolEntry(raw)).toBeUndefined();
    }
  });
});

describe('a damaged spool file', () => {
  it('reads as undefined, and the worker keeps it aside in dead/ instead of failing', async () => {
    const root = mkdtempSync(join(tmpdir(), 'csep-spool-entry-'));
    const repo = join(root, 'repo');
    mkdirSync(join(repo, '.git'), { recursive: true });
    const paths = resolveStatePaths({ cwd: repo, home: join(root, 'home') });
    mkdirSync(paths.spoolDir, { recursive: true });
    const torn = join(paths.spoolDir, 'aaaaaaaaaaaaaaaa.json');
    const foreign = join(paths.spoolDir, 'bbbbbbbbbbbbbbbb.json');
    writeFileSync(torn, '{"key": "aaaaaaaaaaaaaaaa", "sess');
    writeFileSync(foreign, JSON.stringify({ key: 'bbbbbbbbbbbbbbbb', session: 'not the field' }));
    expect(readSpoolEntry(torn)).toBeUndefined();
    expect(readSpoolEntry(foreign)).toBeUndefined();

    await drainSpool(paths, { maxEntries: 5 });
    expect(existsSync(torn)).toBe(false);
    expect(existsSync(foreign)).toBe(false);
    const aside = readdirSync(join(paths.spoolDir, 'dead')).sort();
    expect(aside).toHaveLength(2);
    expect(aside[0]).toMatch(/^aaaaaaaaaaaaaaaa\.corrupt-\d+$/);
    expect(aside[1]).toMatch(/^bbbbbbbbbbbbbbbb\.corrupt-\d+$/);
  });
});
