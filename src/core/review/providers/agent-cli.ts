/**
 * What the agent-CLI reviewers (`codex`, `claude`, `opencode`) share: finding the program, the
 * child's environment, running it in an empty temp directory with a wall-clock timeout that kills
 * its process group, and turning its failures into the same {@link ProviderError} classes the
 * HTTP reviewers throw, so the spool treats every reviewer alike:
 *
 * | failure | class | the turn |
 * |---|---|---|
 * | program not found, not logged in, bad model | ProviderConfigError | waits; the reason says what to do |
 * | no answer within the timeout | ProviderTimeoutError | retried |
 * | 429, quota, usage limit | ProviderRateLimitError | retried later |
 * | 5xx, overloaded, connection lost | ProviderServerError / ProviderConnectionError | retried |
 * | exit 0 without a usable answer | ProviderBadResponseError | retried, then parked |
 *
 * The process runner is the package's (`core/process/run.ts`: process group, SIGTERM then SIGKILL,
 * output cap), and the environment the opencode backend's (`compiler/backends/opencode/run.ts`):
 * without our own settings and keys, with the recursion guard `CODEX_SELF_EVOLUTION_WORKER=1`, so
 * none of our hooks does anything inside a review even where the agent's own hooks cannot be
 * switched off.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanDiagnostic } from '../../compiler/backends/opencode/events.js';
import { locateProgram } from '../../compiler/backends/opencode/options.js';
import { opencodeEnv } from '../../compiler/backends/opencode/run.js';
import { runProcess, type RunOutcome } from '../../process/run.js';
import {
  ProviderAbortedError,
  ProviderBadResponseError,
  ProviderConfigError,
  ProviderConnectionError,
  ProviderError,
  ProviderRateLimitError,
  ProviderServerError,
  ProviderTimeoutError,
} from './errors.js';
import type { ProviderSettings } from './settings.js';
import { DEFAULT_AGENT_TIMEOUT_SECONDS, type AgentProviderName } from '../../config/reviewers.js';

/** Prefix of the review runs' temp directories. */
export const REVIEW_WORKDIR_PREFIX = 'csep-review-';

/** How to log in, per agent (used in "not logged in" messages). */
const LOGIN_HINT: Record<AgentProviderName, string> = {
  codex: 'run `codex login`',
  claude: 'run `claude` once and log in (or set ANTHROPIC_API_KEY)',
  opencode: 'run `opencode auth login` for the provider of its model',
};

/** What agents print when their credentials are missing or refused. */
const NOT_LOGGED_IN = new RegExp(
  'not logged in|/login\\b|log ?in again|unauthori[sz]ed|invalid[_ ]api[_ ]key' +
    '|failed to authenticate|authentication',
  'i',
);

/** Finds the agent's program (settings.program, else its name on PATH) or throws "not installed". */
export function locateAgent(name: AgentProviderName, settings: ProviderSettings): string {
  const program = settings.program?.trim() || name;
  const env = (settings.env ?? process.env) as NodeJS.ProcessEnv;
  const found = locateProgram(program, env);
  if (found) return found;
  throw new ProviderConfigError(
    `the ${name} reviewer needs the ${name} CLI, which was not found ` +
      `(${program.includes('/') ? program : `${program} on PATH`}); ` +
      `install it, set [review.${name}] path, or switch reviewer with \`config use local\``,
    { provider: name },
  );
}

/** The child's environment: the user's, without our settings, plus the recursion guard. */
export function agentEnv(
  settings: ProviderSettings,
  extra: Record<string, string> = {},
): Record<string, string> {
  const base = (settings.env ?? process.env) as NodeJS.ProcessEnv;
  // Without our home there is no .env.provider to filter by: a path that cannot exist.
  return { ...opencodeEnv(base, settings.home ?? '/nonexistent/csep-home'), ...extra };
}

/** Milliseconds of the run's wall-clock limit. */
export function agentTimeoutMs(settings: ProviderSettings): number {
  const seconds = settings.timeoutSeconds ?? DEFAULT_AGENT_TIMEOUT_SECONDS;
  return Math.round((seconds > 0 ? seconds : DEFAULT_AGENT_TIMEOUT_SECONDS) * 1000);
}

