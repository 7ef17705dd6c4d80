/**
 * The one way this package runs a child process and waits for it (execa underneath): a program and
 * its arguments, never a shell, so no argument is ever parsed as shell syntax. Every run returns a
 * typed {@link RunOutcome} and never throws for the child's own failures (it could not start, it
 * failed, it timed out, it printed too much); the caller decides what each means.
 *
 * `runProcess` (async) is the runner. The child leads its own process group (`detached`), and on
 * timeout or abort the whole group gets SIGTERM, then SIGKILL after a grace period, so what it
 * started (an agent's `bash` tool, a `sleep` in a script) dies with it; execa's own timeout would
 * only kill the leader. Output past the cap stops the group the same way. When the child exits on
 * its own, stragglers of its group are killed too: they would otherwise hold our stdout pipe open.
 *
 * `runSync` is for callers that are synchronous by nature (the git facts the compiler reads inside
 * synchronous loops, the scheduler's injected command runner, the stable copy made during
 * `install`). A synchronous call cannot watch a process group while it blocks, so its timeout kills
 * the child only (SIGTERM, as `spawnSync` does), and the child stays in our process group, so a
 * Ctrl-C reaches it too. It calls `spawnSync` itself (what execa's sync form wraps), and execa is
 * imported only when `runProcess` runs: importing execa costs ~75 ms, which `compile`, `scan`,
 * `status` and `install` paid on every start for a few `git` calls.
 *
 * Starting a detached worker without waiting for it is `spawnDetached` (./detached.ts), the one
 * exception to execa: see its comment. Nothing outside this folder imports `node:child_process` or
 * execa (an ESLint rule).
 */
import { spawnSync } from 'node:child_process';
import type { Options } from 'execa';

/** Default cap of captured stdout and of stderr; past it the run is stopped and `outputTooLarge`. */
export const MAX_OUTPUT_BYTES = 32 * 1024 * 1024;

/** Default wait between SIGTERM and SIGKILL of a process group. */
export const DEFAULT_KILL_GRACE_MS = 3000;

/** What one run produced. */
export interface RunOutcome {
  /** The exit code; undefined when a signal ended the child or it never started. */
  exitCode: number | undefined;
  /** The signal that ended the child (`SIGKILL`), or undefined. */
  signal: string | undefined;
  /** Captured stdout (utf8, final newline kept), at most the output cap. */
  stdout: string;
  /** Captured stderr, likewise. */
  stderr: string;
  /** The wall-clock timeout fired and the child was killed (its process group, for `runProcess`). */
  timedOut: boolean;
  /** The caller's abort signal fired and the process group was killed (`runProcess` only). */
  aborted: boolean;
  /** stdout or stderr exceeded the output cap; the child was stopped. */
  outputTooLarge: boolean;
  /** Why the program could not be started (`spawn x ENOENT`, `... EACCES`), else undefined. */
  spawnError: string | undefined;
  /** The error code of `spawnError` (`ENOENT`, `EACCES`), when Node gave one. */
  spawnErrorCode: string | undefined;
  /**
   * Node's own message for the error that kept the run from ending with an exit code or a signal
   * of ours: the start failure, or in `runSync` its timeout or output cap (`spawnSync npm
   * ETIMEDOUT`, `... ENOBUFS`). Callers that print such failures print this, as before.
   */
  systemError: string | undefined;
  durationMs: number;
  /** The child's pid (`runProcess` only). */
  pid: number | undefined;
}

/** Options of `runSync`; `runProcess` takes the same and a little more. */
export interface RunSyncOptions {
  /** Working directory (default: ours). */
  cwd?: string | undefined;
  /**
   * The child's whole environment; nothing is added to it (default: ours). Undefined values are
   * left out, so `{ ...process.env, X: '1' }` works.
   */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Wall-clock limit in milliseconds. */
  timeoutMs: number;
  /** Text written to the child's stdin, which is then closed. Absent: stdin is ignored. */
  input?: string | undefined;
  /** Cap of captured stdout and of stderr, each (default MAX_OUTPUT_BYTES). */
  maxOutputBytes?: number | undefined;
}

/** Options of `runProcess`. */
export interface RunOptions extends RunSyncOptions {
  /** Wait between the group's SIGTERM and its SIGKILL (default DEFAULT_KILL_GRACE_MS). */
  killGraceMs?: number | undefined;
  /** Aborting it kills the process group (then `aborted` is true). */
  signal?: AbortSignal | undefined;
}

/** The execa options of `runProcess`: no shell, our env only, text out, no rejection. */
function baseOptions(options: RunSyncOptions) {
  return {
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    env: options.env ?? process.env,
    extendEnv: false,
    shell: false,
    ...(options.input === undefined ? { stdin: 'ignore' as const } : { input: options.input }),
    stdout: 'pipe' as const,
    stderr: 'pipe' as const,
    reject: false,
    encoding: 'utf8' as const,
    stripFinalNewline: false,
    maxBuffer: options.maxOutputBytes ?? MAX_OUTPUT_BYTES,
  } satisfies Options;
}

/** The fields of an execa result this module reads (async and sync results share them). */
interface ExecaLike {
  failed: boolean;
  exitCode?: number | undefined;
  signal?: string | undefined;
  stdout: unknown;
  stderr: unknown;
  isMaxBuffer: boolean;
  cause?: unknown;
  shortMessage?: string | undefined;
}

