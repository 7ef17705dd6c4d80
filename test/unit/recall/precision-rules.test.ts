import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type RecallRecord, buildRecallIndex } from '../../../src/core/recall/index-build.js';
import {
  type RecallRankingParams,
  cjkBoundaryBigrams,
  searchRecall,
} from '../../../src/core/recall/search.js';
import {
  ANSWER_DURATION,
  ANSWER_NUMBER,
  ANSWER_PORT,
  ANSWER_VERSION,
  analyzeQuery,
  answerTypesOf,
  askedAnswerTypes,
} from '../../../src/core/recall/tokenize.js';

const sha1 = (s: string): string => createHash('sha1').update(s).digest('hex');
const APP = '/home/dev/src/orders-svc';
const OTHER = '/home/dev/src/web-shop';

function rec(id: string, summary: string, content: string, root = APP): RecallRecord {
  const base = { source_paths: [], repo_fingerprint: sha1(root), cwd: root, thread_id: '', turn_id: '' };
  return { id, summary, content, ...base };
}

/** Ids returned for `query` asked from `root`, with optional parameter overrides. */
function ask(
  records: RecallRecord[],
  query: string,
  params: Partial<RecallRankingParams> = {},
  root = APP,
): string[] {
  const index = buildRecallIndex(records);
  const options = { query, cwd: root, repoFingerprint: sha1(root), params };
  return searchRecall(index, records, options).map((r) => r.id);
}

// Filler notes so document frequencies look like a real bucket's.
const FILLER = [
  rec('f-tests', 'Running the unit tests', 'Run ./gradlew test; integrationTest runs containers.'),
  rec('f-format', 'Formatting with Spotless', 'Run ./gradlew spotlessApply before committing.'),
  rec('f-deploy', 'How the service is deployed', 'Argo CD syncs main to staging; production is manual.'),
  rec('f-money', 'Money is BigDecimal', 'Never use double for amounts; store NUMERIC(19,2).'),
];

describe('answer types', () => {
  it('finds the kinds of value a note states', () => {
    expect(answerTypesOf('Postgres runs on 5432')).toEqual([ANSWER_NUMBER, ANSWER_PORT]);
    expect(answerTypesOf('keys are cached for 10 minutes')).toEqual([ANSWER_NUMBER, ANSWER_DURATION]);
    expect(answerTypesOf('会话 TTL 30 分钟')).toEqual([ANSWER_NUMBER, ANSWER_DURATION]);
    expect(answerTypesOf('the nightly drift job')).toEqual([ANSWER_DURATION]);
    // Digits inside names are not values.
    expect(answerTypesOf('files go to S3 with oauth2 and -Xmx4g')).toEqual([]);
    expect(answerTypesOf('as it says in the docs')).toEqual([]);
    // Versions: dotted, after a version word or a runtime; a port is not one.
    for (const text of ['The MSRV is 1.75', 'minSdk 26', 'JDK 17', 'Node 20', '@types/node@20', 'iOS 15']) {
      expect(answerTypesOf(text), text).toContain(ANSWER_VERSION);
    }
    expect(answerTypesOf('Phoenix listens on port 4400')).not.toContain(ANSWER_VERSION);
  });

  it('finds what a question asks for, in English and Chinese', () => {
    expect(askedAnswerTypes('what port does redis use')).toEqual([ANSWER_PORT]);
    expect(askedAnswerTypes('Redis 端口是多少')).toEqual([ANSWER_PORT]);
    expect(askedAnswerTypes('how long are the keys cached')).toEqual([ANSWER_DURATION]);
    expect(askedAnswerTypes('缓存多久过期')).toEqual([ANSWER_DURATION]);
    expect(askedAnswerTypes('how many partitions does the topic have')).toEqual([ANSWER_NUMBER]);
    expect(askedAnswerTypes('which Node version do we use')).toEqual([ANSWER_VERSION]);
    expect(askedAnswerTypes('Node 用的什么版本')).toEqual([ANSWER_VERSION]);
    expect(askedAnswerTypes('how often are pages regenerated')).toEqual([ANSWER_NUMBER, ANSWER_DURATION]);
    expect(askedAnswerTypes('how do I run the tests')).toEqual([]);
  });
});

