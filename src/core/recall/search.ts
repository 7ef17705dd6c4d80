/**
 * Recall ranking: BM25F relevance over summary, content and source paths (weights baked into the
 * compile-time index), a relevance threshold that must be cleared before anything else counts, then
 * repo-first scoring (same repository, then related cwd, then the rest).
 *
 * Query terms are grouped with their synonyms (a small engineering vocabulary, English and
 * Chinese): a group counts once, at its best-matching member, so "test" and "spec" in one record do
 * not double its score.
 *
 * The threshold is built from proportions, so it means the same at 200 or 20,000 records:
 * - coverage: the share of the query's IDF mass the record matches. A query term the corpus has
 *   never seen counts with the largest possible IDF, because it names a topic the corpus lacks
 *   ("how do we rotate kubernetes secrets" is not answered by a record that only shares "secrets").
 *   Exceptions: the whole of a compound identifier or path (its parts are scored on their own), and
 *   CJK text, where characters not covered by any known bigram count as one missing word per two
 *   characters (overlapping bigrams would otherwise count every unknown word twice).
 *   A record is admitted with coverage ≥ `minCoverage`, or with coverage ≥ `minCoverageMulti` when
 *   it matches at least two distinct query terms (long, paraphrased questions rarely share more
 *   than a few words with the record that answers them).
 * - specificity: the matched IDF mass must reach `minMatchedIdf` nats, i.e. the record must share
 *   a term that is not in a large share of all records (IDF ≈ ln(N/df)). On tiny corpora the floor
 *   is lowered to what a term found in one record can reach.
 * Then a record must cover what the question asks, not only its topic (docs/recall.md): a question
 * asking for a number, duration or port needs a note stating one, and the note must name every code
 * identifier, asked attribute ("default", 间隔) and, for such value questions, developer word of
 * the question; another repository's note needs `otherRepoCoverage`.
 * Repository and cwd boosts multiply a score that already passed, so they reorder relevant records
 * but never admit an irrelevant one. The parameters were chosen on the evaluation fixture
 * (test/fixtures/recall/queries.json) and checked on queries written after they were frozen
 * (queries-holdout.json); see scripts/eval-recall.ts.
 */

import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import {
  type RecallRecord,
  type RecallSearchIndex,
  type TermEntry,
  buildRecallIndex,
  decodePostingsInto,
  docCwdIndex,
  docRepoIndex,
  docSpan,
  hasIdAt,
  hasRecordFields,
  idAt,
  isRecallSearchIndexFresh,
  lookupTerm,
  recordsIn,
} from './index-build.js';
import { GATE_MODEL } from './gate-model.js';
import { type GateSignals, gateFeatures, gateProbability } from './gate.js';
import { REFERENCE_DOCS, referenceShare } from './reference-vocab.js';
import { ANSWER_DURATION, analyzeQuery, askedAnswerTypes, stem, tokenize } from './tokenize.js';

/** Tunable parts of the ranking; {@link RECALL_DEFAULTS} holds the values used by the CLI. */
export interface RecallRankingParams {
  /** BM25 term-frequency saturation. */
  k1: number;
  /** Weight of a query-time synonym relative to the word the user typed. */
  expansionWeight: number;
  /** Fraction of the query's IDF mass that admits a record on its own (0–1). */
  minCoverage: number;
  /** Lower fraction that suffices when the record matches at least two distinct query terms. */
  minCoverageMulti: number;
  /** Minimum matched IDF mass in nats (see the module comment). */
  minMatchedIdf: number;
  /** Score multiplier for records of the query's repository. */
  sameRepoBoost: number;
  /** Score multiplier for records whose cwd contains, or is inside, the query's cwd. */
  relatedCwdBoost: number;
  /** Weight of one CJK word the corpus lacks, relative to an unknown term. */
  cjkMissingWeight: number;
  /** A query group with at least this share of the rarest known group's mass is distinguishing. */
  distinctShare: number;
  /** Weight of a part of an identifier in the score (it never counts for coverage). */
  partWeight: number;
  /** The score is relevance × coverage^coveragePower (× boosts). */
  coveragePower: number;
  /** A question asking for a number or a duration admits only notes that state one (see tokenize.ts). */
  answerTypes: boolean;
  /** A note must name every code identifier of the query (see strictIdentifiers in search.ts). */
  strictIdentifiers: boolean;
  /** A note must name the attribute the question asks about (see ATTRIBUTE_WORDS in search.ts). */
  attributeWords: boolean;
  /**
   * A question asking for a value (a number, a duration, a port): a note must match each of its
   * developer words (see isSubjectTerm in search.ts) that weighs at least this many nats. "What
   * port does redis use" is not answered by the note giving the service's and Postgres' ports.
   */
  valueSubjectIdf: number;
  /** Reference share a value question's word needs to count as its subject (see isSubjectTerm). */
  valueSubjectShare: number;
  /** A word unknown to the reference vocabulary is a subject when this many notes of the store have it. */
  valueSubjectStoreDf: number;
  /**
   * Coverage a note of another repository needs when the query is asked from a known repository
   * that it does not name: a topic word shared with another project's note is not an answer.
   */
  otherRepoCoverage: number;
  /** Distinguishing terms are taken among those the asking repository's notes know (see rankRecall). */
  distinctInRepo: boolean;
  /** A synonym weighs in full when the asking repository's notes lack the user's word (see rankRecall). */
  synonymsInRepo: boolean;
  /** A why-question's symptom (slow, fails, 慢) must be matched by the note (see SYMPTOM_WORDS). */
  whySymptoms: boolean;
  /** CJK bigrams straddling two known words are skipped (see cjkBoundaryBigrams). */
  cjkBoundaries: boolean;
  /** A note naming another thing of the kind the question names, and not it, is rejected (SIBLING_SETS). */
  siblings: boolean;
  /** Prompt-time recall: coverage the injected note needs. */
  promptCoverage: number;
  /** Prompt-time recall: weight of a missing CJK word in that coverage (see cjkMissingWeight). */
  promptCjkMissingWeight: number;
  /** Prompt-time recall: the best note's score must be this multiple of the next one's. */
  promptMargin: number;
  /** Prompt-time recall: most notes injected (1 or 2). */
  promptMaxNotes: number;
  /** Prompt-time recall: a second note needs this share of the best one's score. */
  promptPairShare: number;
  /**
   * `recall` uses the learned answerability gate (gate.ts) when the asking repository has notes in
   * the store: the rules of {@link gateVetoes} (and whole code identifiers) still reject a note, the
   * others become features of a small logistic model, and the most probable note is returned when
   * its probability of being a right answer reaches `gateRecall` (docs/recall.md, fifth pass).
   */
  gate: boolean;
  /**
   * Prompt-time recall uses the gate too (with `gatePrompt` and {@link promptGateVetoes}) instead of
   * its coverage bar; the note must still be `promptMargin` ahead of the next one by score.
   */
  promptGate: boolean;
  /** Probability a note needs to be returned by `recall` when {@link gate} is on. */
  gateRecall: number;
  /** Probability the note prompt-time recall injects needs when {@link gate} is on. */
  gatePrompt: number;
  /**
   * With the gate, the rules whose rejection no probability overrides (see {@link GateVeto}): a note
   * they reject is not judged at all.
   */
  gateVetoes: readonly GateVeto[];
  /** The same for prompt-time recall with {@link promptGate}. */
  promptGateVetoes: readonly GateVeto[];
  /**
   * When the gate is silent and the asking repository has fewer notes than this, what the rules
   * admit is returned (and prompt-time recall injects the rules' clear lead): the gate was fitted on
   * repositories of 10 notes or more (dev), and a store's first few notes are what it knows least.
   */
  gateMinRepoNotes: number;
  /**
   * A query that names another repository's directory (`in marrow-studio which port…`,
   * `tollgate 那边的发布流程`) is asked about that repository: its notes take the place of the asking
   * repository's for every repository rule (boost, distinguishing words, prompt-time scope, the gate's
   * `same_repo`), and the asking repository's own notes are held to `otherRepoCoverage`.
   */
  routeNamedRepo: boolean;
  /**
   * The gate compares a note of the asking repository with the other notes of that repository only
   * (its margins, the best other candidate's coverage and words), as in the repository's own bucket.
   */
  gatePeers: boolean;
  /**
   * With the prompt gate: a note whose prompt coverage (a Chinese word no note has counted in full)
   * is below this, and below its coverage, is not injected whatever the gate thinks.
   */
  promptCjkCoverage: number;
}

/**
 * A hand-written rule that vetoes a note whatever the gate thinks of it (a code identifier the note
 * does not name whole is always one):
 * - `answer`: the question asks for a number, duration, port or version and the note states none;
 * - `required`: the note lacks an asked attribute, a value question's subject or a why-question's symptom;
 * - `sibling`: the note names another thing of the kind the question names, and not it;
 * - `other-repo`: another repository's note the query does not name, below `otherRepoCoverage`;
 * - `side-word`: the note matches one word of the query and covers less than `minCoverage` of it;
 * - `coverage`: the coverage rule (`minCoverage`, or `minCoverageMulti` with two words) rejects it;
 * - `distinct`: the note matches none of the query's distinguishing words;
 * - `specificity`: its matched mass is below `minMatchedIdf`;
 * - `prompt-coverage` (prompt-time recall only): its prompt coverage is below `promptCoverage`.
 */
export type GateVeto =
  | 'answer'
  | 'required'
  | 'sibling'
  | 'other-repo'
  | 'side-word'
  | 'coverage'
  | 'distinct'
  | 'specificity'
  | 'prompt-coverage';

