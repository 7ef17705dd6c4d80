#!/usr/bin/env node
/**
 * `npm run bench`: whole-process timings of the built CLI, the way Codex and the scheduler run it.
 *
 * Every measured run is a fresh `node bin/codex-self-evolution.js …` process, timed from spawn to
 * exit (for the Stop hook: until the hook process exits; its detached review worker is waited for,
 * or killed, outside the timing). Each case does a few warm-up runs, then repeated runs, and reports
 * the median and p95 (nearest rank). Every run of a case is paired with one run of the Node
 * start-up floor (`node -e 0`) right before it, so a case's ratio to the floor compares runs made
 * under the same machine load (this machine is shared). Peak memory (max RSS) comes from
 * `/usr/bin/time -f %M` when present, else from a `process.resourceUsage()` reporter loaded with
 * `--import`; for light cases it is taken in separate runs so it never distorts the timings.
 *
 * Budgets live in bench/budgets.json; each figure is marked within or over. The benchmark reports,
 * it never fails (exit 0 even when a case errors: the error is in the table and the JSON).
 *
 * Plain JavaScript on purpose (runs without tsx). It imports the built modules from dist/ for its
 * set-up (state paths, suggestion ids, the compiler's own planApply for recall indexes), so the
 * data it measures is written by the same code the product uses.
 *
 * Usage: node scripts/bench.mjs [--quick] [--only <regex>] [--no-write] [--imports-only] [--keep] [--out
 * FILE]
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, platform, release, tmpdir, totalmem, arch } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = resolve(import.meta.dirname, '..');
const CLI = join(ROOT, 'bin', 'codex-self-evolution.js');
const DIST = join(ROOT, 'dist');
const distUrl = (p) => pathToFileURL(join(DIST, p)).href;

// ------------------------------------------------------------------------------------ options

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const option = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const QUICK = flag('--quick');
const ONLY = option('--only') ? new RegExp(option('--only')) : undefined;
const WRITE = !flag('--no-write') && !ONLY && !QUICK;
const KEEP = flag('--keep');
const IMPORTS_ONLY = flag('--imports-only');

/** Repetitions: [warm-up, measured] per weight class. --quick divides the measured runs. */
const REPS = {
  hook: [3, 25],
  light: [2, 15],
  medium: [1, 7],
  heavy: [1, 5],
  huge: [0, 1],
};
function reps(kind) {
  const [w, n] = REPS[kind];
  return QUICK ? [Math.min(w, 1), Math.max(1, Math.min(n, 2, Math.ceil(n / 4)))] : [w, n];
}

// ------------------------------------------------------------------------------------ helpers

/** mulberry32: small seeded PRNG so every run generates the same data. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sha1 = (s) => createHash('sha1').update(s).digest('hex');
const median = (xs) => quantile(xs, 0.5);
/** Nearest-rank quantile (p95 of 5 runs is the slowest run). */
function quantile(xs, q) {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  if (q === 0.5) {
    const m = Math.floor(s.length / 2);
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  }
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}
const round = (x, d = 1) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : null);
const log = (...a) => process.stderr.write(`${a.join(' ')}\n`);

const TIME_BIN =
  existsSync('/usr/bin/time') && spawnSync('/usr/bin/time', ['-f', '%M', 'true']).status === 0
    ? '/usr/bin/time'
    : undefined;

let benchRoot;
let HOME;
let baseEnv;
/** Written once: a `--import` module that prints max RSS on exit, used when /usr/bin/time is absent. */
let rssReporter;

function envFor(extra = {}) {
  return { ...baseEnv, ...extra };
}

/**
 * Runs one process and returns its wall time in ms. `memory`: also return max RSS (KB), through
 * /usr/bin/time or the reporter (the caller decides whether this run is also a timed one).
 */
