import { describe, expect, it } from 'vitest';
import {
  type RecallRecord,
  type RecallSearchIndex,
  RECALL_INDEX_VERSION,
  buildRecallIndex,
  buildRecallIndexFromSource,
  decodePostings,
  decodePostingsInto,
  encodePostingList,
  idAt,
  lookupTerm,
  docSpan,
  isRecallSearchIndexFresh,
  loadRecallSearchIndex,
  locateRecordSpans,
  lookupPostings,
  parseRecallSearchIndex,
  serializeRecallSearchIndex,
} from '../../../src/core/recall/index-build.js';
import { tokenize } from '../../../src/core/recall/tokenize.js';

function rec(id: string, summary: string, content: string, extra: Partial<RecallRecord> = {}): RecallRecord {
  return {
    id,
    summary,
    content,
    source_paths: [],
    repo_fingerprint: 'fp-a',
    cwd: '/repo/a',
    thread_id: '',
    turn_id: '',
    source_updated_at: '',
    ...extra,
  };
}

const RECORDS: RecallRecord[] = [
  rec('r1', 'Run tests with vitest', 'Use `npm test`; the e2e suite needs the built dist/.', {
    source_paths: ['package.json'],
  }),
  rec('r2', 'Alembic migrations', 'Run `alembic upgrade head` before starting the API.', {
    repo_fingerprint: 'fp-b',
    cwd: '/repo/b',
  }),
  rec('r3', '数据库迁移', '迁移脚本放在 migrations/ 目录。', {
    repo_fingerprint: 'fp-b',
    cwd: '/repo/b/sub',
  }),
];

function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

describe('buildRecallIndex', () => {
  it('is deterministic and JSON-serializable', () => {
    const a = serializeRecallSearchIndex(buildRecallIndex(RECORDS));
    const b = serializeRecallSearchIndex(buildRecallIndex(RECORDS));
    expect(a).toBe(b);
    const loaded = loadRecallSearchIndex(a);
    expect(loaded).toEqual(buildRecallIndex(RECORDS));
    expect(loaded?.version).toBe(RECALL_INDEX_VERSION);
    expect(loaded?.count).toBe(3);
    expect([0, 1, 2].map((doc) => idAt(loaded as RecallSearchIndex, doc))).toEqual(['r1', 'r2', 'r3']);
  });

  it('writes pure ASCII even for Chinese terms and paths', () => {
    const text = serializeRecallSearchIndex(
      buildRecallIndex([...RECORDS, rec('r4', 'x', 'y', { cwd: '/home/用户/app' })]),
    );
    expect(/[\u0080-\uffff]/.test(text)).toBe(false);
    expect(loadRecallSearchIndex(bytes(text))?.cwds).toContain('/home/用户/app');
  });

  it('has a posting list for every term of every record, and none for absent terms', () => {
    const index = buildRecallIndex(RECORDS);
    RECORDS.forEach((r, doc) => {
      for (const term of tokenize(`${r.summary} ${r.content}`)) {
        const list = lookupPostings(index, term);
        expect(list, term).toBeDefined();
        expect(decodePostings(list as string, index.count).docs).toContain(doc);
      }
    });
    expect(lookupPostings(index, 'race')).toBeUndefined();
    expect(lookupPostings(index, '__proto__')).toBeUndefined();
    expect(lookupPostings(index, 'constructor')).toBeUndefined();
  });

  it('finds terms in every directory block of a large lexicon', () => {
    const records = Array.from({ length: 300 }, (_, i) => rec(`id${i}`, `topic${i}`, `word${i} shared`));
    const index = buildRecallIndex(records);
    for (const i of [0, 31, 32, 33, 150, 299]) {
      const docs = decodePostings(lookupPostings(index, `topic${i}`) as string, index.count).docs;
      expect(docs).toEqual([i]);
    }
    expect(decodePostings(lookupPostings(index, 'shar') as string, index.count).docs).toHaveLength(300);
    expect(lookupPostings(index, 'topic1000')).toBeUndefined();
    expect(lookupPostings(index, 'zzz')).toBeUndefined();
    expect(lookupPostings(index, '0')).toBeUndefined();
  });

  it('weights a summary occurrence above a content occurrence', () => {
    const index = buildRecallIndex([
      rec('s', 'vitest setup', 'other words here'),
      rec('c', 'other words', 'vitest setup here'),
    ]);
    const { docs, tfs } = decodePostings(lookupPostings(index, 'vitest') as string, index.count);
    expect(docs).toEqual([0, 1]);
    expect(tfs[0] as number).toBeGreaterThan(tfs[1] as number);
  });

  it('stores each distinct repository and cwd once', () => {
    const index = buildRecallIndex(RECORDS);
    expect(index.repos).toEqual(['fp-a', 'fp-b']);
    expect(index.cwds).toEqual(['/repo/a', '/repo/b', '/repo/b/sub']);
    expect(index.doc_repo).toBe('011');
    expect(index.doc_cwd).toBe('012');
  });

  it('handles an empty corpus', () => {
    const index = buildRecallIndex([]);
    expect(index.count).toBe(0);
    expect(lookupPostings(index, 'test')).toBeUndefined();
    expect(loadRecallSearchIndex(serializeRecallSearchIndex(index))).toEqual(index);
  });
});

