/**
 * Installing, removing and inspecting our hooks in `$CODEX_HOME/hooks.json`, with their trust in
 * `$CODEX_HOME/config.toml`, as the agent seam asks.
 */
import { AppError } from '../../errors.js';
import type { AgentStatus, InstallOutcome, InstallRequest } from '../types.js';
import { hookInstallStatus, type ManagedEvent } from './hooks-file.js';

/** Our subcommand per Codex event. */
const SUBCOMMAND: Record<ManagedEvent, 'session-start' | 'prompt-recall' | 'stop-review'> = {
  SessionStart: 'session-start',
  UserPromptSubmit: 'prompt-recall',
  Stop: 'stop-review',
};

export async function installCodexHooks(_request: InstallRequest): Promise<InstallOutcome> {
  throw new AppError('not moved behind the agent seam yet');
}

export async function uninstallCodexHooks(_request: InstallRequest): Promise<InstallOutcome> {
  throw new AppError('not moved behind the agent seam yet');
}

/** Which of our hooks hooks.json holds and whether config.toml trusts them. Never throws. */
export function codexHookStatus(configDir: string): AgentStatus {
  const status = hookInstallStatus(configDir);
  const out: AgentStatus = {
    agent: 'codex',
    configDir,
    hooksFile: status.file,
    installed: {},
    commands: {},
    error: status.error,
    details: { hook_install: status },
  };
  for (const [event, sub] of Object.entries(SUBCOMMAND) as Array<[ManagedEvent, string]>) {
    out.installed[sub as keyof typeof out.installed] = status.installed[event];
    out.commands[sub as keyof typeof out.commands] = status.commands[event];
  }
  return out;
}
