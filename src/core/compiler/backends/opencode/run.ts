/**
 * What an `opencode run` child gets, with the failure modes of opencode 1.18.33 in mind
 * (docs/opencode.md). The run itself goes through the package's process runner
 * (`core/process/run.ts`), which this backend and the agent-CLI reviewers share; what opencode
 * needs from it:
 *
 * - stdin is ignored (no `input`): opencode reads a non-TTY stdin to EOF before doing anything, so
 *   an open pipe hangs it forever.
 * - Our own wall-clock timeout that kills the whole process group. opencode retries a failing
 *   provider for about 65 s and a model that accepts the connection and never answers stalls it
 *   for up to 30 minutes; neither emits anything meanwhile. Tools it started (a `bash` call) die
 *   with it, and so do stragglers when it exits on its own.
 *
 * This module holds the rest:
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
import { envProviderPath, parseEnvFile, WORKER_ENV } from '../../../env.js';

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
