/**
 * The registry of agents: name → adapter, each loaded on first use with a dynamic import, so a
 * hook of one agent loads that agent's adapter and nothing of the others.
 *
 * A new agent is a folder under `core/agents/` exporting an {@link AgentAdapter}, plus one line in
 * {@link LOADERS}.
 */
import { UsageError } from '../errors.js';
import type { AgentAdapter, AgentName } from './types.js';

export type * from './types.js';

/** The agent used when none is named (hook commands without `--agent`, the CLI's default). */
export const DEFAULT_AGENT: AgentName = 'codex';

/** One line per agent. */
const LOADERS: Readonly<Record<AgentName, () => Promise<AgentAdapter>>> = {
  codex: async () => (await import('./codex/index.js')).codexAgent,
  'claude-code': async () => (await import('./claude-code/index.js')).claudeCodeAgent,
};

/** The registered agent names, in registry order (the default first). */
export const AGENT_NAMES: readonly AgentName[] = Object.freeze(Object.keys(LOADERS));

/** An agent name that is not in the registry (a usage error, exit 2). */
export class UnknownAgentError extends UsageError {}

/** Whether `name` is a registered agent. */
export function isAgentName(name: string): boolean {
  return Object.hasOwn(LOADERS, name);
}

const loaded = new Map<AgentName, Promise<AgentAdapter>>();

/**
 * The adapter of `name` (default {@link DEFAULT_AGENT}), loaded once.
 * @throws {UnknownAgentError} for a name that is not registered.
 */
export function loadAgent(name: AgentName = DEFAULT_AGENT): Promise<AgentAdapter> {
  if (!isAgentName(name)) {
    throw new UnknownAgentError(`unknown agent ${JSON.stringify(name)}`, {
      hint: `known agents: ${AGENT_NAMES.join(', ')}`,
    });
  }
  let adapter = loaded.get(name);
  if (!adapter) {
    adapter = LOADERS[name]!();
    loaded.set(name, adapter);
  }
  return adapter;
}
