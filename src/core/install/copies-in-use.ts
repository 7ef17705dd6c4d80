/**
 * Which stable copies the other agents' hooks still run. Every agent's hooks run one copy under
 * `<home>/runtime/<version>/`; installing or removing one agent's hooks must not delete the copy
 * another agent's hooks (installed earlier, perhaps by an older version) still point at, or that
 * agent's hooks stop running with nothing said.
 */
import { join, resolve, sep } from 'node:path';
import { AGENT_NAMES, DEFAULT_AGENT, loadAgent } from '../agents/index.js';
import type { AgentName } from '../agents/types.js';
import { readInstallRecord, runtimeDir } from './stable-copy.js';

/** One other agent whose hooks are installed, and the copies (prefixes) its commands run. */
export interface HookedAgent {
  agent: AgentName;
  configDir: string;
  /** Prefixes under `<home>/runtime` named by its hook commands (none: it runs another launcher). */
  copies: string[];
}

/**
 * The agents other than `except` whose hooks are installed, each in the config directory the
 * install record names for it (else the agent's default), with the copies its hooks run.
 */
export async function otherHookedAgents(home: string, except: AgentName): Promise<HookedAgent[]> {
  const record = readInstallRecord(home);
  const runtime = resolve(runtimeDir(home)) + sep;
  const hooked: HookedAgent[] = [];
  for (const name of AGENT_NAMES) {
    if (name === except) continue;
    const agent = await loadAgent(name);
    const recorded = name === DEFAULT_AGENT ? record?.codex_home : record?.config_dirs?.[name];
    const configDir = agent.configDir(recorded ?? undefined);
    let status;
    try {
      status = await agent.status(configDir);
    } catch {
      continue; // An unreadable config file: nothing of ours can be seen there.
    }
    if (!Object.values(status.installed).some(Boolean)) continue;
    const copies = new Set<string>();
    for (const command of Object.values(status.commands)) {
      if (typeof command !== 'string') continue;
      for (let at = command.indexOf(runtime); at >= 0; at = command.indexOf(runtime, at + 1)) {
        const version = /^[^/\\'"\s]+/.exec(command.slice(at + runtime.length))?.[0];
        if (version !== undefined) copies.add(join(runtime, version));
      }
    }
    hooked.push({ agent: name, configDir, copies: [...copies] });
  }
  return hooked;
}
