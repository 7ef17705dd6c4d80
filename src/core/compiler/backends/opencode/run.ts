/**
 * Running `opencode run` as a child process, with the failure modes of opencode 1.18.33 in mind
 * (docs/opencode.md):
 *
 * - stdin is ignored: opencode reads a non-TTY stdin to EOF before doing anything, so an open
 *   pipe hangs it forever.
 * - Our own wall-clock timeout. opencode retries a failing provider for about 65 s and a model
 *   that accepts the connection and never answers stalls it for up to 30 minutes; neither emits
 *   anything meanwhile. The child leads its own process group (`detached`), and on timeout or
 *   abort the whole group gets SIGTERM, then SIGKILL after a grace period, so tools it started
 *   (a `bash` call) die with it. When opencode exits on its own, stragglers of its group are
 *   killed too (they would otherwise hold our stdout pipe open).
 * - The environment keeps the user's opencode configuration reachable (HOME, XDG dirs, provider
 *   variables) but drops what is ours: `CODEX_SELF_EVOLUTION_*` / `CSEP_*` settings and the
 *   variables `.env.provider` put in our environment (reviewer keys are not opencode's business).
 *   `CODEX_SELF_EVOLUTION_WORKER=1` marks the process tree so our hooks stay quiet if anything
 *   in it starts Codex.
 * - A read-only agent (`restrictedConfigContent`): the payload is untrusted text and the run
 *   skips permission prompts, so by default the agent is offered the read tool only and may not
 *   touch anything outside its temp working directory (opencode 1.18.33 honours `deny` rules even
 *   with `--dangerously-skip-permissions`). Merged into the user's `OPENCODE_CONFIG_CONTENT`.
 */
import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import { envProviderPath, parseEnvFile, WORKER_ENV } from '../../../env.js';

/** Cap of captured stdout/stderr; past it the run is stopped and counts as failed. */
export const MAX_OUTPUT_BYTES = 32 * 1024 * 1024;

/** What one run produced. */
export interface RunOutcome {
  exitCode: number | undefined;
  signal: string | undefined;
  stdout: string;
  stderr: string;
  /** Our wall-clock timeout fired (the process tree was killed). */
  timedOut: boolean;
  /** The caller's signal fired (the process tree was killed). */
  aborted: boolean;
  /** Output exceeded MAX_OUTPUT_BYTES. */
  outputTooLarge: boolean;
  /** The program could not be started (ENOENT, EACCES...). */
  spawnError: string | undefined;
  durationMs: number;
  pid: number | undefined;
}

export interface RunOptions {
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  killGraceMs: number;
  signal?: AbortSignal | undefined;
  /**
   * Text written to the child's stdin, which is then closed (agent-CLI reviewers read their
   * input there). Absent: stdin is ignored, as opencode needs.
   */
  input?: string | undefined;
}

/**
 * The environment of an opencode run (see the module comment). `home` is our home, where
 * `.env.provider` lives; a variable is dropped when that file set it (same value).
 */
export function opencodeEnv(base: NodeJS.ProcessEnv, home: string): Record<string, string> {
  let provider = new Map<string, string>();
  try {
    provider = parseEnvFile(readFileSync(envProviderPath(home), 'utf8'));
  } catch {
    // No .env.provider: nothing of ours was hydrated.
  }
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) {
    if (value === undefined) continue;
    if (key.startsWith('CODEX_SELF_EVOLUTION_') || key.startsWith('CSEP_')) continue;
    if (provider.get(key) === value) continue;
    env[key] = value;
  }
  env[WORKER_ENV] = '1';
  return env;
}

/**
 * `OPENCODE_CONFIG_CONTENT` for a read-only agent: every tool off but `read`, and
 * `external_directory` denied, merged over the user's inline config (an unparseable one, which
 * opencode would refuse anyway, is replaced).
 */
export function restrictedConfigContent(existing: string | undefined): string {
  let base: Record<string, unknown> = {};
  try {
    const parsed = existing === undefined ? {} : (JSON.parse(existing) as unknown);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed))
      base = parsed as Record<string, unknown>;
  } catch {
    base = {};
  }
  const object = (value: unknown): Record<string, unknown> =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  const permission = typeof base.permission === 'string' ? { '*': base.permission } : object(base.permission);
  return JSON.stringify({
    ...base,
    // Tools the user switched on by name are switched off again: a named entry beats the wildcard.
    tools: {
      ...Object.fromEntries(Object.keys(object(base.tools)).map((name) => [name, false])),
      '*': false,
      read: true,
    },
    permission: { ...permission, external_directory: 'deny' },
  });
}

/** Sends `signal` to the process group led by `pid`; a group that is gone is fine. */
function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: nothing left in the group.
  }
}

/** Runs `argv` (program first) and never throws for the child's own failures. */
export async function runProcess(argv: readonly string[], options: RunOptions): Promise<RunOutcome> {
  const [file, ...args] = argv;
  const started = performance.now();
  let timedOut = false;
  let aborted = false;
  const child = execa(file!, args, {
    cwd: options.cwd,
    env: options.env,
    extendEnv: false,
    ...(options.input === undefined ? { stdin: 'ignore' as const } : { input: options.input }),
    stdout: 'pipe',
    stderr: 'pipe',
    detached: true,
    reject: false,
    encoding: 'utf8',
    stripFinalNewline: false,
    maxBuffer: MAX_OUTPUT_BYTES,
    // Our own timer kills the whole group; execa's would only kill the leader.
    cleanup: true,
  });
  const pid = child.pid;
  let graceTimer: NodeJS.Timeout | undefined;
  const stop = () => {
    killGroup(pid, 'SIGTERM');
    graceTimer ??= setTimeout(() => killGroup(pid, 'SIGKILL'), options.killGraceMs);
  };
  const timer = setTimeout(() => {
    timedOut = true;
    stop();
  }, options.timeoutMs);
  const onAbort = () => {
    aborted = true;
    stop();
  };
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  // opencode is done: whatever it left running in its group goes too.
  child.once('exit', () => killGroup(pid, 'SIGKILL'));
  try {
    const result = await child;
    const spawnFailed =
      result.failed &&
      result.exitCode === undefined &&
      result.signal === undefined &&
      !result.isMaxBuffer &&
      !timedOut &&
      !aborted;
    return {
      exitCode: result.exitCode,
      signal: result.signal,
      stdout: typeof result.stdout === 'string' ? result.stdout : '',
      stderr: typeof result.stderr === 'string' ? result.stderr : '',
      timedOut,
      aborted,
      outputTooLarge: result.isMaxBuffer === true,
      spawnError: spawnFailed
        ? result.cause instanceof Error
          ? result.cause.message
          : result.shortMessage
        : undefined,
      durationMs: Math.round(performance.now() - started),
      pid,
    };
  } finally {
    clearTimeout(timer);
    if (graceTimer) clearTimeout(graceTimer);
    options.signal?.removeEventListener('abort', onAbort);
    killGroup(pid, 'SIGKILL');
  }
}
