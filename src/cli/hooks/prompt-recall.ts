/**
 * The UserPromptSubmit hook: prompt-time recall. Injects the few recall records that clear the
 * relevance threshold for the prompt as context the agent adds after the prompt (Codex:
 * `hookSpecificOutput.additionalContext`); answers the agent's no-op when there is nothing to add.
 *
 * Runs on every prompt, so the cheap exits come first: a session started by our own review worker
 * or a disabled install, no prompt, a bucket without `recall/index.json` (one stat, and the recall
 * modules are not even loaded). It never creates a bucket and never rewrites an index; its only write
 * is the small per-session record of injected notes under recall/sessions/.
 * The log line carries counts and `query_hash` (sha1 of the prompt, 12 hex), never the prompt.
 * Any error is answered with the agent's no-op by the runner in hooks.ts.
 */
import { statSync } from 'node:fs';
import {
  loadTeamRecall,
  logWarn,
  promptRecall,
  readEnv,
  WORKER_ENV,
  resolveStatePaths,
  resolveTeamSettings,
  sha1,
  teamStoreDir,
  worktreeRoot,
} from '../../core/index.js';
import type { HookContext, HookResult } from '../hook-result.js';

export async function promptRecallHook({
  invocation,
  flags,
  payload,
  agent,
}: HookContext): Promise<HookResult> {
  const noop = agent.hookOutput('prompt-recall');
  if (readEnv(WORKER_ENV) || readEnv('CODEX_SELF_EVOLUTION_DISABLE')) {
    return { stdout: noop, extras: { status: readEnv(WORKER_ENV) ? 'recursion_guard' : 'disabled' } };
  }
  const input = agent.hookInput('prompt-recall', payload);
  const prompt = input.prompt ?? '';
  if (prompt.trim() === '') return { stdout: noop, extras: { status: 'no_prompt', count: 0 } };
  const queryHash = sha1(prompt).slice(0, 12);
  const cwd = input.cwd ?? flags.cwd;
  if (!cwd) {
    logWarn(`prompt-recall: no cwd in ${agent.name} payload or --cwd flag; answered ${noop}`, {
      kind: 'prompt-recall',
    });
    return { stdout: noop, extras: { status: 'no_cwd', count: 0, query_hash: queryHash } };
  }
  const paths = resolveStatePaths({
    cwd,
    ...(flags.stateDir ? { stateDir: flags.stateDir } : {}),
    home: invocation.home,
  });
  const extras: Record<string, unknown> = { cwd: paths.cwd, query_hash: queryHash, count: 0 };
  // The shared store of the checkout is a second source (one walk up and one lstat).
  // The config is read only when there is a store, so a prompt in a repository without one costs nothing
  // more.
  const teamRoot = await worktreeRoot(paths.cwd);
  const hasTeam =
    teamRoot !== undefined &&
    (await teamStoreDir(teamRoot)).exists &&
    (await resolveTeamSettings(invocation.home)).enabled;
  let hasIndex: boolean;
  try {
    hasIndex = statSync(paths.recallIndex).isFile();
  } catch {
    hasIndex = false;
  }
  if (!hasIndex && !hasTeam) return { stdout: noop, extras: { ...extras, status: 'no_index' } };

  const team = hasTeam ? await loadTeamRecall(paths.cwd, paths.repoFingerprint, paths.home) : undefined;
  const outcome = await promptRecall(paths, prompt, {
    cwd: paths.cwd,
    repoFingerprint: paths.repoFingerprint,
    ...(input.session !== undefined ? { sessionId: input.session } : {}),
    ...(flags.budget !== undefined ? { budget: flags.budget } : {}),
    ...(team ? { team } : {}),
  });
  Object.assign(extras, {
    status: outcome.status,
    count: outcome.count,
    ...(outcome.mode ? { recall_mode: outcome.mode } : {}),
  });
  if (outcome.skipped > 0) extras.skipped_records = outcome.skipped;
  if (outcome.mode !== undefined && outcome.mode !== 'indexed' && outcome.mode !== 'no_index') {
    logWarn(
      `prompt-recall: the compile-time recall index did not answer (${outcome.mode}); the next compile rewrites it`,
      {
        kind: 'prompt-recall',
        problems: outcome.problems,
      },
    );
  } else if (outcome.problems.length > 0) {
    logWarn('prompt-recall: recall state problems', { kind: 'prompt-recall', problems: outcome.problems });
  }
  if (outcome.status !== 'injected') return { stdout: noop, extras };
  extras.context_chars = outcome.context.length;
  return { stdout: agent.hookOutput('prompt-recall', outcome.context), extras };
}
