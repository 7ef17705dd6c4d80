/**
 * End-to-end: `compile --backend agent:opencode` of the built CLI against the REAL opencode binary
 * (opencode-ai 1.18.33, a dev dependency), offline: opencode gets its own HOME and XDG dirs and a
 * provider pointing at a fake model on 127.0.0.1 (test/helpers/fake-chat-model.ts) that answers
 * well, in a fence, after a tool call, with garbage, HTTP 500, a dropped socket, never, or with
 * an answer that omits sections or deletes too much. Each case checks the resulting assets and
 * the receipt (backend, fallback_backend, discard reasons).
 *
 * The cases are independent and run concurrently: the dropped-socket case alone takes about a
 * minute (opencode retries six times before it reports the error).
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { joinParts } from '../../src/core/compiler/backends/opencode/payload.js';
import { ensureRuntimeDirs, resolveStatePaths, type StatePaths } from '../../src/core/paths.js';
import { countQueue, enqueueReviewedTurn } from '../../src/core/queue/queue.js';
import type { Suggestion } from '../../src/core/schemas.js';
import {
  requestText,
  startFakeChatModel,
  type FakeChatModel,
  type FakeTurn,
} from '../helpers/fake-chat-model.js';
import { FAKE_MODEL, OPENCODE_BIN, opencodeSandbox } from '../helpers/opencode-sandbox.js';
import { ensureBuilt } from '../helpers/built.js';
import { runCliAsync } from '../helpers/run-cli.js';

let ROOT = '';
const servers: FakeChatModel[] = [];

beforeAll(() => {
  // The suite spawns dist/: make sure it is built from the current sources.
  ensureBuilt();
  ROOT = realpathSync(mkdtempSync(join(tmpdir(), 'csep-e2e-opencode-')));
}, 180_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  if (ROOT) rmSync(ROOT, { recursive: true, force: true });
});

/** A secret planted in a suggestion: the payload must carry it redacted. */
const PLANTED = `ghp_${'A1b2C3d4E5'.repeat(3)}abcdef`;

const EXISTING = {
  user: [
    {
      scope: 'user',
      summary: 'Language',
      content: 'Answer in English.',
      source_paths: [],
      confidence: 1,
      provenance: [{ thread_id: 'old', turn_id: 'o1' }],
    },
  ],
  global: [
    {
      scope: 'global',
      summary: 'Build',
      content: 'Run npm run build before the e2e tests.',
      source_paths: [],
      confidence: 1,
      provenance: [{ thread_id: 'old', turn_id: 'o2' }],
      custom_field: 'kept',
    },
    {
      scope: 'global',
      summary: 'Tests',
      content: 'Unit tests live in test/unit and use vitest.',
      source_paths: [],
      confidence: 1,
      provenance: [],
    },
    {
      scope: 'global',
      summary: 'Lint',
      content: 'There is no linter; tsc --noEmit is the check.',
      source_paths: [],
      confidence: 1,
      provenance: [],
    },
  ],
};

const SUGGESTIONS: Suggestion[] = [
  {
    family: 'memory_updates',
    summary: 'Package manager',
    details: { action: 'add', scope: 'global', content: 'Use pnpm for installs, not npm.' },
    confidence: 0.9,
  },
  {
    family: 'recall_candidate',
    summary: 'Flaky e2e',
    details: {
      content: `The compile e2e is flaky when two builds run at once (seen with token ${PLANTED}); rerun it alone.`,
      source_paths: ['test/e2e/compile.test.ts'],
    },
    confidence: 1,
  },
];

/** The agent's good answer (merges, rewords, deletes `Lint` with a reason, cites the batch). */
function goodAnswer(suggestionId: string): Record<string, unknown> {
  return {
    memory_records: {
      global: [
        { summary: 'Build', content: 'Run npm run build before the e2e tests.' },
        { summary: 'Tests', content: 'Unit tests live in test/unit and use vitest.' },
        {
          summary: 'Package manager',
          content: 'Always install with pnpm; npm is not used here.',
          confidence: 0.9,
          suggestion_ids: [suggestionId],
        },
      ],
    },
    recall_records: [
      {
        summary: 'Flaky compile e2e',
        content: 'Two concurrent builds make the compile e2e flaky: run it alone.',
        source_paths: ['test/e2e/compile.test.ts'],
        suggestion_id: suggestionId,
      },
    ],
    compiled_skills: [],
    manifest_entries: [{ skill_id: 'ignored', note: 'the manifest is rebuilt by the compiler' }],
    discarded_items: [
      { scope: 'global', summary: 'Lint', reason: 'covered by the build, which type-checks' },
    ],
  };
}