function runOnce(
  cmd,
  { input = '', env = baseEnv, cwd = benchRoot, memory = false, timeoutMs = 600_000 } = {},
) {
  let file = process.execPath;
  let args = cmd;
  let rssFile;
  if (memory) {
    rssFile = join(benchRoot, `rss-${process.hrtime.bigint()}.txt`);
    if (TIME_BIN) {
      file = TIME_BIN;
      args = ['-f', '%M', '-o', rssFile, process.execPath, ...cmd];
    } else {
      args = ['--import', pathToFileURL(rssReporter).href, ...cmd];
      env = { ...env, BENCH_RSS_FILE: rssFile };
    }
  }
  const t0 = process.hrtime.bigint();
  const r = spawnSync(file, args, {
    input,
    env,
    cwd,
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 256 * 1024 * 1024,
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  let rssKb;
  if (rssFile) {
    try {
      const lines = readFileSync(rssFile, 'utf8').trim().split('\n');
      rssKb = Number(lines[lines.length - 1]);
    } catch {
      rssKb = undefined;
    }
    rmSync(rssFile, { force: true });
  }
  return {
    ms,
    status: r.status,
    signal: r.signal,
    stdout: r.stdout ?? '',
    stderr: r.stderr ?? '',
    error: r.error,
    rssKb,
  };
}

const FLOOR_CMD = ['-e', '0'];

// ------------------------------------------------------------------------------------ data

const WORDS = (
  'build test deploy lint format release branch commit merge rebase review docker compose container image ' +
  'registry cache layer network volume service worker queue job retry timeout backoff webhook delivery payload ' +
  'schema migration database postgres index query transaction lock deadlock replica shard backup restore ' +
  'config env variable secret token session cookie auth login oauth scope permission role policy audit log ' +
  'metric trace span alert dashboard latency throughput memory heap profile benchmark flaky fixture mock stub ' +
  'snapshot coverage report module package dependency version upgrade pin lockfile workspace monorepo script ' +
  'command terminal shell path file directory folder generated vendor source target output artifact bundle ' +
  'compile transpile typescript javascript python golang rust cargo crate npm pnpm yarn pip poetry uv venv ' +
  'pytest jest vitest mocha rspec gotest makefile justfile gradle maven linker symbol header macro ' +
  'component render state store reducer action effect hook router route handler middleware controller model ' +
  'view template style theme layout grid table form input button modal dialog toast icon asset font image ' +
  'invoice billing payment refund customer account order cart checkout shipping tax currency price discount ' +
  'email notification sms push channel subscriber topic event stream consumer producer partition offset ' +
  'parser lexer token grammar syntax tree node visitor printer formatter encoder decoder buffer reader writer ' +
  'server client request response header body status error exception panic crash fix bug issue ticket ' +
  'prefer always never avoid instead use run check verify ensure before after first then when'
).split(/\s+/);

function zipfWord(rand) {
  return WORDS[Math.floor(WORDS.length * rand() ** 2.2)];
}

function identifier(rand) {
  const a = zipfWord(rand);
  const b = zipfWord(rand);
  const style = rand();
  if (style < 0.4) return `${a}${b[0].toUpperCase()}${b.slice(1)}`;
  if (style < 0.7) return `${a}_${b}`;
  return `${a}-${b}`;
}

function sentence(rand, min, max) {
  const n = min + Math.floor(rand() * (max - min + 1));
  const out = [];
  for (let i = 0; i < n; i++) out.push(rand() < 0.12 ? identifier(rand) : zipfWord(rand));
  return out.join(' ');
}

/** Records planted at fixed fractions of every corpus, so each query has a known answer. */
const NEEDLES = [
  {
    at: 0.37,
    summary: 'Billing migrations run before the integration tests',
    content:
      'Run the billing migrations with `pnpm db:migrate --scope billing` before the integration tests; parseInvoiceLine fails on an unmigrated schema.',
    source_paths: ['services/billing/migrations', 'services/billing/src/parse-invoice-line.ts'],
  },
  {
    at: 0.81,
    summary: 'Webhook delivery retry budget lives in config/webhooks.toml',
    content:
      'The retry budget for webhook delivery (max_attempts, backoff_seconds) is configured in config/webhooks.toml, not in code.',
    source_paths: ['config/webhooks.toml'],
  },
];
const RECALL_QUERIES = [
  'how do we run the billing migrations before the integration tests',
  'where is the retry budget for webhook delivery configured',
  'parseInvoiceLine',
  'rotate the kubernetes cluster certificates every quarter',
];

function recallRecords(n, repo, seed = 7) {
  const rand = prng(seed + n);
  const repoFp = sha1(repo);
  const others = Array.from({ length: 6 }, (_, i) => `/home/dev/other-${i}`);
  const records = [];
  const needleAt = new Map(NEEDLES.map((nd) => [Math.min(n - 1, Math.floor(n * nd.at)), nd]));
  for (let i = 0; i < n; i++) {
    const needle = needleAt.get(i);
    const own = needle !== undefined || rand() < 0.6;
    const cwd = own ? repo : others[Math.floor(rand() * others.length)];
    const summary = needle ? needle.summary : sentence(rand, 4, 9);
    const content = needle ? needle.content : `${sentence(rand, 18, 60)}.`;
    const paths = needle
      ? needle.source_paths
      : Array.from(
          { length: 1 + Math.floor(rand() * 2) },
          () => `src/${zipfWord(rand)}/${identifier(rand)}.ts`,
        );
    // Keys in sorted order, as the compiler stores records.
    records.push({
      content,
      cwd,
      id: sha1(`${i}:${content}`).slice(0, 12),
      repo_fingerprint: own ? repoFp : sha1(cwd),
      source_paths: paths,
      source_updated_at: '2026-11-01T00:00:00Z',
      summary,
      thread_id: `thread-${i % 97}`,
      turn_id: `turn-${i}`,
    });
  }
  return records;
}

/** One suggestion per envelope, families in rotation (memory, recall, memory, recall, …, a skill every 15th).
 * */
function suggestionFor(i, prefix, rand) {
  if (i % 15 === 14) {
    return {
      confidence: 0.9,
      details: {
        action: 'create',
        content: `## Steps\n\n1. ${sentence(rand, 8, 16)}\n2. ${sentence(rand, 8, 16)}\n3. verify`,
        description: `Use when ${sentence(rand, 4, 8)}`,
        skill_id: `${prefix}-skill-${i}`,
        title: `${prefix} skill ${i}`,
      },
      family: 'skill_action',
      summary: `${prefix} skill ${i}`,
    };
  }
  if (i % 2 === 0) {
    return {
      confidence: 0.6 + (i % 5) / 12.5,
      details: {
        action: 'add',
        content: `${prefix} ${i}: ${sentence(rand, 12, 40)}.`,
        evidence: { quote: sentence(rand, 3, 8), turn: 0 },
        scope: i % 4 === 0 ? 'user' : 'global',
      },
      family: 'memory_updates',
      summary: `${prefix} lesson ${i} ${sentence(rand, 2, 5)}`,
    };
  }
  return {
    confidence: 1,
    details: {
      content: `${prefix} fact ${i}: ${sentence(rand, 15, 45)}.`,
      source_paths: [`src/${zipfWord(rand)}/${identifier(rand)}.ts`],
    },
    family: 'recall_candidate',
    summary: `${prefix} fact ${i} ${sentence(rand, 3, 6)}`,
  };
}

const at = (n) => new Date(Date.UTC(2026, 10, 1) + n * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

let dist;
async function loadDist() {
  const [paths, queue, turnKey, json, apply, indexBuild] = await Promise.all([
    import(distUrl('core/paths.js')),
    import(distUrl('core/queue/queue.js')),
    import(distUrl('core/agents/turn-key.js')),
    import(distUrl('core/json.js')),
    import(distUrl('core/compiler/apply.js')).catch(() => undefined),
    import(distUrl('core/recall/index-build.js')),
  ]);
  dist = { paths, queue, turnKey, json, apply, indexBuild };
}

function bucketOf(repo, home = HOME) {
  return dist.paths.resolveStatePaths({ cwd: repo, home });
}

function makeRepo(name) {
  const repo = join(benchRoot, 'repos', name);
  mkdirSync(join(repo, '.git'), { recursive: true });
  return repo;
}

/**
 * Writes a pending envelope exactly as `enqueueReviewedTurn` does (marker in suggestions/.keys,
 * sorted-key JSON, mtime = reviewer timestamp) without its two fsyncs per envelope, which would
 * make seeding 10,000 envelopes take longer than compiling them. `checkEnvelopeWriter` proves the
 * bytes are identical.
 */
function writeEnvelope(paths, { threadId, turnId, suggestions, timestamp }) {
  const idempotencyKey = dist.turnKey.legacyTurnKey(threadId, turnId);
  const suggestionId = dist.queue.suggestionIdFor(idempotencyKey);
  writeFileSync(
    join(paths.suggestionsDir, '.keys', idempotencyKey),
    JSON.stringify({ suggestion_id: suggestionId, empty: false, at: timestamp }),
    { mode: 0o600 },
  );
  const envelope = {
    schema_version: 1,
    suggestion_id: suggestionId,
    idempotency_key: idempotencyKey,
    thread_id: threadId,
    turn_id: turnId,
    cwd: paths.cwd,
    repo_fingerprint: paths.repoFingerprint,
    reviewer_timestamp: timestamp,
    suggestions,
    source_authority: ['transcript', 'memory_files', 'managed_skills_manifest', 'hook_payload'],
    state: 'pending',
    attempt_count: 0,
    review_snapshot_path: null,
    failure_reason: null,
    transition_log: [{ at: timestamp, from: '', to: 'pending', reason: 'dummy' }],
    reviewer_provider: 'dummy',
  };
  const file = join(paths.queue.pending, `${suggestionId}.json`);
  writeFileSync(file, `${dist.json.stableStringify(envelope)}\n`, { mode: 0o600 });
  const s = Date.parse(timestamp) / 1000;
  utimesSync(file, s, s);
  return file;
}

let writerChecked;
function checkEnvelopeWriter() {
  if (writerChecked !== undefined) return writerChecked;
  const repo = makeRepo('writer-check');
  const home = join(benchRoot, 'writer-check-home');
  const real = bucketOf(repo, home);
  dist.paths.ensureRuntimeDirs(real);
  const input = {
    threadId: 't',
    turnId: 'turn-0',
    suggestions: [suggestionFor(0, 'check', prng(1))],
    timestamp: at(0),
  };
  const r = dist.queue.enqueueReviewedTurn(real, { ...input, cwd: real.cwd, reviewerProvider: 'dummy' });
  const mine = bucketOf(repo, join(benchRoot, 'writer-check-home-2'));
  dist.paths.ensureRuntimeDirs(mine);
  mkdirSync(join(mine.suggestionsDir, '.keys'), { recursive: true });
  const file = writeEnvelope(mine, input);
  writerChecked = readFileSync(r.path, 'utf8') === readFileSync(file, 'utf8');
  if (!writerChecked)
    log(
      'warning: the direct envelope writer differs from enqueueReviewedTurn; seeding with enqueueReviewedTurn (slower)',
    );
  return writerChecked;
}

function seedEnvelopes(paths, count, prefix, seed = 11) {
  dist.paths.ensureRuntimeDirs(paths);
  mkdirSync(join(paths.suggestionsDir, '.keys'), { recursive: true });
  const rand = prng(seed);
  const direct = checkEnvelopeWriter();
  for (let i = 0; i < count; i++) {
    const input = {
      threadId: `${prefix}-thread`,
      turnId: `${prefix}-${i}`,
      suggestions: [suggestionFor(i, prefix, rand)],
      timestamp: at(i),
    };
    if (direct) writeEnvelope(paths, input);
    else dist.queue.enqueueReviewedTurn(paths, { ...input, cwd: paths.cwd, reviewerProvider: 'dummy' });
  }
}

/**
 * Writes recall/index.json and recall/search-index.json for `records` with the compiler's own
 * `planApply` (so the files are exactly what a compile writes). Falls back to `buildRecallIndex`
 * if planApply's shape changed.
 */
function writeRecallState(paths, records) {
  dist.paths.ensureRuntimeDirs(paths);
  if (dist.apply?.planApply) {
    try {
      const context = {
        texts: new Map(),
        searchIndexFresh: false,
        memory: { user: [], global: [] },
        recall: [],
        manifest: [],
        problems: [],
      };
      const artifacts = {
        memory: { user: [], global: [] },
        recall: records,
        skills: [],
        manifest: [],
        items: [],
        backend: 'script',
        fallback_backend: null,
      };
      const plan = dist.apply.planApply(paths, context, artifacts, { searchIndex: true });
      for (const w of plan.writes) {
        mkdirSync(dirname(w.target), { recursive: true });
        writeFileSync(w.target, w.content, { mode: 0o600 });
      }
      if (plan.writes.some((w) => w.target === paths.recallSearchIndex)) return 'planApply';
    } catch (error) {
      log(`warning: planApply failed (${error.message}); writing the recall files directly`);
    }
  }
  writeFileSync(paths.recallIndex, `${JSON.stringify({ records }, null, 2)}\n`);
  writeFileSync(paths.recallSearchIndex, `${JSON.stringify(dist.indexBuild.buildRecallIndex(records))}\n`);
  return 'buildRecallIndex';
}

// ------------------------------------------------------------------------------------ workers

/** Live processes whose command line mentions the bench root (the detached review workers). */
function benchProcesses() {
  const out = [];
  let pids;
  try {
    pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return out;
  }
  for (const pid of pids) {
    if (Number(pid) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmd.includes(benchRoot)) out.push(Number(pid));
    } catch {
      // Gone.
    }
  }
  return out;
}

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

const sleepSync = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Waits (outside the timing) until the Stop hook's detached worker is done; kills it after 20 s. */
function settleWorker(paths) {
  const lock = join(paths.reviewDir, 'worker.lock');
  const deadline = Date.now() + 20_000;
  for (;;) {
    let pid;
    try {
      pid = Number(readFileSync(lock, 'utf8').split('\n')[0]);
    } catch {
      pid = undefined;
    }
    const spooled = existsSync(paths.spoolDir)
      ? readdirSync(paths.spoolDir).filter((n) => n.endsWith('.json')).length
      : 0;
    const busy = pid !== undefined && pidAlive(pid);
    if (!busy && spooled === 0) return 'finished';
    if (!busy && pid === undefined && spooled > 0 && Date.now() > deadline - 15_000) return 'spooled';
    if (Date.now() > deadline) {
      for (const p of benchProcesses()) process.kill(p, 'SIGKILL');
      return 'killed';
    }
    sleepSync(20);
  }
}

// ------------------------------------------------------------------------------------ cases

/**
 * A case: `prepare(i)` runs before each run (outside the timing) and returns the command;
 * `after(i, result)` runs after it (outside the timing).
 */
function cases() {
  const list = [];
  const sample = (name) =>
    JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'codex-samples', name), 'utf8'));
  const samples = {};
  for (const name of ['session-start.json', 'stop.json', 'user-prompt-submit.json']) {
    try {
      samples[name] = sample(name);
    } catch {
      samples[name] = {
        session_id: '01a2161a-5bab-7220-9193-325a99a88743',
        model: 'gpt-5-codex',
        permission_mode: 'bypassPermissions',
      };
    }
  }
  const hook = (name) => [CLI, name, '--from-stdin'];

  // References (no budget): what any ESM entry costs, and a minimal ESM hook that reads its
  // payload from stdin the way hooks.ts does and answers {"continue":true}. They show how much of
  // a hook's time is Node's, not ours (docs/performance.md).
  list.push({
    id: 'reference/esm-empty',
    group: 'reference',
    kind: 'hook',
    setup() {
      this.file = join(benchRoot, 'empty.mjs');
      writeFileSync(this.file, '');
    },
    prepare() {
      return { cmd: [this.file] };
    },
  });
  list.push({
    id: 'reference/esm-stdin-hook',
    group: 'reference',
    kind: 'hook',
    setup() {
      this.file = join(benchRoot, 'stdin-hook.mjs');
      writeFileSync(
        this.file,
        "const chunks = [];\nprocess.stdin.on('data', (c) => chunks.push(c));\nprocess.stdin.on('end', () => { JSON.parse(Buffer.concat(chunks).toString('utf8')); process.stdout.write('{\"continue\":true}\\n'); });\n",
      );
    },
    prepare() {
      return { cmd: [this.file], input: JSON.stringify({ ...samples['stop.json'], cwd: benchRoot }) };
    },
    check: (r) => r.stdout.trim() === '{"continue":true}',
  });

  // SessionStart, empty memory: a repository this tool has never seen.
  list.push({
    id: 'session-start/empty',
    group: 'hook',
    kind: 'hook',
    setup() {
      this.repo = makeRepo('empty');
    },
    prepare() {
      return {
        cmd: hook('session-start'),
        input: JSON.stringify({
          ...samples['session-start.json'],
          hook_event_name: 'SessionStart',
          cwd: this.repo,
          source: 'startup',
        }),
      };
    },
    check: (r) => r.stdout.includes('"additionalContext"'),
  });

  // SessionStart, full memory: a bucket compiled from 400 suggestions (memory at its caps, skills, recall).
  list.push({
    id: 'session-start/full',
    group: 'hook',
    kind: 'hook',
    setup() {
      this.repo = makeRepo('full');
      const paths = bucketOf(this.repo);
      seedEnvelopes(paths, 400, 'full');
      const r = runOnce([CLI, 'compile', '--once', '--repo-root', this.repo]);
      if (r.status !== 0) throw new Error(`compile of the full-memory bucket failed: ${r.stderr}`);
      const memory = JSON.parse(readFileSync(paths.memoryJson, 'utf8'));
      this.note = `${memory.user.length} user + ${memory.global.length} global entries`;
    },
    prepare() {
      return {
        cmd: hook('session-start'),
        input: JSON.stringify({
          ...samples['session-start.json'],
          hook_event_name: 'SessionStart',
          cwd: this.repo,
          source: 'startup',
        }),
      };
    },
    check: (r) => {
      const ctx = JSON.parse(r.stdout).hookSpecificOutput?.additionalContext ?? '';
      return ctx.length > 4000;
    },
  });

  // Stop: spool the turn, start the detached worker, return. The worker (dummy reviewer) is
  // waited for after each run, outside the timing.
  list.push({
    id: 'stop-review',
    group: 'hook',
    kind: 'hook',
    setup() {
      this.repo = makeRepo('stop');
      this.paths = bucketOf(this.repo);
      this.transcript = join(benchRoot, 'rollout.jsonl');
      cpSync(join(ROOT, 'test', 'fixtures', 'rollouts', 'mixed-en-long-session.jsonl'), this.transcript);
      this.message = `Done. ${sentence(prng(3), 120, 200)}`;
      this.workers = { finished: 0, killed: 0, spooled: 0 };
    },
    prepare(i) {
      return {
        cmd: hook('stop-review'),
        input: JSON.stringify({
          ...samples['stop.json'],
          hook_event_name: 'Stop',
          cwd: this.repo,
          turn_id: `bench-turn-${i}-${Date.now()}`,
          transcript_path: this.transcript,
          stop_hook_active: false,
          last_assistant_message: this.message,
        }),
      };
    },
    after() {
      this.workers[settleWorker(this.paths)]++;
    },
    check: (r) => r.stdout.trim() === '{"continue":true}',
    finish() {
      this.note = `workers: ${this.workers.finished} finished, ${this.workers.killed} killed, ${this.workers.spooled} left spooled`;
    },
  });

  // UserPromptSubmit against the full bucket.
  list.push({
    id: 'prompt-recall',
    group: 'hook',
    kind: 'hook',
    setup() {
      this.repo = join(benchRoot, 'repos', 'full');
    },
    prepare(i) {
      const prompt = [
        'how do we run the integration tests here?',
        'remind me how the webhook retry budget is configured',
        'fix the flaky parser test',
      ][i % 3];
      return {
        cmd: hook('prompt-recall'),
        input: JSON.stringify({
          ...samples['user-prompt-submit.json'],
          hook_event_name: 'UserPromptSubmit',
          cwd: this.repo,
          prompt,
        }),
      };
    },
    check: (r) => r.status === 0 && r.stdout.trim().startsWith('{'),
    finish(lastStdout) {
      try {
        const out = JSON.parse(lastStdout);
        this.note = out.hookSpecificOutput
          ? 'answers with additionalContext'
          : `answers ${lastStdout.trim().slice(0, 40)}`;
      } catch {
        this.note = undefined;
      }
    },
  });

  // recall at 100 … 100,000 records.
  for (const n of [100, 1_000, 10_000, 100_000]) {
    list.push({
      id: `recall/${n}`,
      group: 'recall',
      series: 'recall',
      n,
      kind: n >= 100_000 ? 'heavy' : 'light',
      heavy: n >= 100_000,
      setup() {
        this.repo = makeRepo(`recall-${n}`);
        this.paths = bucketOf(this.repo);
        const t0 = performance.now();
        this.method = writeRecallState(this.paths, recallRecords(n, this.repo));
        this.buildMs = performance.now() - t0;
      },
      prepare(i) {
        const query = RECALL_QUERIES[i % RECALL_QUERIES.length];
        return recallCommand(query, this.repo);
      },
      check: (r, i) => {
        // The planted answer must come first for the first two queries; the last one has no answer.
        try {
          const out = JSON.parse(r.stdout);
          const results = out.results ?? [];
          const q = i % RECALL_QUERIES.length;
          if (q === 3) return true;
          return results.length > 0 && results[0].summary === NEEDLES[q === 2 ? 0 : q].summary;
        } catch {
          return false;
        }
      },
      finish() {
        const sizes = [this.paths.recallIndex, this.paths.recallSearchIndex].map(
          (f) => readFileSync(f).length / 1e6,
        );
        this.note = `index.json ${round(sizes[0])} MB, search-index.json ${round(sizes[1])} MB (${this.method}, built in ${round(this.buildMs / 1000)} s)`;
      },
    });
  }

  // A state home left by the Python original: a 50,000-note recall/index.json (its indent=2
  // layout, in its `/`→`-` bucket with the .canonical_cwd marker) and no search index. `before`:
  // the first query after upgrading, which rebuilds the index and saves it (the file is removed
  // before every run); `after`: queries once install/scan/that first query have saved it.
  for (const phase of ['before', 'after']) {
    list.push({
      id: `migration/python-50k-${phase}`,
      group: 'migration',
      kind: 'heavy',
      heavy: true,
      setup() {
        this.repo = makeRepo(`python-50k-${phase}`);
        const legacy = join(HOME, 'projects', dist.paths.legacyBucketName(this.repo));
        mkdirSync(join(legacy, 'recall'), { recursive: true });
        writeFileSync(join(legacy, '.canonical_cwd'), `${this.repo}\n`);
        this.paths = bucketOf(this.repo);
        if (this.paths.stateDir !== legacy)
          throw new Error(`the Python bucket was not reused: ${this.paths.stateDir}`);
        writeFileSync(
          this.paths.recallIndex,
          JSON.stringify({ records: recallRecords(50_000, this.repo) }, null, 2),
        );
        if (phase === 'after') {
          const first = runOnce([CLI, 'recall', '--query', RECALL_QUERIES[0], '--cwd', this.repo]);
          if (first.status !== 0 || !existsSync(this.paths.recallSearchIndex))
            throw new Error(`migration set-up failed: ${first.stderr}`);
        }
      },
      prepare(i) {
        if (phase === 'before') rmSync(this.paths.recallSearchIndex, { force: true });
        return recallCommand(RECALL_QUERIES[i % RECALL_QUERIES.length], this.repo);
      },
      check: (r, i) => {
        try {
          const results = JSON.parse(r.stdout).results ?? [];
          const q = i % RECALL_QUERIES.length;
          return q === 3 || (results.length > 0 && results[0].summary === NEEDLES[q === 2 ? 0 : q].summary);
        } catch {
          return false;
        }
      },
      finish() {
        this.note = `index.json ${round(readFileSync(this.paths.recallIndex).length / 1e6)} MB; ${
          phase === 'before'
            ? 'no search index: each run rebuilds it and saves it'
            : 'search index saved by the first query'
        }`;
      },
    });
  }

  // compile --once over N pending suggestions (one suggestion per envelope, empty bucket).
  for (const n of [10, 100, 1_000, 10_000]) {
    list.push({
      id: `compile/${n}`,
      group: 'compile',
      series: 'compile',
      n,
      kind: n >= 10_000 ? 'huge' : n >= 1_000 ? 'heavy' : 'medium',
      heavy: n >= 1_000,
      setup() {
        this.repo = makeRepo(`compile-${n}`);
        this.paths = bucketOf(this.repo);
        this.template = join(benchRoot, 'templates', `compile-${n}`);
        seedEnvelopes(this.paths, n, `c${n}`);
        cpSync(this.paths.stateDir, this.template, { recursive: true, preserveTimestamps: true });
      },
      prepare() {
        rmSync(this.paths.stateDir, { recursive: true, force: true });
        cpSync(this.template, this.paths.stateDir, { recursive: true, preserveTimestamps: true });
        return { cmd: [CLI, 'compile', '--once', '--repo-root', this.repo] };
      },
      check: (r) => {
        try {
          const out = JSON.parse(r.stdout);
          return out.status === 'success' && out.processed_count === n;
        } catch {
          return false;
        }
      },
    });
  }

  // scan over 50 buckets: all compiled before, 10 with 5 new suggestions each.
  list.push({
    id: 'scan/50-buckets',
    group: 'scan',
    kind: 'heavy',
    heavy: true,
    setup() {
      this.home = join(benchRoot, 'scan-home');
      for (let b = 0; b < 50; b++) {
        const repo = makeRepo(`scan-${b}`);
        seedEnvelopes(bucketOf(repo, this.home), 6, `s${b}a`, 100 + b);
      }
      const first = runOnce([CLI, 'scan', '--home', this.home], {
        env: envFor({ CODEX_SELF_EVOLUTION_HOME: this.home }),
      });
      if (first.status !== 0) throw new Error(`scan set-up failed: ${first.stderr}`);
      for (let b = 0; b < 10; b++) {
        const paths = bucketOf(join(benchRoot, 'repos', `scan-${b}`), this.home);
        mkdirSync(join(paths.suggestionsDir, '.keys'), { recursive: true });
        const rand = prng(500 + b);
        for (let i = 0; i < 5; i++)
          writeEnvelope(paths, {
            threadId: `s${b}b-thread`,
            turnId: `s${b}b-${i}`,
            suggestions: [suggestionFor(i, `s${b}b`, rand)],
            timestamp: at(10_000 + i),
          });
      }
      this.template = join(benchRoot, 'templates', 'scan-home');
      cpSync(this.home, this.template, { recursive: true, preserveTimestamps: true });
    },
    prepare() {
      rmSync(this.home, { recursive: true, force: true });
      cpSync(this.template, this.home, { recursive: true, preserveTimestamps: true });
      return {
        cmd: [CLI, 'scan', '--home', this.home],
        env: envFor({ CODEX_SELF_EVOLUTION_HOME: this.home }),
      };
    },
    check: (r) => {
      try {
        const out = JSON.parse(r.stdout);
        return (
          out.total_projects === 50 &&
          out.counts.failed === 0 &&
          out.results.filter((e) => e.processed_count === 5).length === 10
        );
      } catch {
        return false;
      }
    },
  });
  return list;
}

