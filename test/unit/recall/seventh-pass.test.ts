import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type RecallRecord, buildRecallIndex } from '../../../src/core/recall/index-build.js';
import { rankRecall, searchRecall, synonymsOf, synonymTerm } from '../../../src/core/recall/search.js';
import { ANSWER_PORT, analyzeQuery, answerTypesOf } from '../../../src/core/recall/tokenize.js';

const sha1 = (s: string): string => createHash('sha1').update(s).digest('hex');
const HERE = '/home/sam/code/pelican-api';
const THERE = '/home/sam/code/otter-mobile';
const WORDY = '/home/sam/code/frontend';

function rec(id: string, summary: string, content: string, root = HERE, cwd = root): RecallRecord {
  return {
    id,
    summary,
    content,
    source_paths: [],
    repo_fingerprint: sha1(root),
    cwd,
    thread_id: '',
    turn_id: '',
  };
}

const records: RecallRecord[] = [
  rec('pa-rollback', 'Rolling back a release', 'Roll back production with `make rollback TAG=<previous>`.'),
  rec('pa-port', 'API port', 'The API listens on port 8088 locally.'),
  rec('pa-tests', 'Unit tests', 'Run the unit tests with `go test ./...`.'),
  rec('pa-lint', 'Linting', 'golangci-lint runs in CI with the repo config.'),
  rec('pa-cache', 'Response cache', 'GET responses are cached in Redis for 60 seconds.'),
  rec('pa-queue', 'Queue workers', 'Workers pull jobs from the default queue.'),
  rec('pa-env', 'Environment', 'Copy .env.example to .env before the first start.'),
  rec('pa-logs', 'Logs', 'Production logs are in Loki, label app=pelican.'),
  rec('pa-db', 'Database', 'Postgres 15 runs in docker compose.'),
  rec('pa-auth', 'Auth tokens', 'Access tokens expire after 15 minutes.'),
  rec(
    'om-rollback',
    'Rolling back a store release',
    'Halt the staged rollout in the console and ship the previous build.',
    THERE,
  ),
  rec('om-port', 'Metro port', 'The Metro bundler serves on port 8081.', THERE),
  rec('om-tests', 'Unit tests', 'Run the unit tests with `yarn jest`.', THERE),
  rec('om-icons', 'App icons', 'Icons are generated from icon.png with the icon script.', THERE),
  rec('om-push', 'Push setup', 'Push keys live in the Firebase project settings.', THERE),
  rec('om-deeplinks', 'Deep links', 'Deep links use the otter:// scheme.', THERE),
  rec('om-fonts', 'Fonts', 'Custom fonts are linked with the assets script.', THERE),
  rec('om-env', 'Environment', 'Expo reads EXPO_PUBLIC_ variables at build time.', THERE),
  rec('om-sentry', 'Sentry', 'Source maps are uploaded to Sentry on release.', THERE),
  rec('om-ota', 'OTA updates', 'OTA updates go out with `eas update --branch production`.', THERE),
  // A repository whose directory name is an ordinary word.
  rec('fe-build', 'Building the web app', 'Run `pnpm build` to produce the static bundle.', WORDY),
];
const index = buildRecallIndex(records);

const ask = (query: string, params = {}, root = HERE): string[] =>
  searchRecall(index, records, { query, cwd: root, repoFingerprint: sha1(root), params, topK: 5 }).map(
    (r) => r.id,
  );
const prompt = (query: string, params = {}, root = HERE): string[] =>
  searchRecall(index, records, { query, cwd: root, repoFingerprint: sha1(root), params, prompt: {} }).map(
    (r) => r.id,
  );

describe('a query that names another repository (seventh pass)', () => {
  it('is asked about that repository, not the asking one', () => {
    expect(ask('how do they roll back a release in otter-mobile')[0]).toBe('om-rollback');
    // Without the name, the asking repository's note answers.
    expect(ask('how do they roll back a release')[0]).toBe('pa-rollback');
    // The behaviour before: the asking repository's own note came first.
    expect(ask('how do they roll back a release in otter-mobile', { routeNamedRepo: false })[0]).toBe(
      'pa-rollback',
    );
  });

  it('injects the named repository’s note at prompt time, never the asking one’s', () => {
    expect(prompt('which port does the metro bundler use in otter-mobile')).toEqual(['om-port']);
    expect(prompt('otter-mobile 的单元测试怎么跑')).not.toContain('pa-tests');
  });

  it('finds the name glued to Chinese text and in other spellings', () => {
    expect(ask('otter-mobile那边怎么回滚发布')[0]).toBe('om-rollback');
    expect(ask('how does otter_mobile roll back a release')[0]).toBe('om-rollback');
    expect(ask('how does the otter mobile app roll back a release')[0]).toBe('om-rollback');
  });

  it('does not route on a directory name that is an ordinary word', () => {
    // "frontend" is a word of the question, not the name of the repository in /code/frontend.
    expect(ask('how do we roll back the frontend release')[0]).toBe('pa-rollback');
  });

  it('does not route when the query names the asking repository itself', () => {
    expect(ask('how do we roll back a release of pelican-api')[0]).toBe('pa-rollback');
  });
});