describe('ids and lexicon entries', () => {
  it('stores ids in order, a newline-containing id in a form that never matches', () => {
    const index = buildRecallIndex([
      rec('a', 'x', 'y'),
      rec('b\nc', 'x', 'y'),
      rec('', 'x', 'y'),
      rec('dd', 'x', 'y'),
    ]);
    expect([0, 1, 2, 3].map((d) => idAt(index, d))).toEqual(['a', 'b c', '', 'dd']);
    expect(
      isRecallSearchIndexFresh(index, [
        rec('a', 'x', 'y'),
        rec('b\nc', 'x', 'y'),
        rec('', 'x', 'y'),
        rec('dd', 'x', 'y'),
      ]),
    ).toBe(true);
  });

  it('gives each term its document frequency', () => {
    const index = buildRecallIndex(RECORDS);
    expect(lookupTerm(index, tokenize('run')[0] as string)?.df).toBe(2);
    expect(lookupTerm(index, 'vitest')?.df).toBe(1);
    expect(lookupTerm(index, 'nothing-here')).toBeUndefined();
  });
});

describe('posting lists', () => {
  it('round-trips positions and weights, small and large', () => {
    const flat = [0, 1, 2, 10, 44, 45, 45, 2024, 100_000, 7, 100_001, 3];
    const docs = new Int32Array(200_000);
    const tfs = new Float64Array(200_000);
    const encoded = encodePostingList(flat);
    expect(encoded).toMatch(/^[#-~]+$/);
    expect(encoded).not.toMatch(/[;\\"]/);
    const n = decodePostingsInto(encoded, 0, 200_000, docs, tfs);
    expect(Array.from(docs.subarray(0, n))).toEqual([0, 2, 44, 45, 100_000, 100_001]);
    expect(Array.from(tfs.subarray(0, n))).toEqual([0.1, 1, 4.5, 202.4, 0.7, 0.3]);
  });

  it('encodes a number below 45 as one character', () => {
    expect(encodePostingList([3, 44])).toHaveLength(2);
    expect(encodePostingList([3, 45])).toHaveLength(3);
  });

  it('decodes in place from an offset and stops at the list end', () => {
    const text = `${encodePostingList([0, 1])};${encodePostingList([2, 10, 5, 40])};${encodePostingList([6, 6])}`;
    const docs = new Int32Array(10);
    const tfs = new Float64Array(10);
    expect(decodePostingsInto(text, text.indexOf(';') + 1, 10, docs, tfs)).toBe(2);
    expect(Array.from(docs.subarray(0, 2))).toEqual([2, 5]);
    expect(Array.from(tfs.subarray(0, 2))).toEqual([1, 4]);
  });

  it('stops at damage instead of throwing', () => {
    const good = encodePostingList([2, 10, 5, 40]);
    expect(decodePostings(good, 10).docs).toEqual([2, 5]);
    expect(decodePostings(good.slice(0, -1), 10).docs).toEqual([2]); // truncated pair
    expect(
      decodePostings(`${encodePostingList([2, 10])}\u00e9${encodePostingList([3, 4])}`, 10).docs,
    ).toEqual([2]);
    expect(decodePostings(encodePostingList([2, 10, 11, 4]), 10).docs).toEqual([2]); // out of range
    expect(decodePostings(`${encodePostingList([2, 10])}${encodePostingList([0, 4])}`, 10).docs).toEqual([2]); // delta 0
    expect(decodePostings('', 10).docs).toEqual([]);
  });
});

describe('parseRecallSearchIndex / isRecallSearchIndexFresh', () => {
  const index = buildRecallIndex(RECORDS);

  it('rejects other versions, parameters and shapes', () => {
    expect(parseRecallSearchIndex({ ...index, version: 0 })).toBeUndefined();
    expect(parseRecallSearchIndex({ ...index, tokenizer: 999 })).toBeUndefined();
    expect(parseRecallSearchIndex({ ...index, params: 'bm25' })).toBeUndefined();
    expect(parseRecallSearchIndex({ ...index, id_offsets: '0' })).toBeUndefined();
    expect(parseRecallSearchIndex({ ...index, ids: ['r1', 'r2', 'r3'] })).toBeUndefined();
    expect(parseRecallSearchIndex({ ...index, doc_repo: '0' })).toBeUndefined();
    expect(parseRecallSearchIndex({ records: [] })).toBeUndefined();
    expect(parseRecallSearchIndex(null)).toBeUndefined();
    expect(loadRecallSearchIndex('{not json')).toBeUndefined();
  });

  it('is fresh only for the same records in the same order', () => {
    expect(isRecallSearchIndexFresh(index, RECORDS)).toBe(true);
    expect(isRecallSearchIndexFresh(index, RECORDS.slice(0, 2))).toBe(false);
    expect(isRecallSearchIndexFresh(index, [RECORDS[1], RECORDS[0], RECORDS[2]] as RecallRecord[])).toBe(
      false,
    );
    expect(isRecallSearchIndexFresh(index, [...RECORDS.slice(0, 2), rec('r9', 'x', 'y')])).toBe(false);
    expect(isRecallSearchIndexFresh(undefined, RECORDS)).toBe(false);
  });
});

describe('record spans', () => {
  it('locates each record in pretty and compact JSON, whatever the strings contain', () => {
    const tricky = rec('t"1', 'braces } ] { [ and "quotes"', 'back\\slash \u4e2d\u6587 \\" end');
    const records = [...RECORDS, tricky];
    for (const text of [
      JSON.stringify({ records }, null, 2),
      JSON.stringify({ records }),
      JSON.stringify({ before: { records: [1] }, records, after: 'x' }),
    ]) {
      const source = bytes(text);
      const spans = locateRecordSpans(source);
      expect(spans).toHaveLength(records.length);
      spans?.forEach(([start, end], i) => {
        expect(JSON.parse(new TextDecoder().decode(source.subarray(start, end)))).toEqual(records[i]);
      });
    }
  });

  it('returns undefined for other shapes', () => {
    expect(locateRecordSpans(bytes('[1,2]'))).toBeUndefined();
    expect(locateRecordSpans(bytes('{"records": [1, 2'))).toBeUndefined();
    expect(locateRecordSpans(bytes('{"other": []}'))).toBeUndefined();
    expect(locateRecordSpans(bytes('{"records": []}'))).toEqual([]);
  });

  it('records spans and the source size when built from the exact bytes', () => {
    const source = bytes(`${JSON.stringify({ records: RECORDS }, null, 2)}\n`);
    const { index, records } = buildRecallIndexFromSource(source);
    expect(records.map((r) => r.id)).toEqual(['r1', 'r2', 'r3']);
    expect(index.source_bytes).toBe(source.byteLength);
    const [start, end] = docSpan(index, 2) as [number, number];
    expect(JSON.parse(new TextDecoder().decode(source.subarray(start, end))).id).toBe('r3');
  });

  it('is fresh for a source only when its spans point into exactly those bytes', () => {
    const source = bytes(JSON.stringify({ records: RECORDS }, null, 2));
    const withSpans = buildRecallIndex(RECORDS, { source });
    expect(isRecallSearchIndexFresh(withSpans, RECORDS, source)).toBe(true);
    expect(isRecallSearchIndexFresh(withSpans, RECORDS, bytes(JSON.stringify({ records: RECORDS })))).toBe(
      false,
    );
    expect(isRecallSearchIndexFresh(buildRecallIndex(RECORDS), RECORDS, source)).toBe(false);
    expect(isRecallSearchIndexFresh(buildRecallIndex(RECORDS), RECORDS)).toBe(true);
  });

  it('stores no spans when the bytes hold other records', () => {
    const source = bytes(JSON.stringify({ records: RECORDS.slice(0, 2) }));
    const index = buildRecallIndex(RECORDS, { source });
    expect(index.spans).toBe('');
    expect(index.source_bytes).toBeNull();
    expect(docSpan(index, 0)).toBeUndefined();
  });

  it('loads an index.json written by the Python original (defaults and extra fields)', () => {
    const python = `{
  "records": [
    {
      "content": "Run \\u0060make test\\u0060 \\u4e2d\\u6587",
      "created_at": "2026-01-01T00:00:00Z",
      "cwd": "/repo/a",
      "id": "abc123def456",
      "repo_fingerprint": "fp-a",
      "source_paths": ["Makefile"],
      "summary": "Testing",
      "status": "active"
    }
  ]
}
`;
    const { index, records } = buildRecallIndexFromSource(bytes(python));
    expect(index.count).toBe(1);
    expect(index.spans).not.toBe('');
    expect(decodePostings(lookupPostings(index, tokenize('make')[0] as string) as string, 1).docs).toEqual([
      0,
    ]);
    expect(lookupPostings(index, '中文')).toBeDefined();
    expect(records[0]?.thread_id).toBeUndefined();
  });
});