let recallCli;
/** `recall --query Q --cwd DIR` when the CLI has it; else the engine as that command would run it. */
function recallCommand(query, repo) {
  if (recallCli === undefined) {
    const help = runOnce([CLI, 'recall', '--help']);
    recallCli = help.status === 0 && help.stdout.includes('--query');
    if (!recallCli)
      log('note: the CLI has no `recall` command yet; timing the recall engine in a fresh process instead');
  }
  if (recallCli) return { cmd: [CLI, 'recall', '--query', query, '--cwd', repo] };
  const code = `
    const { resolveStatePaths } = await import(${JSON.stringify(distUrl('core/paths.js'))});
    const { loadRecallSearchIndex } = await import(${JSON.stringify(distUrl('core/recall/index-build.js'))});
    const { searchRecallFile } = await import(${JSON.stringify(distUrl('core/recall/search.js'))});
    const { readFileSync } = await import('node:fs');
    const paths = resolveStatePaths({ cwd: process.argv[1] });
    let index;
    try { index = loadRecallSearchIndex(readFileSync(paths.recallSearchIndex)); } catch {}
    const { results } = searchRecallFile(index, paths.recallIndex, { query: process.argv[2], cwd: paths.cwd, repoFingerprint: paths.repoFingerprint });
    process.stdout.write(JSON.stringify({ query: process.argv[2], results }) + '\\n');`;
  return { cmd: ['--input-type=module', '-e', code, repo, query], engine: true };
}