describe('the developer thesaurus of the seventh pass', () => {
  const syn = (a: string, b: string): boolean => {
    const x = synonymTerm(a);
    const y = synonymTerm(b);
    return x !== undefined && y !== undefined && synonymsOf(x).includes(y);
  };

  it('pairs words that say one thing (English, Chinese, English–Chinese)', () => {
    expect(syn('snapshot', 'golden')).toBe(true);
    expect(syn('rollback', 'downgrade')).toBe(true);
    expect(syn('listen', 'bind')).toBe(true);
    expect(syn('frontend', '前端')).toBe(true);
    expect(syn('backend', 'server')).toBe(true);
    expect(syn('login', '登陆')).toBe(true);
    expect(syn('proxy', 'forward')).toBe(true);
    expect(syn('stacktrace', 'traceback')).toBe(true);
  });

  it('lets a paraphrase find its note', () => {
    const zs: RecallRecord[] = [
      rec(
        'golden',
        'Golden files',
        'Regenerate the golden files with `make golden` after a renderer change.',
      ),
      rec('proxy', 'Dev proxy', 'Vite proxies /api to the Django server on 8000 (vite.config.ts).'),
      rec('login', '登录跳转', '本地登录后跳回首页，需要把回调地址设成 localhost。'),
      rec('other1', 'Formatting', 'Prettier formats the code on save.'),
      rec('other2', 'Node version', 'Use Node 20 as pinned in .nvmrc.'),
      rec('other3', 'Logging', 'Use the structured logger with fields.'),
    ];
    const zi = buildRecallIndex(zs);
    const q = (query: string): string[] =>
      searchRecall(zi, zs, { query, cwd: HERE, repoFingerprint: sha1(HERE), topK: 3 }).map((r) => r.id);
    expect(q('update the snapshot outputs after changing the renderer')[0]).toBe('golden');
    expect(q('how is forwarding to the django server set up')[0]).toBe('proxy');
    expect(q('本地登陆以后跳回首页')[0]).toBe('login');
  });
});

describe('a port at the end of a sentence (seventh pass)', () => {
  it('is a port the note states', () => {
    expect(answerTypesOf('The Metro bundler serves on port 8081.')).toContain(ANSWER_PORT);
    expect(answerTypesOf('Listens on 5432')).toContain(ANSWER_PORT);
    // A dotted number is a version, not a port.
    expect(answerTypesOf('Pinned to 1.2024.3')).not.toContain(ANSWER_PORT);
  });

  it('answers a port question', () => {
    expect(ask('which port does the metro bundler use', {}, THERE)[0]).toBe('om-port');
  });
});

describe('the gate compares a note with its own repository’s (seventh pass)', () => {
  it('measures the best other candidate among the asking repository’s notes', () => {
    const pool = (gatePeers: boolean) =>
      rankRecall(
        index,
        {
          query: 'how do I roll back a release',
          cwd: HERE,
          repoFingerprint: sha1(HERE),
          params: { gatePeers },
        },
        { pool: true },
      );
    const own = (gatePeers: boolean) => pool(gatePeers).find((c) => records[c.doc]?.id === 'pa-rollback');
    const other = pool(true).find((c) => records[c.doc]?.id === 'om-rollback');
    expect(other).toBeDefined();
    // Against every candidate, the other project's rollback note is the best other one.
    expect(own(false)?.signals?.otherCoverage).toBeCloseTo(other?.coverage ?? -1, 6);
    // Against its own repository's notes only, nothing else covers the question as well.
    expect(own(true)?.signals?.otherCoverage ?? 1).toBeLessThan(other?.coverage ?? 0);
    expect(own(true)?.probability ?? 0).toBeGreaterThan(own(false)?.probability ?? 1);
  });
});

describe('how a Chinese question is put (seventh pass)', () => {
  it('is not what it is about: 有什么办法, 怎么回事, 特别 are cut before bigramming', () => {
    const grams = (q: string): string[] => analyzeQuery(q).cjkPieces.flat();
    expect(grams('冷启动特别慢，有什么办法')).not.toContain('办法');
    expect(grams('冷启动特别慢，有什么办法')).not.toContain('动特');
    expect(grams('同步任务到底怎么回事')).not.toContain('回事');
    expect(grams('同步任务到底怎么回事')).toContain('同步');
  });

  it('a Chinese word no note has still silences prompt-time recall below the bar', () => {
    const zs: RecallRecord[] = [
      rec('grant', '数据门户申请权限', '在数据门户提交申请，组长审批后生效。'),
      ...records.filter((r) => r.repo_fingerprint === sha1(HERE)),
    ];
    const zi = buildRecallIndex(zs);
    const at = (query: string, promptCjkCoverage: number): string[] =>
      searchRecall(zi, zs, {
        query,
        cwd: HERE,
        repoFingerprint: sha1(HERE),
        params: { promptCjkCoverage },
        prompt: {},
      }).map((r) => r.id);
    expect(at('申请年假要找谁审批', 0.4)).toEqual([]);
    expect(at('申请年假要找谁审批', 0)).toEqual(['grant']);
    expect(at('申请权限要找谁审批', 0.4)).toEqual(['grant']);
  });
});
