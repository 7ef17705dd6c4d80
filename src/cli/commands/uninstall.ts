/**
 * `uninstall`: remove exactly this tool's hooks from the agent's configuration (Codex:
 * `$CODEX_HOME/hooks.json`, empty groups and events dropped, other tools' hooks kept in order, and
 * the trust entries that pointed at them from config.toml). When what is left equals a backup
 * taken before an install, that backup's bytes are written back, so install followed by uninstall
 * restores the file byte for byte. State under the home (memory, recall, skills) is left alone.
 */
import { existsSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  loadAgent,
  loadAgentRegistry,
  loadInstaller,
  loadScheduler,
  writeFileAtomic,
} from '../../core/index.js';
import { PRINT, type CommandOutput } from '../command-output.js';
import { style } from '../output.js';
import type { CommandContext } from '../context.js';

// Loaded with this module (as static imports were): used synchronously below.
const {
  installRecordPath,
  otherHookedAgents,
  packageRootOfCli,
  pruneCopies,
  readInstallRecord,
  removeAgentInstallRecord,
  runtimeDir,
} = await loadInstaller();
const { DEFAULT_AGENT } = await loadAgentRegistry();

export interface UninstallOptions {
  /** The agent whose hooks are removed (default `codex`). */
  agent?: string;
  /** The agent's config directory (default: the agent's own, e.g. `$CODEX_HOME`). */
  configDir?: string;
  /** Codex's name for `configDir`. */
  codexHome?: string;
  dryRun?: boolean;
  json?: boolean;
  includeLegacy?: boolean;
}

/** `uninstall`: one agent (`--agent`, Codex by default), or every agent with `--agent all`. */
export async function run(options: UninstallOptions, ctx: CommandContext): Promise<number> {
  if (options.agent !== 'all') return runOne(options, ctx, PRINT);
  const { forEachAgent } = await import('../agents-all.js');
  return forEachAgent(options, ctx, (one, o) => runOne(one, ctx, o), 'uninstall');
}

/** `uninstall` for one agent, its answer given to `out`. */
export async function runOne(
  options: UninstallOptions,
  ctx: CommandContext,
  out: CommandOutput,
): Promise<number> {
  const home = ctx.invocation.home;
  const agent = await loadAgent(options.agent);
  const given = options.configDir ?? options.codexHome;
  const dryRun = Boolean(options.dryRun);
  const outcome = await agent.uninstall({
    configDir: agent.configDir(given),
    configDirGiven: given !== undefined,
    includeLegacy: Boolean(options.includeLegacy),
    dryRun,
    self: 'codex-self-evolution',
  });
  const warnings = [...outcome.warnings];
  // The stable copy install made (if any) goes with the hooks, unless another agent's hooks still
  // run it. It is removed last, after the output: this process may be running from it.
  const others = await otherHookedAgents(home, agent.name);
  const stillUsed = others.length > 0;
  const copies = !stillUsed && existsSync(runtimeDir(home)) ? runtimeDir(home) : null;
  if (copies !== null && !dryRun) {
    const { schedulerStatus } = await loadScheduler();
    if (schedulerStatus(home).installed)
      warnings.push(
        `the scheduled scan may run the copy in ${copies}, removed now; remove it with: codex-self-evolution uninstall-scheduler`,
      );
  }
  const finish = async (): Promise<number> => {
    // Compiles stop publishing skills into this agent's folder (those already there stay).
    if (!dryRun) {
      removeAgentInstallRecord(home, agent.name);
      if (stillUsed) {
        // The copies the other agents' hooks run stay, and so does the one the newest install
        // recorded (the scheduled scan runs it); a copy only this agent's hooks ran goes.
        const recorded = readInstallRecord(home)?.cli;
        const keep = others.flatMap((o) => o.copies);
        if (typeof recorded === 'string') keep.push(resolve(packageRootOfCli(recorded), '..', '..'));
        await forgetAgentInInstallRecord(home, agent.name);
        pruneCopies(home, keep);
      }
    }
    if (!dryRun && !stillUsed) {
      pruneCopies(home);
      rmSync(installRecordPath(home), { force: true });
    }
    return 0;
  };

  if (options.json) {
    out.json({ ...outcome.json, removed_copy: copies, warnings });
    return await finish();
  }

  const lines = outcome.lines.map((l) => (l.tone ? style(l.text, l.tone) : l.text));
  if (copies !== null)
    lines.push(
      `The copy of codex-self-evolution the hooks ran (${copies}) ${dryRun ? 'would be' : 'was'} removed.`,
    );
  lines.push(
    'Learned memory, recall and skills under the state home are kept; the scheduler (if any) is removed with uninstall-scheduler.',
  );
  for (const w of warnings) lines.push(style(`warning: ${w}`, 'yellow'));
  out.text(lines.join('\n'));
  return await finish();
}

/** The install record without this agent's config directory (the other agents' hooks stay). */
async function forgetAgentInInstallRecord(home: string, name: string): Promise<void> {
  const record = readInstallRecord(home);
  if (!record) return;
  if (name === DEFAULT_AGENT) delete record.codex_home;
  else if (record.config_dirs) {
    delete record.config_dirs[name];
    if (Object.keys(record.config_dirs).length === 0) delete record.config_dirs;
  }
  await writeFileAtomic(installRecordPath(home), `${JSON.stringify(record, null, 2)}\n`);
}
