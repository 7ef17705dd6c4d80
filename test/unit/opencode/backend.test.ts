/**
 * The backend's wiring with a stand-in `opencode` (a small Node script): fallback, errors, abort,
 * the temp working directory. The real binary is exercised in test/e2e/opencode.test.ts.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  compileWithOpencode,
  loadOpencodeBackend,
  OpencodeBackendError,
  removeStaleWorkdirs,
  renderPrompt,
} from '../../../src/core/compiler/backends/opencode.js';
import { DEFAULT_MEMORY_CAPS, type BackendInput } from '../../../src/core/compiler/backends/types.js';
import { BackendUnavailableError, CompileAbortedError } from '../../../src/core/compiler/errors.js';
import { statePathsFor } from '../../../src/core/paths.js';
import type { Envelope } from '../../../src/core/schemas.js';
import { tempDir } from '../../helpers/tmp.js';

const ENVELOPE: Envelope = {
  schema_version: 1,
  suggestion_id: 'e1',
  idempotency_key: 'k',
  thread_id: 't',
  turn_id: 'u',
  cwd: '/repo',
  repo_fingerprint: 'fp',
  reviewer_timestamp: '2026-11-01T00:00:00Z',
  suggestions: [
    {
      family: 'memory_updates',
      summary: 'pnpm',
      details: { action: 'add', content: 'Use pnpm.' },
      confidence: 1,
    },
  ],
  source_authority: [],
  state: 'processing',
  attempt_count: 0,
  failure_reason: null,
  transition_log: [],
};

/**
 * Writes a fake opencode that records its argv and cwd and whether the payload file existed, then
 * prints `events` (NDJSON lines) and exits with `code`; `sleep` seconds first when given.
 */
function fakeOpencode(
  dir: string,
  behaviour: { events?: unknown[]; code?: number; sleep?: number },
): { bin: string; log: string } {
  const log = join(dir, 'log.json');
  const bin = join(dir, 'opencode');
  const events = (behaviour.events ?? []).map((e) => JSON.stringify(e)).join('\n');
  writeFileSync(
    bin,
    `#!/usr/bin/env node
const fs = require('node:fs');
const args = process.argv.slice(2);
const file = args[args.indexOf('--file') + 1];
fs.writeFileSync(${JSON.stringify(log)}, JSON.stringify({ args, cwd: process.cwd(), env: { OPENCODE_CONFIG_CONTENT: process.env.OPENCODE_CONFIG_CONTENT }, payload: fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null }));
setTimeout(() => { process.stdout.write(${JSON.stringify(events)} + '\\n'); process.exit(${behaviour.code ?? 0}); }, ${(behaviour.sleep ?? 0) * 1000});
`,
  );
  chmodSync(bin, 0o755);
  return { bin, log };
}

const text = (t: string) => ({ type: 'text', part: { id: 'p1', type: 'text', text: t } });

function input(dir: string): BackendInput {
  const paths = statePathsFor(join(dir, 'state'), {
    home: join(dir, 'home'),
    repoKey: '/repo',
    cwd: '/repo',
    explicit: true,
  });
  mkdirSync(paths.home, { recursive: true });
  return {
    envelopes: [ENVELOPE],
    context: {
      memory: { user: [], global: [] },
      recall: [],
      manifest: [],
      texts: new Map(),
      searchIndexFresh: false,
      memorySource: 'none',
      recallSource: 'none',
      manifestSource: 'none',
      problems: [],
    },
    paths,
    now: '2026-11-02T00:00:00Z',
    caps: DEFAULT_MEMORY_CAPS,
  };
}

