import { describe, expect, it } from 'vitest';
import { analyzeQuery, stem, tokenize, tokenizeQuery } from '../../../src/core/recall/tokenize.js';

describe('tokenize: code identifiers', () => {
  it('splits camelCase into the whole identifier plus its parts', () => {
    expect(tokenize('getUserById')).toEqual(['getuserbyid', 'get', 'user', 'by', 'id']);
  });

  it('splits PascalCase with acronyms and letter/digit boundaries', () => {
    expect(tokenize('HTTPServer')).toEqual(['httpserver', 'http', 'server']);
    expect(tokenize('parseJSON2Str')).toEqual(['parsejson2str', 'pars', 'json', 'str']);
    expect(tokenize('retryAfter429')).toEqual(['retryafter429', 'retry', 'after', '429']);
  });

  it('splits snake_case and kebab-case, keeping the whole token', () => {
    expect(tokenize('search_recall')).toEqual(['search_recall', 'search', 'recall']);
    expect(tokenize('pre-commit')).toEqual(['pre-commit', 'pre', 'commit']);
    expect(tokenize('TEST_DATABASE_URL')).toEqual(['test_database_url', 'test', 'databas', 'url']);
  });

  it('splits slash and dotted paths into the whole path, segments and words', () => {
    const terms = tokenize('src/core/paths.ts');
    expect(terms[0]).toBe('src/core/paths.ts');
    expect(terms).toEqual(expect.arrayContaining(['src', 'cor', 'path', 'ts']));
    expect(tokenize('process.env.NODE_ENV')).toEqual(
      expect.arrayContaining(['process.env.node_env', 'process', 'env', 'node_env', 'nod']),
    );
  });

  it('trims sentence punctuation and leading path markers around a chunk', () => {
    expect(tokenize('See ./scripts/run.sh.')).toEqual([
      'see',
      'scripts/run.sh',
      'run.sh',
      'script',
      'run',
      'sh',
    ]);
    expect(tokenize('--dry-run')).toEqual(['dry-run', 'dry', 'run']);
  });

  it('keeps numbers of two or more digits, drops lone letters and digits', () => {
    expect(tokenize('port 5433 on v2 x 7')).toEqual(['port', '5433', 'v2']);
  });

  it('treats plural acronyms as their singular', () => {
    expect(tokenize('IDs URLs')).toEqual(['id', 'url']);
  });
});

describe('tokenize: English words', () => {
  it('lower-cases, drops stop-words and joins contractions', () => {
    expect(tokenize("The build doesn't run on the CI")).toEqual(['build', 'run', 'ci']);
  });

  it('stems inflections of the same word to the same term', () => {
    expect(new Set(['run', 'runs', 'running'].map(stem))).toEqual(new Set(['run']));
    expect(new Set(['test', 'tests', 'testing', 'tested'].map(stem))).toEqual(new Set(['test']));
    expect(new Set(['cache', 'caches', 'cached', 'caching'].map(stem)).size).toBe(1);
    expect(stem('dependencies')).toBe(stem('dependency'));
    expect(stem('retried')).toBe(stem('retry'));
  });

  it('does not strip suffixes that are not inflections', () => {
    expect(stem('process')).toBe('process');
    expect(stem('status')).toBe('status');
    expect(stem('string')).toBe('string');
    expect(stem('add')).toBe('add');
    expect(stem('install')).toBe(stem('installing'));
  });
});

describe('tokenize: CJK', () => {
  it('emits character bigrams and cuts at function words', () => {
    expect(tokenize('数据库迁移')).toEqual(['数据', '据库', '库迁', '迁移']);
    // 我们, 之前, 怎么 and 的 are cut out, so no bigram straddles them.
    expect(tokenize('我们之前怎么处理数据库迁移的')).toEqual([
      '处理',
      '理数',
      '数据',
      '据库',
      '库迁',
      '迁移',
    ]);
  });

  it('emits a unigram for a single character between cuts', () => {
    expect(tokenize('用npm test跑')).toEqual(['用', 'npm', 'test', '跑']);
  });

  it('folds full-width letters typed by a Chinese input method', () => {
    expect(tokenize('ｎｐｍ　ｔｅｓｔ')).toEqual(['npm', 'test']);
  });

  it('produces the same terms for Chinese in a query and in a record', () => {
    const record = new Set(tokenize('Spark 作业内存溢出的处理'));
    for (const term of tokenizeQuery('内存溢出')) expect(record.has(term)).toBe(true);
  });
});

describe('tokenize: whole-term matching only', () => {
  it('does not produce a term from inside another word', () => {
    expect(tokenize('trace')).not.toContain(tokenize('race')[0]);
    expect(tokenize('constraint')).not.toContain('rain');
    expect(tokenize('import report export')).not.toContain('port');
  });
});

describe('analyzeQuery', () => {
  it('removes conversational filler and "last time"', () => {
    expect(tokenizeQuery('Do you remember last time how we fixed the flaky login test?')).toEqual([
      'fix',
      'flaky',
      'login',
      'test',
    ]);
  });

  it('deduplicates terms and marks compound wholes', () => {
    const { terms } = analyzeQuery('getUserById getUserById user');
    expect(terms.map((t) => t.term)).toEqual(['getuserbyid', 'get', 'user', 'by', 'id']);
    expect(terms[0]?.compound).toBe(true);
    expect(terms[2]?.compound).toBe(false);
  });

  it('reports each CJK piece with its bigrams in order', () => {
    const { terms, cjkPieces } = analyzeQuery('数据库 迁移');
    expect(cjkPieces).toEqual([['数据', '据库'], ['迁移']]);
    expect(terms.every((t) => t.cjk)).toBe(true);
  });

  it('returns nothing for a query made only of stop-words and filler', () => {
    expect(tokenizeQuery('how do we do it again?')).toEqual([]);
  });
});

describe('tokenize: hostile input', () => {
  it('survives NUL characters, lone surrogates and very long runs', () => {
    expect(tokenize('a\u0000b 数据\u0000库 0 1')).toEqual(['数据', '库']);
    expect(() => tokenize('\ud800 test \udfff')).not.toThrow();
    expect(tokenize('x'.repeat(10_000))).toEqual(['x'.repeat(10_000)]);
    expect(tokenize('测'.repeat(1000))).toHaveLength(999);
  });
});