/** Default ranking parameters and top-k. */
export const RECALL_DEFAULTS: RecallRankingParams & { topK: number } = {
  k1: 1.2,
  expansionWeight: 0.5,
  minCoverage: 0.45,
  minCoverageMulti: 0.25,
  minMatchedIdf: 1.5,
  sameRepoBoost: 1.5,
  relatedCwdBoost: 1.2,
  cjkMissingWeight: 0.5,
  distinctShare: 0.7,
  partWeight: 0.5,
  coveragePower: 0,
  answerTypes: true,
  strictIdentifiers: true,
  attributeWords: true,
  otherRepoCoverage: 0.7,
  valueSubjectIdf: 3,
  valueSubjectShare: 0.012,
  valueSubjectStoreDf: 2,
  siblings: true,
  cjkBoundaries: true,
  whySymptoms: true,
  distinctInRepo: true,
  synonymsInRepo: true,
  promptCoverage: 0.45,
  promptCjkMissingWeight: 1,
  promptMargin: 1.3,
  promptMaxNotes: 1,
  promptPairShare: 0.9,
  gate: true,
  promptGate: true,
  gateRecall: GATE_MODEL.recallThreshold,
  gatePrompt: GATE_MODEL.promptThreshold,
  gateVetoes: ['answer', 'required', 'sibling', 'other-repo', 'side-word', 'distinct'],
  promptGateVetoes: ['answer', 'required', 'sibling', 'other-repo'],
  gateMinRepoNotes: 10,
  routeNamedRepo: true,
  gatePeers: true,
  promptCjkCoverage: 0.4,
  topK: 5,
};

/** Options of {@link searchRecall}. */
export interface RecallSearchOptions {
  /** The user's query, in any language. */
  query: string;
  /** Absolute directory the query is asked from (for the cwd-subtree boost). */
  cwd?: string;
  /** sha1 of the query's repository root (for the same-repo boost). */
  repoFingerprint?: string;
  /** Maximum number of results (default 5; values below 1 become 1). */
  topK?: number;
  /** Overrides of the ranking parameters (tests and evaluation). */
  params?: Partial<RecallRankingParams>;
  /** Prompt-time recall: the stricter rules of {@link PromptSearchOptions} apply. */
  prompt?: PromptSearchOptions;
}

/** What prompt-time recall adds to a search. */
export interface PromptSearchOptions {
  /** Ids of notes already injected in this session: never returned again. */
  seen?: ReadonlySet<string>;
}

/** One recall hit, best first. `score` is the boosted relevance, rounded to 4 decimals. */
export interface RecallResult {
  id: string;
  summary: string;
  content: string;
  source_paths: string[];
  repo_fingerprint: string;
  cwd: string;
  thread_id: string;
  turn_id: string;
  score: number;
}

/** A ranked record with the numbers behind its rank (evaluation and debugging). */
export interface RecallCandidate {
  /** Position of the record in the records array. */
  doc: number;
  relevance: number;
  coverage: number;
  matchedIdf: number;
  /** Coverage as prompt-time recall counts it (missing CJK words at promptCjkMissingWeight). */
  promptCoverage: number;
  /** Number of distinct query terms (with their synonyms) the record matches. */
  matchedGroups: number;
  sameRepo: boolean;
  relatedCwd: boolean;
  score: number;
  /** With the gate (or `pool`): what the gate's features are computed from. */
  signals?: GateSignals;
  /** With the gate (or `pool`): the gate's features ({@link gateFeatures}). */
  features?: number[];
  /** With the gate: the probability that the note is a right answer. */
  probability?: number;
  /** With `explain`: the query terms (and their IDF mass) the record does not match. */
  missed?: Array<{ term: string; mass: number; known: boolean; identifier?: boolean; share?: number }>;
}

/**
 * Synonym sets for common engineering vocabulary, applied to queries only. Each word expands to the
 * others in its set at `expansionWeight`. English–Chinese pairs let a Chinese question find an
 * English record and vice versa. Words are written plainly; they are stemmed by the tokenizer.
 */
const SYNONYM_SETS: readonly (readonly string[])[] = [
  ['test', 'spec', 'unittest', '测试'],
  ['deploy', 'deployment', 'release', 'ship', 'publish', 'rollout', '部署', '发布', '上线'],
  ['db', 'database'],
  ['config', 'configuration', 'settings', 'conf', 'cfg', '配置', '设置'],
  ['env', 'environment', '环境'],
  ['install', 'setup', '安装'],
  ['dependency', 'deps', 'package', '依赖'],
  ['error', 'failure', 'exception', 'crash', '报错', '错误', '异常'],
  ['fail', 'broken', 'break', 'broke'],
  ['fix', 'resolve', 'workaround', '修复', '解决'],
  ['build', 'built', 'compile', 'bundle', '构建', '编译', '打包'],
  ['run', 'ran', 'execute', 'invoke', '运行', '执行'],
  ['start', 'launch', 'boot', '启动'],
  ['lint', 'linter'],
  ['format', 'formatter', '格式'],
  ['doc', 'documentation', 'readme', '文档'],
  ['repo', 'repository', '仓库'],
  ['auth', 'authentication', 'login', 'signin', '登录', '认证'],
  ['permission', 'access', '权限'],
  ['dir', 'directory', 'folder', '目录'],
  ['cmd', 'command', '命令'],
  ['script', '脚本'],
  ['perf', 'performance', 'slow', 'latency', 'sluggish', 'laggy', '性能'],
  ['timeout', '超时'],
  ['flaky', 'intermittent', 'nondeterministic'],
  ['delete', 'remove', '删除'],
  ['migration', 'migrate', '迁移'],
  ['cache', '缓存'],
  ['log', 'logging', 'logger', '日志'],
  ['upgrade', 'update', 'bump', '升级'],
  ['version', '版本'],
  ['branch', '分支'],
  ['commit', '提交'],
  ['merge', '合并'],
  ['secret', 'token', 'credential', 'apikey', '密钥'],
  ['variable', 'var', '变量'],
  ['port', '端口'],
  ['api', 'endpoint', 'route', '接口'],
  ['container', 'docker', '容器'],
  ['ci', 'pipeline', 'workflow'],
  ['memory', 'ram', '内存'],
  ['concurrency', 'concurrent', 'parallel', '并发'],
  ['validate', 'validation', 'verify', '校验', '验证'],
  ['request', 'req', '请求'],
  ['response', 'resp', '响应'],
  ['user', 'account', '用户', '账号'],
  ['queue', '队列'],
  ['job', 'task', '任务'],
  ['schedule', 'scheduler', 'cron', '定时'],
  ['retry', '重试'],
  ['mock', 'stub', 'fake', '模拟'],
  ['payment', 'billing', '支付'],
  ['email', 'mail', '邮件'],
  ['file', '文件'],
  ['page', '页面'],
  ['style', 'css', '样式'],
  ['type', 'typing', '类型'],
  ['function', 'func', 'fn', '函数'],
  ['frontend', 'client', '前端'],
  ['backend', '后端'],
  ['hang', 'stuck', 'freeze', '卡住'],
  ['rollback', 'revert', 'undo', 'roll', '回滚'],
  ['prod', 'production', '生产', '线上'],
  ['dev', 'development', '开发'],
  ['k8s', 'kubernetes'],
  ['js', 'javascript'],
  ['ts', 'typescript'],
  ['py', 'python'],
  ['snapshot', '快照'],
  ['i18n', 'translation', 'localization', '翻译'],
  ['encoding', 'charset', '编码'],
  ['timezone', 'tz', '时区'],
  ['default', '默认'],
  ['interval', '间隔'],
  ['retention', 'retain', 'retained', 'kept', '保留'],
  ['partition', '分片', '分区'],
  ['region', '区域'],
  ['size', '大小'],
  ['modify', 'modified', 'change', 'edit', 'alter', '修改'],
  ['csv', 'spreadsheet', 'excel'],
  ['emulator', 'simulator', '模拟器'],
  ['kill', 'terminate', '杀掉'],
  ['expire', 'expiry', 'expiration', 'ttl', '过期'],
  ['duplicate', 'dedup', 'deduplicate', 'twice', '重复'],
  ['send', 'deliver', 'dispatch', '发送'],
  ['show', 'display', 'render', '显示'],
  ['bug', 'defect', '缺陷'],
  ['password', 'passwd', 'pwd', '密码'],
  ['price', 'cost', 'pricing', '价格'],
  ['limit', 'quota', 'cap', 'throttle', '限制'],
  ['stale', 'outdated', '过时'],
  ['reload', 'refresh', '刷新'],
  ['large', 'huge', 'big'],
  ['phone', 'device', 'handset', '手机', '设备'],
  ['clone', 'checkout', '克隆'],
  ['restart', 'reboot', '重启'],
  ['cert', 'certificate', 'tls', 'ssl', '证书'],
  ['minimum', 'min', 'oldest', 'lowest', '最低', '最小'],
  ['maximum', 'max', 'largest', 'highest', '最大', '最高'],
  ['throughput', 'qps', 'rps', '吞吐'],
  ['connect', 'connection', 'reach', '连接'],
  // Seventh pass: a broader developer thesaurus, written from the domain (not from any query).
  ['registry', 'pypi', 'npmjs', 'crates'],
  ['snapshot', 'golden', 'baseline', '快照'],
  ['listen', 'bind', 'expose'],
  ['rollback', 'downgrade', 'backward', 'backwards', 'unapply'],
  ['local', 'locally', 'localhost', 'laptop', '本地', '本机'],
  ['frontend', 'web', '前端'],
  ['backend', 'server', '后端', '服务端'],
  ['crash', 'panic', 'segfault', 'hardfault', 'abort', '崩溃'],
  ['dependency', 'library', 'lib'],
  ['upgrade', 'update', '更新'],
  ['flash', 'burn', '烧录', '刷机'],
  ['notification', 'notify', 'push', '通知', '推送'],
  ['webhook', 'callback', '回调'],
  ['nightly', 'overnight', '每晚', '夜间'],
  ['batch', '批处理', '批量'],
  ['billing', 'invoice', '计费', '账单'],
  ['perf', 'faster', 'speed', 'speedup', 'lag'],
  ['reset', 'wipe', 'purge', '重置', '清空'],
  ['login', 'sso', '登陆'],
  ['download', '下载'],
  ['upload', '上传'],
  ['export', 'convert', '导出', '转换'],
  ['import', '导入'],
  ['index', '索引'],
  ['transaction', '事务'],
  ['thread', '线程'],
  ['process', '进程'],
  ['cluster', '集群'],
  ['node', '节点'],
  ['replica', 'replicas', '副本'],
  ['metric', 'metrics', '指标'],
  ['backup', '备份'],
  ['restore', '恢复'],
  ['encrypt', 'encryption', '加密'],
  ['decrypt', 'decryption', '解密'],
  ['template', '模板'],
  ['component', '组件'],
  ['admin', '管理后台'],
  ['console', '控制台'],
  ['url', 'link', '链接'],
  ['host', 'hostname', '主机'],
  ['coverage', '覆盖率'],
  ['e2e', '端到端'],
  ['integration', '集成'],
  ['seed', 'seeds', 'fixture', 'fixtures'],
  ['storage', '存储'],
  ['field', 'column', '字段'],
  ['proxy', 'forward', 'forwarding', '代理', '转发'],
  ['gateway', '网关'],
  ['domain', '域名'],
  ['signing', 'signature', '签名'],
  ['screenshot', '截图'],
  ['toggle', 'flag', '开关'],
  ['inspector', 'devtools', 'debugger'],
  ['stacktrace', 'traceback', 'backtrace', '堆栈'],
  ['obfuscate', 'obfuscated', 'deobfuscate', 'minified', '混淆'],
  ['probe', 'healthcheck', 'health', '探针'],
  ['offline', 'disconnect', '离线', '掉线', '断线'],
  ['logout', 'signout', '登出'],
  ['session', '会话'],
  ['leak', '泄漏', '泄露'],
  ['power', 'battery', '功耗', '耗电'],
  ['picture', 'photo', '图片'],
];

