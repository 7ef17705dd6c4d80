import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type RecallRecord,
  buildRecallIndex,
  loadRecallSearchIndex,
  serializeRecallSearchIndex,
} from '../../../src/core/recall/index-build.js';
import {
  RECALL_DEFAULTS,
  isSameOrNestedPath,
  rankRecall,
  searchRecall,
  searchRecallFile,
  searchRecallSource,
  synonymTerm,
  synonymWords,
  synonymsOf,
} from '../../../src/core/recall/search.js';
import { tokenize } from '../../../src/core/recall/tokenize.js';
import { tempDir } from '../../helpers/tmp.js';

const sha1 = (s: string): string => createHash('sha1').update(s).digest('hex');
const REPO_A = '/home/dev/src/app-a';
const REPO_B = '/home/dev/src/app-b';

function rec(
  id: string,
  summary: string,
  content: string,
  root = REPO_A,
  sub = '',
  extra: Partial<RecallRecord> = {},
): RecallRecord {
  return {
    id,
    summary,
    content,
    source_paths: [],
    repo_fingerprint: sha1(root),
    cwd: sub ? `${root}/${sub}` : root,
    thread_id: 'thr-1',
    turn_id: 'turn-1',
    source_updated_at: '2026-01-01T00:00:00Z',
    ...extra,
  };
}

/** Filler records so IDF behaves like a real corpus. */
const FILLER: RecallRecord[] = [
  rec('f01', 'Formatting', 'Prettier formats the code on save; run the formatter before committing.'),
  rec('f02', 'Node version', 'Use Node 20 as pinned in .nvmrc; Node 22 breaks streaming in dev.'),
  rec('f03', 'Docker compose services', 'docker compose up starts postgres and redis for local development.'),
  rec('f04', 'Feature flags', 'Flags are cached for thirty seconds per process, clear the cache in tests.'),
  rec('f05', 'Logging', 'Use the structured logger and pass fields as keyword arguments.'),
  rec('f06', 'Pagination', 'List endpoints use cursor pagination with a limit of 200.'),
  rec('f07', 'Error format', 'API errors are rendered as problem+json with a machine readable code.'),
  rec('f08', 'Rate limits', 'Public endpoints allow sixty requests per minute per key.', REPO_B),
  rec('f09', 'Icons', 'Icons are generated from svg files with svgr.', REPO_B),
  rec('f10', 'Sitemap', 'The sitemap is generated from the product list at build time.', REPO_B),
  rec('f11', 'Fonts', 'Fonts are self-hosted with next/font/local.', REPO_B),
  rec('f12', 'Bundle size', 'CI fails when first-load JS exceeds 180 kB.', REPO_B),
];

function search(records: RecallRecord[], query: string, root = REPO_A, cwd = root, topK?: number) {
  return searchRecall(buildRecallIndex(records), records, {
    query,
    cwd,
    repoFingerprint: sha1(root),
    ...(topK === undefined ? {} : { topK }),
  });
}

