/**
 * Test helpers for the agent-CLI reviewers: an offline Codex home (the config the copied Codex
 * harness writes), the copied harness fake servers run as child processes, a server that never
 * answers, and waiting on the detached review worker.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect, onTestFinished } from 'vitest';
import { resolveStatePaths, type StatePaths } from '../../src/core/paths.js';
import type { SpoolEntry } from '../../src/core/spool/spool.js';
import { REPO_ROOT, runCliAsync } from './run-cli.js';

export const NODE_BIN = join(REPO_ROOT, 'node_modules', '.bin');
export const CODEX_BIN = join(NODE_BIN, 'codex');
export const CLAUDE_BIN = join(NODE_BIN, 'claude');
export const HARNESS = join(REPO_ROOT, 'test', 'harness');

/**
 * `<codexHome>/config.toml` for a fake Responses API at `baseURL` (as run-codex-e2e.sh writes
 * it: no plugins, analytics or telemetry, so nothing but 127.0.0.1 is contacted).
 */
export function writeCodexConfig(codexHome: string, baseURL: string): void {
  mkdirSync(codexHome, { recursive: true });
  writeFileSync(
    join(codexHome, 'config.toml'),
    `model = "fake-model"
model_provider = "fake"
approval_policy = "never"
sandbox_mode = "read-only"
check_for_update_on_startup = false

[features]
plugins = false

[analytics]
enabled = false

[feedback]
enabled = false

[otel]
exporter = "none"
trace_exporter = "none"
metrics_exporter = "none"

[model_providers.fake]
name = "fake"
base_url = "${baseURL}"
wire_api = "responses"
request_max_retries = 0
stream_max_retries = 0
`,
  );
}

/** A harness fake server started as a child process (killed by its PID when the test ends). */
export interface HarnessServer {
  port: number;
  logDir: string;
  /** Bodies of the POSTs the server logged (`request-<n>.json`), in order. */
  requests(): Array<Record<string, unknown>>;
}

/** Starts `test/harness/<script>` with `--log-dir` and `args`, and waits for its port file. */
export async function startHarnessServer(
  script: string,
  logDir: string,
  args: string[] = [],
): Promise<HarnessServer> {
  mkdirSync(logDir, { recursive: true });
  const child = spawn(
    process.execPath,
    [join(HARNESS, script), '--log-dir', logDir, '--port', '0', ...args],
    { stdio: 'ignore' },
  );
  onTestFinished(() => {
    if (child.exitCode === null) child.kill('SIGTERM');
  });
  const portFile = join(logDir, 'port');
  for (let i = 0; i < 200 && !(existsSync(portFile) && readFileSync(portFile, 'utf8').trim() !== ''); i++)
    await sleep(25);
  const port = Number(readFileSync(portFile, 'utf8').trim());
  return {
    port,
    logDir,
    requests: () =>
      readdirSync(logDir)
        .filter((n) => /^request-\d+\.json$/.test(n))
        .sort((a, b) => parseInt(a.slice(8), 10) - parseInt(b.slice(8), 10))
        .map((n) => JSON.parse(readFileSync(join(logDir, n), 'utf8')) as Record<string, unknown>),
  };
}

/** A TCP server on 127.0.0.1 that accepts connections and never answers (a hung model). */
export async function startSilentServer(): Promise<{
  port: number;
  connections: () => number;
  open: () => number;
}> {
  const sockets = new Set<Socket>();
  let count = 0;
  const server = createServer((socket) => {
    count++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    // Read (and drop) what arrives, so the end of the connection is seen when the client dies.
    socket.resume();
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    connections: () => count,
    open: () => sockets.size,
  };
}

/** Waits (bounded) until `done()` holds: the review worker runs detached from the hook. */
export async function waitFor(what: string, done: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** JSON files of a directory (none when it does not exist). */
export const jsonFiles = (dir: string): string[] =>
  existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.json')) : [];

/** Every file below `dir`, recursively (relative paths). */
export function walk(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name), join(prefix, e.name)) : [join(prefix, e.name)],
  );
}

/**
 * Sends a Codex Stop payload for the fixture rollout `fix-db-connection.jsonl` (a turn with
 * tool use, so never skipped as small talk); the detached worker then reviews it.
 */
export async function stopHookFixture(
  env: Record<string, string>,
  repo: string,
  home: string,
): Promise<StatePaths> {
  const rollout = join(REPO_ROOT, 'test', 'fixtures', 'rollouts', 'fix-db-connection.jsonl');
  const payload = {
    session_id: '01a2161a-0019-7000-8000-00000e0a1018',
    turn_id: '01a2161a-0001-7000-8000-00000e0a1018',
    transcript_path: rollout,
    cwd: repo,
    hook_event_name: 'Stop',
    model: 'fake-model',
    permission_mode: 'bypassPermissions',
    stop_hook_active: false,
    last_assistant_message: 'The database container was not running.',
  };
  const result = await runCliAsync(['stop-review', '--from-stdin'], {
    env,
    cwd: repo,
    input: JSON.stringify(payload),
  });
  expect(result.status, result.stderr).toBe(0);
  expect(result.stdout.trim()).toBe('{"continue":true}');
  return resolveStatePaths({ cwd: repo, home });
}

/** Waits until the worker has finished with the spool (the lock is gone). */
export async function workerDone(paths: StatePaths): Promise<void> {
  await waitFor('the worker to finish', () => !existsSync(join(paths.reviewDir, 'worker.lock')));
}

/** Waits until the spooled turn records a failure; checks nothing was queued; returns the entry. */
export async function failedEntry(paths: StatePaths): Promise<SpoolEntry> {
  let entry: SpoolEntry | undefined;
  await waitFor('the review to fail and be recorded', () => {
    const [file] = jsonFiles(paths.spoolDir);
    if (!file) return false;
    entry = JSON.parse(readFileSync(join(paths.spoolDir, file), 'utf8')) as SpoolEntry;
    return entry.last_error !== null;
  });
  await workerDone(paths);
  expect(jsonFiles(paths.queue.pending)).toEqual([]);
  return entry!;
}

/** Waits until the turn reached the queue and the worker is done; returns the envelope. */
export async function queuedEnvelope(
  paths: StatePaths,
): Promise<Record<string, unknown> & { suggestions: Array<Record<string, unknown>> }> {
  const spooled = () =>
    jsonFiles(paths.spoolDir)
      .map((n) => readFileSync(join(paths.spoolDir, n), 'utf8'))
      .join('\n');
  await waitFor(
    'the review to reach the queue',
    () => jsonFiles(paths.queue.pending).length > 0 && jsonFiles(paths.spoolDir).length === 0,
  ).catch((error: Error) => {
    throw new Error(`${error.message}; spool: ${spooled()}`);
  });
  await workerDone(paths);
  const [file] = jsonFiles(paths.queue.pending);
  return JSON.parse(readFileSync(join(paths.queue.pending, file!), 'utf8')) as Record<string, unknown> & {
    suggestions: Array<Record<string, unknown>>;
  };
}

/** A reviewer answer with one memory update (nulls where a strict schema puts them). */
export const REVIEW_ANSWER = JSON.stringify({
  memory_updates: [
    {
      summary: 'Start the db container before migrating',
      details: {
        action: 'add',
        scope: 'global',
        old_summary: null,
        content:
          'Run `docker compose up -d db` before `pnpm db:migrate`; ' +
          'migrations fail while the db container is down.',
        source_paths: [],
        evidence: { turn: 0, quote: 'docker compose up -d db' },
      },
      confidence: 0.9,
    },
  ],
  recall_candidate: [],
  skill_action: [],
});
