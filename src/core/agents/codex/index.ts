/**
 * The Codex adapter: Codex's hook payloads and answers, its rollout files, its sessions folder,
 * its hooks.json + config.toml trust, and its skills folder.
 *
 * This module is loaded by every Codex hook, so it holds only the payload mapping and the hook
 * answers; the rollout reader, the session finder and the installer are imported on first use.
 */
import { join } from 'node:path';
import type { AgentAdapter, HookEvent, HookInput, StopTurn } from '../types.js';
import { resolveCodexHome } from './home.js';

/** The answer Codex accepts from every hook event and that changes nothing. */
export const CODEX_CONTINUE = '{"continue":true}';

/** Codex's event names for the hooks that inject context. */
const CONTEXT_EVENTS: Partial<Record<HookEvent, string>> = {
  'session-start': 'SessionStart',
  'prompt-recall': 'UserPromptSubmit',
};

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export const codexAgent: AgentAdapter = {
  name: 'codex',
  displayName: 'Codex',
  // Codex spills hook output past ~10 KB into a file the model never reads.
  maxContextChars: 10_000,

  hookInput(_event, payload): HookInput {
    return {
      session: str(payload.session_id) ?? str(payload.thread_id),
      cwd: str(payload.cwd),
      transcriptPath: str(payload.transcript_path),
      prompt: typeof payload.prompt === 'string' ? payload.prompt : undefined,
      model: str(payload.model),
    };
  },

  stopTurn(payload): StopTurn {
    const session = str(payload.session_id) ?? str(payload.thread_id) ?? 'unknown-thread';
    return {
      id: { agent: 'codex', session, turn: str(payload.turn_id) ?? '' },
      session,
      cwd: str(payload.cwd),
      transcriptPath: str(payload.transcript_path),
      lastAssistantMessage: str(payload.last_assistant_message),
      model: str(payload.model),
      continued: payload.stop_hook_active === true,
    };
  },

  hookOutput(event, context) {
    const hookEventName = CONTEXT_EVENTS[event];
    if (context === undefined || hookEventName === undefined) return CODEX_CONTINUE;
    return JSON.stringify({ hookSpecificOutput: { hookEventName, additionalContext: context } });
  },

  async readTranscript(path, options = {}) {
    const { readRollout } = await import('./rollout.js');
    return readRollout(path, options);
  },

  sessionsDir: (configDir) => join(configDir, 'sessions'),

  async findSessions(configDir) {
    const { findCodexSessions } = await import('./sessions.js');
    return findCodexSessions(join(configDir, 'sessions'));
  },

  configDir: (override, env) => resolveCodexHome(override, env),

  async install(request) {
    return (await import('./install.js')).installCodexHooks(request);
  },

  async uninstall(request) {
    return (await import('./install.js')).uninstallCodexHooks(request);
  },

  async status(configDir) {
    return (await import('./install.js')).codexHookStatus(configDir);
  },

  skillsDir: (configDir) => join(configDir, 'skills'),
};