describe('searchRecall: relevance', () => {
  const records = [
    ...FILLER,
    rec('tests', 'Running the unit tests', 'Run `npm test`; vitest runs every package.'),
    rec('trace', 'Tracing spans', 'Each request creates a trace with spans exported over OTLP.'),
    rec(
      'stripe',
      'Stripe webhook signature',
      'construct_event needs the raw body, else SignatureVerificationError.',
    ),
    rec('zh', 'Spark 作业内存溢出', '宽表 join 时 executor 内存溢出：先处理数据倾斜。'),
  ];

  it('finds the record that matches the query terms', () => {
    expect(search(records, 'how do I run the unit tests?')[0]?.id).toBe('tests');
    expect(search(records, 'SignatureVerificationError')[0]?.id).toBe('stripe');
  });

  it('does not match a word inside another word ("race" is not "trace")', () => {
    expect(search(records, 'race')).toEqual([]);
    expect(search(records, 'trace').map((r) => r.id)).toEqual(['trace']);
  });

  it('matches Chinese queries against Chinese records without a dictionary', () => {
    expect(search(records, 'Spark 内存溢出怎么办')[0]?.id).toBe('zh');
  });

  it('expands common engineering synonyms at query time', () => {
    const withRelease = [
      ...records,
      rec('ship', 'Releasing the binary', 'Tag a version and the release workflow publishes it.'),
    ];
    expect(search(withRelease, 'how do we deploy the binary')[0]?.id).toBe('ship');
    expect(synonymsOf(tokenize('deploy')[0] as string)).toContain(tokenize('release')[0]);
  });

  it('maps every synonym-table word to the term the tokenizer gives it', () => {
    for (const word of synonymWords()) {
      const terms = tokenize(word);
      expect(synonymTerm(word), word).toBe(terms.length === 1 ? terms[0] : undefined);
    }
  });

  it('keeps synonyms in index-term form, across languages', () => {
    const test = synonymsOf(tokenize('tests')[0] as string);
    expect(test).toEqual(expect.arrayContaining([tokenize('spec')[0], tokenize('测试')[0]]));
    expect(synonymsOf(tokenize('测试')[0] as string)).toContain(tokenize('testing')[0]);
    expect(synonymsOf('zzz')).toEqual([]);
  });

  it('ranks a summary match above a content-only match', () => {
    const two = [
      ...FILLER,
      rec('content', 'Misc notes', 'Mention of lefthook in passing among many other words here.'),
      rec('summary', 'Lefthook', 'Hooks.'),
    ];
    expect(search(two, 'lefthook').map((r) => r.id)).toEqual(['summary', 'content']);
  });

  it('returns the documented result shape', () => {
    const [hit] = search(records, 'SignatureVerificationError');
    expect(Object.keys(hit ?? {}).sort()).toEqual(
      [
        'content',
        'cwd',
        'id',
        'repo_fingerprint',
        'score',
        'source_paths',
        'summary',
        'thread_id',
        'turn_id',
      ].sort(),
    );
    expect(hit?.score).toBeGreaterThan(0);
  });

  it('defaults missing optional fields of old records', () => {
    const old = [
      ...FILLER,
      { id: 'old', summary: 'Lefthook', content: 'Hooks.', repo_fingerprint: sha1(REPO_A), cwd: REPO_A },
    ];
    const [hit] = search(old, 'lefthook');
    expect(hit).toMatchObject({ id: 'old', source_paths: [], thread_id: '', turn_id: '' });
  });
});