/**
 * Words that name the attribute a question asks about ("the default", "the retention", 间隔,
 * 地址). A note that does not mention the attribute (or its synonym) may share the topic but does
 * not answer the question: "which feature flags are on by default" is not answered by the note on
 * how flags are cached. Words are written plainly; they are stemmed like the synonym table.
 */
const ATTRIBUTE_WORDS: readonly string[] = [
  'default',
  'region',
  'retention',
  'interval',
  'partition',
  'partitions',
  'ttl',
  'size',
  'threshold',
  'quota',
  '默认',
  '间隔',
  '保留',
  '分片',
  '分区',
  '名字',
  '地址',
  '上限',
  '频率',
];

/**
 * Words of value questions that say how the value is asked for, not what it is about ("what port
 * does X listen on", "how long do we keep Y"); they are not the question's subject.
 */
const QUESTION_WORDS: readonly string[] = [
  'listen',
  'run',
  'use',
  'local',
  'locally',
  'expose',
  'serve',
  'bind',
  'set',
  'keep',
  'kept',
  'last',
  'live',
  'wait',
  'stay',
  'long',
  'make',
  'support',
  'need',
  'get',
  'take',
  'port',
  'many',
  'much',
  'big',
  'default',
  'version',
  // The unit the answer comes in ("how many seconds is the interval") is not what it is about.
  'second',
  'seconds',
  'minute',
  'minutes',
  'hour',
  'hours',
  'day',
  'days',
  'ms',
  'percent',
  'number',
  'count',
  '端口',
  '版本',
  '秒',
  '分钟',
  '小时',
  '天数',
];

/**
 * Named things of one kind (services, platforms, environments, clouds, tools). A question that
 * names one of them is not answered by a note that names another of the same kind instead: "what
 * port does grafana use" is not answered by the note giving the Postgres and Kafka ports, a question
 * about the private endpoints not by the note on the public API, an Android question not by the iOS
 * note. Words are written plainly; they are stemmed like the synonym table.
 */
const SIBLING_SETS: readonly (readonly string[])[] = [
  // Services a repository runs or talks to: datastores, brokers, observability, servers, engines.
  [
    'postgres',
    'postgresql',
    'mysql',
    'mariadb',
    'redis',
    'mongodb',
    'mongo',
    'sqlite',
    'clickhouse',
    'elasticsearch',
    'opensearch',
    'cassandra',
    'dynamodb',
    'kafka',
    'rabbitmq',
    'memcached',
    'minio',
    'zookeeper',
    'etcd',
    'consul',
    'vault',
    'keycloak',
    'grafana',
    'prometheus',
    'jaeger',
    'zipkin',
    'tempo',
    'loki',
    'kibana',
    'datadog',
    'sentry',
    'superset',
    'metabase',
    'nginx',
    'traefik',
    'localstack',
    'mailhog',
    'airflow',
    'flink',
    'spark',
    'hive',
    'presto',
    'trino',
    'celery',
  ],
  ['ios', 'android', 'web', 'desktop', 'macos', 'mac', 'linux', 'windows', '安卓', '苹果'],
  ['staging', 'production', 'prod', 'preview', 'sandbox', '预发', '生产', '线上'],
  ['public', 'private'],
  ['aws', 'gcp', 'azure', 'aliyun', '阿里云'],
  ['python', 'java', 'golang', 'rust', 'ruby', 'php', 'kotlin', 'swift', 'javascript', 'typescript'],
  ['npm', 'pnpm', 'yarn', 'pip', 'poetry', 'cargo', 'maven', 'gradle', 'bun'],
  ['pytest', 'jest', 'vitest', 'playwright', 'cypress', 'junit', 'mocha'],
  ['terraform', 'pulumi', 'helm', 'kustomize', 'ansible', 'cloudformation'],
  ['jenkins', 'circleci', 'gitlab', 'buildkite', 'travis'],
  ['pytorch', 'tensorflow', 'jax', 'onnxruntime', 'tensorrt', 'triton', 'vllm', 'torchserve'],
];

let siblingKinds: Map<string, number> | undefined;

/** The kind (an index into {@link SIBLING_SETS}) of a named thing, or undefined. */
function siblingKind(term: string): number | undefined {
  if (siblingKinds === undefined) {
    siblingKinds = new Map();
    SIBLING_SETS.forEach((set, kind) => {
      for (const word of set) {
        const t = synonymTerm(word);
        if (t !== undefined) siblingKinds?.set(t, kind);
      }
    });
  }
  return siblingKinds.get(term);
}

/** The index terms of one kind of named thing (see {@link SIBLING_SETS}). */
function siblingTerms(kind: number): string[] {
  return (SIBLING_SETS[kind] ?? []).map(synonymTerm).filter((t): t is string => t !== undefined);
}

let questionTerms: Set<string> | undefined;

/**
 * True when `term` may be a value question's subject: a developer word, not a question word. A
 * developer word is one the reference vocabulary finds in at least `minShare` of developer notes
 * (everyday words stand at 1%), or one it does not list that the notes repeat (`repeatedInStore`: two
 * or more notes of the asking repository, so one store and the repository's own bucket agree).
 */
function isSubjectTerm(term: string, minShare: number, repeatedInStore: () => boolean): boolean {
  // A single Han character left between function words (用, 里, 设) is too ambiguous to require.
  if (/^[\u4e00-\u9fff]$/.test(term) || isQuestionTerm(term)) return false;
  const share = referenceShare(term);
  return share >= minShare || (share === 0 && repeatedInStore());
}

/** True when `term` is one of {@link QUESTION_WORDS}. */
function isQuestionTerm(term: string): boolean {
  questionTerms ??= new Set(QUESTION_WORDS.map(synonymTerm).filter((t): t is string => t !== undefined));
  return questionTerms.has(term);
}

/**
 * Attributes of a duration question only: "how long are results kept" is answered by a note that
 * speaks of keeping them, not by one that gives another duration ("tests run nightly").
 */
const DURATION_ATTRIBUTE_WORDS: readonly string[] = ['retain', 'retained', 'kept'];

let durationAttributeTerms: Set<string> | undefined;

/** True when `term` names the asked attribute of a duration question ({@link DURATION_ATTRIBUTE_WORDS}). */
function isDurationAttributeTerm(term: string): boolean {
  durationAttributeTerms ??= new Set(
    DURATION_ATTRIBUTE_WORDS.map(synonymTerm).filter((t): t is string => t !== undefined),
  );
  return durationAttributeTerms.has(term);
}

/**
 * Symptoms a "why" question asks the cause of ("why is the build slow", 为什么越跑越慢): a note
 * that answers it speaks of the symptom (or its synonym), not only of the thing that has it.
 */
const SYMPTOM_WORDS: readonly string[] = [
  'slow',
  'fail',
  'failing',
  'crash',
  'flaky',
  'hang',
  'stuck',
  'freeze',
  'timeout',
  'leak',
  'oom',
  'broken',
  // Chinese two-character words only: a lone 慢 or 卡 of a question does not meet the bigrams that
  // notes index it in (慢是, 很慢), so it cannot be required.
  '失败',
  '崩溃',
  '超时',
  '报错',
];

let symptomTerms: Set<string> | undefined;

/** True when `term` (an index term) is one of {@link SYMPTOM_WORDS}. */
function isSymptomTerm(term: string): boolean {
  symptomTerms ??= new Set(SYMPTOM_WORDS.map(synonymTerm).filter((t): t is string => t !== undefined));
  return symptomTerms.has(term);
}

/** A question of why (or 为什么, 为啥, 怎么这么): the note must speak of its symptom. */
const ASKS_WHY = /\bwhy\b|\bhow come\b|为什么|为啥|怎么这么|怎么老是/i;

let attributeTerms: Set<string> | undefined;

/** True when `term` (an index term) names an asked attribute (see {@link ATTRIBUTE_WORDS}). */
export function isAttributeTerm(term: string): boolean {
  attributeTerms ??= new Set(ATTRIBUTE_WORDS.map(synonymTerm).filter((t): t is string => t !== undefined));
  return attributeTerms.has(term);
}

let synonyms: Map<string, readonly string[]> | undefined;

/**
 * The index term of one synonym-table word. Plain lower-case words and two-character Chinese words
 * take a shortcut (the full tokenizer costs milliseconds cold, in a process that answers one
 * query); a unit test checks that the shortcut agrees with {@link tokenize} for every entry.
 */
export function synonymTerm(word: string): string | undefined {
  if (/^[a-z]{4,}$/.test(word)) return stem(word);
  if (/^[a-z]{2,3}$/.test(word) || /^[\u4e00-\u9fff]{2}$/.test(word)) return word;
  const terms = tokenize(word);
  return terms.length === 1 ? terms[0] : undefined;
}

/** Every word of the synonym table (tests). */
export function synonymWords(): readonly string[] {
  return SYNONYM_SETS.flat();
}

