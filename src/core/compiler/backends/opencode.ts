/**
 * The `agent:opencode` compile backend, on opencode-ai 1.18.33.
 *
 * One batch = one `opencode run --format json --file <payload> --dangerously-skip-permissions
 * [--model M] [--agent A] --title T -- <prompt>` in a fresh temp directory (never the user's
 * repository), with stdin ignored, our own wall-clock timeout that kills the process tree, an
 * environment without our own secrets, and (by default) only the read tool, confined to that
 * directory (`opencode/run.ts`). The payload is redacted and laid out
 * so it reaches the model whole (`opencode/payload.ts`); the event stream and the answer are
 * checked (`opencode/events.ts`, `opencode/answer.ts`); the answer is merged into the existing
 * assets, never applied as a replacement (`opencode/merge.ts`), and then goes through the same
 * guard as the script backend's output.
 *
 * Every failure falls back to the script backend with a receipt item naming the reason
 * (`opencode_unavailable`, `agent_invoke_failed`, `agent_output_invalid`) and a detail; with
 * fallback disallowed it raises OpencodeBackendError instead and the compiler returns the batch to
 * the queue. An interruption of the compile (its AbortSignal) kills the run and raises
 * CompileAbortedError, so the batch goes back without spending an attempt.
 */
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError } from '../../errors.js';
import { logInfo, logWarn } from '../../log.js';
import { readPrompt } from '../../prompts.js';
import { redactDeep } from '../../redact/redact.js';
import { BackendUnavailableError, CompileAbortedError } from '../errors.js';
import { AgentAnswerError, parseAgentAnswer } from './opencode/answer.js';
import { judgeRun, parseOpencodeStream } from './opencode/events.js';
import { AGENT_BACKEND, mergeAnswer } from './opencode/merge.js';
import {
  buildArgv,
  locateProgram,
  resolveOpencodeSettings,
  type OpencodeSettings,
} from './opencode/options.js';
import { buildPayload, serializePayload, type SerializedPayload } from './opencode/payload.js';
import { runProcess } from '../../process/run.js';
import { opencodeEnv, restrictedConfigContent } from './opencode/run.js';
import { compileWithScript } from './script.js';
import type { BackendInput, BackendOptions, CompileArtifacts, CompileBackend } from './types.js';

/** Discard reasons of the seed's README. */
export type OpencodeFailureReason = 'opencode_unavailable' | 'agent_invoke_failed' | 'agent_output_invalid';

/** The agent failed and falling back to `script` is not allowed. */
export class OpencodeBackendError extends AppError {
  readonly reason: OpencodeFailureReason;
  readonly detail: string;

  constructor(reason: OpencodeFailureReason, detail: string) {
    super(`agent:opencode failed (${reason}): ${detail}`, {
      hint: 'set [compile] allow_fallback = true to compile with the script backend instead',
    });
    this.reason = reason;
    this.detail = detail;
  }
}

/** Name of the payload file inside the run's temp directory. */
export const PAYLOAD_FILE_NAME = 'compile-payload.json';

/** Prefix of the runs' temp directories. */
export const WORKDIR_PREFIX = 'csep-compile-';
/** A run directory older than this was left by a killed compile (a run lasts at most 1,500 s). */
export const STALE_WORKDIR_MS = 2 * 3600 * 1000;

/**
 * Removes run directories a killed compile left behind (SIGKILL skips our cleanup): ours (same
 * owner), older than STALE_WORKDIR_MS. Best effort.
 */
export function removeStaleWorkdirs(root: string = tmpdir(), now: number = Date.now()): number {
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(root).filter((n) => n.startsWith(WORKDIR_PREFIX));
  } catch {
    return 0;
  }
  for (const name of names) {
    try {
      const path = join(root, name);
      const info = statSync(path);
      if (!info.isDirectory() || info.uid !== process.getuid?.() || now - info.mtimeMs < STALE_WORKDIR_MS)
        continue;
      rmSync(path, { recursive: true, force: true });
      removed++;
    } catch {
      // Gone already, or not ours to remove.
    }
  }
  return removed;
}

type Attempt =
  { ok: true; artifacts: CompileArtifacts } | { ok: false; reason: OpencodeFailureReason; detail: string };

/** The prompt of one run (prompts/compile-agent.md with its placeholders filled). */
export function renderPrompt(
  payloadFile: string,
  payload: SerializedPayload,
  maxDeleteShare: number,
): string {
  const readNote = payload.attachedWhole
    ? 'It is attached above in full.'
    : `Only its first part is attached above (opencode attaches at most 2000 lines or 50 KB). Before answering, read the rest with your read tool, passing the file path and the offset the attachment names, until you have seen line ${payload.lines}.`;
  return readPrompt('compile-agent.md')
    .replaceAll('{{PAYLOAD_FILE}}', payloadFile)
    .replaceAll('{{PAYLOAD_LINES}}', String(payload.lines))
    .replaceAll('{{READ_NOTE}}', readNote)
    .replaceAll('{{MAX_DELETE_PERCENT}}', String(Math.round(maxDeleteShare * 100)))
    .trim();
}