// ------------------------------------------------------------------------------------ running

async function measure(c) {
  const [warmup, runs] = reps(c.kind);
  const times = [];
  const floors = [];
  const rss = [];
  const failures = [];
  let lastStdout = '';
  let engine = false;
  for (let i = 0; i < warmup + runs; i++) {
    const measured = i >= warmup;
    const floor = measured ? runOnce(FLOOR_CMD) : undefined;
    const p = c.prepare(i);
    engine ||= Boolean(p.engine);
    const r = runOnce(p.cmd, {
      input: p.input ?? '',
      env: p.env ?? baseEnv,
      memory: measured && Boolean(c.heavy),
    });
    c.after?.(i, r);
    lastStdout = r.stdout;
    const ok = r.status === 0 && (c.check ? c.check(r, i) : true);
    if (!ok)
      failures.push(
        `run ${i}: exit ${r.status ?? r.signal}${r.error ? ` ${r.error.message}` : ''}; ${(r.stderr || r.stdout).trim().slice(0, 300)}`,
      );
    if (!measured) continue;
    times.push(r.ms);
    floors.push(floor.ms);
    if (r.rssKb) rss.push(r.rssKb);
  }
  // Light cases: peak memory from separate runs, so the timed runs are plain `node …`.
  if (!c.heavy) {
    for (let i = 0; i < (QUICK ? 1 : 3); i++) {
      const p = c.prepare(warmup + runs + i);
      const r = runOnce(p.cmd, { input: p.input ?? '', env: p.env ?? baseEnv, memory: true });
      c.after?.(warmup + runs + i, r);
      if (r.rssKb) rss.push(r.rssKb);
    }
  }
  c.finish?.(lastStdout);
  const med = median(times);
  const floorMed = median(floors);
  return {
    id: c.id,
    group: c.group,
    ...(c.n ? { n: c.n } : {}),
    warmup,
    runs: times.length,
    median_ms: round(med),
    p95_ms: round(quantile(times, 0.95)),
    min_ms: round(Math.min(...times)),
    max_ms: round(Math.max(...times)),
    floor_median_ms: round(floorMed),
    ratio_to_floor: round(med / floorMed, 2),
    peak_rss_mb: rss.length ? round(Math.max(...rss) / 1024) : null,
    ...(engine ? { measured: 'recall engine in a fresh process (no `recall` CLI command yet)' } : {}),
    ...(c.note ? { note: c.note } : {}),
    ...(failures.length ? { failures: failures.slice(0, 5), failed_runs: failures.length } : {}),
  };
}