/** Runs `body` with a fresh private temp directory, removed afterwards. */
export async function withWorkdir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), REVIEW_WORKDIR_PREFIX));
  try {
    return await body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One agent run. */
export interface AgentRunOptions {
  name: AgentProviderName;
  argv: readonly string[];
  cwd: string;
  env: Record<string, string>;
  input?: string;
  settings: ProviderSettings;
  signal?: AbortSignal | undefined;
}

/**
 * Runs the agent. Throws for what is never the agent's answer (it could not start, it was
 * killed by our timeout or the caller's signal); returns the outcome otherwise.
 */
export async function runAgent(options: AgentRunOptions): Promise<RunOutcome> {
  const timeoutMs = agentTimeoutMs(options.settings);
  const outcome = await runProcess(options.argv, {
    cwd: options.cwd,
    env: options.env,
    timeoutMs,
    killGraceMs: options.settings.killGraceMs ?? 3000,
    signal: options.signal,
    ...(options.input === undefined ? {} : { input: options.input }),
  });
  const name = options.name;
  if (outcome.spawnError !== undefined) {
    throw new ProviderConfigError(
      `the ${name} reviewer could not start ${options.argv[0] ?? name}: ` +
        cleanDiagnostic(outcome.spawnError, 200),
      {
        provider: name,
      },
    );
  }
  if (outcome.aborted) throw new ProviderAbortedError(`the ${name} review was cancelled`, { provider: name });
  if (outcome.timedOut) {
    throw new ProviderTimeoutError(
      `the ${name} review did not finish within ${Math.round(timeoutMs / 1000)} s and was killed ` +
        `(raise [review.${name}] timeout_seconds if reviews are slow)`,
      { provider: name },
    );
  }
  if (outcome.outputTooLarge)
    throw new ProviderBadResponseError(`the ${name} review printed more than the capture limit; stopped`, {
      provider: name,
    });
  return outcome;
}

/**
 * The error class of a failed agent run, from what it printed (its error text, an HTTP status
 * when known). `detail` must already be cleaned (`cleanDiagnostic`): it ends up in the spool.
 */
export function classifyAgentFailure(
  name: AgentProviderName,
  detail: string,
  status?: number,
): ProviderError {
  const text = detail.slice(0, 400);
  const statusOf = status ?? Number(/\b([45]\d\d)\b/.exec(text)?.[1] ?? NaN);
  const options = { provider: name, ...(Number.isFinite(statusOf) ? { status: statusOf } : {}) };
  if (statusOf === 401 || statusOf === 403 || NOT_LOGGED_IN.test(text)) {
    return new ProviderConfigError(
      `the ${name} reviewer is not logged in (${text}); ${LOGIN_HINT[name]}`,
      options,
    );
  }
  if (
    /model\b.*\b(not found|not supported|does not exist|unknown)|unknown model|ProviderModelNotFound/i.test(
      text,
    )
  ) {
    return new ProviderConfigError(
      `the ${name} reviewer's model is not available (${text}); fix [review.${name}] model`,
      options,
    );
  }
  if (statusOf === 429 || /rate.?limit|too many requests|quota|usage limit|insufficient_quota/i.test(text)) {
    return new ProviderRateLimitError(`the ${name} reviewer hit a rate or usage limit: ${text}`, options);
  }
  if (
    (statusOf >= 500 && statusOf < 600) ||
    /overloaded|high demand|server error|internal error|capacity/i.test(text)
  ) {
    return new ProviderServerError(`the ${name} reviewer's model failed: ${text}`, options);
  }
  if (/stream disconnected|connect|ECONNREFUSED|ECONNRESET|socket|network|dns|lookup/i.test(text)) {
    return new ProviderConnectionError(`the ${name} reviewer could not reach its model: ${text}`, options);
  }
  return new ProviderError(`the ${name} reviewer failed: ${text}`, { ...options, retryable: true });
}

/**
 * The error lines of an agent's stderr (`ERROR: …`, `Error: …`), cleaned, or its last line.
 * Only those: agents echo their input (the transcript) to stderr, which must not end up in the
 * spool's reason or a log.
 */
export function errorLines(stderr: string, max = 400): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const errors = lines.filter((line) => /^(error|fatal)\b[:\s]/i.test(line));
  const picked =
    errors.length > 0 ? [...new Set(errors)].slice(-2).join(' | ') : (lines.at(-1) ?? '').slice(0, 200);
  return cleanDiagnostic(picked, max);
}
