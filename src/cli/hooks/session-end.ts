/**
 * The SessionEnd hook (agents that have one, such as Claude Code): a second chance to spool the
 * session's last turn, for when its Stop hook never ran to the end (cancelled, timed out, failed).
 *
 * The agent gives SessionEnd hooks very little time (Claude Code: 1.5 s for all of them), so this
 * only writes a spool entry: no worker is started, no transcript is read. The next Stop hook in the
 * repository or the scheduled `scan` reviews it. A turn the Stop hook already spooled or that was
 * already reviewed is left alone (the Stop hook's entry knows more: the last assistant message).
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  ensureRuntimeDirs,
  loadAgentRegistry,
  loadSpool,
  readEnv,
  redactText,
  resolveStatePaths,
  turnKey,
  utcNow,
  WORKER_ENV,
  type SpoolEntry,
} from '../../core/index.js';
import type { HookContext, HookResult } from '../hook-result.js';

// Loaded with this module (as static imports were): the spool is written synchronously.
const { spoolEntryPath, writeSpoolEntry } = await loadSpool();
const { DEFAULT_AGENT } = await loadAgentRegistry();

export async function sessionEndHook({
  invocation,
  flags,
  payload,
  agent,
}: HookContext): Promise<HookResult> {
  const noop = agent.hookOutput('session-end');
  if (readEnv(WORKER_ENV) || readEnv('CODEX_SELF_EVOLUTION_DISABLE'))
    return { stdout: noop, extras: { skipped: readEnv(WORKER_ENV) ? 'recursion_guard' : 'disabled' } };
  const turn = agent.stopTurn(payload);
  // No prompt in the session (opened and closed): nothing to review.
  if (turn.id.turn === '') return { stdout: noop, extras: { skipped: 'no_turn' } };
  const cwd = turn.cwd ?? flags.cwd;
  if (!cwd) return { stdout: noop, extras: { skipped: 'no_cwd' } };
  const paths = resolveStatePaths({
    cwd,
    ...(flags.stateDir ? { stateDir: flags.stateDir } : {}),
    home: invocation.home,
  });
  const key = await turnKey(turn.id);
  if (existsSync(join(paths.suggestionsDir, '.keys', key)))
    return { stdout: noop, extras: { skipped: 'already_reviewed', key } };
  if (existsSync(spoolEntryPath(paths, key)))
    return { stdout: noop, extras: { skipped: 'already_spooled', key } };
  ensureRuntimeDirs(paths);
  const transcript = regularFile(turn.transcriptPath);
  const entry: SpoolEntry = {
    schema_version: 1,
    key,
    ...(turn.id.agent !== DEFAULT_AGENT ? { agent: turn.id.agent } : {}),
    session_id: turn.id.session,
    turn_id: turn.id.turn,
    cwd,
    transcript_path: transcript?.path ?? null,
    transcript_size: transcript?.size ?? null,
    last_assistant_message: redactText(turn.lastAssistantMessage ?? '').text,
    model: turn.model ?? null,
    stop_hook_active: false,
    reviewer_provider: null,
    spooled_at: utcNow(),
    attempts: 0,
    last_error: null,
    next_attempt_at: null,
    history: [{ at: utcNow(), event: 'spooled by the SessionEnd hook (the Stop hook had not spooled it)' }],
  };
  writeSpoolEntry(paths, entry);
  return { stdout: noop, extras: { spooled: key } };
}

/** `path` and its size when it names a regular file (stat never blocks), else undefined. */
function regularFile(path: string | undefined): { path: string; size: number } | undefined {
  if (!path) return undefined;
  try {
    const stat = statSync(path);
    return stat.isFile() ? { path, size: stat.size } : undefined;
  } catch {
    return undefined;
  }
}
