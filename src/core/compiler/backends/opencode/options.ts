/**
 * Settings of the `agent:opencode` backend and its command line,
 * resolved from backend options first, then the environment, then defaults:
 *
 * | setting | option | environment | default |
 * |---|---|---|---|
 * | command prefix | `opencode_command` (argv array or string) | `CODEX_SELF_EVOLUTION_OPENCODE_COMMAND` |
 * `opencode` |
 * | model | `opencode_model` | `CODEX_SELF_EVOLUTION_OPENCODE_MODEL` | opencode's own default |
 * | agent | `opencode_agent` | `CODEX_SELF_EVOLUTION_OPENCODE_AGENT` | opencode's own default |
 * | skip permissions | `opencode_skip_permissions` | | true |
 * | timeout | `opencode_timeout_seconds`, else `timeoutMs` | | 900 s, capped below the lock's stale window |
 * | fallback | `allow_fallback`, else `allowFallback` | | true |
 * | deletion share | `opencode_max_delete_share` | | 0.3 |
 * | read-only agent | `opencode_restrict_tools` | | true |
 * | review policy | `reviewPolicy` (`{memory, recall, skills}`) | | all auto |
 *
 * The command prefix replaces the program only: the payload file, the permission flag, model,
 * agent, title and prompt are always appended (the Python package dropped the payload and the prompt
 * when the variable was set, so the agent saw nothing). A prefix without a `run` word is a program
 * (`/opt/opencode`, `npx -y opencode-ai@1.18.33`) and gets `run` appended; `--format json` is
 * added when the prefix does not choose a format.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { readEnv } from '../../../env.js';
import { LOCK_STALE_SECONDS } from '../../lock.js';
import type { BackendOptions } from '../types.js';

/** Default wall-clock limit of one opencode run (seed README: 900 s). */
export const DEFAULT_TIMEOUT_SECONDS = 900;
/** The run must end well inside the lock's stale window (same margin as settings.ts). */
export const MAX_TIMEOUT_SECONDS = LOCK_STALE_SECONDS - 300;
/** Default share of existing memory entries an answer may drop without a reason per entry. */
export const DEFAULT_MAX_DELETE_SHARE = 0.3;
/** Session title passed with `--title`: saves the extra model call opencode makes to invent one. */
export const SESSION_TITLE = 'codex-self-evolution compile';

/** Resolved settings of one backend call. */
export interface OpencodeSettings {
  /** Program and leading arguments (ends with `run` and carries `--format json`). */
  prefix: string[];
  model: string | undefined;
  agent: string | undefined;
  skipPermissions: boolean;
  timeoutMs: number;
  allowFallback: boolean;
  maxDeleteShare: number;
  /** Offer the agent only the read tool, confined to its working directory (see run.ts). */
  restrictTools: boolean;
  /** Kinds under human review (option `reviewPolicy`, `{memory, recall, skills}: 'auto' | 'review'`). */
  review: { memory: boolean; recall: boolean; skills: boolean };
  /** Time between SIGTERM and SIGKILL of the process tree. */
  killGraceMs: number;
}

/**
 * Splits a command line on whitespace, honouring single and double quotes (no escapes, no
 * expansion): `"/opt/my tools/opencode" run` → [`/opt/my tools/opencode`, `run`].
 */
export function splitCommand(text: string): string[] {
  const out: string[] = [];
  let current = '';
  let quote: string | undefined;
  let has = false;
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      has = true;
    } else if (/\s/.test(ch)) {
      if (has) out.push(current);
      current = '';
      has = false;
    } else {
      current += ch;
      has = true;
    }
  }
  if (has) out.push(current);
  return out;
}

