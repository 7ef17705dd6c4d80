/**
 * End-to-end: the built CLI's `recall`, `csep recall` (§4.11),
 * `recall-trigger` (§4.10) and the `prompt-recall --from-stdin` UserPromptSubmit hook, over
 * buckets written the way the compiler writes them (the 200 evaluation records, remapped onto
 * temporary repositories) and over a bucket compiled by `compile --once`.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureRuntimeDirs, resolveStatePaths, type StatePaths } from '../../src/core/paths.js';
import { enqueueReviewedTurn } from '../../src/core/queue/queue.js';
import {
  buildRecallIndex,
  serializeRecallSearchIndex,
  type RecallRecord,
} from '../../src/core/recall/index-build.js';
import { CSEP, REPO_ROOT, runCli } from '../helpers/run-cli.js';
import { ensureBuilt } from '../helpers/built.js';
import { tempDir } from '../helpers/tmp.js';

beforeAll(() => {
  ensureBuilt();
}, 120_000);

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'recall');
const SAMPLES = join(REPO_ROOT, 'test', 'fixtures', 'codex-samples');
const RESULT_KEYS = [
  'content',
  'cwd',
  'id',
  'repo_fingerprint',
  'score',
  'source_paths',
  'summary',
  'thread_id',
  'turn_id',
];

const FIXTURE_REPOS = (
  JSON.parse(readFileSync(join(FIXTURES, 'queries.json'), 'utf8')) as { repos: Record<string, string> }
).repos;
const FIXTURE_RECORDS = (
  JSON.parse(readFileSync(join(FIXTURES, 'records.json'), 'utf8')) as { records: RecallRecord[] }
).records;

interface World {
  root: string;
  home: string;
  env: Record<string, string>;
  /** Temporary repository of each fixture repository name. */
  repos: Record<string, string>;
  /** The bucket holding all 200 records (ledger-api's). */
  paths: StatePaths;
}

/** Writes `records` as index.json plus a search index built over the exact bytes (as the compiler does). */
function writeRecall(
  paths: StatePaths,
  records: readonly unknown[],
  options: { searchIndex?: boolean } = {},
): void {
  mkdirSync(paths.recallDir, { recursive: true });
  const text = `${JSON.stringify({ records }, null, 2)}\n`;
  writeFileSync(paths.recallIndex, text);
  if (options.searchIndex !== false) {
    writeFileSync(
      paths.recallSearchIndex,
      `${serializeRecallSearchIndex(buildRecallIndex(records as RecallRecord[], { source: Buffer.from(text) }))}\n`,
    );
  }
}

/** The evaluation records, moved onto temporary repositories, in the bucket of ledger-api. */
function world(): World {
  const root = tempDir('csep-e2e-recall-');
  const home = join(root, 'home');
  const repos: Record<string, string> = {};
  const remap = new Map<string, { from: string; to: string; fingerprint: string }>();
  for (const [name, original] of Object.entries(FIXTURE_REPOS)) {
    const repo = join(root, name);
    mkdirSync(join(repo, '.git'), { recursive: true });
    repos[name] = repo;
    const fingerprint = resolveStatePaths({ cwd: repo, home }).repoFingerprint;
    remap.set(FIXTURE_RECORDS.find((r) => r.cwd.startsWith(original))!.repo_fingerprint, {
      from: original,
      to: repo,
      fingerprint,
    });
  }
  const records = FIXTURE_RECORDS.map((r) => {
    const m = remap.get(r.repo_fingerprint)!;
    const cwd = `${m.to}${r.cwd.slice(m.from.length)}`;
    mkdirSync(cwd, { recursive: true });
    return { ...r, repo_fingerprint: m.fingerprint, cwd };
  });
  const paths = resolveStatePaths({ cwd: repos['ledger-api']!, home });
  writeRecall(paths, records);
  return { root, home, repos, paths, env: { HOME: root, CODEX_SELF_EVOLUTION_HOME: home } };
}

function json(stdout: string): Record<string, unknown> & { results: Array<Record<string, unknown>> } {
  return JSON.parse(stdout) as Record<string, unknown> & { results: Array<Record<string, unknown>> };
}