describe('searchRecall: threshold', () => {
  it('does not depend on the bucket size: a term in half of a small bucket finds the same notes in a large one', () => {
    const common = [
      ...FILLER,
      ...Array.from({ length: 10 }, (_, i) => rec(`c${i}`, `Lefthook note ${i}`, 'lefthook.')),
    ];
    const small = search(common, 'lefthook').map((r) => r.id);
    const large = search(
      [...common, ...Array.from({ length: 60 }, (_, i) => rec(`o${i}`, `Other ${i}`, `note ${i}`))],
      'lefthook',
    );
    expect(small).toHaveLength(5);
    expect(large.map((r) => r.id)).toEqual(small);
  });

  it('lets an identifier match only whole: a note about another code that shares its parts is not returned', () => {
    const codes = [
      ...FILLER,
      rec(
        'async',
        'ERR_REQUIRE_ASYNC_MODULE on start',
        'Rename the CommonJS scripts to .mjs and import them.',
      ),
    ];
    expect(search(codes, 'ERR_REQUIRE_ESM when loading the config').map((r) => r.id)).not.toContain('async');
    expect(search(codes, 'ERR_REQUIRE_ASYNC_MODULE')[0]?.id).toBe('async');
  });

  it('matches a path by a shorter or longer spelling of the same file', () => {
    const paths = [
      ...FILLER,
      rec('conf', 'Where settings load', 'See src/core/config/load.ts for the order.'),
    ];
    expect(search(paths, 'why does load.ts read the env first')[0]?.id).toBe('conf');
    expect(search(paths, 'packages/app/src/core/config/load.ts')[0]?.id).toBe('conf');
  });

  it('meets colloquial Chinese with the formal word of the note', () => {
    const zh = [
      ...FILLER,
      rec('rollback', '发版出问题怎么回滚', '用 kubectl rollout undo 回到上一个版本。'),
      rec('unit', '单元测试', '单元测试用 vitest，pnpm test 跑全部。'),
    ];
    expect(search(zh, '上线以后有问题，怎么撤回')[0]?.id).toBe('rollback');
    expect(search(zh, '单测怎么跑')[0]?.id).toBe('unit');
  });

  const records = [
    ...FILLER,
    rec('rotate', 'Rotating database passwords', 'dk secrets rotate triggers the rotation lambda.'),
    rec('tests', 'Running the unit tests', 'Run `npm test`; vitest runs every package.'),
  ];

  it('returns nothing for an unrelated query', () => {
    expect(search(records, "what's the weather in Lisbon tomorrow?")).toEqual([]);
    expect(search(records, 'recommend a pan for searing steak')).toEqual([]);
  });

  it('returns nothing when only a side word matches', () => {
    expect(search(records, 'how do I rotate the tires on my car')).toEqual([]);
  });

  it('returns nothing for an empty or stop-word-only query', () => {
    expect(search(records, '')).toEqual([]);
    expect(search(records, 'how do we do it again?')).toEqual([]);
  });

  it('does not let the repository boost rescue an irrelevant record', () => {
    // Every record is in the query's repository; none is about kubernetes.
    expect(search(records, 'kubernetes ingress controller')).toEqual([]);
  });

  it('holds at a larger corpus size too', () => {
    const big = Array.from({ length: 2000 }, (_, i) =>
      rec(
        `g${i}`,
        `Note ${i}`,
        `Service ${i % 37} uses queue ${i % 11} and cache ${i % 13}; owner team ${i % 7}.`,
      ),
    );
    const corpus = [...big, ...records];
    expect(search(corpus, 'what is the capital of australia')).toEqual([]);
    expect(search(corpus, 'how do I rotate the tires on my car')).toEqual([]);
    expect(search(corpus, 'rotate the database password')[0]?.id).toBe('rotate');
  });

  it('admits a record that matches two distinct query terms of a long query', () => {
    const all = rankRecall(buildRecallIndex(records), {
      query: 'after the incident someone asked how we rotate database passwords nowadays',
      params: { minCoverage: 2 }, // disable the single-path admission: only the two-term rule remains
    });
    expect(all.map((c) => c.doc)).toContain(records.findIndex((r) => r.id === 'rotate'));
    expect(all.every((c) => c.matchedGroups >= 2)).toBe(true);
  });
});

describe('searchRecall: repo-first scoring', () => {
  const records = [
    ...FILLER,
    rec('a-tests', 'Running the tests', 'Run `pytest -q` from the repository root.', REPO_A),
    rec('b-tests', 'Running the tests', 'Run `pytest -q` from the repository root.', REPO_B),
  ];

  it('puts the record of the query repository first', () => {
    expect(
      search(records, 'how do I run the tests', REPO_A)
        .map((r) => r.id)
        .slice(0, 2),
    ).toEqual(['a-tests', 'b-tests']);
    expect(
      search(records, 'how do I run the tests', REPO_B)
        .map((r) => r.id)
        .slice(0, 2),
    ).toEqual(['b-tests', 'a-tests']);
  });

  it('boosts records learned in the query cwd subtree', () => {
    const sub = [
      ...FILLER,
      rec('pkg-ui', 'Storybook port', 'Storybook listens on port 6006.', REPO_B, 'packages/ui'),
      rec('pkg-web', 'Storybook port', 'Storybook listens on port 6006.', REPO_B, 'apps/web'),
    ];
    const fromUi = searchRecall(buildRecallIndex(sub), sub, {
      query: 'storybook port',
      cwd: `${REPO_B}/packages/ui/src`,
    });
    expect(fromUi.map((r) => r.id)).toEqual(['pkg-ui', 'pkg-web']);
    const fromWeb = searchRecall(buildRecallIndex(sub), sub, {
      query: 'storybook port',
      cwd: `${REPO_B}/apps/web`,
    });
    expect(fromWeb.map((r) => r.id)).toEqual(['pkg-web', 'pkg-ui']);
  });

  it('uses a separator-correct prefix test for cwd nesting', () => {
    expect(isSameOrNestedPath('/a/b', '/a/b')).toBe(true);
    expect(isSameOrNestedPath('/a/b/c', '/a/b')).toBe(true);
    expect(isSameOrNestedPath('/a/b', '/a/b/c/')).toBe(true);
    expect(isSameOrNestedPath('/a/bc', '/a/b')).toBe(false);
    expect(isSameOrNestedPath('/a/b', '/a/bc')).toBe(false);
    expect(isSameOrNestedPath('C:\\repo\\app', 'C:\\repo')).toBe(true);
    expect(isSameOrNestedPath('', '/a')).toBe(false);
  });

  it('does not boost a sibling directory that shares a name prefix', () => {
    const sib = [
      ...FILLER,
      rec('near', 'Storybook port', 'Storybook listens on port 6006.', '/x/app-b2'),
      rec('far', 'Storybook port', 'Storybook listens on port 6006.', '/x/zzz'),
    ];
    // Neither is in the query repo or under /x/app-b; equal scores fall back to id order.
    const hits = searchRecall(buildRecallIndex(sib), sib, { query: 'storybook port', cwd: '/x/app-b' });
    expect(hits.map((r) => r.id)).toEqual(['far', 'near']);
    expect(hits[0]?.score).toBe(hits[1]?.score);
  });
});

