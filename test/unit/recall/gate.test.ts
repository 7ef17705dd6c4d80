import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RECALL_FIXTURE_DIR, evaluateRecall } from '../../../scripts/eval-recall.js';
import {
  GATE_FEATURES,
  type GateSignals,
  gateFeatures,
  gateProbability,
} from '../../../src/core/recall/gate.js';
import { GATE_MODEL } from '../../../src/core/recall/gate-model.js';
import { type RecallRecord, buildRecallIndex, idAt } from '../../../src/core/recall/index-build.js';
import {
  RECALL_DEFAULTS,
  type RecallRankingParams,
  rankRecall,
  searchRecall,
} from '../../../src/core/recall/search.js';

const sha1 = (s: string): string => createHash('sha1').update(s).digest('hex');
const APP = '/home/dev/src/orders-svc';

function rec(id: string, summary: string, content: string): RecallRecord {
  const base = { source_paths: [], repo_fingerprint: sha1(APP), cwd: APP, thread_id: '', turn_id: '' };
  return { id, summary, content, ...base };
}

const RECORDS = [
  rec(
    'esm',
    'ERR_REQUIRE_ASYNC_MODULE on start',
    'Node 22 throws ERR_REQUIRE_ASYNC_MODULE: drop top-level await.',
  ),
  rec('port', 'Local ports', 'Postgres listens on 5432 and Kafka on 9092 in the local stack.'),
  rec('tests', 'Running the unit tests', 'Run ./gradlew test; integrationTest runs containers.'),
  rec('deploy', 'How the service is deployed', 'Argo CD syncs main to staging; production is manual.'),
  rec('money', 'Money is BigDecimal', 'Never use double for amounts; store NUMERIC(19,2).'),
];

const clear: GateSignals = {
  coverage: 1,
  topShare: 1,
  enough: true,
  otherRepoUnnamed: false,
  rules: true,
  matchedIdf: 8,
  matchedGroups: 3,
  distinctShare: 1,
  answerAsked: false,
  answerMiss: false,
  requiredMiss: false,
  sibling: false,
  sameRepo: true,
  unknownShare: 0,
  unknownRepoShare: 0,
  otherHasShare: 0,
  repoMissShare: 0,
  mask: 7,
  cjk: false,
  mixed: false,
  promptCoverage: 1,
  otherCoverage: 0,
  focus: 0.7,
  ratioBest: 1,
  marginNext: 3,
  marginAdmitted: 3,
};

