/**
 * `install`: put this tool's SessionStart, UserPromptSubmit and Stop hooks into
 * `$CODEX_HOME/hooks.json` (see core/install/hooks.ts for the rules), and say how they become
 * trusted. `--trust` writes the trust entries into `$CODEX_HOME/config.toml`; nothing is
 * written there otherwise, except carrying other tools' existing trust along when their hook
 * changed position. Human-readable output by default, `--json` for machines.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  loadAgent,
  loadAgentRegistry,
  loadClaudeCodePlugin,
  loadInstaller,
  loadScheduler,
  PACKAGE_ROOT,
  repairAllSearchIndexes,
  UsageError,
  writeFileAtomic,
  type AgentAdapter,
  type AgentName,
  type HookCopy,
  type InstallOutcome,
  type InstallRecord,
  type Launcher,
} from '../../core/index.js';
import { PRINT, type CommandOutput } from '../command-output.js';
import { style } from '../output.js';
import type { CommandContext } from '../context.js';
import { VERSION } from '../version.js';

// Loaded with this module (as static imports were): the install steps are synchronous.
const {
  chooseHookCopy,
  installRecordPath,
  pruneCopies,
  otherHookedAgents,
  readInstallRecord,
  runtimeDir,
  writeAgentInstallRecord,
} = await loadInstaller();
const { DEFAULT_AGENT } = await loadAgentRegistry();

export interface InstallOptions {
  /** The agent whose hooks are installed (default `codex`). */
  agent?: string;
  /** The agent's config directory (default: the agent's own, e.g. `$CODEX_HOME`). */
  configDir?: string;
  /** Codex's name for `configDir`. */
  codexHome?: string;
  dryRun?: boolean;
  json?: boolean;
  trust?: boolean;
  viaNpx?: boolean;
  /** Switch the reviewer too (`config use <name>`). */
  reviewer?: string;
  /** Claude Code: write the hooks as a plugin into this directory instead of settings.json. */
  pluginDir?: string;
}

/** `--agent all`: every registered agent, each in its own config directory. */
export const ALL_AGENTS = 'all';

/** How the next steps name this CLI. */
const SELF = 'codex-self-evolution';

/** What `--via-npx` costs, said wherever it is chosen. */
export const VIA_NPX_NOTE =
  'with --via-npx every hook call starts `npx -y codex-self-evolution@<version>`: npm resolves the package on each ' +
  'call (slower hooks) and downloads it again whenever its cache entry is gone, so hooks need the network then and ' +
  'fail open (nothing learned) while it is unavailable';

/**
 * The launcher hooks use: `npx` with the pinned version, or node and the bin of a copy that stays
 * where it is (the running copy, or a stable copy made under `<home>/runtime/` when the running
 * one lives in npx's cache or a temporary directory).
 */
export function currentLauncher(
  viaNpx: boolean,
  home: string,
  dryRun = false,
): { launcher: Launcher; copy: HookCopy | null; warnings: string[]; notes: string[] } {
  if (viaNpx)
    return {
      launcher: { kind: 'npx', packageSpec: `codex-self-evolution@${VERSION}` },
      copy: null,
      warnings: [],
      notes: [VIA_NPX_NOTE],
    };
  const copy = chooseHookCopy({ home, packageRoot: PACKAGE_ROOT, version: VERSION, dryRun });
  const warnings: string[] = [];
  const notes: string[] = [];
  if (copy.temporary) {
    const verb = dryRun ? 'would run' : 'run';
    notes.push(
      `this copy runs from ${copy.temporary} (${PACKAGE_ROOT}), which can vanish; the hooks ${verb} a stable copy of version ${VERSION} in ${copy.packageRoot}${copy.action ? ` (${copy.action})` : ''}`,
    );
  }
  if (!dryRun && !existsSync(copy.cli)) warnings.push(`${copy.cli} does not exist; the hooks would fail`);
  return { launcher: { kind: 'node', node: process.execPath, cli: copy.cli }, copy, warnings, notes };
}

/** Records what the hooks run (`<home>/install.json`), for `status`. */
async function recordInstall(
  home: string,
  launcher: Launcher,
  copy: HookCopy | null,
  agent: AgentName,
  configDir: string,
): Promise<void> {
  const previous = readInstallRecord(home);
  const record: InstallRecord = {
    version: VERSION,
    launcher: launcher.kind,
    node: launcher.kind === 'node' ? launcher.node : null,
    cli: launcher.kind === 'node' ? launcher.cli : null,
    copied_from: copy?.temporary ? PACKAGE_ROOT : null,
    // One record for every agent: installing one keeps what the others' installs recorded.
    ...(previous?.codex_home !== undefined ? { codex_home: previous.codex_home } : {}),
    ...(previous?.config_dirs !== undefined ? { config_dirs: previous.config_dirs } : {}),
    ...(agent === DEFAULT_AGENT
      ? { codex_home: configDir }
      : { config_dirs: { ...previous?.config_dirs, [agent]: configDir } }),
    installed_at: new Date().toISOString(),
  };
  await writeFileAtomic(installRecordPath(home), `${JSON.stringify(record, null, 2)}\n`);
}

