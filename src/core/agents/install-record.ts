/**
 * Where `install` put the hooks of an agent other than Codex: `<home>/agents/<agent>.json`, written
 * by `install --agent <name>` and removed by `uninstall --agent <name>`.
 *
 * The compiler runs from the scheduler, whose environment lacks the user's `CLAUDE_CONFIG_DIR`
 * (and the like), so it learns from this record which skills folder to publish into. Codex keeps
 * its own record (`<home>/install.json`) and its skills folder is found as before.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { parseJsonWith, writeFileAtomic } from '../fs/atomic.js';
import { AGENT_NAMES } from './index.js';
import type { AgentName } from './types.js';

/** What the record holds. A record of an agent this version does not know is skipped. */
export const AgentInstallRecordSchema = z.looseObject({
  agent: z.custom<AgentName>((v) => (AGENT_NAMES as readonly unknown[]).includes(v), 'must be a known agent'),
  /** The agent's config directory the hooks were written into. */
  config_dir: z.string(),
  /** Where the agent loads user skills (the adapter's `skillsDir(config_dir)`). */
  skills_dir: z.string(),
  installed_at: z.string().catch(''),
});
export type AgentInstallRecord = z.infer<typeof AgentInstallRecordSchema>;

/** `<home>/agents/<agent>.json`. */
export function agentInstallRecordPath(home: string, agent: AgentName): string {
  return join(home, 'agents', `${agent}.json`);
}

/** Writes the record of an install. */
export function writeAgentInstallRecord(home: string, record: AgentInstallRecord): void {
  writeFileAtomic(agentInstallRecordPath(home, record.agent), `${JSON.stringify(record, null, 2)}\n`);
}

/** Removes the record of an agent (nothing when there is none). */
export function removeAgentInstallRecord(home: string, agent: AgentName): void {
  rmSync(agentInstallRecordPath(home, agent), { force: true });
}

/** Every readable record, by agent name order. A damaged record is skipped. */
export function readAgentInstallRecords(home: string): AgentInstallRecord[] {
  let names: string[];
  try {
    names = readdirSync(join(home, 'agents')).filter((n) => /^[a-z0-9-]+\.json$/.test(n));
  } catch {
    return [];
  }
  const out: AgentInstallRecord[] = [];
  for (const name of names.sort()) {
    try {
      const file = join(home, 'agents', name);
      const r = parseJsonWith(AgentInstallRecordSchema, readFileSync(file, 'utf8'), file);
      if (`${r.agent}.json` === name)
        out.push({
          agent: r.agent,
          config_dir: r.config_dir,
          skills_dir: r.skills_dir,
          installed_at: r.installed_at,
        });
    } catch {
      // A damaged record publishes nothing; `install` writes it again.
    }
  }
  return out;
}