function measureFloor() {
  const [warmup, runs] = reps('hook');
  const times = [];
  for (let i = 0; i < warmup + runs; i++) {
    const r = runOnce(FLOOR_CMD);
    if (i >= warmup) times.push(r.ms);
  }
  const rss = [];
  for (let i = 0; i < 3; i++) rss.push(runOnce(FLOOR_CMD, { memory: true }).rssKb);
  return {
    id: 'node -e 0',
    runs: times.length,
    median_ms: round(median(times)),
    p95_ms: round(quantile(times, 0.95)),
    peak_rss_mb: round(Math.max(...rss.filter(Boolean)) / 1024),
  };
}

// ------------------------------------------------------------------------------------ imports

/** Static import graph of a dist entry (tsc output: one import statement per line). */
function importGraph(entry) {
  const order = [];
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    let src = '';
    if (!file.startsWith('pkg:')) src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(/^\s*(?:import|export)\s(?:[^'";]*?\sfrom\s)?['"]([^'"]+)['"]/gm)) {
      const spec = m[1];
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
      else visit(`pkg:${spec}`);
    }
    order.push(file); // post-order: dependencies first
  };
  visit(entry);
  return order;
}

/** A bare specifier resolved from this repository (node: builtins stay as they are). */
function resolvePackage(spec) {
  return spec.startsWith('node:') ? spec : import.meta.resolve(spec);
}