/**
 * `install`: one agent (`--agent`, Codex by default), or every registered agent with `--agent all`
 * (one report; `--config-dir` then names no single agent and is refused).
 */
export async function run(options: InstallOptions, ctx: CommandContext): Promise<number> {
  if (options.agent !== ALL_AGENTS) return runOne(options, ctx, PRINT);
  const { forEachAgent } = await import('../agents-all.js');
  return forEachAgent(options, ctx, (one, o) => runOne(one, ctx, o), 'install');
}

/** `install` for one agent, its answer given to `out`. */
export async function runOne(
  options: InstallOptions,
  ctx: CommandContext,
  out: CommandOutput,
): Promise<number> {
  const { chooseReviewer, codexReviewerHint } = await import('../reviewer-choice.js');
  const wanted = options.dryRun ? undefined : options.reviewer;
  const reviewer = wanted === undefined ? undefined : await chooseReviewer(ctx.invocation.home, wanted);
  if (reviewer && reviewer.exitCode !== 0) {
    if (options.json) out.json({ status: 'reviewer_error', reviewer: reviewer.json });
    else out.text(reviewer.lines.join('\n'));
    return reviewer.exitCode;
  }
  const hint = reviewer || options.json ? undefined : await codexReviewerHint(ctx.invocation.home);
  const reviewerLines = reviewer?.lines ?? (hint === undefined ? [] : [hint]);
  const agent = await loadAgent(options.agent);
  const given = options.configDir ?? options.codexHome;
  const configDir = agent.configDir(given);
  const home = ctx.invocation.home;
  const dryRun = Boolean(options.dryRun);
  const request = { configDir, configDirGiven: given !== undefined, trust: Boolean(options.trust) };
  const probe = currentLauncher(Boolean(options.viaNpx), home, true);
  // Planned once before the copy is made, so an unusable config file stops the install first.
  await agent.install({ ...request, launcher: probe.launcher, dryRun: true, self: SELF });
  const {
    launcher,
    copy,
    warnings: launcherWarnings,
    notes,
  } = dryRun ? probe : currentLauncher(Boolean(options.viaNpx), home);
  const self = /npm's/.test(copy?.temporary ?? '') ? `npx ${SELF}` : SELF;
  const outcome =
    options.pluginDir !== undefined
      ? await pluginOutcome(agent, options.pluginDir, launcher, dryRun)
      : await agent.install({ ...request, launcher, dryRun, self });
  let pruned: string[] = [];
  let scheduler: Record<string, unknown> | null = null;
  let indexes: { built: number; locked: number; failed: string[] } = { built: 0, locked: 0, failed: [] };
  if (!dryRun) {
    await recordInstall(home, launcher, copy, agent.name, configDir);
    // Where this agent loads skills: each compile publishes the repository's skills there too.
    if (agent.name !== DEFAULT_AGENT)
      writeAgentInstallRecord(home, {
        agent: agent.name,
        config_dir: configDir,
        skills_dir: agent.skillsDir(configDir),
        installed_at: new Date().toISOString(),
      });
    scheduler = await moveScheduler(home, launcher);
    const inUse = launcher.kind === 'node' ? resolve(launcher.cli, '..', '..', '..', '..') : undefined;
    const keep =
      inUse !== undefined && resolve(inUse, '..') === resolve(runtimeDir(home)) ? inUse : undefined;
    // Copies other agents' hooks still run stay: installing one agent never breaks another's hooks.
    const others = await otherHookedAgents(home, agent.name);
    const kept = keep === undefined ? [] : [keep];
    for (const other of others)
      for (const copy of other.copies) {
        kept.push(copy);
        if (keep === undefined || resolve(copy) !== resolve(keep))
          notes.push(
            `${other.agent}'s hooks still run the copy in ${copy}; \`install --agent ${other.agent}\` moves them to this version.`,
          );
      }
    pruned = pruneCopies(home, kept);
    indexes = await buildMissingIndexes(home);
  }
  const warnings = [...launcherWarnings, ...outcome.warnings];
  if (scheduler && typeof scheduler.warning === 'string') warnings.push(scheduler.warning);
  for (const f of indexes.failed) warnings.push(`recall search index not built: ${f}`);

  if (options.json) {
    out.json({
      ...outcome.json,
      hook_copy: copy
        ? {
            package_root: copy.packageRoot,
            cli: copy.cli,
            temporary_source: copy.temporary ?? null,
            action: copy.action ?? null,
          }
        : null,
      launcher: launcher.kind,
      scheduler_moved: scheduler?.moved ?? false,
      pruned_copies: pruned,
      search_indexes: indexes,
      notes,
      warnings,
      next_steps: outcome.nextSteps,
      reviewer: reviewer?.json ?? null,
    });
    return 0;
  }

  const lines = outcome.lines.map((l) => (l.tone ? style(l.text, l.tone) : l.text));
  if (indexes.built > 0)
    lines.push(
      `Built the missing recall search index of ${indexes.built} repositor${indexes.built === 1 ? 'y' : 'ies'} (prompt-time recall works from the first prompt).`,
    );
  for (const n of notes) lines.push(`note: ${n}`);
  if (scheduler?.moved)
    lines.push(
      `The scheduled scan now runs ${launcher.kind === 'node' ? launcher.cli : 'through npx'} as well.`,
    );
  for (const w of warnings) lines.push(style(`warning: ${w}`, 'yellow'));
  if (reviewerLines.length > 0) lines.push('', ...reviewerLines);
  // Codex's report says its next steps itself (trust); the other agents' are listed here.
  if (agent.name !== DEFAULT_AGENT && outcome.nextSteps.length > 0)
    lines.push('', 'Next:', ...outcome.nextSteps.map((n) => `  - ${n}`));
  out.text(lines.join('\n'));
  return 0;
}