describe('rankRecall: limit', () => {
  it('returns the same best candidates with a limit as the head of the full ranking', () => {
    const others = Array.from({ length: 200 }, (_, i) => rec(`o${i}`, `Other ${i}`, `Unrelated note ${i}.`));
    const cache = Array.from({ length: 30 }, (_, i) =>
      rec(`k${i % 10}${i}`, `Cache note ${i}`, `cache ${'entry '.repeat(i % 4)}`),
    );
    const records = [...FILLER, ...others, ...cache];
    const index = buildRecallIndex(records);
    const all = rankRecall(index, { query: 'cache entry' });
    expect(all.length).toBeGreaterThan(5);
    expect(rankRecall(index, { query: 'cache entry' }, { limit: 5 })).toEqual(all.slice(0, 5));
    expect(rankRecall(index, { query: 'cache entry' }, { limit: 1 })).toEqual(all.slice(0, 1));
  });
});

describe('searchRecall: top-k and ties', () => {
  const same = Array.from({ length: 8 }, (_, i) =>
    rec(`t${7 - i}`, 'Lefthook hooks', 'Install lefthook after cloning.'),
  );
  // Enough other records that "lefthook" stays a specific term (it would not be in 8 of 20).
  const more = Array.from({ length: 40 }, (_, i) =>
    rec(`m${i}`, `Area ${i % 5}`, `Unrelated note ${i} about module ${i % 9}.`),
  );
  const records = [...FILLER, ...more, ...same];

  it('returns at most 5 results by default, best first', () => {
    expect(RECALL_DEFAULTS.topK).toBe(5);
    expect(search(records, 'lefthook')).toHaveLength(5);
  });

  it('honours topK and treats values below 1 as 1', () => {
    expect(search(records, 'lefthook', REPO_A, REPO_A, 2)).toHaveLength(2);
    expect(search(records, 'lefthook', REPO_A, REPO_A, 0)).toHaveLength(1);
    expect(search(records, 'lefthook', REPO_A, REPO_A, -3)).toHaveLength(1);
  });

  it('breaks score ties by id, whatever the record order', () => {
    expect(search(records, 'lefthook').map((r) => r.id)).toEqual(['t0', 't1', 't2', 't3', 't4']);
    const reversed = [...FILLER, ...more, ...[...same].reverse()];
    expect(search(reversed, 'lefthook').map((r) => r.id)).toEqual(['t0', 't1', 't2', 't3', 't4']);
  });
});

