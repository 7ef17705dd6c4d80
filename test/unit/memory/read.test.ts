/** The zod-free reader of the hook path agrees with the schema on valid and invalid entries. */
import { describe, expect, it } from 'vitest';
import { MEMORY_RECORD_FIELDS, readMemoryRecord } from '../../../src/core/memory/read.js';
import { MemoryRecordSchema } from '../../../src/core/memory/schema.js';

function schemaRead(raw: unknown) {
  const parsed = MemoryRecordSchema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

function agree(raw: unknown): void {
  const expected = schemaRead(raw);
  const actual = readMemoryRecord(raw);
  expect(actual === undefined, JSON.stringify(raw)).toBe(expected === undefined);
  expect(actual, JSON.stringify(raw)).toEqual(expected);
}

const full = {
  id: 'm-0123456789',
  scope: 'user',
  summary: 'Use pnpm',
  content: 'Use pnpm, not npm.',
  source_paths: ['package.json'],
  confidence: 0.8,
  provenance: [{ thread_id: 't', at: '2026-01-01T00:00:00Z' }],
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-02T00:00:00Z',
  last_confirmed_at: '2026-01-02T00:00:00Z',
  confirmations: 3,
  source_commit: 'abc1234',
  status: 'superseded',
  status_reason: 'replaced',
  superseded_by: 'm-9876543210',
  supersedes: ['m-1111111111'],
  valid_from: '2026-01-01T00:00:00Z',
  valid_until: '2026-01-03T00:00:00Z',
  history: [{ at: '2026-01-03T00:00:00Z', event: 'superseded', by: 'm-9876543210', detail: 'replaced' }],
  unknown_field: { kept: true },
};

describe('readMemoryRecord', () => {
  it('knows every field of the schema, and no other', () => {
    expect([...MEMORY_RECORD_FIELDS].sort()).toEqual(Object.keys(MemoryRecordSchema.shape).sort());
  });

  it('reads valid entries as the schema does (defaults, unknown fields kept)', () => {
    agree(full);
    agree({ content: 'only content' });
    agree({ content: '', summary: 'empty content is the loader’s business' });
    agree({ scope: 'global', summary: 's', content: 'c', source_paths: [], provenance: [] });
    const read = readMemoryRecord({ content: 'x', extra: 1 });
    expect(read).toMatchObject({ scope: 'global', summary: '', source_paths: [], confidence: 1, extra: 1 });
  });

  it('rejects what the schema rejects', () => {
    for (const raw of [
      null,
      'text',
      42,
      [],
      [{ content: 'x' }],
      {},
      { content: 5 },
      { content: null },
      { content: 'x', scope: 'team' },
      { content: 'x', scope: null },
      { content: 'x', summary: 3 },
      { content: 'x', summary: null },
      { content: 'x', source_paths: 'a.ts' },
      { content: 'x', source_paths: ['a.ts', 2] },
      { content: 'x', provenance: 'p' },
      { content: 'x', provenance: null },
    ]) {
      agree(raw);
      expect(readMemoryRecord(raw)).toBeUndefined();
    }
  });

  it('coerces confidence the same way (out of range or not a number: 1)', () => {
    for (const confidence of [
      0,
      0.5,
      1,
      -0.1,
      1.5,
      '0.3',
      '',
      '  ',
      null,
      true,
      false,
      [],
      [0.4],
      {},
      NaN,
      'x',
    ])
      agree({ content: 'x', confidence });
  });

  it('drops a malformed lifecycle field and keeps the entry, as the schema does', () => {
    const bad: Record<string, unknown> = {
      id: 7,
      status: ['stale'],
      superseded_by: 1,
      supersedes: 'm-1',
      confirmations: '3',
      valid_until: null,
      history: [{ at: 1, event: 'x' }],
      stale_reason: {},
    };
    for (const [field, value] of Object.entries(bad)) {
      agree({ content: 'x', [field]: value });
      expect(readMemoryRecord({ content: 'x', [field]: value })?.[field]).toBeUndefined();
    }
    agree({ content: 'x', confirmations: Infinity });
    agree({ content: 'x', history: [{ at: 'a', event: 'e', by: 3 }] });
    agree({ content: 'x', history: [{ at: 'a', event: 'e', extra: 3 }] });
    agree({ content: 'x', history: ['not an event'] });
  });

  it('agrees on every field given each kind of value', () => {
    const values: unknown[] = [undefined, null, '', 'text', 0, 0.5, 2, true, [], ['a'], [1], {}, { at: 'a' }];
    for (const field of MEMORY_RECORD_FIELDS) {
      for (const value of values) {
        const raw: Record<string, unknown> = { content: 'base', [field]: value };
        agree(raw);
      }
    }
  });
});