/** term → synonym terms, built on first use from {@link SYNONYM_SETS} through the tokenizer. */
function synonymTable(): Map<string, readonly string[]> {
  if (synonyms !== undefined) return synonyms;
  const map = new Map<string, Set<string>>();
  for (const set of SYNONYM_SETS) {
    // Only entries that tokenize to exactly one term can stand in for a query term.
    const terms = [...new Set(set.map(synonymTerm).filter((t): t is string => t !== undefined))];
    for (const term of terms) {
      let entry = map.get(term);
      if (entry === undefined) {
        entry = new Set();
        map.set(term, entry);
      }
      for (const other of terms) if (other !== term) entry.add(other);
    }
  }
  synonyms = new Map([...map].map(([k, v]) => [k, [...v].sort()]));
  return synonyms;
}

/** The synonyms the query side adds for `term` (already in index-term form). */
export function synonymsOf(term: string): readonly string[] {
  return synonymTable().get(term) ?? [];
}

/** Directory equality or nesting with a separator-correct prefix test (`/a/b` is not inside `/a/bc`). */
export function isSameOrNestedPath(a: string, b: string): boolean {
  const x = trimSeparators(a);
  const y = trimSeparators(b);
  if (x === '' || y === '') return false;
  if (x === y) return true;
  return isInside(x, y) || isInside(y, x);
}

function trimSeparators(p: string): string {
  const trimmed = p.replace(/[\\/]+$/, '');
  return trimmed === '' && p !== '' ? '/' : trimmed;
}

function isInside(child: string, parent: string): boolean {
  if (parent === '/') return child.startsWith('/');
  return child.startsWith(`${parent}/`) || child.startsWith(`${parent}\\`);
}

interface Member {
  term: string;
  weight: number;
}

interface Group {
  /** The query term the group stands for (diagnostics). */
  term: string;
  members: Member[];
  /** IDF mass this group contributes to the query total (0 for a part of an identifier). */
  mass: number;
  /** Only came out of identifiers: adds to the score, never to coverage. */
  part: boolean;
  /** The corpus has the term or one of its synonyms. */
  known: boolean;
  /** A code identifier ({@link strictIdentifiers}), asked attribute or value subject the note must name. */
  identifier: boolean;
}

/**
 * A code identifier the note must name when the query does: an error code, a constant, a path, a
 * number, a lower camelCase name (`ERR_REQUIRE_ESM`, `access_token`, `45047`, `lib/api.ts`,
 * `useDebouncedValue`). A note about `PAYMENT_DECLINED` does not answer a question about
 * `PAYMENT_REFUNDED`, whatever else they share. Product names in CamelCase (`HikariCP`, `iOS`) are
 * not held to this: notes write them in other ways.
 */
function strictIdentifiers(
  query: string,
  terms: readonly { term: string; identifier?: boolean }[],
): Set<string> {
  const camel = query.match(/(?<![\w$])[a-z]{2,}[A-Z][a-z][\w$]*/g) ?? [];
  const lowerCamel = new Set(camel.map((w) => w.toLowerCase()));
  const isCode = (term: string): boolean => /[_\d/\\.]/.test(term) || lowerCamel.has(term);
  const strict = terms.filter((t) => t.identifier === true && isCode(t.term));
  return new Set(strict.map((t) => t.term));
}

/**
 * Developer Chinese that says one thing several ways (colloquial and formal words, abbreviations),
 * plus the English word where notes often use it. Applied to queries only: when a query contains
 * one of a set's Chinese words, the others (their index terms) stand in for it. Chinese is indexed
 * as character bigrams, so a longer word stands in through its bigrams.
 */
const CJK_SYNONYM_SETS: readonly (readonly string[])[] = [
  ['回滚', '撤回', '回退', '退回', '还原', '切回', 'rollback', 'revert'],
  ['挂了', '挂掉', '崩溃', '宕机', '崩了', '挂', 'crash', 'down', 'oom'],
  ['单测', '单元测试', 'unit', 'test'],
  ['慢', '很慢', '卡顿', '延迟', '性能', '耗时', 'slow', 'latency'],
  ['跑', '运行', '执行', '启动', 'run'],
  ['报错', '错误', '异常', '出错', '失败', 'error', 'fail'],
  ['发版', '发布', '上线', '部署', 'release', 'deploy'],
  ['连不上', '连接', 'connect'],
  ['内存不够', '内存溢出', '内存', 'oom', 'memory'],
  ['起名', '命名', 'naming', 'name'],
  ['旧', '过期', '不更新', '缓存', 'stale', 'cache'],
  ['跑起来', '启动', 'start'],
  ['看板', '仪表盘', 'dashboard'],
  ['限流', '限速', '频率', 'rate'],
  ['转人工', '人工客服', '人工', 'handoff'],
  ['回消息', '回复', 'reply'],
  ['验签', '签名', '校验', 'signature'],
  ['锁住', '锁', 'lock'],
  ['不稳定', '偶发', 'flaky'],
  ['插入', '写入', 'insert'],
  ['模型', 'model'],
  ['推理', 'inference'],
  ['消息', 'message'],
  ['消费', 'consume', 'consumer'],
  ['数据库', 'database', 'db'],
  ['密码', 'password'],
  ['镜像', 'image'],
  ['断点', 'breakpoint'],
  ['调试', 'debug'],
  ['监控', '告警', 'alert', 'alarm'],
  ['热更新', 'ota', 'update'],
  ['用例', '测试用例', '测试', 'test'],
  ['授权', '权限', 'permission'],
  ['删掉', '删除', '清理', 'delete'],
  ['失效', '过期', 'expire', 'ttl'],
  ['卡死', '卡住', 'hang'],
  ['重发', '重试', 'retry'],
  ['环境变量', 'env'],
  ['装', '安装', '装上', 'install'],
  ['手机', '真机', '设备', 'device', 'phone'],
  ['正式版', '正式包', '发布版', 'release'],
  ['调试包', '调试版', 'debug'],
  ['冷启动', 'cold'],
  ['拉代码', '克隆', 'clone'],
  ['搭起来', '搭建', '初始化', 'setup'],
  ['第一次', '首次', 'first'],
  ['不存在', '找不到', 'exist', 'missing'],
  ['本地', 'local'],
  // Seventh pass: more developer Chinese, written from the domain.
  ['每晚', '每天晚上', '夜间', '凌晨', 'nightly'],
  ['批处理', '批量', '批任务', 'batch'],
  ['计费', '账单', 'billing'],
  ['登陆', '登录', 'login'],
  ['本机', '本地', 'localhost', 'local'],
  ['后端', '服务端', 'server', 'backend'],
  ['前端', 'web', 'frontend'],
  ['清空', '清除', '重置', 'reset'],
  ['烧录', '烧写', '刷机', '烧', 'flash'],
  ['掉线', '断线', '断开', 'disconnect', 'offline'],
  ['探针', '健康检查', 'probe', 'health'],
  ['截图', '截屏', 'screenshot'],
  ['邮件', '邮箱', 'email', 'mail'],
];

let cjkSynonyms: Array<{ words: string[]; terms: string[][] }> | undefined;

function cjkSynonymTable(): Array<{ words: string[]; terms: string[][] }> {
  cjkSynonyms ??= CJK_SYNONYM_SETS.map((set) => {
    const terms = set.map((w) => tokenize(w));
    // An English word brings its own synonyms: 撤回 → rollback → undo, revert.
    const english = terms
      .filter((t) => t.length === 1 && /^[a-z]/.test(t[0] as string))
      .map((t) => t[0] as string);
    for (const word of english) for (const syn of synonymsOf(word)) if (/^[a-z]/.test(syn)) terms.push([syn]);
    return { words: set.filter((w) => /[\u4e00-\u9fff]/.test(w)), terms };
  });
  return cjkSynonyms;
}

/**
 * Index terms that stand in for the Chinese words of the query, keyed by the query term they attach
 * to: the bigram starting at the word (the one ending at it for a word's last character), or the
 * single character of a one-character piece.
 */
function cjkExpansions(
  query: string,
  pieces: readonly string[][],
  singles: ReadonlySet<string>,
): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  if (!/[\u4e00-\u9fff]/.test(query)) return out;
  const texts = pieces.map(
    (grams) =>
      Array.from(grams[0] ?? '')
        .slice(0, 1)
        .join('') + grams.map((g) => Array.from(g)[1] ?? '').join(''),
  );
  const add = (anchor: string, set: { terms: string[][] }, except: string): void => {
    let entry = out.get(anchor);
    if (entry === undefined) out.set(anchor, (entry = new Set()));
    for (const terms of set.terms) for (const t of terms) if (t !== anchor && t !== except) entry.add(t);
  };
  for (const set of cjkSynonymTable()) {
    for (const word of set.words) {
      if (!query.includes(word)) continue;
      if (singles.has(word)) add(word, set, word);
      texts.forEach((text, i) => {
        const grams = pieces[i] as string[];
        const at = Array.from(text.slice(0, Math.max(0, text.indexOf(word)))).length;
        if (text.indexOf(word) < 0) return;
        const anchor = grams[Math.min(at, grams.length - 1)];
        if (anchor !== undefined) add(anchor, set, word);
      });
    }
  }
  return out;
}

/**
 * CJK bigrams that straddle two words: not in the reference vocabulary, while each neighbouring
 * bigram of the piece is (or is a word of the synonym table). "正式版冷启动特别慢" yields 动特 between
 * 启动 and 特别; a note that happens to contain 动特 does not make it a topic of the question.
 */
export function cjkBoundaryBigrams(
  pieces: readonly string[][],
  anchors: ReadonlyMap<string, unknown>,
): Set<string> {
  const out = new Set<string>();
  const isWord = (gram: string | undefined): boolean =>
    gram !== undefined && (referenceShare(gram) > 0 || anchors.has(gram));
  for (const grams of pieces) {
    grams.forEach((gram, i) => {
      if (referenceShare(gram) > 0 || anchors.has(gram)) return;
      const before = grams[i - 1];
      const after = grams[i + 1];
      if (before === undefined && after === undefined) return;
      if ((before === undefined || isWord(before)) && (after === undefined || isWord(after))) out.add(gram);
    });
  }
  return out;
}

/**
 * IDF smoothed with the reference vocabulary: as if {@link REFERENCE_DOCS} reference notes, with
 * the term in `referenceShare(term)` of them, were added to the `n` notes searched.
 */