/**
 * `--plugin-dir`: the hooks written as a Claude Code plugin (a one-plugin marketplace) instead of
 * into the settings file. Only Claude Code has this form.
 */
async function pluginOutcome(
  agent: AgentAdapter,
  dir: string,
  launcher: Launcher,
  dryRun: boolean,
): Promise<InstallOutcome> {
  if (agent.name !== 'claude-code')
    throw new UsageError(
      `--plugin-dir is a Claude Code plugin; it needs --agent claude-code, not ${agent.name}`,
    );
  const { PLUGIN_NAME, writePluginDir } = await loadClaudeCodePlugin();
  const target = resolve(dir);
  const files = writePluginDir(target, launcher, VERSION, dryRun);
  const changed = files.some((f) => f.changed);
  const verb = dryRun
    ? 'Dry run: nothing was written. Would write'
    : changed
      ? 'Wrote'
      : 'Already up to date:';
  return {
    status: dryRun ? 'dry_run' : changed ? 'installed' : 'unchanged',
    changed,
    json: { agent: agent.name, plugin_dir: target, files },
    lines: [
      { text: `${verb} the codex-self-evolution Claude Code plugin in ${target}:`, tone: 'bold' },
      ...files.map((f) => ({ text: `  ${f.changed ? '+' : '='} ${f.path}` })),
      { text: 'Claude Code settings were not changed.' },
    ],
    warnings: [],
    nextSteps: dryRun
      ? []
      : [
          `claude plugin marketplace add ${JSON.stringify(target)}`,
          `claude plugin install ${PLUGIN_NAME}@${PLUGIN_NAME}`,
          `or, for one session: claude --plugin-dir ${JSON.stringify(join(target, 'plugin'))}`,
        ],
  };
}

/**
 * Builds the search index of every bucket that has recall but no usable index (a state home left
 * by the Python original), so prompt-time recall answers from the first prompt. A bucket whose
 * compile lock is busy is left to that compile. Never fails the install.
 */
async function buildMissingIndexes(
  home: string,
): Promise<{ built: number; locked: number; failed: string[] }> {
  const out = { built: 0, locked: 0, failed: [] as string[] };
  try {
    for (const r of await repairAllSearchIndexes(home)) {
      if (r.outcome === 'built') out.built++;
      else if (r.outcome === 'locked') out.locked++;
      else if (r.outcome === 'failed') out.failed.push(`${r.project}: ${r.error ?? 'unknown error'}`);
    }
  } catch (error) {
    out.failed.push(error instanceof Error ? error.message : String(error));
  }
  return out;
}

/**
 * When a scheduler is installed, points it at the copy the hooks now run (an upgrade moves
 * both). Never fails the install: a problem becomes a warning.
 */
async function moveScheduler(home: string, launcher: Launcher): Promise<Record<string, unknown> | null> {
  if (launcher.kind !== 'node') return null;
  try {
    const { currentHost, findCronBlock, schedulerStatus } = await loadScheduler();
    const host = currentHost();
    const status = schedulerStatus(home, host);
    if (!status.installed || status.kind === null) return null;
    // Only a job that scans this home: a crontab is per user, not per HOME, and another home's
    // job (or a test's) must not be moved.
    const jobText =
      status.kind === 'cron'
        ? (findCronBlock(host.runner('crontab', ['-l']).stdout) ?? '')
        : status.files.map((f) => (existsSync(f) ? readFileSync(f, 'utf8') : '')).join('\n');
    if (!jobText.includes(home)) return null;
    const { installScheduler } = await import('../scheduler-install.js');
    const result = installScheduler(
      {
        kind: status.kind,
        ...(status.interval_seconds ? { interval: String(status.interval_seconds) } : {}),
        cli: launcher.cli,
      },
      home,
      host,
    );
    return { moved: result.json.status === 'installed' };
  } catch (error) {
    return {
      moved: false,
      warning: `the scheduled scan could not be moved to the new copy (${error instanceof Error ? error.message : String(error)}); run install-scheduler again`,
    };
  }
}