/**
 * Marginal cost of each module on a hook path: in a fresh process, import the modules one by one
 * in dependency order (so each import pays only for its own parse, link and evaluation), timing
 * each; median over several processes. Also the heavy packages the hooks must not load.
 */
function measureImports() {
  // Each path as it runs: main.js, then what it loads statically, then the lazily imported parts
  // the measured case reaches (prompt-recall loads the recall engine once a bucket has an index).
  const d = (...p) => join(DIST, ...p);
  // Modules reached through the public API (core/index.js) load on first call: each path lists
  // the ones the measured case calls.
  const paths = {
    'session-start': [
      d('cli', 'main.js'),
      d('cli', 'hooks.js'),
      d('core', 'agents', 'index.js'),
      d('core', 'agents', 'codex', 'index.js'),
      d('cli', 'hooks', 'session-start.js'),
      d('core', 'settings.js'),
      d('core', 'session-start.js'),
      d('core', 'memory', 'usage.js'),
    ],
    'stop-review': [
      d('cli', 'main.js'),
      d('cli', 'hooks.js'),
      d('core', 'agents', 'index.js'),
      d('core', 'agents', 'codex', 'index.js'),
      d('core', 'spool', 'spool.js'),
      d('cli', 'hooks', 'stop-review.js'),
      d('core', 'agents', 'turn-key.js'),
      d('core', 'process', 'detached.js'),
    ],
    'prompt-recall': [
      d('cli', 'main.js'),
      d('cli', 'hooks.js'),
      d('core', 'agents', 'index.js'),
      d('core', 'agents', 'codex', 'index.js'),
      d('cli', 'hooks', 'prompt-recall.js'),
      d('core', 'team', 'store.js'),
      d('core', 'flows', 'prompt-recall.js'),
    ],
    'recall (command)': [
      d('cli', 'main.js'),
      d('cli', 'recall-fast.js'),
      d('cli', 'action.js'),
      d('cli', 'commands', 'recall.js'),
      d('core', 'recall', 'migrate.js'),
      d('core', 'settings.js'),
      d('core', 'recall', 'query.js'),
      d('core', 'recall', 'render.js'),
    ],
    'compile (command)': [
      d('cli', 'main.js'),
      d('cli', 'program.js'),
      d('core', 'agents', 'index.js'),
      d('cli', 'commands', 'compile.js'),
      d('core', 'compiler', 'settings.js'),
      d('core', 'compiler', 'backends', 'index.js'),
      d('core', 'compiler', 'compile.js'),
      d('core', 'settings.js'),
    ],
  };
  const runs = QUICK ? 5 : 15;
  const out = {
    method: `marginal import time per module in dependency order, median of ${runs} fresh processes (main.js itself excluded: importing it would run the CLI)`,
    paths: {},
    packages: {},
  };
  const script = join(benchRoot, 'import-timer.mjs');
  writeFileSync(
    script,
    `const specs = JSON.parse(process.argv[2]); const t = {}; const start = performance.now();
     for (const s of specs) { const t0 = performance.now(); await import(s); t[s] = performance.now() - t0; }
     t.__total = performance.now() - start; t.__before_main = start; process.stdout.write(JSON.stringify(t));`,
  );
  for (const [name, entryFiles] of Object.entries(paths)) {
    if (!entryFiles.every((f) => existsSync(f))) continue;
    const files = [...new Set(entryFiles.slice(1).flatMap((f) => importGraph(f)))];
    const specs = files.map((f) =>
      f.startsWith('pkg:') ? resolvePackage(f.slice(4)) : pathToFileURL(f).href,
    );
    const samples = [];
    for (let i = 0; i < runs; i++) {
      const r = runOnce([script, JSON.stringify(specs)]);
      if (r.status === 0) samples.push(JSON.parse(r.stdout));
    }
    if (samples.length === 0) continue;
    const modules = specs.map((s, i) => ({
      module: files[i].startsWith('pkg:') ? files[i].slice(4) : relative(DIST, files[i]),
      ms: round(median(samples.map((x) => x[s])), 2),
    }));
    const heavy = modules
      .filter((m) => /^(zod|commander|undici|execa)(\/|$)/.test(m.module))
      .map((m) => m.module);
    out.paths[name] = {
      modules: modules.length,
      own_modules: modules.filter((m) => !m.module.startsWith('node:')).length,
      total_ms: round(median(samples.map((x) => x.__total)), 1),
      node_ready_ms: round(median(samples.map((x) => x.__before_main)), 1),
      heavy_packages: heavy,
      by_module: modules.sort((a, b) => b.ms - a.ms),
    };
  }
  for (const pkg of ['zod', 'commander', 'undici', 'execa', 'smol-toml']) {
    const samples = [];
    for (let i = 0; i < Math.min(runs, 7); i++) {
      const spec = resolvePackage(pkg);
      const r = runOnce([script, JSON.stringify([spec])]);
      if (r.status === 0) samples.push(JSON.parse(r.stdout)[spec]);
    }
    out.packages[pkg] = samples.length ? round(median(samples), 1) : null;
  }
  return out;
}