function smoothedIdf(n: number, df: number, term: string): number {
  const d = df + REFERENCE_DOCS * referenceShare(term);
  return Math.log(1 + (n + REFERENCE_DOCS - d + 0.5) / (d + 0.5));
}

/** The last path component of a directory, lower-cased ('' for none). */
function baseName(dir: string): string {
  const parts = dir.split(/[\\/]+/).filter((x) => x !== '');
  return (parts[parts.length - 1] ?? '').toLowerCase();
}

/**
 * Ranks the indexed records for `options.query` and returns the candidates that clear the relevance
 * threshold (all of them, or the best `limit`), best first (ties by id), with the numbers behind
 * each rank. Needs only the index: repository and cwd of each record are stored in it. With
 * `options.prompt`, returns what prompt-time recall may inject instead (see {@link pickForPrompt}).
 */
export function rankRecall(
  index: RecallSearchIndex,
  options: RecallSearchOptions,
  limitOptions?: { limit?: number; explain?: boolean; pool?: boolean },
): RecallCandidate[] {
  const p: RecallRankingParams = { ...RECALL_DEFAULTS, ...options.params };
  const n = index.count;
  if (n === 0) return [];
  const { terms: queryTerms, cjkPieces } = analyzeQuery(options.query);
  if (queryTerms.length === 0) return [];

  const entries = new Map<string, TermEntry | undefined>();
  const entryOf = (term: string): TermEntry | undefined => {
    if (!entries.has(term)) entries.set(term, lookupTerm(index, term));
    return entries.get(term);
  };
  const df = (term: string): number => entryOf(term)?.df ?? 0;
  // Repository and cwd relations are decided once per distinct value, not per record.
  const queryCwds = promptAllowedCwds(index, options.query);
  const namedCwd = options.repoFingerprint ? queryCwds : undefined;
  const routed =
    p.routeNamedRepo && namedCwd !== undefined
      ? namedRepos(index, namedCwd, options.repoFingerprint as string)
      : undefined;
  const repoMatches =
    routed ?? index.repos.map((fp) => !!options.repoFingerprint && fp === options.repoFingerprint);
  const repoHasNotes = repoMatches.some((x) => x);
  /** Notes holding `term`: of the asking repository when it has notes here, else of the store. */
  const ownDf = (term: string): number => {
    const entry = entryOf(term);
    if (entry === undefined || !repoHasNotes) return entry?.df ?? 0;
    const scratchDocs = new Int32Array(entry.df);
    const scratchTfs = new Float64Array(entry.df);
    const count = decodePostingsInto(index.postings, entry.offset, n, scratchDocs, scratchTfs);
    let own = 0;
    for (let i = 0; i < count; i++)
      if (repoMatches[docRepoIndex(index, scratchDocs[i] as number)] === true) own++;
    return own;
  };
  const idf = (term: string): number => smoothedIdf(n, df(term), term);
  const unknownIdf = smoothedIdf(n, 0, '');

  const singles = new Set(
    queryTerms.filter((t) => !t.cjk && /^[\u4e00-\u9fff]$/.test(t.term)).map((t) => t.term),
  );
  const extra = cjkExpansions(options.query, cjkPieces, singles);
  const strict = strictIdentifiers(options.query, queryTerms);
  const asked = p.answerTypes ? askedAnswerTypes(options.query) : [];
  const whyQuestion = ASKS_WHY.test(options.query);
  const groups: Group[] = [];
  const knownCjk = new Set<string>();
  const boundaries = cjkBoundaryBigrams(cjkPieces, extra);
  // A repository's directory name in the query says where to look, not what is asked: its notes
  // rarely spell it ("orders-svc 的 max.poll.interval.ms 是多少").
  const repoNames = new Set<string>();
  // The parts of a named repository's name ("orders", "svc") go with it, however it was spelled.
  const repoParts = new Set<string>();
  queryCwds.forEach((named, i) => {
    if (!named) return;
    const name = baseName(index.cwds[i] as string);
    repoNames.add(name.replace(/[-_.]/g, ''));
    for (const part of tokenize(name)) repoParts.add(part);
  });
  for (const qt of queryTerms) {
    if (repoNames.has(qt.term.replace(/[-_.]/g, '')) || repoParts.has(qt.term)) continue;
    if (p.cjkBoundaries && boundaries.has(qt.term)) {
      // Straddles two words (动特 of 启动特别): neither a topic nor a missing word.
      knownCjk.add(qt.term);
      continue;
    }
    // When the user's own word is absent, a synonym stands in for it at full weight: absent from the
    // asking repository's notes when it has notes here (fifth pass), so one store weighs a Chinese
    // question's English stand-ins as the repository's own bucket does (测试 in other projects' notes
    // does not halve `test` in this one's).
    const ownWord =
      df(qt.term) > 0 &&
      (!p.synonymsInRepo || !repoHasNotes || !/[\u4e00-\u9fff]/.test(qt.term) || ownDf(qt.term) > 0);
    const synonymWeight = ownWord ? p.expansionWeight : 1;
    const members: Member[] = [{ term: qt.term, weight: 1 }];
    if (qt.identifier) {
      // A path also matches a note that names the same file by a shorter path.
      const dirs = qt.term.split(/[\\/]+/).filter((x) => x !== '');
      for (let i = 1; i < dirs.length; i++) members.push({ term: dirs.slice(i).join('/'), weight: 1 });
    } else {
      for (const syn of new Set([...synonymsOf(qt.term), ...(extra.get(qt.term) ?? [])])) {
        if (syn !== qt.term) members.push({ term: syn, weight: synonymWeight });
      }
    }
    let mass = 0;
    for (const m of members) {
      if (df(m.term) > 0) mass = Math.max(mass, m.weight * idf(m.term));
    }
    const part = qt.parent !== undefined;
    const attribute =
      p.attributeWords &&
      !part &&
      (isAttributeTerm(qt.term) || (asked.includes(ANSWER_DURATION) && isDurationAttributeTerm(qt.term)));
    if (mass === 0 && attribute) {
      // An asked attribute no note names: no note can answer (the group stays, and is required).
      mass = idf(qt.term);
    } else if (mass === 0) {
      // Nothing in the corpus matches this term or its synonyms. An identifier is a named thing
      // the corpus lacks; other compounds' parts carry their meaning; unknown CJK material is
      // counted per piece below. Other words weigh what the reference vocabulary says.
      if (part || (qt.compound && !qt.identifier) || qt.cjk) continue;
      mass = qt.identifier ? unknownIdf : idf(qt.term);
    } else if (qt.cjk) {
      knownCjk.add(qt.term);
    }
    const known = members.some((m) => df(m.term) > 0);
    // The subject of a value question: the note must name it.
    const subject =
      asked.length > 0 &&
      !part &&
      mass >= p.valueSubjectIdf &&
      isSubjectTerm(qt.term, p.valueSubjectShare, () => ownDf(qt.term) >= p.valueSubjectStoreDf);
    const symptom = p.whySymptoms && whyQuestion && !part && isSymptomTerm(qt.term);
    const identifier = strict.has(qt.term) || attribute || subject || symptom;
    groups.push({ term: qt.term, members, mass: part ? 0 : mass, part, known, identifier });
  }
  // CJK characters not covered by any known bigram are words the corpus lacks. Overlapping bigrams
  // would count each such word about twice, so count one missed word per two uncovered characters.
  let missingWords = 0;
  for (const piece of cjkPieces) {
    const covered = new Array<boolean>(piece.length + 1).fill(false);
    piece.forEach((gram, i) => {
      if (knownCjk.has(gram)) covered[i] = covered[i + 1] = true;
    });
    let run = 0;
    for (const c of covered) {
      if (c) {
        missingWords += Math.ceil(run / 2);
        run = 0;
      } else run++;
    }
    missingWords += Math.ceil(run / 2);
  }
  const totalMass =
    groups.reduce((sum, g) => sum + g.mass, 0) + missingWords * unknownIdf * p.cjkMissingWeight;
  if (groups.length === 0 || totalMass === 0) return [];
  const promptMass = totalMass + missingWords * unknownIdf * (p.promptCjkMissingWeight - p.cjkMissingWeight);
  // Repository and cwd relations are decided once per distinct value, not per record.
  const askingRepoKnown = p.distinctInRepo && repoMatches.some((x) => x);
  // Groups that a note of the asking repository matches (see the distinguishing terms below).
  const knownInRepo = new Uint8Array(groups.length);

  const relevance = new Float64Array(n);
  const matched = new Float64Array(n);
  const matchedGroups = new Uint16Array(n);
  // Which of the first 32 groups each record matched, to name what a candidate misses.
  const groupMask = new Uint32Array(n);
  const touched: number[] = [];
  const groupScore = new Float64Array(n);
  const groupMatched = new Float64Array(n);
  const docs = new Int32Array(n);
  const tfs = new Float64Array(n);
  for (let gi = 0; gi < groups.length; gi++) {
    const group = groups[gi] as Group;
    const bit = gi < 32 ? 1 << gi : 0;
    const groupDocs: number[] = [];
    for (const m of group.members) {
      const entry = entryOf(m.term);
      if (entry === undefined) continue;
      const count = decodePostingsInto(index.postings, entry.offset, n, docs, tfs);
      const wIdf = m.weight * smoothedIdf(n, entry.df, m.term);
      for (let i = 0; i < count; i++) {
        const doc = docs[i] as number;
        const tf = tfs[i] as number;
        const s = (wIdf * tf) / (p.k1 + tf);
        if (groupMatched[doc] === 0) groupDocs.push(doc);
        // A record that says both "test" and "spec" is not twice as relevant: keep the best member.
        if (s > (groupScore[doc] as number)) groupScore[doc] = s;
        if (wIdf > (groupMatched[doc] as number)) groupMatched[doc] = wIdf;
      }
    }
    for (const doc of groupDocs) {
      if (relevance[doc] === 0) touched.push(doc);
      relevance[doc] =
        (relevance[doc] as number) + (groupScore[doc] as number) * (group.part ? p.partWeight : 1);
      if (!group.part) {
        const got = Math.min(group.mass, groupMatched[doc] as number);
        matched[doc] = (matched[doc] as number) + got;
        matchedGroups[doc] = (matchedGroups[doc] as number) + 1;
        groupMask[doc] = (groupMask[doc] as number) | bit;
        if (askingRepoKnown && repoMatches[docRepoIndex(index, doc)] === true) knownInRepo[gi] = 1;
      }
      groupScore[doc] = 0;
      groupMatched[doc] = 0;
    }
  }

  // A question that asks for a number or a duration: notes stating no such value cannot answer it.
  let answers: Uint8Array | undefined;
  if (asked.length > 0) {
    answers = new Uint8Array(n);
    for (const marker of asked) {
      const entry = entryOf(marker);
      if (entry === undefined) continue;
      const count = decodePostingsInto(index.postings, entry.offset, n, docs, tfs);
      for (let i = 0; i < count; i++) answers[docs[i] as number] = 1;
    }
  }

  // A named thing of the query that the note lacks while naming another of its kind (SIBLING_SETS).
  let siblingGroups = 0;
  let siblingDocs: Uint32Array | undefined;
  const asksAttribute = groups.some((g) => g.identifier && !g.part && isAttributeTerm(g.term));
  if (p.siblings && (asked.length > 0 || asksAttribute || options.prompt !== undefined)) {
    const queryNamed = new Set<string>();
    for (const g of groups) for (const m of g.members) queryNamed.add(m.term);
    groups.forEach((g, gi) => {
      const kind = g.part || gi >= 32 ? undefined : siblingKind(g.term);
      if (kind === undefined) return;
      const bit = 1 << gi;
      for (const other of siblingTerms(kind)) {
        if (queryNamed.has(other)) continue;
        const entry = entryOf(other);
        if (entry === undefined) continue;
        siblingDocs ??= new Uint32Array(n);
        siblingGroups |= bit;
        const count = decodePostingsInto(index.postings, entry.offset, n, docs, tfs);
        for (let i = 0; i < count; i++)
          siblingDocs[docs[i] as number] = (siblingDocs[docs[i] as number] as number) | bit;
      }
    });
  }

  // Every code identifier and asked attribute of the query must be named by the note.
  let required = 0;
  groups.forEach((g, gi) => {
    if (g.identifier && gi < 32 && (p.strictIdentifiers || !strict.has(g.term))) required |= 1 << gi;
  });

  // The query's distinguishing terms: the rarest ones that the notes which may answer it know (those
  // of the asking repository when it has notes here, so a word only another project's notes use does
  // not decide). A record must match one. Question words ("exposed", "listen") do not say what the
  // question is about. Only the first 32 groups can be distinguishing (the bit mask).
  const knownGroups = groups.filter((g) => !g.part && g.known && !isQuestionTerm(g.term));
  const inRepo = knownGroups.filter((g) => knownInRepo[groups.indexOf(g)] === 1);
  // When the asking repository's notes know none of them, another repository may still answer.
  const candidates = askingRepoKnown && inRepo.length > 0 ? inRepo : knownGroups;
  const maxKnown = Math.max(-Infinity, ...candidates.map((g) => g.mass));
  let distinctMask = 0;
  if (candidates.length > 0) {
    groups.forEach((g, gi) => {
      if (gi < 32 && !g.part && g.mass >= maxKnown * p.distinctShare) distinctMask |= 1 << gi;
    });
  }
  // Asked about a named repository: its directory, not the one the query comes from, is related.
  const cwdRelated = index.cwds.map((cwd, i) =>
    routed !== undefined
      ? namedCwd?.[i] === true
      : options.cwd !== undefined && isSameOrNestedPath(cwd, options.cwd),
  );
  // Keep only the best `limit` candidates: sorting thousands of weak matches would cost more than
  // the whole rest of a query in a short-lived process.
  // Prompt-time recall considers only the allowed repositories' best three (see pickForPrompt).
  // With the gate, the hard rules become features, and the best GATE_POOL candidates by score
  // (of the allowed repositories, for a prompt) are judged by the model.
  // The gate's repository features presuppose an asking repository with notes here: without one, the
  // rules answer (a store of other projects' notes only, a query from outside any repository).
  const gated = ((options.prompt ? p.promptGate : p.gate) && repoHasNotes) || limitOptions?.pool === true;
  const allowedCwd = options.prompt ? namedCwd : undefined;
  const limit = gated
    ? Math.max(GATE_POOL, limitOptions?.limit ?? 0)
    : options.prompt
      ? 3
      : (limitOptions?.limit ?? Infinity);
  // The gate's per-query context (see gateSignalsOf); none is built for the rules.
  const cjkQuery = cjkPieces.length > 0 || queryTerms.some((t) => t.cjk);
  const gateContext = gated
    ? gateContextOf(groups, {
        totalMass,
        unknownCjkMass: missingWords * unknownIdf * p.cjkMissingWeight,
        distinctMask,
        required,
        strictIdentifiers: p.strictIdentifiers ? strict : new Set<string>(),
        knownInRepo: repoHasNotes ? knownInRepo : undefined,
        answers,
        siblingDocs,
        siblingGroups,
        cjk: cjkQuery,
        mixed: cjkQuery && queryTerms.some((t) => !t.cjk && /[a-z]/.test(t.term)),
      })
    : undefined;
  const better = (a: RecallCandidate, b: RecallCandidate): number =>
    b.score - a.score || compareIds(idAt(index, a.doc), idAt(index, b.doc)) || a.doc - b.doc;
  const vetoes = new Set<GateVeto>(
    gateContext === undefined ? [] : options.prompt ? p.promptGateVetoes : p.gateVetoes,
  );
  const veto = {
    answer: vetoes.has('answer'),
    required: vetoes.has('required'),
    sibling: vetoes.has('sibling'),
    otherRepo: vetoes.has('other-repo'),
    sideWord: vetoes.has('side-word'),
    coverage: vetoes.has('coverage'),
    distinct: vetoes.has('distinct'),
    specificity: vetoes.has('specificity'),
    promptCoverage: vetoes.has('prompt-coverage'),
  };
  // What the `required` veto holds a note to: code identifiers are held by the gate's pool itself.
  const otherRequired = required & ~(gateContext?.identMask ?? 0);
  const out: RecallCandidate[] = [];
  for (const doc of touched) {
    const m = matched[doc] as number;
    const coverage = Math.min(1, m / totalMass);
    const groupsHit = matchedGroups[doc] as number;
    const mask = groupMask[doc] as number;
    if (gateContext !== undefined) {
      // Only identifier parts matched: nothing to judge. A code identifier always matches whole.
      if (m === 0 || (mask & gateContext.identMask) !== gateContext.identMask) continue;
      // The vetoes (see GateVeto), before anything is built for the note: most notes of a broad query
      // stop here, as they stop at the admission rules without the gate.
      if (veto.sideWord && groupsHit < 2 && coverage < p.minCoverage) continue;
      if (veto.distinct && (mask & distinctMask) === 0) continue;
      if (veto.coverage && !(coverage >= p.minCoverage || (groupsHit >= 2 && coverage >= p.minCoverageMulti)))
        continue;
      if (veto.specificity && m < p.minMatchedIdf) continue;
      if (veto.answer && answers !== undefined && answers[doc] === 0) continue;
      if (veto.required && (mask & otherRequired) !== otherRequired) continue;
      if (
        veto.sibling &&
        siblingDocs !== undefined &&
        ((siblingDocs[doc] as number) & siblingGroups & ~mask) !== 0
      )
        continue;
      if (veto.promptCoverage && options.prompt !== undefined && m / promptMass < p.promptCoverage) continue;
    } else {
      const enough = coverage >= p.minCoverage || (groupsHit >= 2 && coverage >= p.minCoverageMulti);
      if (!enough || m < p.minMatchedIdf || (mask & distinctMask) === 0) continue;
      if (answers !== undefined && answers[doc] === 0) continue;
      if ((mask & required) !== required) continue;
      // Names another thing of a kind the question names, and not the one asked about.
      if (siblingDocs !== undefined && ((siblingDocs[doc] as number) & siblingGroups & ~mask) !== 0) continue;
    }
    const sameRepo = repoMatches[docRepoIndex(index, doc)] === true;
    if (allowedCwd !== undefined && !sameRepo && allowedCwd[docCwdIndex(index, doc)] !== true) continue;
    const named = namedCwd?.[docCwdIndex(index, doc)] === true;
    const otherRepoLow = namedCwd !== undefined && !sameRepo && coverage < p.otherRepoCoverage && !named;
    if ((gateContext === undefined || veto.otherRepo) && otherRepoLow) continue;
    const relatedCwd = cwdRelated[docCwdIndex(index, doc)] === true;
    const rel = (relevance[doc] as number) * coverage ** p.coveragePower;
    const score = rel * (sameRepo ? p.sameRepoBoost : 1) * (relatedCwd ? p.relatedCwdBoost : 1);
    const promptCoverage = Math.min(1, m / promptMass);
    const candidate: RecallCandidate = {
      doc,
      relevance: rel,
      coverage,
      promptCoverage,
      matchedIdf: m,
      matchedGroups: groupsHit,
      sameRepo,
      relatedCwd,
      score,
    };
    if (out.length >= limit && better(candidate, out[out.length - 1] as RecallCandidate) >= 0) continue;
    if (gateContext !== undefined) {
      const signals = gateSignalsOf(gateContext, p, doc, candidate, mask, {
        otherRepoLow,
        otherRepoUnnamed: namedCwd !== undefined && !sameRepo && !named,
        named,
      });
      // How strongly the note states the words it matches: BM25's saturation per unit of IDF, high
      // when they are in its summary or repeated (its topic), low for a passing mention.
      signals.focus = m > 0 ? Math.min(1, (relevance[doc] as number) / m) : 0;
      candidate.signals = signals;
    }
    if (limitOptions?.explain) {
      const bits = mask;
      candidate.missed = groups
        .filter((g, gi) => !g.part && gi < 32 && (bits & (1 << gi)) === 0)
        .map((g) => {
          const share = referenceShare(g.term);
          return { term: g.term, mass: g.mass, known: g.known, identifier: g.identifier, share };
        });
      const cjkMass = missingWords * unknownIdf * p.cjkMissingWeight;
      if (missingWords > 0) {
        candidate.missed.push({ term: `(${missingWords} CJK)`, mass: cjkMass, known: false });
      }
    }
    if (limit === Infinity) {
      out.push(candidate);
      continue;
    }
    // Insertion into a short sorted list.
    let at = out.length;
    while (at > 0 && better(candidate, out[at - 1] as RecallCandidate) < 0) at--;
    out.splice(at, 0, candidate);
    if (out.length > limit) out.pop();
  }
  if (gateContext !== undefined) {
    judgePool(
      out,
      gateContext.masses,
      options.prompt ? GATE_MODEL.prompt : GATE_MODEL,
      p.gatePeers && repoHasNotes && options.prompt === undefined,
    );
    if (limitOptions?.pool === true) return out;
    const picked = options.prompt
      ? pickGatedForPrompt(index, out, options, p)
      : pickGated(out, p, limitOptions?.limit ?? Infinity);
    if (picked.length > 0 || !tinyRepo(index, repoMatches, p.gateMinRepoNotes)) return picked;
    // A repository with only a few notes: the gate's shares and margins were fitted on larger ones,
    // so its silence does not overrule what the rules admit (a note clearly ahead stays injected).
    const admitted = out.filter((c) => c.signals?.rules === true);
    return options.prompt
      ? pickForPrompt(index, admitted, options, p)
      : admitted.slice(0, limitOptions?.limit ?? Infinity);
  }
  if (limit === Infinity) out.sort(better);
  return options.prompt ? pickForPrompt(index, out, options, p) : out;
}