/** The outcome of an execa result, given whether our timeout or the caller's abort ended it. */
function outcomeOf(
  result: ExecaLike,
  extra: { timedOut: boolean; aborted: boolean; started: number; pid: number | undefined },
): RunOutcome {
  const cause = result.cause instanceof Error ? (result.cause as NodeJS.ErrnoException) : undefined;
  const spawnFailed =
    result.failed &&
    result.exitCode === undefined &&
    result.signal === undefined &&
    !result.isMaxBuffer &&
    !extra.timedOut &&
    !extra.aborted;
  // A timeout of runSync and an output cap in either form carry Node's own error too.
  const systemError = cause?.code !== undefined ? cause.message : undefined;
  return {
    exitCode: result.exitCode,
    signal: result.signal,
    stdout: typeof result.stdout === 'string' ? result.stdout : '',
    stderr: typeof result.stderr === 'string' ? result.stderr : '',
    timedOut: extra.timedOut,
    aborted: extra.aborted,
    outputTooLarge: result.isMaxBuffer,
    spawnError: spawnFailed ? (cause ? cause.message : result.shortMessage) : undefined,
    spawnErrorCode: spawnFailed && typeof cause?.code === 'string' ? cause.code : undefined,
    systemError: spawnFailed ? (cause ? cause.message : result.shortMessage) : systemError,
    durationMs: Math.round(performance.now() - extra.started),
    pid: extra.pid,
  };
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

/**
 * Runs `argv` (program first) in its own process group, waits for it, and kills the whole group on
 * timeout or abort (SIGTERM, then SIGKILL after `killGraceMs`) and whatever is left of it once the
 * program exits. Never throws for the child's own failures.
 */
export async function runProcess(argv: readonly string[], options: RunOptions): Promise<RunOutcome> {
  const [file, ...args] = argv;
  const started = performance.now();
  let timedOut = false;
  let aborted = false;
  const { execa } = await import('execa');
  const child = execa(file!, args, {
    ...baseOptions(options),
    detached: true,
    // Our own timer kills the whole group; execa's would only kill the leader.
    cleanup: true,
  });
  const pid = child.pid;
  let graceTimer: NodeJS.Timeout | undefined;
  const stop = () => {
    killGroup(pid, 'SIGTERM');
    graceTimer ??= setTimeout(() => killGroup(pid, 'SIGKILL'), options.killGraceMs ?? DEFAULT_KILL_GRACE_MS);
  };
  const timer = setTimeout(() => {
    timedOut = true;
    stop();
  }, options.timeoutMs);
  // Past the cap execa stops reading but leaves the child running (until a write fails, if one
  // ever does): the group is stopped here, the way a timeout stops it.
  const cap = options.maxOutputBytes ?? MAX_OUTPUT_BYTES;
  let overflowed = false;
  for (const stream of [child.stdout, child.stderr]) {
    let bytes = 0;
    stream?.on('data', (chunk: Buffer | string) => {
      bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
      if (bytes > cap && !overflowed) {
        overflowed = true;
        stop();
      }
    });
  }
  const onAbort = () => {
    aborted = true;
    stop();
  };
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  // The program is done: whatever it left running in its group goes too.
  child.once('exit', () => killGroup(pid, 'SIGKILL'));
  try {
    const result = await child;
    const outcome = outcomeOf(result, { timedOut, aborted, started, pid });
    return overflowed ? { ...outcome, outputTooLarge: true } : outcome;
  } finally {
    clearTimeout(timer);
    if (graceTimer) clearTimeout(graceTimer);
    options.signal?.removeEventListener('abort', onAbort);
    killGroup(pid, 'SIGKILL');
  }
}

/**
 * Runs `argv` (program first) and blocks until it ends; on timeout the child gets SIGTERM (the
 * child only: see the module comment). Never throws for the child's own failures.
 */
export function runSync(argv: readonly string[], options: RunSyncOptions): RunOutcome {
  const [file, ...args] = argv;
  const started = performance.now();
  const cap = options.maxOutputBytes ?? MAX_OUTPUT_BYTES;
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(options.env ?? process.env)) {
    if (value !== undefined) env[key] = value;
  }
  const result = spawnSync(file!, args, {
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    env,
    shell: false,
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    ...(options.input === undefined ? {} : { input: options.input }),
    maxBuffer: cap,
    timeout: options.timeoutMs,
    killSignal: 'SIGTERM',
  });
  const error = result.error as NodeJS.ErrnoException | undefined;
  const timedOut = error?.code === 'ETIMEDOUT';
  const outputTooLarge = error?.code === 'ENOBUFS';
  // Neither our timeout nor the cap: the program could not be started (ENOENT, EACCES, ...).
  const spawnFailed = error !== undefined && !timedOut && !outputTooLarge;
  return {
    exitCode: result.status ?? undefined,
    signal: result.signal ?? undefined,
    // Past the cap spawnSync keeps the whole chunk it was reading: cut it to the cap, as execa did.
    stdout: textOf(result.stdout, cap),
    stderr: textOf(result.stderr, cap),
    timedOut,
    aborted: false,
    outputTooLarge,
    spawnError: spawnFailed ? error.message : undefined,
    spawnErrorCode: spawnFailed && typeof error.code === 'string' ? error.code : undefined,
    systemError: error?.message,
    durationMs: Math.round(performance.now() - started),
    pid: undefined,
  };
}

/** A captured stream as text, at most `cap` bytes of it. */
function textOf(output: Buffer | null, cap: number): string {
  return output ? output.subarray(0, cap).toString('utf8') : '';
}