interface World {
  dir: string;
  home: string;
  repo: string;
  paths: StatePaths;
  env: Record<string, string>;
  fake: FakeChatModel;
  suggestionId: string;
  /** Where the wrapper (when used) records its argv, env, cwd and pid. */
  wrapLog: string;
}

let counter = 0;

async function world(
  respond: (body: Record<string, unknown>, n: number) => FakeTurn,
  options: { config?: string; suggestions?: Suggestion[][] } = {},
): Promise<World> {
  const dir = join(ROOT, `case-${++counter}`);
  const home = join(dir, 'home');
  const repo = join(dir, 'repo');
  mkdirSync(join(repo, '.git'), { recursive: true });
  const fake = await startFakeChatModel(respond);
  servers.push(fake);
  const paths = resolveStatePaths({ cwd: repo, home });
  ensureRuntimeDirs(paths);
  writeFileSync(paths.memoryJson, `${JSON.stringify(EXISTING, null, 2)}\n`);
  let suggestionId = '';
  (options.suggestions ?? [SUGGESTIONS]).forEach((suggestions, i) => {
    const queued = enqueueReviewedTurn(paths, {
      threadId: 'thread-1',
      turnId: `turn-${i + 1}`,
      cwd: repo,
      suggestions,
      reviewerProvider: 'dummy',
      timestamp: `2026-11-01T00:00:${String(i % 60).padStart(2, '0')}Z`,
    });
    suggestionId ||= queued.suggestionId;
  });
  writeFileSync(join(home, 'config.toml'), options.config ?? '');
  // A reviewer key in .env.provider: the CLI loads it, opencode must not see it.
  writeFileSync(join(home, '.env.provider'), 'MINIMAX_API_KEY=mm-reviewer-secret-value-123\n');
  const wrapLog = join(dir, 'wrap');
  mkdirSync(wrapLog);
  const env = {
    ...opencodeSandbox(dir, fake.baseURL),
    CODEX_SELF_EVOLUTION_HOME: home,
    CODEX_SELF_EVOLUTION_OPENCODE_COMMAND: OPENCODE_BIN,
    CODEX_SELF_EVOLUTION_OPENCODE_MODEL: FAKE_MODEL,
  };
  return { dir, home, repo, paths, env, fake, suggestionId, wrapLog };
}