function stringOption(options: BackendOptions, key: string): string | undefined {
  const value = options[key];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function booleanOption(options: BackendOptions, key: string): boolean | undefined {
  const value = options[key];
  return typeof value === 'boolean' ? value : undefined;
}

function numberOption(options: BackendOptions, key: string): number | undefined {
  const value = options[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function reviewOf(policy: unknown): OpencodeSettings['review'] {
  const p = policy !== null && typeof policy === 'object' ? (policy as Record<string, unknown>) : {};
  return { memory: p.memory === 'review', recall: p.recall === 'review', skills: p.skills === 'review' };
}

/** Turns a prefix into `<program…> run --format json …` (see the module comment). */
export function completePrefix(words: readonly string[]): string[] {
  const prefix = words.length > 0 ? [...words] : ['opencode'];
  if (!prefix.slice(1).includes('run')) prefix.push('run');
  if (!prefix.some((w) => w === '--format' || w.startsWith('--format='))) prefix.push('--format', 'json');
  return prefix;
}

/** Resolves the backend's settings (see the module comment for precedence). */
export function resolveOpencodeSettings(
  options: BackendOptions,
  env: NodeJS.ProcessEnv = process.env,
): OpencodeSettings {
  const command = options.opencode_command;
  let words: string[];
  if (Array.isArray(command) && command.length > 0 && command.every((w) => typeof w === 'string'))
    words = [...(command as string[])];
  else if (typeof command === 'string' && command.trim() !== '') words = splitCommand(command);
  else words = splitCommand(readEnv('CODEX_SELF_EVOLUTION_OPENCODE_COMMAND', env) ?? '');
  let seconds = numberOption(options, 'opencode_timeout_seconds');
  if (seconds === undefined) {
    const ms = numberOption(options, 'timeoutMs');
    seconds = ms === undefined ? DEFAULT_TIMEOUT_SECONDS : ms / 1000;
  }
  if (!(seconds > 0)) seconds = DEFAULT_TIMEOUT_SECONDS;
  seconds = Math.min(seconds, MAX_TIMEOUT_SECONDS);
  const share = numberOption(options, 'opencode_max_delete_share');
  return {
    prefix: completePrefix(words),
    model: stringOption(options, 'opencode_model') ?? readEnv('CODEX_SELF_EVOLUTION_OPENCODE_MODEL', env),
    agent: stringOption(options, 'opencode_agent') ?? readEnv('CODEX_SELF_EVOLUTION_OPENCODE_AGENT', env),
    skipPermissions: booleanOption(options, 'opencode_skip_permissions') ?? true,
    timeoutMs: Math.round(seconds * 1000),
    allowFallback:
      booleanOption(options, 'allow_fallback') ?? booleanOption(options, 'allowFallback') ?? true,
    maxDeleteShare: share !== undefined && share >= 0 && share <= 1 ? share : DEFAULT_MAX_DELETE_SHARE,
    restrictTools: booleanOption(options, 'opencode_restrict_tools') ?? true,
    review: reviewOf(options.reviewPolicy),
    killGraceMs: Math.max(0, numberOption(options, 'opencode_kill_grace_ms') ?? 3000),
  };
}

/** The full argv of one run: prefix, payload file, flags, `--`, prompt. */
export function buildArgv(settings: OpencodeSettings, payloadFile: string, prompt: string): string[] {
  const argv = [...settings.prefix, '--file', payloadFile];
  if (settings.skipPermissions) argv.push('--dangerously-skip-permissions');
  if (settings.model) argv.push('--model', settings.model);
  if (settings.agent) argv.push('--agent', settings.agent);
  // `--file` is a greedy array option: `--` ends it, so the prompt is never taken for a file.
  argv.push('--title', SESSION_TITLE, '--', prompt);
  return argv;
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds the program of a prefix: a name with a slash is resolved against `cwd` (the agent runs in
 * a temp directory, so a relative path must be made absolute first), a bare name is searched on
 * PATH. Returns the absolute path, or undefined when there is no such executable.
 */
export function locateProgram(
  program: string,
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): string | undefined {
  if (program === '') return undefined;
  if (program.includes('/')) {
    const path = isAbsolute(program) ? program : resolve(cwd, program);
    return isExecutableFile(path) ? path : undefined;
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(isAbsolute(dir) ? dir : resolve(cwd, dir), program);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}
