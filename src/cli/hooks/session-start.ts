/**
 * The SessionStart hook: prints the learned background of the payload's repository as context the
 * agent injects (Codex: `hookSpecificOutput.additionalContext`). Read-only: it never creates a bucket.
 */
import {
  buildSessionContext,
  logWarn,
  recordUsage,
  resolveContextBudget,
  resolveStatePaths,
  resolveTeamSettings,
} from '../../core/index.js';
import type { HookContext, HookResult } from '../hook-result.js';

export async function sessionStartHook({
  invocation,
  flags,
  payload,
  agent,
}: HookContext): Promise<HookResult> {
  const cwd = agent.hookInput('session-start', payload).cwd ?? flags.cwd;
  if (!cwd) {
    const what = `no cwd in ${agent.name} payload or --cwd flag`;
    logWarn(`session-start: ${what}; answered ${agent.hookOutput('session-start')}`, {
      kind: 'session-start',
    });
    return { stdout: agent.hookOutput('session-start'), extras: { warning: what } };
  }
  const paths = resolveStatePaths({
    cwd,
    ...(flags.stateDir ? { stateDir: flags.stateDir } : {}),
    home: invocation.home,
  });
  const budget = flags.budget ?? (await resolveContextBudget(invocation.home));
  const context = await buildSessionContext(paths, {
    budgetChars: budget,
    team: (await resolveTeamSettings(invocation.home)).enabled,
  });
  for (const problem of context.problems) logWarn(`session-start: ${problem}`, { kind: 'session-start' });
  // One appended line; the compiler folds it into the usage counters (forgetting, `memory list`).
  if (context.injectedIds.length > 0) await recordUsage(paths.memoryDir, 'i', context.injectedIds);
  return {
    stdout: agent.hookOutput('session-start', context.text),
    extras: {
      cwd: paths.cwd,
      context_chars: context.text.length,
      included: context.included,
      omitted: context.omitted,
      memory_source: context.memorySource,
      ...(context.team ? { team_included: context.team.included } : {}),
    },
  };
}