describe('the answerability gate', () => {
  it('ships one weight per feature, at most 24 features, and is on by default with the rules as vetoes', () => {
    expect(GATE_FEATURES.length).toBeLessThanOrEqual(24);
    expect(GATE_MODEL.features).toEqual([...GATE_FEATURES]);
    expect(GATE_MODEL.weights).toHaveLength(GATE_FEATURES.length);
    // Prompt-time recall has its own coefficients over the same features.
    expect(GATE_MODEL.prompt.weights).toHaveLength(GATE_FEATURES.length);
    expect(GATE_MODEL.prompt.weights).not.toEqual(GATE_MODEL.weights);
    expect(gateFeatures(clear)).toHaveLength(GATE_FEATURES.length);
    expect(GATE_MODEL.promptThreshold).toBeGreaterThanOrEqual(GATE_MODEL.recallThreshold);
    expect(RECALL_DEFAULTS.gate).toBe(true);
    expect(RECALL_DEFAULTS.promptGate).toBe(true);
    for (const veto of ['answer', 'required', 'sibling', 'other-repo'] as const) {
      expect(RECALL_DEFAULTS.gateVetoes).toContain(veto);
      expect(RECALL_DEFAULTS.promptGateVetoes).toContain(veto);
    }
  });

  it('trusts a clear, covered answer more than one that lacks the asked value or names another thing', () => {
    const sure = gateProbability(gateFeatures(clear));
    expect(sure).toBeGreaterThan(GATE_MODEL.recallThreshold);
    const lacking = { ...clear, rules: false, answerAsked: true, answerMiss: true, sibling: true };
    expect(gateProbability(gateFeatures(lacking))).toBeLessThan(sure);
    const uncovered = { ...clear, coverage: 0.3, topShare: 0.3, unknownShare: 0.6, otherHasShare: 0.3 };
    expect(gateProbability(gateFeatures(uncovered))).toBeLessThan(sure);
    // A tie with the next note is less sure than a clear lead.
    const tie = { ...clear, marginNext: 1, marginAdmitted: 1, ratioBest: 1 };
    expect(gateProbability(gateFeatures(tie))).toBeLessThan(sure);
  });

  it('judges the pooled candidates with probabilities between 0 and 1', () => {
    const index = buildRecallIndex(RECORDS);
    const pool = rankRecall(index, { query: 'which port does postgres use', cwd: APP }, { pool: true });
    expect(pool.length).toBeGreaterThan(0);
    for (const c of pool) {
      expect(c.features).toHaveLength(GATE_FEATURES.length);
      expect(c.probability).toBeGreaterThan(0);
      expect(c.probability).toBeLessThan(1);
    }
  });

  it('still matches a code identifier whole when it is on', () => {
    const index = buildRecallIndex(RECORDS);
    const ask = (query: string): string[] =>
      searchRecall(index, RECORDS, {
        query,
        cwd: APP,
        repoFingerprint: sha1(APP),
        params: { gate: true, promptGate: true },
      }).map((r) => r.id);
    expect(ask('ERR_REQUIRE_ESM when the service starts')).toEqual([]);
    expect(ask('ERR_REQUIRE_ASYNC_MODULE when the service starts')[0]).toBe('esm');
  });

  it('injects at most one note at prompt time, never one already injected in the session', () => {
    const index = buildRecallIndex(RECORDS);
    const prompt = (seen: string[]): string[] =>
      searchRecall(index, RECORDS, {
        query: 'ERR_REQUIRE_ASYNC_MODULE when the service starts on node 22',
        cwd: APP,
        repoFingerprint: sha1(APP),
        params: { gate: true, promptGate: true },
        prompt: { seen: new Set(seen) },
      }).map((r) => r.id);
    expect(prompt([])).toEqual(['esm']);
    expect(prompt(['esm'])).toEqual([]);
  });

  it('cannot override the rules that veto a note, even when it would admit anything', () => {
    const index = buildRecallIndex(RECORDS);
    const ask = (query: string, params = {}): string[] =>
      searchRecall(index, RECORDS, { query, cwd: APP, repoFingerprint: sha1(APP), params }).map((r) => r.id);
    // At threshold 0 the gate admits every candidate it judges; the vetoes still keep these out.
    const open = { gateRecall: 0 };
    // Another service of the kind named (Grafana is not Postgres or Kafka).
    expect(ask('what port does grafana use in the local stack', open)).not.toContain('port');
    expect(ask('what port does grafana use in the local stack', { ...open, gateVetoes: [] })).toContain(
      'port',
    );
    // A version is asked and the note states none.
    expect(ask('which version of postgres runs in the local stack', open)).not.toContain('port');
    expect(ask('which version of postgres runs in the local stack', { ...open, gateVetoes: [] })).toContain(
      'port',
    );
    // Only a side word matches.
    expect(ask('which winter tires fit the staging car', open)).toEqual([]);
    expect(ask('which winter tires fit the staging car', { ...open, gateVetoes: [] })).toContain('deploy');
  });

  it('at prompt time, stays quiet unless the note is clearly ahead and covers the Chinese words', () => {
    const records = [
      ...RECORDS,
      rec(
        'watch',
        'Running the unit tests in watch mode',
        'Run ./gradlew test --continuous to rerun on save.',
      ),
      rec('grant', '数据门户申请权限', '在数据门户提交申请，组长审批后生效。'),
    ];
    const index = buildRecallIndex(records);
    const prompt = (query: string, params = {}): string[] =>
      searchRecall(index, records, {
        query,
        cwd: APP,
        repoFingerprint: sha1(APP),
        params: { gatePrompt: 0, ...params },
        prompt: {},
      }).map((r) => r.id);
    // Two notes on running the unit tests: neither is clearly ahead, whatever the gate trusts.
    expect(prompt('how do I run the unit tests')).toEqual([]);
    expect(prompt('how do I run the unit tests', { promptMargin: 1 })).toHaveLength(1);
    // 年假 is in no note: counted in full, it leaves the approval note below the prompt bar.
    expect(prompt('申请年假要找谁审批')).toEqual([]);
    expect(prompt('申请权限要找谁审批')).toEqual(['grant']);
  });

  it('leaves the answer to the rules when the asking repository has no notes in the store', () => {
    const index = buildRecallIndex(RECORDS);
    const ask = (repoFingerprint?: string): string[] =>
      searchRecall(index, RECORDS, {
        query: 'ERR_REQUIRE_ASYNC_MODULE when the service starts',
        cwd: APP,
        ...(repoFingerprint === undefined ? {} : { repoFingerprint }),
        params: { gateRecall: 1, gateMinRepoNotes: 0 },
      }).map((r) => r.id);
    // A gate that admits nothing silences the asking repository's query ...
    expect(ask(sha1(APP))).toEqual([]);
    // ... but one from outside any repository, or from a repository with no notes, gets the rules' answer.
    expect(ask()).toEqual(['esm']);
    expect(ask(sha1('/home/dev/src/elsewhere'))).toEqual(['esm']);
  });

  it('does not let its silence overrule the rules in a repository of a few notes', () => {
    const index = buildRecallIndex(RECORDS);
    const ask = (params: Partial<RecallRankingParams>, prompt: boolean): string[] =>
      searchRecall(index, RECORDS, {
        query: 'ERR_REQUIRE_ASYNC_MODULE when the service starts on node 22',
        cwd: APP,
        repoFingerprint: sha1(APP),
        params,
        ...(prompt ? { prompt: {} } : {}),
      }).map((r) => r.id);
    // A gate that admits nothing: five notes are fewer than gateMinRepoNotes, so the rules answer ...
    expect(RECALL_DEFAULTS.gateMinRepoNotes).toBeGreaterThan(RECORDS.length);
    expect(ask({ gateRecall: 1 }, false)).toEqual(['esm']);
    expect(ask({ gatePrompt: 1 }, true)).toEqual(['esm']);
    // ... and with no such floor the gate's silence stands.
    expect(ask({ gateRecall: 1, gateMinRepoNotes: 0 }, false)).toEqual([]);
    expect(ask({ gatePrompt: 1, gateMinRepoNotes: 0 }, true)).toEqual([]);
  });

  it('keeps the dev figures it was fitted to (a regression guard)', () => {
    // The dev queries it was fitted on (the seventh pass: every dev file, the fourth and fifth blind
    // batches included, and the spent held-out batches t4 and t5, which are not read here), with the
    // shipped defaults: the gate for `recall` and prompt-time recall, the rules as vetoes.
    const report = evaluateRecall({
      sets: ['dev'],
      testDir: join(RECALL_FIXTURE_DIR, 'no-test-half'),
      // blind6 and blind7 each decided a pass once (docs/recall.md); the guard leaves them out.
      devFiles: { skip: ['blind6', 'blind7'] },
    });
    const f = report.sets['dev']?.all;
    expect(f).toBeDefined();
    if (f === undefined) return;
    expect(f.recallAt1).toBeGreaterThanOrEqual(0.82);
    expect(f.emptyLarge).toBeGreaterThanOrEqual(0.77);
    expect(f.emptyBucket).toBeGreaterThanOrEqual(0.76);
    expect(f.promptRight).toBeGreaterThanOrEqual(0.62);
    expect(f.promptNoise).toBeLessThanOrEqual(0.075);
  });
});