describe('searchRecall: stale or missing index', () => {
  const records = [
    ...FILLER,
    rec('tests', 'Running the unit tests', 'Run `npm test`; vitest runs every package.'),
    rec('stripe', 'Stripe webhook signature', 'construct_event needs the raw body.'),
  ];
  const query = { query: 'stripe webhook signature', cwd: REPO_A, repoFingerprint: sha1(REPO_A) };

  it('builds the index in memory when none is given', () => {
    expect(searchRecall(undefined, records, query)[0]?.id).toBe('stripe');
    expect(searchRecall(null, records, query)[0]?.id).toBe('stripe');
  });

  it('ignores an index built for other records (count or ids differ)', () => {
    const other = buildRecallIndex(records.slice(0, FILLER.length));
    expect(searchRecall(other, records, query)[0]?.id).toBe('stripe');
    const reordered = [...records].reverse();
    const staleIds = buildRecallIndex(records);
    expect(searchRecall(staleIds, reordered, query)[0]?.id).toBe('stripe');
  });

  it('ignores an index of another version', () => {
    const old = { ...buildRecallIndex(records), version: 0 };
    expect(searchRecall(old, records, query)[0]?.id).toBe('stripe');
  });
});

describe('searchRecallSource / searchRecallFile', () => {
  const records = [
    ...FILLER,
    rec('tests', 'Running the unit tests', 'Run `npm test`; vitest runs every package.'),
    rec('stripe', 'Stripe webhook signature', 'construct_event needs the raw body. 中文'),
  ];
  const text = `${JSON.stringify({ records }, null, 2)}\n`;
  const source = new TextEncoder().encode(text);
  const query = { query: 'stripe webhook signature', cwd: REPO_A, repoFingerprint: sha1(REPO_A) };

  it('answers from the index and the hit spans when the index matches the bytes', () => {
    const index = loadRecallSearchIndex(serializeRecallSearchIndex(buildRecallIndex(records, { source })));
    const out = searchRecallSource(index, source, query);
    expect(out.mode).toBe('indexed');
    expect(out.results).toEqual(searchRecall(undefined, records, query));
  });

  it('rebuilds when the file changed since the index was built', () => {
    const index = buildRecallIndex(records, { source });
    const changed = [
      ...records,
      rec('new', 'Webhook signature replay', 'Replay a stripe webhook from the dashboard.'),
    ];
    const out = searchRecallSource(
      index,
      new TextEncoder().encode(JSON.stringify({ records: changed })),
      query,
    );
    expect(out.mode).toBe('rebuilt');
    expect(out.results.map((r) => r.id)).toContain('new');
  });

  it('rebuilds when a hit span no longer holds the indexed record', () => {
    const index = buildRecallIndex(records, { source });
    // Same length, different id at the same place: the span check must notice.
    const tampered = new TextEncoder().encode(text.replace('"id": "stripe"', '"id": "strip2"'));
    expect(tampered.byteLength).toBe(source.byteLength);
    const out = searchRecallSource(index, tampered, query);
    expect(out.mode).toBe('rebuilt');
    expect(out.results[0]?.id).toBe('strip2');
  });

  it('rebuilds when there is no index, and throws only on invalid JSON', () => {
    expect(searchRecallSource(undefined, source, query)).toMatchObject({ mode: 'rebuilt' });
    expect(() => searchRecallSource(undefined, new TextEncoder().encode('{oops'), query)).toThrow();
  });

  it('reads only what it needs from a file on disk', () => {
    const dir = tempDir();
    const indexPath = join(dir, 'index.json');
    writeFileSync(indexPath, source);
    const index = loadRecallSearchIndex(serializeRecallSearchIndex(buildRecallIndex(records, { source })));
    const out = searchRecallFile(index, indexPath, query);
    expect(out.mode).toBe('indexed');
    expect(out.results[0]).toMatchObject({
      id: 'stripe',
      content: 'construct_event needs the raw body. 中文',
    });
    writeFileSync(indexPath, `${text} `);
    expect(searchRecallFile(index, indexPath, query).mode).toBe('rebuilt');
    expect(() => searchRecallFile(index, join(dir, 'missing.json'), query)).toThrow(/ENOENT/);
  });
});