// ------------------------------------------------------------------------------------ budgets

function judge(result, budgets) {
  const b = budgets.cases?.[result.id] ?? {};
  const status = {};
  if (b.ratio_to_floor !== undefined)
    status.time = result.ratio_to_floor <= b.ratio_to_floor ? 'within' : 'over';
  else if (b.median_ms !== undefined) status.time = result.median_ms <= b.median_ms ? 'within' : 'over';
  if (b.peak_rss_mb !== undefined && result.peak_rss_mb !== null)
    status.memory = result.peak_rss_mb <= b.peak_rss_mb ? 'within' : 'over';
  if (result.failed_runs) status.correctness = 'failed';
  return { budget: b, status };
}

function growth(results, budgets, floor) {
  const out = [];
  const max = budgets.growth?.max_exponent ?? 1.15;
  for (const series of ['recall', 'compile']) {
    const pts = results
      .filter((r) => r.id.startsWith(`${series}/`) && r.median_ms !== null)
      .sort((a, b) => a.n - b.n);
    for (let i = 1; i < pts.length; i++) {
      const a = pts[i - 1];
      const b = pts[i];
      // Cost above the start-up floor: what grows with the data.
      const ma = Math.max(1, a.median_ms - (a.floor_median_ms ?? floor));
      const mb = Math.max(1, b.median_ms - (b.floor_median_ms ?? floor));
      const exponent = Math.log(mb / ma) / Math.log(b.n / a.n);
      out.push({
        series,
        from: a.n,
        to: b.n,
        marginal_ms: [round(ma), round(mb)],
        exponent: round(exponent, 2),
        budget: max,
        status: exponent <= max ? 'within' : 'over',
      });
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------ output

function table(floor, results, grow) {
  const rows = [['case', 'median ms', 'p95 ms', 'x floor', 'peak MB', 'budget', 'status']];
  rows.push([floor.id, floor.median_ms, floor.p95_ms, '1.00', floor.peak_rss_mb, '', '']);
  for (const r of results) {
    const b = r.budget ?? {};
    const budget = [
      b.ratio_to_floor !== undefined
        ? `<=${b.ratio_to_floor}x`
        : b.median_ms !== undefined
          ? `<=${b.median_ms} ms`
          : '',
      b.peak_rss_mb !== undefined ? `<=${b.peak_rss_mb} MB` : '',
    ]
      .filter(Boolean)
      .join(', ');
    const status = r.error
      ? 'ERROR'
      : [
          r.status?.time,
          r.status?.memory ? `mem ${r.status.memory}` : '',
          r.status?.correctness ? 'WRONG OUTPUT' : '',
        ]
          .filter(Boolean)
          .join(', ');
    rows.push([
      r.id,
      r.median_ms ?? '-',
      r.p95_ms ?? '-',
      r.ratio_to_floor?.toFixed?.(2) ?? '-',
      r.peak_rss_mb ?? '-',
      budget,
      status,
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => String(row[i]).length)));
  const line = (row) =>
    `| ${row.map((c, i) => (i === 0 || i >= 5 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join(' | ')} |`;
  const out = [
    line(rows[0]),
    `|${widths.map((w, i) => (i === 0 || i >= 5 ? `${'-'.repeat(w + 2)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
    ...rows.slice(1).map(line),
  ];
  if (grow.length) {
    out.push('', '| growth (cost above the floor) | exponent | budget | status |', '|---|---:|---|---|');
    for (const g of grow)
      out.push(
        `| ${g.series} ${g.from} -> ${g.to} (${g.marginal_ms[0]} -> ${g.marginal_ms[1]} ms) | ${g.exponent} | <=${g.budget} | ${g.status} |`,
      );
  }
  return out.join('\n');
}

function gitInfo() {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
  const dirty = spawnSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8' });
  return { commit: head.stdout?.trim() || null, src_dirty: Boolean(dirty.stdout?.trim()) };
}

// ------------------------------------------------------------------------------------ main

async function main() {
  const started = performance.now();
  if (!existsSync(join(DIST, 'cli', 'main.js'))) {
    log('dist/ is missing: run `npm run build` first (npm run bench does).');
    return;
  }
  benchRoot = realpathSync(mkdtempSync(join(tmpdir(), 'csep-bench-')));
  HOME = join(benchRoot, 'home');
  mkdirSync(HOME, { recursive: true });
  baseEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: benchRoot,
    NO_COLOR: '1',
    CODEX_HOME: join(benchRoot, 'codex-home'),
    CODEX_SELF_EVOLUTION_HOME: HOME,
    CODEX_SELF_EVOLUTION_REVIEWER_PROVIDER: 'dummy',
  };
  rssReporter = join(benchRoot, 'rss-reporter.mjs');
  writeFileSync(
    rssReporter,
    "import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => { try { writeFileSync(process.env.BENCH_RSS_FILE, String(process.resourceUsage().maxRSS)); } catch {} });\n",
  );
  const cleanup = () => {
    for (const pid of benchProcesses()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone.
      }
    }
    if (!KEEP) rmSync(benchRoot, { recursive: true, force: true });
  };
  process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  const budgets = JSON.parse(readFileSync(join(ROOT, 'bench', 'budgets.json'), 'utf8'));
  const load0 = loadavg();
  const results = [];
  let imports;
  let floor;
  try {
    await loadDist();
    log(
      `bench root ${benchRoot}; memory via ${TIME_BIN ? '/usr/bin/time -f %M' : 'process.resourceUsage() reporter'}${QUICK ? '; --quick' : ''}`,
    );
    if (!IMPORTS_ONLY) {
      floor = measureFloor();
      log(`floor: node -e 0 median ${floor.median_ms} ms`);
      for (const c of cases()) {
        if (ONLY && !ONLY.test(c.id)) continue;
        const t0 = performance.now();
        let result;
        try {
          c.setup?.();
          const setupS = (performance.now() - t0) / 1000;
          result = { ...(await measure(c)), setup_s: round(setupS) };
        } catch (error) {
          result = {
            id: c.id,
            group: c.group,
            ...(c.n ? { n: c.n } : {}),
            median_ms: null,
            error: String(error?.stack ?? error).slice(0, 500),
          };
        }
        Object.assign(result, judge(result, budgets));
        results.push(result);
        log(
          `${c.id}: median ${result.median_ms} ms, p95 ${result.p95_ms} ms, x${result.ratio_to_floor}, ${result.peak_rss_mb} MB (${round((performance.now() - t0) / 1000)} s)${result.error ? ` ERROR ${result.error}` : ''}${result.failures ? ` FAILED RUNS: ${result.failures[0]}` : ''}`,
        );
      }
    }
    if (!ONLY || IMPORTS_ONLY) {
      imports = measureImports();
      log(
        `imports measured: ${Object.entries(imports.paths)
          .map(([k, v]) => `${k} ${v.total_ms} ms`)
          .join(', ')}`,
      );
    }
  } finally {
    cleanup();
  }
  const grow = floor ? growth(results, budgets, floor.median_ms) : [];
  const report = {
    schema: 1,
    generated_at: new Date().toISOString(),
    ...gitInfo(),
    machine: {
      node: process.version,
      platform: `${platform()} ${release()}`,
      arch: arch(),
      cpus: cpus().length,
      cpu_model: cpus()[0]?.model ?? null,
      total_mem_gb: round(totalmem() / 2 ** 30),
      loadavg_start: load0.map((x) => round(x, 2)),
      loadavg_end: loadavg().map((x) => round(x, 2)),
    },
    options: {
      quick: QUICK,
      reps: Object.fromEntries(Object.keys(REPS).map((k) => [k, reps(k)])),
      memory_via: TIME_BIN ? '/usr/bin/time -f %M' : 'process.resourceUsage().maxRSS via --import',
    },
    floor,
    cases: results,
    growth: grow,
    ...(imports ? { imports } : {}),
    duration_s: round((performance.now() - started) / 1000),
  };
  if (floor) {
    process.stdout.write(`\n${table(floor, results, grow)}\n\n`);
    const over = results
      .filter(
        (r) => r.error || r.status?.time === 'over' || r.status?.memory === 'over' || r.status?.correctness,
      )
      .map((r) => r.id);
    const overGrowth = grow.filter((g) => g.status === 'over').map((g) => `${g.series} ${g.from}->${g.to}`);
    process.stdout.write(
      `${over.length + overGrowth.length === 0 ? 'every figure within budget' : `over budget or failing: ${[...over, ...overGrowth].join(', ')} (see docs/performance.md)`}; load average ${report.machine.loadavg_start.join(' ')} -> ${report.machine.loadavg_end.join(' ')}; ${report.duration_s} s\n`,
    );
  }
  if (imports) {
    for (const [name, v] of Object.entries(imports.paths)) {
      process.stdout.write(
        `imports on the ${name} path: ${v.modules} modules (${v.own_modules} of ours and packages), ${v.total_ms} ms; zod/commander/undici/execa: ${v.heavy_packages.length ? v.heavy_packages.join(', ') : 'none'}\n`,
      );
    }
    process.stdout.write(
      `package import costs (ms): ${Object.entries(imports.packages)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}\n`,
    );
  }
  if (option('--out')) writeFileSync(option('--out'), `${JSON.stringify(report, null, 2)}\n`);
  if (WRITE && floor) {
    writeFileSync(join(ROOT, 'bench', 'results.json'), `${JSON.stringify(report, null, 2)}\n`);
    log('wrote bench/results.json');
  } else if (!WRITE) {
    log('bench/results.json not written (--quick, --only or --no-write)');
  }
}

await main().catch((error) => {
  // Reports, never fails: the error is printed, the exit code stays 0.
  log(`bench aborted: ${error?.stack ?? error}`);
});