describe('the sixth pass features', () => {
  const base = gateFeatures(clear);
  const at = (name: string): number => GATE_FEATURES.indexOf(name as (typeof GATE_FEATURES)[number]);

  it('flags a mixed-language query and gives Chinese queries their own slope on coverage', () => {
    const mixed = gateFeatures({ ...clear, cjk: true, mixed: true, coverage: 0.6 });
    expect(mixed[at('mixed')]).toBe(1);
    expect(mixed[at('cjk_coverage')]).toBe(0.6);
    expect(base[at('mixed')]).toBe(0);
    expect(base[at('cjk_coverage')]).toBe(0);
  });

  it('carries the prompt coverage and the next candidate coverage', () => {
    const x = gateFeatures({ ...clear, promptCoverage: 0.3, otherCoverage: 0.8 });
    expect(x[at('prompt_coverage')]).toBe(0.3);
    expect(x[at('other_coverage')]).toBe(0.8);
  });

  it('trusts a note less at prompt time when another candidate covers the question as well', () => {
    const alone = gateProbability(
      gateFeatures({ ...clear, coverage: 0.7, otherCoverage: 0 }),
      GATE_MODEL.prompt,
    );
    const rival = gateProbability(
      gateFeatures({ ...clear, coverage: 0.7, otherCoverage: 0.7 }),
      GATE_MODEL.prompt,
    );
    expect(rival).toBeLessThan(alone);
  });
});

describe('the sixth pass signals in the ranking', () => {
  it('marks a query mixing Chinese and English words as mixed, and sets the next candidate coverage', () => {
    const index = buildRecallIndex(RECORDS);
    const mixed = rankRecall(index, { query: 'postgres 的端口是多少', cwd: APP }, { pool: true });
    expect(mixed.length).toBeGreaterThan(0);
    expect(mixed[0]?.signals?.cjk).toBe(true);
    expect(mixed[0]?.signals?.mixed).toBe(true);
    const english = rankRecall(index, { query: 'which port does postgres use', cwd: APP }, { pool: true });
    expect(english[0]?.signals?.mixed).toBe(false);
    const [first, second] = english;
    if (second !== undefined) expect(first?.signals?.otherCoverage).toBe(second.coverage);
  });
});

describe('the focus signal', () => {
  it('is higher for a note whose topic is the asked word than for one that mentions it in passing', () => {
    const index = buildRecallIndex([
      rec('topic', 'Redis eviction policy', 'Redis evicts with allkeys-lru; redis maxmemory is 2 GB.'),
      rec(
        'mention',
        'Deploying the worker',
        'The worker ships with helm, reads its queue from kafka and logs to loki; a redis sidecar exists.',
      ),
    ]);
    const pool = rankRecall(index, { query: 'redis', cwd: APP }, { pool: true });
    const focus = (id: string): number | undefined =>
      pool.find((c) => idAt(index, c.doc) === id)?.signals?.focus;
    expect(focus('topic')).toBeGreaterThan(focus('mention') ?? 1);
  });

  it('weighs only in recall: prompt-time recall leaves it out', () => {
    const at = GATE_FEATURES.indexOf('focus');
    expect(GATE_MODEL.prompt.weights[at]).toBe(0);
    expect(GATE_MODEL.weights[at]).not.toBe(0);
  });
});
