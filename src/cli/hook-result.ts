/**
 * What the hook runner (hooks.ts) hands a hook handler and what a handler answers. A module of its
 * own so the handlers under hooks/ never import the runner that loads them.
 */
import type { AgentAdapter } from '../core/index.js';
import type { Invocation } from './invocation.js';

/** Flags a hook accepts. Unknown flags are ignored (and logged): a hook must not fail on argv. */
export interface HookFlags {
  cwd?: string;
  stateDir?: string;
  budget?: number;
  home?: string;
  /** The agent that runs the hook (`--agent`); Codex when absent. */
  agent?: string;
  unknown: string[];
}

/** What a hook handler returns: the stdout line and fields for the summary log line. */
export interface HookResult {
  stdout: string;
  extras?: Record<string, unknown>;
}

/** What a hook handler is given. */
export interface HookContext {
  invocation: Invocation;
  flags: HookFlags;
  payload: Record<string, unknown>;
  /** The agent that runs the hook: maps its payload and formats the answer. */
  agent: AgentAdapter;
}
