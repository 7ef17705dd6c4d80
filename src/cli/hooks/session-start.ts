/**
 * The SessionStart hook: prints the learned background of the payload's repository as
 * `hookSpecificOutput.additionalContext`. Read-only: it never creates a bucket.
 */
import { logWarn } from '../../core/log.js';
import { resolveStatePaths } from '../../core/paths.js';
import { recordUsage } from '../../core/memory/usage.js';
import { buildSessionContext, sessionStartHookOutput } from '../../core/session-start.js';
import { resolveContextBudget, resolveTeamSettings } from '../../core/settings.js';
import { CONTINUE, type HookContext, type HookResult } from '../hooks.js';

export async function sessionStartHook({ invocation, flags, payload }: HookContext): Promise<HookResult> {
  const cwd = typeof payload.cwd === 'string' && payload.cwd !== '' ? payload.cwd : flags.cwd;
  if (!cwd) {
    logWarn('session-start: no cwd in codex payload or --cwd flag; answered {"continue":true}', {
      kind: 'session-start',
    });
    return { stdout: CONTINUE, extras: { warning: 'no cwd in codex payload or --cwd flag' } };
  }
  const paths = resolveStatePaths({
    cwd,
    ...(flags.stateDir ? { stateDir: flags.stateDir } : {}),
    home: invocation.home,
  });
  const budget = flags.budget ?? (await resolveContextBudget(invocation.home));
  const context = buildSessionContext(paths, {
    budgetChars: budget,
    team: (await resolveTeamSettings(invocation.home)).enabled,
  });
  for (const problem of context.problems) logWarn(`session-start: ${problem}`, { kind: 'session-start' });
  // One appended line; the compiler folds it into the usage counters (forgetting, `memory list`).
  if (context.injectedIds.length > 0) recordUsage(paths.memoryDir, 'i', context.injectedIds);
  return {
    stdout: JSON.stringify(sessionStartHookOutput(context.text)),
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