/** A stand-in `opencode` that records how it was started, then execs the real binary. */
function wrapper(w: World): string {
  const bin = join(w.dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const file = join(bin, 'opencode');
  writeFileSync(
    file,
    `#!/bin/sh\necho $$ > '${w.wrapLog}/pid'\npwd > '${w.wrapLog}/cwd'\nenv > '${w.wrapLog}/env'\nprintf '%s\\n---\\n' "$@" > '${w.wrapLog}/argv'\nexec '${OPENCODE_BIN}' "$@"\n`,
  );
  chmodSync(file, 0o755);
  return bin;
}

async function compile(w: World, env: Record<string, string> = {}) {
  const result = await runCliAsync(
    ['compile', '--once', '--backend', 'agent:opencode', '--repo-root', w.repo],
    { env: { ...w.env, ...env }, timeoutMs: 150_000 },
  );
  let out: Record<string, unknown>;
  try {
    out = JSON.parse(result.stdout) as Record<string, unknown>;
  } catch {
    throw new Error(`compile printed no JSON (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
  return { ...result, out };
}

type Item = Record<string, unknown> & { kind: string; state: string; reason?: string; detail?: string };

function receipt(w: World): Record<string, unknown> & { item_receipts: Item[] } {
  return JSON.parse(readFileSync(w.paths.lastReceipt, 'utf8')) as Record<string, unknown> & {
    item_receipts: Item[];
  };
}

function memory(w: World): { user: Array<Record<string, unknown>>; global: Array<Record<string, unknown>> } {
  return JSON.parse(readFileSync(w.paths.memoryJson, 'utf8')) as {
    user: Array<Record<string, unknown>>;
    global: Array<Record<string, unknown>>;
  };
}

function recallContents(w: World): string[] {
  return (
    JSON.parse(readFileSync(w.paths.recallIndex, 'utf8')) as { records: Array<{ content: string }> }
  ).records.map((r) => r.content);
}

function backendItem(w: World): Item | undefined {
  return receipt(w).item_receipts.find((i) => i.kind === 'backend' && i.state === 'discarded');
}

/** The script backend's result on the seeded batch (what every fallback must produce). */
function expectScriptResult(w: World): void {
  expect(memory(w).global.map((r) => r.content)).toEqual([
    ...EXISTING.global.map((r) => r.content),
    'Use pnpm for installs, not npm.',
  ]);
  expect(memory(w).user.map((r) => r.content)).toEqual(['Answer in English.']);
  expect(recallContents(w)).toHaveLength(1);
  expect(countQueue(w.paths)).toMatchObject({ pending: 0, processing: 0, done: 1 });
}

async function expectFallback(w: World, reason: string, detail: RegExp): Promise<void> {
  const { out, status } = await compile(w);
  expect(status).toBe(0);
  expect(out).toMatchObject({
    status: 'success',
    backend: 'agent:opencode',
    fallback_backend: 'script',
    processed_count: 1,
  });
  expect(receipt(w)).toMatchObject({
    run_status: 'success',
    backend: 'agent:opencode',
    fallback_backend: 'script',
  });
  const item = backendItem(w);
  expect(item).toMatchObject({ state: 'discarded', reason, backend: 'agent:opencode' });
  expect(item?.detail).toMatch(detail);
  expectScriptResult(w);
}

/** The payload the model received: the read-tool attachment turned back into the file's JSON. */
function attachedPayload(body: Record<string, unknown> | null): {
  text: string;
  value: unknown;
  raw: string;
} {
  const raw = requestText(body);
  const start = raw.indexOf('<content>\n', raw.indexOf('compile-payload.json</path>'));
  const end = raw.indexOf('\n</content>', start);
  const lines = raw.slice(start + '<content>\n'.length, end).split('\n');
  const fileLines: string[] = [];
  for (const line of lines) {
    const m = /^(\d+): (.*)$/.exec(line);
    if (m) fileLines.push(m[2]!);
  }
  const text = `${fileLines.join('\n')}\n`;
  return { text, value: joinParts(JSON.parse(text)), raw: raw.slice(start, end) };
}

describe.concurrent('compile --backend agent:opencode (real opencode, fake model)', () => {
  it('a dropped connection: opencode gives up after its retries, the batch is compiled by script', async () => {
    const w = await world(() => ({ drop: true }));
    await expectFallback(
      w,
      'agent_invoke_failed',
      /opencode error event: .*(socket connection was closed|Cannot connect)/,
    );
  }, 170_000);

  it('HTTP 500: the error event is reported and the script backend applies the batch', async () => {
    const w = await world(() => ({ status: 500, headers: { 'retry-after-ms': '20' } }));
    await expectFallback(w, 'agent_invoke_failed', /HTTP 500/);
    expect(w.fake.requests.filter((r) => r.kind === 'chat').length).toBeGreaterThan(1);
  }, 170_000);

  it('a model that never answers: our timeout kills the process tree and the batch is applied through script', async () => {
    const w = await world(() => ({ hang: true }), { config: '[compile.opencode]\ntimeout_seconds = 8\n' });
    // Default command `opencode`, found on PATH (a wrapper that records its pid).
    const bin = wrapper(w);
    const env = { ...w.env, PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}` };
    delete (env as Record<string, string | undefined>).CODEX_SELF_EVOLUTION_OPENCODE_COMMAND;
    const { out, status } = await runCliAsync(
      ['compile', '--once', '--backend', 'agent:opencode', '--repo-root', w.repo],
      { env, timeoutMs: 120_000 },
    ).then((r) => ({ ...r, out: JSON.parse(r.stdout) as Record<string, unknown> }));
    expect(status).toBe(0);
    expect(out).toMatchObject({ status: 'success', backend: 'agent:opencode', fallback_backend: 'script' });
    expect(backendItem(w)).toMatchObject({
      reason: 'agent_invoke_failed',
      detail: expect.stringMatching(/timed out after 8 s/),
    });
    expectScriptResult(w);
    const pid = Number(readFileSync(join(w.wrapLog, 'pid'), 'utf8'));
    expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
  }, 170_000);

  it('a good answer is merged into the existing assets (reworded, one reasoned deletion, nothing wiped)', async () => {
    let sid = '';
    const w = await world(() => ({ text: JSON.stringify(goodAnswer(sid)) }));
    sid = w.suggestionId;
    const bin = wrapper(w);
    const { out, status } = await compile(w, {
      CODEX_SELF_EVOLUTION_OPENCODE_COMMAND: join(bin, 'opencode'),
    });
    expect(status).toBe(0);
    expect(out).toMatchObject({ status: 'success', backend: 'agent:opencode', fallback_backend: null });
    const mem = memory(w);
    expect(mem.global.map((r) => r.content)).toEqual([
      'Run npm run build before the e2e tests.',
      'Unit tests live in test/unit and use vitest.',
      'Always install with pnpm; npm is not used here.',
    ]);
    expect(mem.global[0]).toMatchObject({
      custom_field: 'kept',
      provenance: [{ thread_id: 'old', turn_id: 'o2' }],
    });
    expect(mem.global[2]!.provenance).toEqual([
      expect.objectContaining({ thread_id: 'thread-1', turn_id: 'turn-1', suggestion_id: sid }),
    ]);
    expect(mem.user.map((r) => r.content)).toEqual(['Answer in English.']);
    expect(readFileSync(w.paths.memoryMd, 'utf8')).toContain('Always install with pnpm');
    expect(recallContents(w)).toEqual(['Two concurrent builds make the compile e2e flaky: run it alone.']);
    const r = receipt(w);
    expect(r).toMatchObject({ backend: 'agent:opencode', fallback_backend: null, run_status: 'success' });
    expect(r.item_receipts.find((i) => i.reason === 'agent_removed')).toMatchObject({
      kind: 'eviction',
      content: 'There is no linter; tsc --noEmit is the check.',
      detail: 'covered by the build, which type-checks',
    });
    expect(r.item_receipts.filter((i) => i.kind === 'suggestion').map((i) => i.reason)).toEqual([
      'agent_merged',
      'agent_merged',
    ]);
    expect(backendItem(w)).toBeUndefined();
    // How opencode was started: payload file and prompt passed after the configured prefix, in a
    // temp directory, without our reviewer key, marked as our worker.
    const argv = readFileSync(join(w.wrapLog, 'argv'), 'utf8').split('\n---\n');
    expect(argv.slice(0, 4)).toEqual(['run', '--format', 'json', '--file']);
    expect(argv[4]).toMatch(/csep-compile-[^/]+\/compile-payload\.json$/);
    expect(argv).toEqual(
      expect.arrayContaining(['--dangerously-skip-permissions', '--model', FAKE_MODEL, '--']),
    );
    expect(argv[argv.indexOf('--') + 1]).toMatch(/^You are the memory compiler/);
    const cwd = readFileSync(join(w.wrapLog, 'cwd'), 'utf8').trim();
    expect(cwd).toMatch(/csep-compile-/);
    expect(existsSync(cwd)).toBe(false); // removed after the run
    const env = readFileSync(join(w.wrapLog, 'env'), 'utf8');
    expect(env).not.toContain('mm-reviewer-secret-value-123');
    expect(env).not.toMatch(/^CODEX_SELF_EVOLUTION_HOME=/m);
    expect(env).toMatch(/^CODEX_SELF_EVOLUTION_WORKER=1$/m);
    // The model saw the batch, redacted.
    const seen = requestText(w.fake.requests.find((q) => q.kind === 'chat')!.body);
    expect(seen).toContain('Use pnpm for installs, not npm.');
    expect(seen).not.toContain(PLANTED);
    expect(seen).toContain('[REDACTED:github_token]');
  }, 170_000);

  it('an answer in a fence with prose around it', async () => {
    const w = await world(() => ({
      text: `Here is the merged result:\n\n\`\`\`json\n${JSON.stringify(goodAnswer(''), null, 2)}\n\`\`\`\n\nLet me know if {anything} else is needed.`,
    }));
    const { out } = await compile(w);
    expect(out).toMatchObject({ status: 'success', backend: 'agent:opencode', fallback_backend: null });
    expect(memory(w).global.map((r) => r.content)).toContain(
      'Always install with pnpm; npm is not used here.',
    );
    expect(backendItem(w)).toBeUndefined();
  }, 170_000);

  it('tool calls then an answer: a read outside the working directory is refused, paging through the payload works', async () => {
    let secretFile = '';
    const w = await world((body, n) => {
      if (n === 0) return { tools: [{ name: 'read', arguments: { filePath: secretFile } }] };
      if (n === 1) {
        const path =
          /"filePath":"([^"]+compile-payload\.json)"/.exec(requestText(body))?.[1] ?? 'compile-payload.json';
        return { tools: [{ name: 'read', arguments: { filePath: path, offset: 3, limit: 4 } }] };
      }
      return {
        text: JSON.stringify({
          recall_records: [
            { summary: 'Paged read', content: 'The agent read the payload in pages before answering.' },
          ],
        }),
      };
    });
    secretFile = join(w.dir, 'outside-secret.txt');
    writeFileSync(secretFile, 'OUTSIDE-FILE-CONTENT-7f3a\n');
    const { out } = await compile(w);
    expect(out).toMatchObject({ status: 'success', backend: 'agent:opencode', fallback_backend: null });
    const chats = w.fake.requests.filter((r) => r.kind === 'chat');
    expect(chats).toHaveLength(3);
    // Only the read tool is offered to the model.
    expect(
      (chats[0]!.body!.tools as Array<{ function: { name: string } }>).map((t) => t.function.name),
    ).toEqual(['read']);
    const toolText = (i: number) =>
      JSON.stringify(
        (chats[i]!.body!.messages as Array<{ role: string; content: unknown }>)
          .filter((m) => m.role === 'tool')
          .at(-1)?.content,
      );
    expect(toolText(1)).toMatch(/rule which prevents you/);
    expect(JSON.stringify(chats.map((c) => c.body))).not.toContain('OUTSIDE-FILE-CONTENT-7f3a');
    expect(toolText(2)).toContain('3: ');
    expect(recallContents(w)).toEqual(['The agent read the payload in pages before answering.']);
    // Omitted memory section: memory is exactly as it was.
    expect(memory(w)).toEqual(EXISTING);
  }, 170_000);

  it('an answer that omits sections changes only what it lists (nothing is wiped)', async () => {
    const w = await world(() => ({
      text: JSON.stringify({
        memory_records: { user: null },
        compiled_skills: [],
        discarded_items: [{ suggestion_id: 'x', reason: 'unknown id is ignored' }],
      }),
    }));
    const { out } = await compile(w);
    expect(out).toMatchObject({ status: 'success', backend: 'agent:opencode', fallback_backend: null });
    expect(memory(w)).toEqual(EXISTING);
    expect(recallContents(w)).toEqual([]);
    expect(countQueue(w.paths)).toMatchObject({ pending: 0, done: 1 });
    expect(receipt(w).item_receipts.filter((i) => i.kind === 'eviction')).toEqual([]);
  }, 170_000);

  it('an answer that deletes most memory without reasons is rejected and falls back', async () => {
    const w = await world(() => ({ text: JSON.stringify({ memory_records: { user: [], global: [] } }) }));
    await expectFallback(w, 'agent_output_invalid', /would drop 1 of 1 user memory entries without a reason/);
  }, 170_000);

  it('garbage from the model: opencode reports a parse error, the batch is compiled by script', async () => {
    const w = await world(() => ({ garbage: true }));
    await expectFallback(w, 'agent_invoke_failed', /JSON parsing failed/);
  }, 170_000);

  it('prose without JSON is agent_output_invalid', async () => {
    const w = await world(() => ({ text: 'I merged everything, it all looks good to me!' }));
    await expectFallback(w, 'agent_output_invalid', /no JSON object/);
  }, 170_000);

  it('a payload near the attach limit reaches the model whole (long strings split, no line cut)', async () => {
    const long = `${'Long procedure step with details. '.repeat(150)}END-OF-LONG`;
    const batch: Suggestion[][] = [];
    for (let i = 0; i < 24; i++) {
      batch.push([
        {
          family: 'memory_updates',
          summary: `Fact ${i}`,
          details: {
            action: 'add',
            scope: 'global',
            content: `Fact number ${i}: ${'the quick brown fox jumps over the lazy dog; '.repeat(26)}`,
          },
          confidence: 0.8,
        },
      ]);
    }
    batch.push([
      { family: 'recall_candidate', summary: 'Long recall', details: { content: long }, confidence: 1 },
    ]);
    const w = await world(() => ({ text: '{"discarded_items": []}' }), { suggestions: batch });
    const { out } = await compile(w);
    expect(out).toMatchObject({
      status: 'success',
      backend: 'agent:opencode',
      fallback_backend: null,
      processed_count: 25,
    });
    const body = w.fake.requests.find((r) => r.kind === 'chat')!.body;
    const { text, value, raw } = attachedPayload(body);
    expect(raw).toMatch(/\(End of file - total \d+ lines\)/);
    expect(raw).not.toMatch(/Output capped|line truncated|Use offset=/);
    const size = Buffer.byteLength(text);
    expect(size).toBeGreaterThan(40_000);
    expect(size).toBeLessThanOrEqual(48_000);
    const payload = value as { batch: Array<{ suggestions: Array<{ details: { content: string } }> }> };
    expect(payload.batch).toHaveLength(25);
    expect(payload.batch.map((e) => e.suggestions[0]!.details.content)).toEqual(
      batch.map((s) => s[0]!.details.content),
    );
    expect(Math.max(...text.split('\n').map((l) => l.length))).toBeLessThanOrEqual(1800);
  }, 170_000);

  it('allow_fallback = false: the failure is an error and the batch goes back to the queue', async () => {
    const w = await world(() => ({ garbage: true }), { config: '[compile]\nallow_fallback = false\n' });
    const before = readFileSync(w.paths.memoryJson, 'utf8');
    const { out, status } = await compile(w);
    expect(status).toBe(1);
    expect(out).toMatchObject({ status: 'failed', processed_count: 0, failed_count: 1 });
    expect(String(out.error)).toMatch(/agent:opencode failed \(agent_invoke_failed\)/);
    expect(countQueue(w.paths)).toMatchObject({ pending: 1, processing: 0, done: 0 });
    expect(readFileSync(w.paths.memoryJson, 'utf8')).toBe(before);
    const pending = JSON.parse(
      readFileSync(join(w.paths.queue.pending, `${w.suggestionId}.json`), 'utf8'),
    ) as { attempt_count: number };
    expect(pending.attempt_count).toBe(1);
  }, 170_000);

  it('opencode missing: an error before any claim without fallback, else opencode_unavailable and script', async () => {
    const w = await world(() => ({ text: '{}' }), { config: '[compile]\nallow_fallback = false\n' });
    const env = { ...w.env, CODEX_SELF_EVOLUTION_OPENCODE_COMMAND: join(w.dir, 'no-such-opencode') };
    const strict = await runCliAsync(
      ['compile', '--once', '--backend', 'agent:opencode', '--repo-root', w.repo],
      { env, timeoutMs: 60_000 },
    );
    expect(strict.status).toBe(1);
    expect(strict.stderr).toMatch(/opencode not found/);
    const pending = JSON.parse(
      readFileSync(join(w.paths.queue.pending, `${w.suggestionId}.json`), 'utf8'),
    ) as { attempt_count: number };
    expect(pending.attempt_count).toBe(0);
    writeFileSync(join(w.home, 'config.toml'), '');
    const lenient = await runCliAsync(
      ['compile', '--once', '--backend', 'agent:opencode', '--repo-root', w.repo],
      { env, timeoutMs: 60_000 },
    );
    expect(lenient.status).toBe(0);
    expect(JSON.parse(lenient.stdout)).toMatchObject({
      status: 'success',
      backend: 'agent:opencode',
      fallback_backend: 'script',
    });
    expect(backendItem(w)).toMatchObject({
      reason: 'opencode_unavailable',
      detail: expect.stringMatching(/opencode not found/),
    });
    expectScriptResult(w);
    expect(w.fake.requests).toEqual([]);
  }, 170_000);
});