/** True when the asking repository has fewer than `min` notes in the index. */
function tinyRepo(index: RecallSearchIndex, repoMatches: readonly boolean[], min: number): boolean {
  let count = 0;
  for (let doc = 0; doc < index.count && count < min; doc++)
    if (repoMatches[docRepoIndex(index, doc)] === true) count++;
  return count < min;
}

/** What the gate needs of a query, computed once per query (see {@link gateSignalsOf}). */
interface GateContext {
  groups: readonly Group[];
  totalMass: number;
  distinctMask: number;
  distinctMass: number;
  required: number;
  identMask: number;
  answers: Uint8Array | undefined;
  siblingDocs: Uint32Array | undefined;
  siblingGroups: number;
  unknownShare: number;
  unknownRepoShare: number;
  /** Each group's share of the query's mass, by bit. */
  masses: number[];
  topMask: number;
  topMass: number;
  repoMask: number;
  cjk: boolean;
  mixed: boolean;
}

function gateContextOf(
  groups: readonly Group[],
  q: {
    totalMass: number;
    unknownCjkMass: number;
    distinctMask: number;
    required: number;
    strictIdentifiers: ReadonlySet<string>;
    knownInRepo: Uint8Array | undefined;
    answers: Uint8Array | undefined;
    siblingDocs: Uint32Array | undefined;
    siblingGroups: number;
    cjk: boolean;
    mixed: boolean;
  },
): GateContext {
  let identMask = 0;
  let distinctMass = 0;
  let unknownMass = q.unknownCjkMass;
  let unknownRepoMass = q.unknownCjkMass;
  let repoMask = 0;
  const masses = groups.map((g, gi) => (gi < 32 && !g.part ? g.mass / q.totalMass : 0));
  groups.forEach((g, gi) => {
    const bit = gi < 32 ? 1 << gi : 0;
    if (g.identifier && q.strictIdentifiers.has(g.term)) identMask |= bit;
    if ((q.distinctMask & bit) !== 0) distinctMass += g.mass;
    if (q.knownInRepo?.[gi] === 1) repoMask |= bit;
    if (g.part) return;
    if (!g.known) unknownMass += g.mass;
    if (!g.known || q.knownInRepo?.[gi] === 0) unknownRepoMass += g.mass;
  });
  // The query's three heaviest words.
  let topMask = 0;
  const heaviest = masses
    .map((m, gi) => [m, gi] as const)
    .filter(([m]) => m > 0)
    .sort((a, b) => b[0] - a[0])
    .slice(0, 3);
  for (const [, gi] of heaviest) topMask |= 1 << gi;
  const context: GateContext = {
    groups,
    totalMass: q.totalMass,
    distinctMask: q.distinctMask,
    distinctMass,
    required: q.required,
    identMask,
    answers: q.answers,
    siblingDocs: q.siblingDocs,
    siblingGroups: q.siblingGroups,
    unknownShare: unknownMass / q.totalMass,
    unknownRepoShare: unknownRepoMass / q.totalMass,
    masses,
    topMask,
    topMass: 0,
    repoMask,
    cjk: q.cjk,
    mixed: q.mixed,
  };
  context.topMass = shareOfMask(context, topMask);
  return context;
}