describe('recall admits only a note that covers what the question asks', () => {
  const celery = rec(
    'celery',
    'Starting the Kafka consumer locally',
    'Start the Kafka consumer with the local profile; Redis holds the dedup keys.',
  );
  const ports = rec('ports', 'Ports of the local stack', 'Postgres is mapped to 5442 and Kafka to 9094.');

  it('does not answer a port question with a note that states no port', () => {
    const records = [...FILLER, celery, ports];
    expect(ask(records, 'what port does redis use locally', { valueSubjectIdf: 99 })).not.toContain('celery');
    // The rule is what keeps it out.
    const noTypes = { answerTypes: false, valueSubjectIdf: 99 };
    expect(ask(records, 'what port does redis use locally', noTypes)).toContain('celery');
  });

  it("does not answer a value question with a note that lacks the question's subject", () => {
    const records = [...FILLER, celery, ports];
    expect(ask(records, 'what port does redis use in the local stack')).toEqual([]);
    const noSubject = { valueSubjectIdf: 99, siblings: false };
    expect(ask(records, 'what port does redis use in the local stack', noSubject)).toContain('ports');
    // Redis is a service like Postgres and Kafka: a note naming them and not it answers another question.
    expect(ask(records, 'what port does redis use in the local stack', { valueSubjectIdf: 99 })).toEqual([]);
    expect(ask(records, 'which port does postgres use in the local stack')[0]).toBe('ports');
  });

  it('needs every code identifier of the question named whole, numbers included', () => {
    const records = [
      ...FILLER,
      rec('declined', 'PAYMENT_DECLINED is final', 'Code 402 PAYMENT_DECLINED means the card was refused.'),
      rec('wecom', '企业微信接口限流', '发消息接口每分钟 2000 次上限，超过返回 errcode 45009。'),
    ];
    expect(ask(records, 'what does the PAYMENT_REFUNDED code mean')).toEqual([]);
    expect(ask(records, 'what does the PAYMENT_DECLINED code mean')[0]).toBe('declined');
    expect(ask(records, '企业微信返回 errcode 45047 是什么意思')).toEqual([]);
    expect(ask(records, '企业微信返回 errcode 45047 是什么意思', { strictIdentifiers: false })).toContain(
      'wecom',
    );
    expect(ask(records, '企业微信返回 errcode 45009 是什么意思')[0]).toBe('wecom');
  });

  it('needs the attribute the question asks about (a default, a retention, 间隔)', () => {
    const flags = rec(
      'flags',
      'Feature flags are cached per process',
      'Use flags.isEnabled(tenant, name). Flags are cached for 30 seconds per process.',
    );
    const records = [...FILLER, flags];
    expect(ask(records, 'which feature flags are enabled by default')).toEqual([]);
    const noAttributes = { attributeWords: false };
    expect(ask(records, 'which feature flags are enabled by default', noAttributes)).toContain('flags');
    const withDefault = rec('flags', flags.summary, `${flags.content} New tenants get no flags by default.`);
    expect(ask([...FILLER, withDefault], 'which feature flags are enabled by default')).toContain('flags');
  });

  it("keeps another repository's partial match out, unless the question names that repository", () => {
    const theirs = rec(
      'theirs',
      'Rate limiting on the public API',
      'slowapi limits /public/* to 60 requests per minute per API key.',
      OTHER,
    );
    const records = [...FILLER, theirs];
    const query = 'how are requests to the internal admin API limited';
    expect(ask(records, query)).toEqual([]);
    // The rule's own effect (with the gate, the model keeps such a note out too: another repository's
    // note the question does not name is rarely an answer).
    expect(ask(records, query, { otherRepoCoverage: 0, gate: false })).toContain('theirs');
    expect(ask(records, `${query} in web-shop`)).toContain('theirs');
    expect(ask(records, query, {}, OTHER)).toContain('theirs');
  });

  it('does not answer a question about one service or platform with the note on another of its kind', () => {
    const ports = rec('ports', 'Ports of the local stack', 'Postgres is mapped to 5442 and Kafka to 9094.');
    const records = [...FILLER, ports];
    // "grafana" is in no reference list and in no note: only its kind keeps the ports note out.
    expect(ask(records, 'what port does grafana use in the local stack')).toEqual([]);
    expect(ask(records, 'what port does grafana use in the local stack', { siblings: false })).toContain(
      'ports',
    );
    expect(ask(records, 'what port does kafka use in the local stack')[0]).toBe('ports');
    const ios = rec(
      'ios',
      'Minimum iOS version',
      'The app supports iOS 15 and later; the minimum is set in app.json.',
    );
    const noSubject = { valueSubjectIdf: 99 };
    expect(ask([...FILLER, ios], 'what is the minimum android version we support', noSubject)).toEqual([]);
    const neither = { valueSubjectIdf: 99, siblings: false };
    expect(ask([...FILLER, ios], 'what is the minimum android version we support', neither)).toContain('ios');
  });

  it("holds a value question to the store's own repeated words as to the reference vocabulary's", () => {
    // "warehouse" is in no reference list; two notes of this store use it, so it is the question's subject.
    const records = [
      ...FILLER,
      rec('wh-sync', 'Warehouse sync', 'The warehouse sync job pushes stock levels to the shop.'),
      rec('wh-api', 'Warehouse API', 'The warehouse API is called through the stock client.'),
      rec('stock-port', 'Stock service port', 'The stock service listens on 8091 locally.'),
    ];
    expect(ask(records, 'what port does the warehouse stock service use')).toEqual([]);
    expect(
      ask(records, 'what port does the warehouse stock service use', { valueSubjectStoreDf: 99 }),
    ).toContain('stock-port');
    expect(ask(records, 'what port does the stock service use')[0]).toBe('stock-port');
  });

  it("does not take the answer's unit or a lone Han character for a value question's subject", () => {
    const checkpoint = rec(
      'ckpt',
      'Flink checkpoints',
      'The Flink checkpoint interval is 60 s; offsets commit on checkpoints.',
    );
    const bot = rec('bot', '本地启动客服机器人', '`pnpm dev` 启动，默认端口 3300；Redis 端口是 6380。');
    const records = [...FILLER, checkpoint, bot];
    expect(ask(records, 'how many seconds is the Flink checkpoint interval')[0]).toBe('ckpt');
    expect(ask(records, '客服机器人本地 Redis 用哪个端口')[0]).toBe('bot');
  });

  it("takes the question's distinguishing words among those the asking repository's notes know", () => {
    // "shell" is known only from another project's note; it must not decide what this repository answers.
    const iex = rec(
      'iex',
      'Remote console on production',
      'Run fly ssh console, then bin/relay remote to attach to a node.',
    );
    const theirs = rec(
      'theirs',
      'Debug shell in a task',
      'Open a shell inside an ECS task with ecs exec.',
      OTHER,
    );
    const records = [...FILLER, iex, theirs];
    expect(ask(records, 'get a shell on a running production node')).toContain('iex');
    expect(ask(records, 'get a shell on a running production node', { distinctInRepo: false })).not.toContain(
      'iex',
    );
  });

  it("weighs a Chinese word's English stand-in by the asking repository's notes, as its bucket does", () => {
    // 测试 is in another project's notes only: this repository's English note on the tests still
    // answers "单元测试怎么运行" in one store, as it does in the repository's own bucket.
    const theirs = [
      rec('their-fixtures', '测试数据', '测试用的 fixtures 放在 tests/fixtures 下。', OTHER),
      rec('their-e2e', '端到端测试', '端到端测试用 playwright，在 CI 上跑。', OTHER),
      rec('their-mock', '测试替身', '测试里用 msw 模拟接口。', OTHER),
    ];
    const mine = rec('run-tests', 'Running the tests', 'Run ./gradlew check to run every test suite.');
    const records = [...FILLER.filter((r) => r.id !== 'f-tests'), mine, ...theirs];
    const query = '单元测试怎么运行';
    expect(ask(records, query)[0]).toBe('run-tests');
    expect(ask(records, query, { gate: false })[0]).toBe('run-tests');
    // Halved because another project's notes say 测试, `test` would leave this note behind theirs.
    expect(ask(records, query, { gate: false, synonymsInRepo: false })[0]).not.toBe('run-tests');
  });

  it('holds codes and host names ending in a number to the whole name', () => {
    const records = [
      ...FILLER,
      rec('codes', 'API error codes', '`RH-1001` unknown source, `RH-1002` signature mismatch.'),
      rec('gpus', 'Training machines', 'Train on gpu-train-03 and gpu-train-04 (A100 80G).'),
    ];
    expect(ask(records, 'what does error RH-1004 mean')).toEqual([]);
    expect(ask(records, 'what does error RH-1002 mean')[0]).toBe('codes');
    expect(ask(records, 'which GPU does gpu-train-05 have')).toEqual([]);
    expect(ask(records, 'which GPU does gpu-train-04 have')[0]).toBe('gpus');
  });

  it('answers "how long are X kept" only with a note about keeping them', () => {
    const ci = rec(
      'ci',
      'CI pipeline',
      'Unit tests on every PR; instrumented tests run nightly on Firebase Test Lab.',
    );
    const question = 'how long are instrumented test results kept on Firebase Test Lab';
    expect(ask([...FILLER, ci], question)).toEqual([]);
    const kept = rec('ci', ci.summary, `${ci.content} Results are kept for 90 days.`);
    expect(ask([...FILLER, kept], question)).toContain('ci');
    // Outside a duration question "kept" is an ordinary word.
    const money = rec('money', 'Money is kept in cents', 'Store amounts as integer cents in Postgres.');
    expect(ask([...FILLER, money], 'how should amounts be stored in postgres')).toContain('money');
  });

  it('applies the kind-of-thing rule to a question that names the attribute it asks about', () => {
    const deploy = rec(
      'deploy',
      'Deploying',
      'fly deploy --strategy rolling; production runs in the fra region.',
    );
    expect(ask([...FILLER, deploy], 'which region is the staging app deployed in')).toEqual([]);
    expect(ask([...FILLER, deploy], 'which region is the production app deployed in')).toContain('deploy');
  });

  it('answers a why-question only with a note that speaks of its symptom', () => {
    const assets = rec(
      'assets',
      'Building the assets',
      'mix assets.deploy compiles the JS and CSS with esbuild.',
    );
    const slowCi = rec(
      'slow',
      'Slow compile in CI',
      'mix compile is slow in CI because the deps cache key changed.',
    );
    expect(ask([...FILLER, assets], 'why is mix compile so slow on my machine')).toEqual([]);
    expect(ask([...FILLER, assets], 'why is mix compile so slow', { whySymptoms: false })).toContain(
      'assets',
    );
    expect(ask([...FILLER, assets, slowCi], 'why is mix compile so slow on my machine')).toEqual(['slow']);
    const reply = rec('reply', '机器人回消息慢', '机器人回消息慢是因为每次都同步调用大模型，改成流式返回。');
    expect(ask([...FILLER, reply], '为什么机器人回消息这么慢')).toContain('reply');
  });

  it('finds the Chinese bigrams that straddle two words, and only those', () => {
    const { cjkPieces } = analyzeQuery('启动测试');
    const boundaries = cjkBoundaryBigrams(cjkPieces, new Map());
    expect(boundaries.has('动测')).toBe(true);
    for (const word of ['启动', '测试']) expect(boundaries.has(word), word).toBe(false);
    // A word of the synonym table counts as a word: 机上 straddles 手机 and 上.
    const phone = cjkBoundaryBigrams(analyzeQuery('装到手机上').cjkPieces, new Map([['手机', 1]]));
    expect(phone.has('机上')).toBe(true);
    // A word no list knows, between unknown neighbours, stays a topic (双塔 of 召回双塔模型).
    const twoTower = cjkBoundaryBigrams(analyzeQuery('召回双塔模型').cjkPieces, new Map());
    expect(twoTower.has('双塔')).toBe(false);
  });

  it("does not count the repository's own name as a topic its notes miss", () => {
    const poll = rec(
      'poll',
      'Consumer keeps rebalancing',
      'Long processing exceeded max.poll.interval.ms (5 minutes) and the consumer left the group.',
    );
    expect(ask([...FILLER, poll], 'orders-svc 的 max.poll.interval.ms 是多少')).toEqual(['poll']);
  });
});