function logLines(home: string): Array<Record<string, unknown>> {
  return readFileSync(join(home, 'logs', 'plugin.log'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const ids = (out: { results: Array<Record<string, unknown>> }) => out.results.map((r) => r.id);

describe('recall --query', () => {
  it('prints query, cwd, count and ranked results with every key of the Python package, top 5 by default', () => {
    const w = world();
    const repo = w.repos['ledger-api']!;
    const r = runCli(['recall', '--query', 'how do I run the tests?', '--cwd', repo], { env: w.env });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = json(r.stdout);
    expect(Object.keys(out).sort()).toEqual(['count', 'cwd', 'query', 'results']);
    expect(out).toMatchObject({ query: 'how do I run the tests?', cwd: repo, count: 5 });
    expect(out.results).toHaveLength(5);
    expect(out.results[0]!.id).toBe('la-test-cmd');
    for (const result of out.results) expect(Object.keys(result).sort()).toEqual(RESULT_KEYS);
    const scores = out.results.map((x) => x.score as number);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);

    const two = json(
      runCli(['recall', '--query', 'how do I run the tests?', '--cwd', repo, '--top-k', '2'], { env: w.env })
        .stdout,
    );
    expect(two.count).toBe(2);
    expect(ids(two)).toEqual(ids(out).slice(0, 2));
    const clamped = json(
      runCli(['recall', '--query', 'how do I run the tests?', '--cwd', repo, '--top-k=0'], { env: w.env })
        .stdout,
    );
    expect(ids(clamped)).toEqual(ids(out).slice(0, 1));

    const line = logLines(w.home).at(-1)!;
    expect(line).toMatchObject({
      msg: 'cli command completed',
      kind: 'recall',
      exit_code: 0,
      count: 1,
      cwd: repo,
      recall_mode: 'indexed',
    });
    expect(line.query_hash).toMatch(/^[0-9a-f]{12}$/);
    expect(JSON.stringify(logLines(w.home))).not.toContain('run the tests');
  });

  it('answers an unrelated query with nothing', () => {
    const w = world();
    for (const query of [
      "what's the weather going to be like tomorrow in Lisbon?",
      'who won the marathon race last sunday',
    ]) {
      const out = json(
        runCli(['recall', '--query', query, '--cwd', w.repos['ledger-api']!], { env: w.env }).stdout,
      );
      expect(out).toEqual({ query, cwd: w.repos['ledger-api'], count: 0, results: [] });
    }
  });

  it('ranks the records of the asking repository first (shared --state-dir)', () => {
    const w = world();
    const ask = (repo: string) =>
      json(
        runCli(
          [
            'recall',
            '--query',
            'how do I run the tests?',
            '--cwd',
            w.repos[repo]!,
            '--state-dir',
            w.paths.stateDir,
          ],
          { env: w.env },
        ).stdout,
      );
    expect(ask('deploy-kit').results[0]!.id).toBe('dk-go-test');
    expect(ask('tracekit').results[0]!.id).toBe('tk-cargo-test');
    expect(ask('shuju-pingtai').results[0]!.id).toBe('sj-pytest');
    expect(ask('deploy-kit').results[0]!.repo_fingerprint).toBe(
      resolveStatePaths({ cwd: w.repos['deploy-kit']!, home: w.home }).repoFingerprint,
    );
  });

  it('answers Chinese queries', () => {
    const w = world();
    const zh = json(
      runCli(['recall', '--query', '为什么凌晨的数据被算到前一天了', '--cwd', w.repos['ledger-api']!], {
        env: w.env,
      }).stdout,
    );
    expect(ids(zh)).toEqual(['sj-biz-date']);
    const spark = json(
      runCli(
        [
          'recall',
          '--query',
          'Spark 任务老是内存不够挂掉怎么办',
          '--cwd',
          w.repos['shuju-pingtai']!,
          '--state-dir',
          w.paths.stateDir,
        ],
        { env: w.env },
      ).stdout,
    );
    expect(spark.results[0]!.id).toBe('sj-spark-oom');
    expect(spark.query).toBe('Spark 任务老是内存不够挂掉怎么办');
  });

  it('skips invalid records, logs them, and still answers', () => {
    const w = world();
    const records = (JSON.parse(readFileSync(w.paths.recallIndex, 'utf8')) as { records: unknown[] }).records;
    writeRecall(w.paths, [{ id: 'broken', summary: 42 }, null, ...records], { searchIndex: false });
    const ask = () =>
      runCli(['recall', '--query', 'SignatureVerificationError', '--cwd', w.repos['ledger-api']!], {
        env: w.env,
      });
    // The stored index (of the valid records) no longer matches the file's bytes but still its records.
    const r = ask();
    expect(r.status).toBe(0);
    expect(ids(json(r.stdout))[0]).toBe('la-stripe-raw-body');
    let lines = logLines(w.home);
    expect(lines.at(-2)).toMatchObject({
      level: 'WARNING',
      msg: expect.stringMatching(/did not answer \(full_parse\)/),
    });
    expect(JSON.stringify(lines.at(-2)!.problems)).toMatch(
      /skipped 2 invalid record\(s\).*records\[0\]\.summary: must be a non-empty string; records\[1\]\.not an object/,
    );
    expect(lines.at(-1)).toMatchObject({ kind: 'recall', recall_mode: 'full_parse', skipped_records: 2 });

    // Without a stored index one is built in memory; a query never writes one.
    rmSync(w.paths.recallSearchIndex);
    expect(ids(json(ask().stdout))[0]).toBe('la-stripe-raw-body');
    lines = logLines(w.home);
    expect(lines.at(-1)).toMatchObject({ kind: 'recall', recall_mode: 'rebuilt', skipped_records: 2 });
    expect(existsSync(w.paths.recallSearchIndex)).toBe(false);
  });

  it('fails with exit 1 and a hint on an index.json that is not JSON', () => {
    const w = world();
    writeFileSync(w.paths.recallIndex, '{"records": [{"id": ');
    const r = runCli(['recall', '--query', 'tests', '--cwd', w.repos['ledger-api']!], { env: w.env });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/index\.json is not valid JSON/);
    expect(r.stderr).toMatch(/hint: the next `codex-self-evolution compile`/);
  });

  it('creates no bucket for a directory without state, and rejects bad flags with exit 2', () => {
    const root = tempDir();
    const env = { HOME: root, CODEX_SELF_EVOLUTION_HOME: join(root, 'home') };
    const out = json(runCli(['recall', '--query', 'tests', '--cwd', root], { env }).stdout);
    expect(out).toEqual({ query: 'tests', cwd: root, count: 0, results: [] });
    expect(existsSync(join(root, 'home', 'projects'))).toBe(false);
    expect(runCli(['recall', '--query', 'tests', '--top-k', 'many'], { env }).status).toBe(2);
    expect(runCli(['recall', '--query', 'tests', 'extra', 'words'], { env }).status).toBe(2);
    expect(runCli(['recall', '--query', 'tests', '--format', 'yaml'], { env }).status).toBe(2);
  });
});

describe('recall fast path', () => {
  it('answers exactly as the full program does', () => {
    const w = world();
    const cwd = w.repos['ledger-api']!;
    // A leading global option sends the same call through commander (main.ts takes the fast path
    // only when `recall` comes first).
    for (const [bin, args] of [
      [undefined, ['recall', '--query', 'how do I run the tests', '--cwd', cwd]],
      [undefined, ['recall', 'flaky', 'tests', '--top-k=2', '--format', 'json', '--cwd', cwd]],
      [CSEP, ['recall', 'how', 'are', 'migrations', 'run']],
      [undefined, ['recall', '--query', 'tests', '--top-k', 'many']],
      [undefined, ['recall', '--query', 'tests', 'and', 'words']],
    ] as const) {
      const options = { env: w.env, cwd, ...(bin ? { bin } : {}) };
      const fast = runCli([...args], options);
      const full = runCli(['--debug', ...args], options);
      expect(fast.status, args.join(' ')).toBe(full.status);
      expect(fast.stdout, args.join(' ')).toBe(full.stdout);
      // --debug adds the stack below the message.
      expect(fast.stderr, args.join(' ')).toBe(full.stderr === '' ? '' : `${full.stderr.split('\n')[0]}\n`);
    }
  });
});

describe('csep recall <query...>', () => {
  it('joins the words, prints focused markdown of the top 3 and exits 0', () => {
    const w = world();
    const r = runCli(['recall', 'how', 'do', 'I', ' run the tests? '], {
      env: w.env,
      bin: CSEP,
      cwd: w.repos['ledger-api']!,
    });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(
      /^## Focused Recall\n\nStatus: matched\nQuery: how do I {2}run the tests\?\nResults: 3\n\n### 1\. Run the test suite with uv\n/,
    );
    expect(r.stdout).toContain('Provenance: tests/conftest.py, pyproject.toml');
    expect(r.stdout.match(/^### \d\. /gm)).toHaveLength(3);
    expect(r.stdout.endsWith('\n') && !r.stdout.endsWith('\n\n')).toBe(true);
    const line = logLines(w.home).at(-1)!;
    expect(line).toMatchObject({
      msg: 'csep recall completed',
      kind: 'csep-recall',
      exit_code: 0,
      count: 3,
      status: 'matched',
      output_format: 'markdown',
      cwd: w.repos['ledger-api'],
    });
    expect(line.query_hash).toMatch(/^[0-9a-f]{12}$/);
    expect(line).toHaveProperty('duration_ms');
  });

  it('prints JSON with the self-invoked trigger fields and a status', () => {
    const w = world();
    const repo = w.repos['ledger-api']!;
    const out = json(
      runCli(['recall', 'SignatureVerificationError', '--format', 'json', '--top-k', '1'], {
        env: w.env,
        bin: CSEP,
        cwd: repo,
      }).stdout,
    );
    expect(Object.keys(out).sort()).toEqual([
      'count',
      'cwd',
      'focused_recall',
      'query',
      'reasons',
      'results',
      'status',
      'triggered',
    ]);
    expect(out).toMatchObject({
      query: 'SignatureVerificationError',
      cwd: repo,
      count: 1,
      triggered: true,
      reasons: ['self_invoked'],
      status: 'matched',
    });
    expect(out.focused_recall).toMatch(/^- [^\n]+: [^\n]+$/);
    const none = json(
      runCli(['recall', 'best', 'pan', 'for', 'searing', 'steak', '--format', 'json'], {
        env: w.env,
        bin: CSEP,
        cwd: repo,
      }).stdout,
    );
    expect(none).toMatchObject({ count: 0, results: [], focused_recall: '', status: 'no_match' });
  });

  it('is the same command as `codex-self-evolution recall <words...>`', () => {
    const w = world();
    const opts = { env: w.env, cwd: w.repos['ledger-api']! };
    const viaMain = runCli(['recall', 'how', 'do', 'I', 'run', 'the', 'tests'], opts);
    const viaCsep = runCli(['recall', 'how', 'do', 'I', 'run', 'the', 'tests'], { ...opts, bin: CSEP });
    expect(viaMain.status).toBe(0);
    expect(viaMain.stdout).toBe(viaCsep.stdout);
    // Under the csep bin, --query is csep style too.
    expect(runCli(['recall', '--query', 'how do I run the tests'], { ...opts, bin: CSEP }).stdout).toBe(
      viaCsep.stdout,
    );
  });

  it('answers no_match outside any bucket, and creates nothing', () => {
    const root = tempDir();
    const env = { HOME: root, CODEX_SELF_EVOLUTION_HOME: join(root, 'home') };
    const r = runCli(['recall', 'deploy', 'steps'], { env, bin: CSEP, cwd: root });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Status: no_match');
    expect(r.stdout).toContain('Do not invent prior context.');
    expect(existsSync(join(root, 'home', 'projects'))).toBe(false);
  });

  it('turns a damaged index into a soft error result with exit 0', () => {
    const w = world();
    writeFileSync(w.paths.recallIndex, 'not json at all');
    const opts = { env: w.env, bin: CSEP, cwd: w.repos['ledger-api']! };
    const md = runCli(['recall', 'run', 'tests'], opts);
    expect(md.status).toBe(0);
    expect(md.stdout).toMatch(
      /Status: error\nQuery: run tests\nResults: 0\n\nRecall failed softly: RecallIndexError: .*index\.json is not valid JSON/,
    );
    const out = json(runCli(['recall', 'run', 'tests', '--format', 'json'], opts).stdout);
    expect(out).toMatchObject({
      query: 'run tests',
      count: 0,
      results: [],
      focused_recall: '',
      triggered: true,
      reasons: ['self_invoked'],
      status: 'error',
    });
    expect(String(out.error)).toMatch(/^RecallIndexError: /);
    expect(logLines(w.home).at(-1)).toMatchObject({
      msg: 'csep recall completed',
      kind: 'csep-recall',
      exit_code: 0,
      status: 'error',
      count: 0,
    });
  });

  it('answers a call without words with a soft error that says how to ask, exit 0', () => {
    const root = tempDir();
    const env = { HOME: root, CODEX_SELF_EVOLUTION_HOME: join(root, 'home') };
    const plain = runCli(['recall'], { env, bin: CSEP, cwd: root });
    expect(plain.status).toBe(0);
    expect(plain.stdout).toContain('recall needs a query');
    const asJson = runCli(['recall', '--format', 'json'], { env, bin: CSEP, cwd: root });
    expect(asJson.status).toBe(0);
    expect(JSON.parse(asJson.stdout)).toMatchObject({ status: 'error', count: 0, results: [] });
  });
});

describe('recall-trigger', () => {
  it('prints not_triggered for small talk and searches nothing', () => {
    const w = world();
    const r = runCli(['recall-trigger', '--query', 'thanks!', '--cwd', w.repos['ledger-api']!], {
      env: w.env,
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      '## Focused Recall\n\nStatus: not_triggered\nQuery: thanks!\nResults: 0\n\nRecall was not triggered by the current policy. Continue with the current repo and conversation context.\n',
    );
    expect(logLines(w.home).at(-1)).toMatchObject({
      kind: 'recall-trigger',
      triggered: false,
      reasons: [],
      count: 0,
    });
  });

  it('prints matched for a cue, and no_match for a triggered query without an answer', () => {
    const w = world();
    const repo = w.repos['ledger-api']!;
    const matched = runCli(
      ['recall-trigger', '--query', 'how did we run the tests last time?', '--cwd', repo],
      { env: w.env },
    );
    expect(matched.stdout).toMatch(/^## Focused Recall\n\nStatus: matched\n/);
    expect(matched.stdout).toContain('### 1. Run the test suite with uv');
    expect(matched.stdout.match(/^### \d\. /gm)!.length).toBeLessThanOrEqual(3);
    expect(logLines(w.home).at(-1)).toMatchObject({
      triggered: true,
      reasons: expect.arrayContaining(['marker:how did we', 'marker:last time']),
    });

    const noMatch = runCli(
      [
        'recall-trigger',
        '--query',
        'how do I configure the kubernetes ingress controller for our api',
        '--cwd',
        repo,
      ],
      { env: w.env },
    );
    expect(noMatch.stdout).toMatch(/Status: no_match\n/);
    expect(noMatch.stdout).toContain('No matching recall was found.');
  });

  it('prints the JSON keys of the original, with the policy and the recall skill', () => {
    const w = world();
    const repo = w.repos['shuju-pingtai']!;
    const args = [
      'recall-trigger',
      '--query',
      '数据库密码放在哪里',
      '--cwd',
      repo,
      '--state-dir',
      w.paths.stateDir,
      '--explicit',
      '--format',
      'json',
      '--top-k',
      '2',
    ];
    const out = json(runCli(args, { env: w.env }).stdout);
    expect(Object.keys(out).sort()).toEqual(
      [
        'count',
        'cwd',
        'focused_recall',
        'policy',
        'query',
        'reasons',
        'results',
        'skill_content',
        'skill_id',
        'triggered',
      ].sort(),
    );
    expect(out).toMatchObject({
      triggered: true,
      skill_id: 'session_recall',
      query: '数据库密码放在哪里',
      cwd: repo,
    });
    expect(out.reasons).toContain('explicit');
    // The prompts name the recall command of the running copy (absolute node and csep).
    const csep = `${process.execPath} ${join(REPO_ROOT, 'bin', 'csep.js')}`;
    expect(out.policy).toBe(
      readFileSync(join(REPO_ROOT, 'prompts', 'recall-policy.md'), 'utf8').replaceAll('{{csep}}', csep),
    );
    expect(out.skill_content).toBe(
      readFileSync(join(REPO_ROOT, 'prompts', 'recall-contract.md'), 'utf8').replaceAll('{{csep}}', csep),
    );
    expect(out.count).toBe(out.results.length);
    expect(out.results.length).toBeLessThanOrEqual(2);
    expect(out.results[0]!.id).toBe('sj-conf-env');
    expect(out.focused_recall).toBe(
      out.results.map((x) => `- ${String(x.summary)}: ${String(x.content)}`).join('\n'),
    );
  });

  it('requires --query (exit 2)', () => {
    const root = tempDir();
    expect(
      runCli(['recall-trigger', '--cwd', root], {
        env: { HOME: root, CODEX_SELF_EVOLUTION_HOME: join(root, 'home') },
      }).status,
    ).toBe(2);
  });
});

describe('prompt-recall --from-stdin (the UserPromptSubmit hook)', () => {
  const sample = JSON.parse(readFileSync(join(SAMPLES, 'user-prompt-submit.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  const payload = (cwd: string, prompt: string) => JSON.stringify({ ...sample, cwd, prompt });

  it('injects the matching records as additionalContext for the real payload shape', () => {
    const w = world();
    const prompt = 'stripe webhooks fail with SignatureVerificationError, what did we find out about it?';
    const r = runCli(['prompt-recall', '--from-stdin'], {
      input: payload(w.repos['ledger-api']!, prompt),
      env: w.env,
    });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.endsWith('\n')).toBe(true);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const out = JSON.parse(r.stdout) as { hookSpecificOutput: Record<string, string> };
    expect(Object.keys(out)).toEqual(['hookSpecificOutput']);
    expect(Object.keys(out.hookSpecificOutput).sort()).toEqual(['additionalContext', 'hookEventName']);
    expect(out.hookSpecificOutput.hookEventName).toBe('UserPromptSubmit');
    const context = out.hookSpecificOutput.additionalContext!;
    expect(context).toMatch(/^Notes from earlier Codex sessions/);
    const record = FIXTURE_RECORDS.find((x) => x.id === 'la-stripe-raw-body')!;
    expect(context).toContain(`### 1. ${record.summary}`);
    expect(context).toContain(`Provenance: ${record.source_paths!.join(', ')}`);
    expect(context.length).toBeLessThanOrEqual(1500);

    const line = logLines(w.home).at(-1)!;
    expect(line).toMatchObject({
      msg: 'cli command completed',
      kind: 'prompt-recall',
      mode: 'from_stdin',
      status: 'injected',
      recall_mode: 'indexed',
    });
    expect(line.count).toBeGreaterThanOrEqual(1);
    expect(line.query_hash).toMatch(/^[0-9a-f]{12}$/);
    expect(JSON.stringify(logLines(w.home))).not.toContain('SignatureVerificationError');
  });

  it('honours --budget', () => {
    const w = world();
    // Prompt-time recall injects only a note that is clearly ahead: ask a specific question.
    const prompt = 'stripe webhooks fail with SignatureVerificationError, what did we find out about it?';
    const r = runCli(['prompt-recall', '--from-stdin', '--budget', '700'], {
      input: payload(w.repos['ledger-api']!, prompt),
      env: w.env,
    });
    const context = (JSON.parse(r.stdout) as { hookSpecificOutput: { additionalContext: string } })
      .hookSpecificOutput.additionalContext;
    expect(context.length).toBeLessThanOrEqual(700);
    expect(context).toContain(
      `### 1. ${FIXTURE_RECORDS.find((x) => x.id === 'la-stripe-raw-body')!.summary}`,
    );
  });

  it.each([
    ['small talk', 'thanks, great!', 'trivial'],
    ['an unrelated prompt', 'can you recommend a good pan for searing steak', 'no_match'],
    ['an empty prompt', '   ', 'no_prompt'],
  ])('answers {"continue":true} for %s', (_name, prompt, status) => {
    const w = world();
    const r = runCli(['prompt-recall', '--from-stdin'], {
      input: payload(w.repos['ledger-api']!, prompt),
      env: w.env,
    });
    expect(r).toEqual({ status: 0, stdout: '{"continue":true}\n', stderr: '' });
    expect(logLines(w.home).at(-1)).toMatchObject({ kind: 'prompt-recall', status, count: 0 });
  });

  it.each([
    ['garbage', 'this is not json {'],
    ['a JSON array', '[1,2]'],
  ])('answers {"continue":true} for %s on stdin', (_name, input) => {
    const w = world();
    const r = runCli(['prompt-recall', '--from-stdin'], { input, env: w.env });
    expect(r).toEqual({ status: 0, stdout: '{"continue":true}\n', stderr: '' });
    expect(logLines(w.home).some((l) => l.level === 'WARNING' && /prompt-recall: /.test(String(l.msg)))).toBe(
      true,
    );
  });

  it('answers {"continue":true} for a repository without state and creates no bucket', () => {
    const root = tempDir();
    const repo = join(root, 'fresh');
    mkdirSync(join(repo, '.git'), { recursive: true });
    const home = join(root, 'home');
    const r = runCli(['prompt-recall', '--from-stdin'], {
      input: payload(repo, 'how do I run the tests?'),
      env: { HOME: root, CODEX_SELF_EVOLUTION_HOME: home },
    });
    expect(r).toEqual({ status: 0, stdout: '{"continue":true}\n', stderr: '' });
    expect(existsSync(join(home, 'projects'))).toBe(false);
    expect(logLines(home).at(-1)).toMatchObject({ kind: 'prompt-recall', status: 'no_index', count: 0 });
  });

  it('fails open on a damaged index.json', () => {
    const w = world();
    writeFileSync(w.paths.recallIndex, '{"records": 7}');
    const r = runCli(['prompt-recall', '--from-stdin'], {
      input: payload(w.repos['ledger-api']!, 'how do I run the tests?'),
      env: w.env,
    });
    expect(r).toEqual({ status: 0, stdout: '{"continue":true}\n', stderr: '' });
    expect(
      logLines(w.home).some(
        (l) => l.level === 'WARNING' && /prompt-recall failed open: RecallIndexError/.test(String(l.msg)),
      ),
    ).toBe(true);
  });

  it('does nothing inside a session started by the review worker', () => {
    const w = world();
    const r = runCli(['prompt-recall', '--from-stdin'], {
      input: payload(w.repos['ledger-api']!, 'how do I run the tests?'),
      env: { ...w.env, CODEX_SELF_EVOLUTION_WORKER: '1' },
    });
    expect(r.stdout).toBe('{"continue":true}\n');
    expect(logLines(w.home).at(-1)).toMatchObject({ status: 'recursion_guard' });
  });
});

describe('recall over a bucket built by compile --once', () => {
  it('finds a compiled record through the compile-time index', () => {
    const root = tempDir();
    const home = join(root, 'home');
    const repo = join(root, 'repo');
    mkdirSync(join(repo, '.git'), { recursive: true });
    const env = { HOME: root, CODEX_SELF_EVOLUTION_HOME: home };
    const paths = resolveStatePaths({ cwd: repo, home });
    ensureRuntimeDirs(paths);
    const lessons = [
      [
        'Release tags',
        'Releases are cut by the release workflow from main; never push version tags by hand.',
        ['.github/workflows/release.yml'],
      ],
      [
        'Flaky websocket test',
        'The websocket reconnect test is flaky under load; it is retried twice in CI via vitest retry.',
        ['test/ws.test.ts'],
      ],
      [
        'Local database',
        'Start Postgres with docker compose up -d db before running the integration tests.',
        ['docker-compose.yml'],
      ],
    ] as const;
    lessons.forEach(([summary, content, sources], i) => {
      enqueueReviewedTurn(paths, {
        threadId: 'thread-1',
        turnId: `turn-${i}`,
        cwd: repo,
        reviewerProvider: 'dummy',
        suggestions: [
          {
            family: 'recall_candidate',
            summary,
            details: { content, source_paths: [...sources] },
            confidence: 1,
          },
        ],
      });
    });
    const compiled = runCli(['compile', '--once', '--repo-root', repo], { env });
    expect(compiled.status).toBe(0);
    expect(readdirSync(paths.recallDir).sort()).toEqual(
      expect.arrayContaining(['index.json', 'search-index.json']),
    );

    const out = json(
      runCli(['recall', '--query', 'who pushes the release tags?', '--cwd', repo], { env }).stdout,
    );
    expect(out.results[0]).toMatchObject({
      summary: 'Release tags',
      source_paths: ['.github/workflows/release.yml'],
      repo_fingerprint: paths.repoFingerprint,
    });
    expect(logLines(home).at(-1)).toMatchObject({ kind: 'recall', recall_mode: 'indexed' });

    const hook = runCli(['prompt-recall', '--from-stdin'], {
      input: JSON.stringify({
        cwd: repo,
        prompt: 'the websocket reconnect test failed again in CI, is it flaky?',
      }),
      env,
    });
    expect(JSON.parse(hook.stdout).hookSpecificOutput.additionalContext).toContain('retried twice in CI');
  });
});