/** The share of the query's mass of the groups in `bits`. */
function shareOfMask(ctx: GateContext, bits: number): number {
  let sum = 0;
  for (let gi = 0; gi < ctx.masses.length && gi < 32; gi++)
    if ((bits & (1 << gi)) !== 0) sum += ctx.masses[gi] as number;
  return sum;
}

/** The gate's signals of one pooled candidate (its relations to the others are set by judgePool). */
function gateSignalsOf(
  ctx: GateContext,
  p: RecallRankingParams,
  doc: number,
  c: RecallCandidate,
  mask: number,
  repo: { otherRepoLow: boolean; otherRepoUnnamed: boolean; named: boolean },
): GateSignals {
  const enough = c.coverage >= p.minCoverage || (c.matchedGroups >= 2 && c.coverage >= p.minCoverageMulti);
  const answerMiss = ctx.answers !== undefined && ctx.answers[doc] === 0;
  const sibling =
    ctx.siblingDocs !== undefined && ((ctx.siblingDocs[doc] as number) & ctx.siblingGroups & ~mask) !== 0;
  const otherRequired = ctx.required & ~ctx.identMask;
  return {
    coverage: c.coverage,
    enough,
    rules:
      enough &&
      c.matchedIdf >= p.minMatchedIdf &&
      (mask & ctx.distinctMask) !== 0 &&
      !answerMiss &&
      (mask & ctx.required) === ctx.required &&
      !sibling &&
      !repo.otherRepoLow,
    matchedIdf: c.matchedIdf,
    matchedGroups: c.matchedGroups,
    distinctShare:
      ctx.distinctMass > 0
        ? (shareOfMask(ctx, mask & ctx.distinctMask) * ctx.totalMass) / ctx.distinctMass
        : 0,
    answerAsked: ctx.answers !== undefined,
    answerMiss,
    requiredMiss: (mask & otherRequired) !== otherRequired,
    sibling,
    // A repository the query names is asked about as the own one is.
    sameRepo: c.sameRepo || repo.named,
    otherRepoUnnamed: repo.otherRepoUnnamed,
    unknownShare: ctx.unknownShare,
    unknownRepoShare: ctx.unknownRepoShare,
    otherHasShare: 0,
    topShare: ctx.topMass > 0 ? shareOfMask(ctx, mask & ctx.topMask) / ctx.topMass : 0,
    repoMissShare: shareOfMask(ctx, ctx.repoMask & ~mask),
    mask,
    cjk: ctx.cjk,
    mixed: ctx.mixed,
    promptCoverage: c.promptCoverage,
    otherCoverage: 0,
    focus: 0,
    ratioBest: 1,
    marginNext: 1,
    marginAdmitted: 1,
  };
}

/** Candidates (the best by score) the gate judges per query. */
const GATE_POOL = 16;

/**
 * Sets each pooled candidate's relations to the others, features and probability (see gate.ts).
 * `masses`: each query group's share of the query's mass, by bit of the candidates' masks; `model`:
 * `recall`'s or prompt-time recall's coefficients.
 */
function judgePool(
  pool: RecallCandidate[],
  masses: readonly number[],
  model: { weights: readonly number[]; bias: number },
  peers: boolean,
): void {
  // A note of the asking repository is compared with the others of its repository, as in the
  // repository's own bucket: other projects' notes on the same topic (every repository has a rollback
  // note) do not make it less of an answer in one large store.
  const own = peers ? pool.filter((c) => c.sameRepo) : pool;
  const admitted = pool.filter((c) => c.signals?.rules === true);
  const ownAdmitted = peers ? admitted.filter((c) => c.sameRepo) : admitted;
  const ratio = (score: number, other: number | undefined): number =>
    other === undefined || other <= 0 ? Infinity : score / other;
  pool.forEach((c) => {
    const s = c.signals;
    if (s === undefined) return;
    const group = c.sameRepo ? own : pool;
    const best = group[0]?.score ?? 0;
    const other = group[group[0] === c ? 1 : 0];
    const admittedGroup = c.sameRepo ? ownAdmitted : admitted;
    s.ratioBest = best > 0 ? c.score / best : 1;
    s.marginNext = ratio(c.score, other?.score);
    s.otherCoverage = other?.coverage ?? 0;
    // The query's words this note lacks that the best other note has.
    const lacks = (other?.signals?.mask ?? 0) & ~s.mask;
    s.otherHasShare = masses.reduce((sum, m, gi) => sum + ((lacks & (1 << gi)) !== 0 ? m : 0), 0);
    s.marginAdmitted = ratio(c.score, admittedGroup[admittedGroup[0] === c ? 1 : 0]?.score);
    c.features = gateFeatures(s);
    c.probability = gateProbability(c.features, model);
  });
}

/**
 * `recall` with the gate: nothing unless the most probable note reaches `gateRecall`; then that
 * note, and below it, in the ranking's order, the notes that reach it or that the rules admit.
 */
function pickGated(
  pool: readonly RecallCandidate[],
  p: RecallRankingParams,
  limit: number,
): RecallCandidate[] {
  let head: RecallCandidate | undefined;
  for (const c of pool) {
    const better = (c.probability ?? 0) - (head?.probability ?? 0) || (head?.score ?? 0) - c.score;
    if (head === undefined || better > 0) head = c;
  }
  if (head === undefined || (head.probability ?? 0) < p.gateRecall) return [];
  // Below it, the ranking's order (the pool is by score): the gate decides what is said, the
  // scores and the repository and cwd boosts keep ordering it.
  const rest = pool.filter(
    (c) => c !== head && ((c.probability ?? 0) >= p.gateRecall || c.signals?.rules === true),
  );
  return [head, ...rest].slice(0, limit);
}

/**
 * Prompt-time recall with the gate: the most probable note of the allowed repositories, when its
 * probability reaches `gatePrompt` and it was not injected earlier in this session.
 */