describe('agent:opencode backend', () => {
  it('runs opencode in a temp dir with the payload and prompt, and uses its merged answer', async () => {
    const dir = tempDir();
    const { bin, log } = fakeOpencode(dir, {
      events: [
        text('```json\n{"memory_records":{"global":[{"summary":"PM","content":"Always pnpm."}]}}\n```'),
      ],
    });
    const out = await compileWithOpencode(input(dir), {
      allowFallback: true,
      opencode_command: [bin],
      opencode_model: 'p/m',
    });
    expect(out).toMatchObject({ backend: 'agent:opencode', fallback_backend: null });
    expect(out.memory.global.map((r) => r.content)).toEqual(['Always pnpm.']);
    const seen = JSON.parse(readFileSync(log, 'utf8')) as { args: string[]; cwd: string; payload: string };
    expect(seen.args.slice(0, 4)).toEqual(['run', '--format', 'json', '--file']);
    expect(seen.args).toEqual(expect.arrayContaining(['--model', 'p/m', '--dangerously-skip-permissions']));
    expect(seen.cwd).toMatch(/csep-compile-/);
    expect(existsSync(seen.cwd)).toBe(false);
    expect(JSON.parse(seen.payload)).toMatchObject({ schema_version: 1, batch: [{ suggestion_id: 'e1' }] });
    expect(seen.args.at(-1)).toContain(seen.args[4]!); // the prompt names the payload file
  });

  it('redacts secrets the agent copied into its answer, and restricts its tools unless told not to', async () => {
    const dir = tempDir();
    const secret = `ghp_${'Z9y8X7w6V5'.repeat(3)}abcdef`;
    const { bin, log } = fakeOpencode(dir, {
      events: [
        text(
          JSON.stringify({
            memory_records: { global: [{ summary: 'Token', content: `The token is ${secret}` }] },
          }),
        ),
      ],
    });
    const out = await compileWithOpencode(input(dir), { allowFallback: true, opencode_command: [bin] });
    expect(out.memory.global[0]!.content).toBe('The token is [REDACTED:github_token]');
    const seen = JSON.parse(readFileSync(log, 'utf8')) as { env: Record<string, string> };
    expect(JSON.parse(seen.env.OPENCODE_CONFIG_CONTENT!)).toEqual({
      tools: { '*': false, read: true },
      permission: { external_directory: 'deny' },
    });
    await compileWithOpencode(input(dir), {
      allowFallback: true,
      opencode_command: [bin],
      opencode_restrict_tools: false,
    });
    expect(
      (JSON.parse(readFileSync(log, 'utf8')) as { env: Record<string, string> }).env.OPENCODE_CONFIG_CONTENT,
    ).toBeUndefined();
  });

  it('falls back to script with the reason first in the items', async () => {
    const dir = tempDir();
    const { bin } = fakeOpencode(dir, {
      events: [{ type: 'error', error: { name: 'APIError', data: { message: 'boom', statusCode: 503 } } }],
      code: 1,
    });
    const out = await compileWithOpencode(input(dir), { allowFallback: true, opencode_command: [bin] });
    expect(out).toMatchObject({ backend: 'agent:opencode', fallback_backend: 'script' });
    expect(out.items[0]).toEqual({
      state: 'discarded',
      reason: 'agent_invoke_failed',
      backend: 'agent:opencode',
      detail: 'opencode error event: APIError: boom (HTTP 503)',
    });
    expect(out.memory.global.map((r) => r.content)).toEqual(['Use pnpm.']);
  });

  it('falls back on an invalid answer, or on a missing program', async () => {
    const dir = tempDir();
    const { bin } = fakeOpencode(dir, { events: [text('{"memory_records": {"global": "all of it"}}')] });
    const invalid = await compileWithOpencode(input(dir), { allowFallback: true, opencode_command: [bin] });
    expect(invalid.items[0]).toMatchObject({
      reason: 'agent_output_invalid',
      detail: expect.stringContaining('memory_records.global: must be a list'),
    });
    const missing = await compileWithOpencode(input(dir), {
      allowFallback: true,
      opencode_command: [join(dir, 'nope')],
    });
    expect(missing.items[0]).toMatchObject({
      reason: 'opencode_unavailable',
      detail: expect.stringContaining('opencode not found'),
    });
  });

  it('raises instead of falling back when fallback is disallowed', async () => {
    const dir = tempDir();
    const { bin } = fakeOpencode(dir, { events: [text('no json here')] });
    const error = await compileWithOpencode(input(dir), {
      allowFallback: false,
      opencode_command: [bin],
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpencodeBackendError);
    expect(error).toMatchObject({
      reason: 'agent_output_invalid',
      message: expect.stringMatching(
        /^agent:opencode failed \(agent_output_invalid\): answer holds no JSON object/,
      ),
    });
  });

  it('times out with our own timer', async () => {
    const dir = tempDir();
    const { bin } = fakeOpencode(dir, { events: [text('{}')], sleep: 30 });
    const out = await compileWithOpencode(input(dir), {
      allowFallback: true,
      opencode_command: [bin],
      timeoutMs: 1000,
      opencode_kill_grace_ms: 200,
    });
    expect(out.items[0]).toMatchObject({
      reason: 'agent_invoke_failed',
      detail: 'opencode timed out after 1 s and was killed',
    });
  });

  it('an interrupted compile kills the run and raises CompileAbortedError (no fallback)', async () => {
    const dir = tempDir();
    const { bin } = fakeOpencode(dir, { sleep: 30 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    await expect(
      compileWithOpencode(
        { ...input(dir), signal: controller.signal },
        { allowFallback: true, opencode_command: [bin] },
      ),
    ).rejects.toBeInstanceOf(CompileAbortedError);
  });

  it('refuses before any claim when opencode is missing and fallback is disallowed', async () => {
    const saved = process.env.CODEX_SELF_EVOLUTION_OPENCODE_COMMAND;
    process.env.CODEX_SELF_EVOLUTION_OPENCODE_COMMAND = '/nonexistent/opencode';
    try {
      await expect(loadOpencodeBackend({ allowFallback: false })).rejects.toBeInstanceOf(
        BackendUnavailableError,
      );
      await expect(loadOpencodeBackend({ allowFallback: true })).resolves.toMatchObject({
        name: 'agent:opencode',
        deterministic: false,
      });
    } finally {
      if (saved === undefined) delete process.env.CODEX_SELF_EVOLUTION_OPENCODE_COMMAND;
      else process.env.CODEX_SELF_EVOLUTION_OPENCODE_COMMAND = saved;
    }
  });

  it('tells the agent to read the rest of a payload that is not attached whole', () => {
    const whole = renderPrompt('/tmp/p.json', { text: '', bytes: 10, lines: 12, attachedWhole: true }, 0.3);
    expect(whole).toContain(
      'The file /tmp/p.json is a JSON document of 12 lines. It is attached above in full.',
    );
    expect(whole).toContain('more than 30% of a scope');
    const paged = renderPrompt(
      '/tmp/p.json',
      { text: '', bytes: 90_000, lines: 400, attachedWhole: false },
      0.3,
    );
    expect(paged).toContain('read the rest with your read tool');
    expect(paged).toContain('until you have seen line 400');
    expect(paged).not.toMatch(/\{\{/);
  });

  it('removes run directories a killed compile left behind, and only those', () => {
    const root = tempDir();
    const now = Date.now();
    for (const name of ['csep-compile-old', 'csep-compile-new', 'other-old']) {
      mkdirSync(join(root, name));
      writeFileSync(join(root, name, 'compile-payload.json'), '{}');
    }
    const old = (now - 3 * 3600 * 1000) / 1000;
    utimesSync(join(root, 'csep-compile-old'), old, old);
    utimesSync(join(root, 'other-old'), old, old);
    expect(removeStaleWorkdirs(root, now)).toBe(1);
    expect([
      existsSync(join(root, 'csep-compile-old')),
      existsSync(join(root, 'csep-compile-new')),
      existsSync(join(root, 'other-old')),
    ]).toEqual([false, true, true]);
  });
});