/** Runs opencode on a batch and merges its answer; never throws for the agent's failures. */
async function attempt(input: BackendInput, settings: OpencodeSettings): Promise<Attempt> {
  const [program, ...rest] = settings.prefix;
  const located = locateProgram(program ?? '');
  if (!located) {
    return {
      ok: false,
      reason: 'opencode_unavailable',
      detail: `opencode not found: ${program ?? ''} (put opencode on PATH or set CODEX_SELF_EVOLUTION_OPENCODE_COMMAND)`,
    };
  }
  removeStaleWorkdirs();
  const workdir = mkdtempSync(join(tmpdir(), WORKDIR_PREFIX));
  try {
    const payloadFile = join(workdir, PAYLOAD_FILE_NAME);
    const payload = serializePayload(buildPayload(input, settings.maxDeleteShare));
    writeFileSync(payloadFile, payload.text, { mode: 0o600 });
    const argv = buildArgv(
      { ...settings, prefix: [located, ...rest] },
      payloadFile,
      renderPrompt(payloadFile, payload, settings.maxDeleteShare),
    );
    const env = opencodeEnv(process.env, input.paths.home);
    if (settings.restrictTools)
      env.OPENCODE_CONFIG_CONTENT = restrictedConfigContent(env.OPENCODE_CONFIG_CONTENT);
    const outcome = await runProcess(argv, {
      cwd: workdir,
      env,
      timeoutMs: settings.timeoutMs,
      killGraceMs: settings.killGraceMs,
      signal: input.signal,
    });
    if (outcome.aborted) throw new CompileAbortedError('compile interrupted during the opencode run');
    const stream = parseOpencodeStream(outcome.stdout);
    logInfo('compile: opencode run finished', {
      kind: 'compile',
      exit_code: outcome.exitCode ?? null,
      timed_out: outcome.timedOut,
      duration_ms: outcome.durationMs,
      events: stream.types,
      payload_bytes: payload.bytes,
      payload_lines: payload.lines,
    });
    const judged = judgeRun(outcome, stream, settings.timeoutMs);
    if (!judged.ok) return { ok: false, ...judged.failure };
    try {
      // The answer becomes memory injected into later sessions: a secret the agent copied (from
      // the payload or a file it read) is redacted like everything else we store.
      const answer = redactDeep(parseAgentAnswer(judged.text));
      const artifacts = mergeAnswer(answer, input, {
        maxDeleteShare: settings.maxDeleteShare,
        review: settings.review,
      });
      const summary = artifacts.items.at(-1);
      if (summary) summary.duration_ms = outcome.durationMs;
      return { ok: true, artifacts };
    } catch (error) {
      if (error instanceof AgentAnswerError)
        return { ok: false, reason: 'agent_output_invalid', detail: error.message };
      throw error;
    }
  } finally {
    rmSync(workdir, { recursive: true, force: true });
  }
}

/** Runs the backend: the agent's merged answer, or the script backend's output with the reason. */
export async function compileWithOpencode(
  input: BackendInput,
  options: BackendOptions,
): Promise<CompileArtifacts> {
  if (input.signal?.aborted) throw new CompileAbortedError('compile interrupted before the opencode run');
  const settings = resolveOpencodeSettings(options);
  const result = await attempt(input, settings);
  if (result.ok) return result.artifacts;
  logWarn('compile: agent:opencode failed', {
    kind: 'compile',
    reason: result.reason,
    detail: result.detail,
    fallback: settings.allowFallback ? 'script' : null,
  });
  if (!settings.allowFallback) throw new OpencodeBackendError(result.reason, result.detail);
  const script = compileWithScript(input);
  return {
    ...script,
    backend: AGENT_BACKEND,
    fallback_backend: 'script',
    items: [
      { state: 'discarded', reason: result.reason, backend: AGENT_BACKEND, detail: result.detail },
      ...script.items,
    ],
  };
}

const opencodeBackend: CompileBackend = {
  name: 'agent:opencode',
  deterministic: false,
  compile: compileWithOpencode,
};

/**
 * The registry's loader. With fallback disallowed, a missing opencode is an error before anything
 * is claimed (an unusable backend must not spend the envelopes' attempts).
 */
export async function loadOpencodeBackend(options: { allowFallback: boolean }): Promise<CompileBackend> {
  if (!options.allowFallback) {
    const settings = resolveOpencodeSettings({ allowFallback: false });
    const program = settings.prefix[0] ?? '';
    if (!locateProgram(program)) {
      throw new BackendUnavailableError(`opencode not found: ${program} and fallback to script is disabled`, {
        hint: 'put opencode on PATH, set CODEX_SELF_EVOLUTION_OPENCODE_COMMAND, or use --backend script',
      });
    }
  }
  return opencodeBackend;
}

export default opencodeBackend;