function pickGatedForPrompt(
  index: RecallSearchIndex,
  pool: readonly RecallCandidate[],
  options: RecallSearchOptions,
  p: RecallRankingParams,
): RecallCandidate[] {
  const best = pickGated(pool, { ...p, gateRecall: p.gatePrompt }, 1)[0];
  if (best === undefined || options.prompt?.seen?.has(idAt(index, best.doc)) === true) return [];
  // Quiet unless clearly ahead: a note the gate trusts most still needs the rules' margin over the
  // next candidate by score (a note behind another by score never is).
  if ((best.signals?.marginNext ?? 0) < p.promptMargin) return [];
  // A Chinese word no note has counts in full at prompt time (申请年假 is not answered by the note
  // on 申请权限): when it leaves the note below the prompt bar, the gate does not override it.
  if (best.promptCoverage < best.coverage && best.promptCoverage < p.promptCjkCoverage) return [];
  return [best];
}

/**
 * Per distinct cwd of the index: true when the prompt names that directory (its last component as a
 * word, or a name that is no ordinary word spelled without its separators), which lets prompt-time
 * recall use another repository's notes and routes a query to the repository it names.
 */
function promptAllowedCwds(index: RecallSearchIndex, query: string): boolean[] {
  const lower = query.toLowerCase();
  // The Unicode-class regex costs milliseconds to compile; ASCII prompts split the same way without it.
  const separators = /[\u0080-\uffff]/.test(lower) ? /[^\p{L}\p{N}_.-]+/u : /[^a-z0-9_.-]+/;
  const words = new Set(lower.split(separators).filter((w) => w.length >= 3));
  // Latin runs, also where Chinese is glued to them (tollgate的发布), and their spelling without
  // separators, alone and joined to the next word or two: marrow_studio, "marrow studio",
  // MarrowStudio all name marrow-studio.
  const runs = (lower.match(/[a-z0-9][a-z0-9_.-]*/g) ?? []).map((w) => w.replace(/[-_.]+$/, ''));
  const keys = new Set<string>();
  runs.forEach((w, i) => {
    keys.add(w);
    let joined = '';
    for (let j = i; j < Math.min(runs.length, i + 3); j++) {
      joined += (runs[j] as string).replace(/[-_.]/g, '');
      keys.add(joined);
    }
  });
  return index.cwds.map((cwd) => {
    const name = baseName(cwd);
    if (words.has(name)) return true;
    const key = name.replace(/[-_.]/g, '');
    // A loose spelling counts only for a name no ordinary word has: "api" or "frontend" in a
    // question is a word, not a repository.
    return key.length >= 5 && keys.has(key) && distinctiveName(name);
  });
}

/** A directory name that is not an ordinary word: it has a separator or a digit, or no note uses it. */
function distinctiveName(name: string): boolean {
  return /[-_.0-9]/.test(name) || referenceShare(stem(name)) === 0;
}

/**
 * The repositories a query is asked about when it names, by its root directory, a repository other
 * than the asking one (true per entry of `index.repos`); undefined when it names none but the asking
 * one, or only subdirectories (`firmware`, `frontend`, `screen`: words more than names) or ordinary
 * words. A repository's root is the shortest directory its notes were taken in. One pass over the
 * records, only when a directory name was found.
 */
function namedRepos(
  index: RecallSearchIndex,
  namedCwd: readonly boolean[],
  asking: string,
): boolean[] | undefined {
  if (!namedCwd.some((x) => x)) return undefined;
  const root = index.repos.map(() => -1);
  for (let doc = 0; doc < index.count; doc++) {
    const r = docRepoIndex(index, doc);
    const c = docCwdIndex(index, doc);
    const seen = root[r] as number;
    if (seen < 0 || (index.cwds[c] as string).length < (index.cwds[seen] as string).length) root[r] = c;
  }
  const repos = root.map(
    (c) => c >= 0 && namedCwd[c] === true && distinctiveName(baseName(index.cwds[c] as string)),
  );
  if (index.repos.some((fp, i) => repos[i] === true && fp === asking)) return undefined;
  return repos.some((x) => x) ? repos : undefined;
}

/**
 * Prompt-time recall's stricter choice among the best three allowed candidates: notes of the query's
 * repository only (another repository's when the prompt names its directory), at most
 * `promptMaxNotes` of them, each with coverage ≥ `promptCoverage`, and nothing at all when the best
 * is not ahead of the next by `promptMargin` (ambiguity is worse than silence) or was already
 * injected in this session.
 */
function pickForPrompt(
  index: RecallSearchIndex,
  allowed: readonly RecallCandidate[],
  options: RecallSearchOptions,
  p: RecallRankingParams,
): RecallCandidate[] {
  const best = allowed[0];
  if (best === undefined || best.promptCoverage < p.promptCoverage) return [];
  const next = allowed[1];
  if (next !== undefined && best.score < p.promptMargin * next.score) return [];
  const seen = options.prompt?.seen;
  const picked = [best];
  if (p.promptMaxNotes >= 2 && next !== undefined && next.promptCoverage >= p.promptCoverage) {
    const third = allowed[2];
    if (
      next.score >= p.promptPairShare * best.score &&
      (third === undefined || next.score >= p.promptMargin * third.score)
    )
      picked.push(next);
  }
  if (seen !== undefined && picked.some((c) => seen.has(idAt(index, c.doc)))) return [];
  return picked;
}

function compareIds(a: string | undefined, b: string | undefined): number {
  const x = a ?? '';
  const y = b ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}

function clampTopK(topK: number | undefined): number {
  const requested = topK ?? RECALL_DEFAULTS.topK;
  return Number.isFinite(requested) ? Math.max(1, Math.floor(requested)) : RECALL_DEFAULTS.topK;
}

/**
 * Searches the recall records. `index` is the compile-time index; when it is missing or stale
 * (other version, record count or ids) an index is built in memory from `records` instead.
 * Returns at most `topK` (default 5) records that clear the relevance threshold, best first, ties
 * broken by id.
 */
export function searchRecall(
  index: RecallSearchIndex | null | undefined,
  records: readonly RecallRecord[],
  options: RecallSearchOptions,
): RecallResult[] {
  const usable = isRecallSearchIndexFresh(index, records) ? index : buildRecallIndex(records);
  return rankRecall(usable, options, { limit: options.prompt ? 3 : clampTopK(options.topK) }).map((c) =>
    toResult(records[c.doc] as RecallRecord, c.score),
  );
}

/** Results plus how they were obtained (for logs and tests). */
export interface RecallSourceSearch {
  results: RecallResult[];
  /**
   * `indexed`: the compile-time index answered and only the returned records were parsed;
   * `rebuilt`: the index was missing, stale or without spans, so index.json was parsed in full.
   */
  mode: 'indexed' | 'rebuilt';
}

/** Random access to the bytes of an `index.json` (a buffer or an open file). */
export interface RecallSource {
  /** Total size in bytes. */
  readonly size: number;
  /** Bytes `[start, end)`. */
  read(start: number, end: number): Buffer;
  /** The whole content. */
  readAll(): Uint8Array;
}

function bufferSource(bytes: Uint8Array): RecallSource {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { size: buf.length, read: (start, end) => buf.subarray(start, end), readAll: () => buf };
}

/**
 * Searches straight from `recall/index.json` (its bytes, or a {@link RecallSource}). When `index`
 * was built from exactly these bytes (see `buildRecallIndex`'s `source`), only the returned records
 * are read and parsed, so a query over 10,000 records costs a few milliseconds beyond loading the
 * index. Otherwise, or when a returned record does not match the index, the whole file is parsed
 * and searched as {@link searchRecall} does. Throws only when the file is not JSON.
 */
export function searchRecallSource(
  index: RecallSearchIndex | null | undefined,
  source: Uint8Array | RecallSource,
  options: RecallSearchOptions,
): RecallSourceSearch {
  const src = source instanceof Uint8Array ? bufferSource(source) : source;
  const topK = options.prompt ? 3 : clampTopK(options.topK);
  if (index && index.spans !== '' && index.source_bytes === src.size) {
    const results: RecallResult[] = [];
    let consistent = true;
    for (const c of rankRecall(index, options, { limit: topK })) {
      const span = docSpan(index, c.doc);
      const record = span && span[1] <= src.size ? parseRecord(src.read(span[0], span[1])) : undefined;
      if (record === undefined || !hasIdAt(index, c.doc, record.id)) {
        consistent = false;
        break;
      }
      results.push(toResult(record, c.score));
    }
    if (consistent) return { results, mode: 'indexed' };
  }
  const records = recordsIn(JSON.parse(new TextDecoder().decode(src.readAll())) as unknown);
  return { results: searchRecall(index, records, { ...options, topK }), mode: 'rebuilt' };
}

/**
 * {@link searchRecallSource} over the file at `indexPath`, reading only the returned records'
 * bytes when the index matches the file. Throws the file system error when the file cannot be read.
 */
export function searchRecallFile(
  index: RecallSearchIndex | null | undefined,
  indexPath: string,
  options: RecallSearchOptions,
): RecallSourceSearch {
  const fd = openSync(indexPath, 'r');
  try {
    const size = fstatSync(fd).size;
    const source: RecallSource = {
      size,
      read(start, end) {
        const buf = Buffer.allocUnsafe(end - start);
        let done = 0;
        while (done < buf.length) {
          const n = readSync(fd, buf, done, buf.length - done, start + done);
          if (n === 0) break;
          done += n;
        }
        return buf.subarray(0, done);
      },
      readAll: () => readFileSync(fd),
    };
    return searchRecallSource(index, source, options);
  } finally {
    closeSync(fd);
  }
}

function parseRecord(bytes: Buffer): RecallRecord | undefined {
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    return hasRecordFields(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function toResult(record: RecallRecord, score: number): RecallResult {
  return {
    id: record.id,
    summary: record.summary,
    content: record.content,
    source_paths: Array.isArray(record.source_paths) ? [...record.source_paths] : [],
    repo_fingerprint: record.repo_fingerprint,
    cwd: record.cwd,
    thread_id: record.thread_id ?? '',
    turn_id: record.turn_id ?? '',
    score: Math.round(score * 10000) / 10000,
  };
}
