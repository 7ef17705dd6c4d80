/**
 * `install`: put this tool's SessionStart, UserPromptSubmit and Stop hooks into
 * `$CODEX_HOME/hooks.json` (see core/install/hooks.ts for the rules), and say how they become
 * trusted. `--trust` writes the trust entries into `$CODEX_HOME/config.toml`; nothing is
 * written there otherwise, except carrying other tools' existing trust along when their hook
 * changed position. Human-readable output by default, `--json` for machines.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { writeFileAtomic } from '../../core/fs/atomic.js';
import { PACKAGE_ROOT } from '../../core/prompts.js';
import {
  chooseHookCopy,
  installRecordPath,
  pruneCopies,
  runtimeDir,
  type HookCopy,
  type InstallRecord,
} from '../../core/install/stable-copy.js';
import {
  applyInstallation,
  planInstallation,
  resolveCodexHome,
  textDiff,
  type InstallationPlan,
  type Launcher,
  type PlannedChange,
} from '../../core/agents/codex/hooks-file.js';
import { parseConfigToml, readTrustState } from '../../core/agents/codex/trust.js';
import { printJson, printText, style } from '../output.js';
import type { CommandContext } from '../program.js';
import { VERSION } from '../version.js';

export interface InstallOptions {
  codexHome?: string;
  dryRun?: boolean;
  json?: boolean;
  trust?: boolean;
  viaNpx?: boolean;
  /** Switch the reviewer too (`config use <name>`). */
  reviewer?: string;
}

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
function recordInstall(home: string, launcher: Launcher, copy: HookCopy | null, codexHome: string): void {
  const record: InstallRecord = {
    version: VERSION,
    launcher: launcher.kind,
    node: launcher.kind === 'node' ? launcher.node : null,
    cli: launcher.kind === 'node' ? launcher.cli : null,
    copied_from: copy?.temporary ? PACKAGE_ROOT : null,
    codex_home: codexHome,
    installed_at: new Date().toISOString(),
  };
  writeFileAtomic(installRecordPath(home), `${JSON.stringify(record, null, 2)}\n`);
}

const VERB: Record<PlannedChange['action'], string> = {
  add: 'added',
  update: 'updated',
  unchanged: 'unchanged',
  replace_legacy: 'replaced the Python codex-self-evolution-plugin hook',
  remove_legacy: 'removed a Python codex-self-evolution-plugin hook',
  remove_duplicate: 'removed a duplicate',
  remove: 'removed',
};

const SIGN: Record<PlannedChange['action'], string> = {
  add: '+',
  update: '~',
  unchanged: '=',
  replace_legacy: '~',
  remove_legacy: '-',
  remove_duplicate: '-',
  remove: '-',
};

/** Trust of our handlers once the plan is applied: key → trusted? */
export function trustAfter(
  plan: InstallationPlan,
): Array<{ event: string; key: string; hash: string; trusted: boolean }> {
  let state = new Map<string, { trusted_hash?: string; enabled?: boolean }>();
  try {
    state = readTrustState(parseConfigToml(plan.trust?.after ?? plan.config.text, plan.config.path));
  } catch {
    // An unreadable config.toml trusts nothing; the warning says so elsewhere.
  }
  return plan.hooks.handlers.map((h) => {
    const entry = state.get(h.key);
    return {
      event: h.event,
      key: h.key,
      hash: h.hash,
      trusted: entry?.trusted_hash === h.hash && entry.enabled !== false,
    };
  });
}

/** Warnings common to install and uninstall. */
export function planWarnings(plan: InstallationPlan): string[] {
  const out = [...plan.hooks.warnings];
  if (plan.trustWarning) out.push(plan.trustWarning);
  if (plan.hooksDisabledBy) {
    out.push(
      `Codex hooks are turned off in ${plan.config.path} (${plan.hooksDisabledBy}): no hook runs until that line is removed. This command did not change it.`,
    );
  }
  for (const id of plan.legacyPlugins) {
    out.push(
      `the Python original's Codex plugin ${id} is enabled and runs its own hooks as well; disable it (enabled = false under [plugins."${id}"] in ${plan.config.path}) to avoid running twice.`,
    );
  }
  return out;
}

/** Renders the change lines. */
export function changeLines(changes: readonly PlannedChange[]): string[] {
  const width = Math.max(0, ...changes.map((c) => c.event.length));
  return changes.map((c) => {
    const head = `  ${SIGN[c.action]} ${c.event.padEnd(width)}  ${VERB[c.action]}`;
    const detail =
      c.action === 'unchanged' ? '' : c.command ? `: ${c.command}` : c.previous ? `: ${c.previous}` : '';
    return head + detail;
  });
}

export async function run(options: InstallOptions, ctx: CommandContext): Promise<number> {
  const { chooseReviewer, codexReviewerHint } = await import('./reviewer-choice.js');
  const wanted = options.dryRun ? undefined : options.reviewer;
  const reviewer = wanted === undefined ? undefined : await chooseReviewer(ctx.invocation.home, wanted);
  if (reviewer && reviewer.exitCode !== 0) {
    if (options.json) printJson({ status: 'reviewer_error', reviewer: reviewer.json });
    else printText(reviewer.lines.join('\n'));
    return reviewer.exitCode;
  }
  const hint = reviewer || options.json ? undefined : await codexReviewerHint(ctx.invocation.home);
  const reviewerLines = reviewer?.lines ?? (hint === undefined ? [] : [hint]);
  const codexHome = resolveCodexHome(options.codexHome);
  const home = ctx.invocation.home;
  const dryRun = Boolean(options.dryRun);
  // hooks.json and config.toml are read (and refused when unusable) before a copy is made, and
  // written only after it works: a failure leaves both as they were.
  const probe = currentLauncher(Boolean(options.viaNpx), home, true);
  planInstallation({ codexHome, launcher: probe.launcher, trust: Boolean(options.trust) });
  const {
    launcher,
    copy,
    warnings: launcherWarnings,
    notes,
  } = dryRun ? probe : currentLauncher(Boolean(options.viaNpx), home);
  const plan = planInstallation({ codexHome, launcher, trust: Boolean(options.trust) });
  const written = dryRun ? { hooksBackup: undefined, configBackup: undefined } : applyInstallation(plan);
  let pruned: string[] = [];
  let scheduler: Record<string, unknown> | null = null;
  let indexes: { built: number; locked: number; failed: string[] } = { built: 0, locked: 0, failed: [] };
  if (!dryRun) {
    recordInstall(home, launcher, copy, codexHome);
    scheduler = await moveScheduler(home, launcher);
    // Older stable copies are no longer run by anything this install manages (the copy in use
    // may itself be one, when install runs from it).
    const inUse = launcher.kind === 'node' ? resolve(launcher.cli, '..', '..', '..', '..') : undefined;
    const keep =
      inUse !== undefined && resolve(inUse, '..') === resolve(runtimeDir(home)) ? inUse : undefined;
    pruned = pruneCopies(home, keep);
    indexes = await buildMissingIndexes(home);
  }
  const trust = trustAfter(plan);
  const untrusted = trust.filter((t) => !t.trusted);
  const warnings = [...launcherWarnings, ...planWarnings(plan)];
  if (scheduler && typeof scheduler.warning === 'string') warnings.push(scheduler.warning);
  for (const f of indexes.failed) warnings.push(`recall search index not built: ${f}`);
  const legacyReplaced = plan.hooks.changes.filter(
    (c) => c.action === 'replace_legacy' || c.action === 'remove_legacy',
  ).length;
  // Run through npx, the bare command name is on no PATH: say it the way the user started it.
  const self = /npm's/.test(copy?.temporary ?? '') ? 'npx codex-self-evolution' : 'codex-self-evolution';
  const nextSteps =
    untrusted.length === 0
      ? []
      : [
          'open Codex and type /hooks to review and trust the codex-self-evolution hooks',
          `or run: ${self} install --trust${options.codexHome ? ` --codex-home ${JSON.stringify(codexHome)}` : ''}  (writes their trust into ${plan.config.path})`,
        ];
  const status = dryRun ? 'dry_run' : plan.hooks.changed || plan.trust?.changed ? 'installed' : 'unchanged';

  if (options.json) {
    printJson({
      status,
      dry_run: dryRun,
      codex_home: codexHome,
      hooks_file: plan.hooks.file.path,
      hooks_changed: plan.hooks.changed,
      changes: plan.hooks.changes,
      hooks: trust.map((t) => ({
        ...t,
        command: plan.hooks.handlers.find((h) => h.key === t.key)?.command ?? null,
      })),
      backup: written.hooksBackup ?? null,
      config_file: plan.config.path,
      config_changed: Boolean(plan.trust?.changed),
      config_backup: written.configBackup ?? null,
      trusted_keys: plan.trust?.trusted ?? [],
      moved_trust: plan.trust?.moved ?? [],
      legacy_replaced: legacyReplaced,
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
      next_steps: nextSteps,
      reviewer: reviewer?.json ?? null,
      ...(dryRun
        ? {
            hooks_json_after: plan.hooks.after,
            config_toml_after: plan.trust?.changed ? plan.trust.after : null,
          }
        : {}),
    });
    return 0;
  }

  const lines: string[] = [];
  const file = plan.hooks.file.path;
  if (dryRun) lines.push(style(`Dry run: nothing was written. Planned changes to ${file}:`, 'bold'));
  else if (plan.hooks.changed)
    lines.push(style(`Installed the codex-self-evolution hooks in ${file}:`, 'bold'));
  else lines.push(style(`The codex-self-evolution hooks in ${file} are already up to date:`, 'bold'));
  lines.push(...changeLines(plan.hooks.changes));
  if (legacyReplaced > 0) {
    lines.push(
      `The Python codex-self-evolution-plugin's hooks were ${dryRun ? 'to be ' : ''}replaced, so no turn is reviewed twice.`,
    );
  }
  if (written.hooksBackup) lines.push(`Backup of the previous file: ${written.hooksBackup}`);
  if (plan.hooks.changed) lines.push('Every other hook in the file is kept as it was, in its place.');
  if (dryRun && plan.hooks.changed) {
    lines.push('', `${file}:`, textDiff(plan.hooks.file.text, plan.hooks.after ?? ''));
  }
  if (plan.trust?.changed) {
    const verb = dryRun ? 'would be changed' : 'was changed';
    const ownTrusted = plan.trust.trusted.filter((k) => plan.hooks.handlers.some((h) => h.key === k)).length;
    const parts = [
      ownTrusted > 0 ? `trust written for ${ownTrusted} codex-self-evolution hook(s)` : '',
      plan.trust.moved.length > 0
        ? `trust of ${plan.trust.moved.length} other hook(s) carried to their new position`
        : '',
    ].filter(Boolean);
    lines.push(
      '',
      `${plan.config.path} ${verb}: ${parts.join('; ')}${written.configBackup ? ` (backup: ${written.configBackup})` : ''}.`,
    );
    if (dryRun) lines.push(textDiff(plan.trust.before, plan.trust.after));
  }
  lines.push('');
  if (untrusted.length === 0) {
    lines.push(
      style(
        `Trust: all ${trust.length} hooks are trusted${dryRun ? ' after this change' : ''}; Codex will run them.`,
        'green',
      ),
    );
  } else {
    lines.push(
      style(
        `Trust: Codex runs a hook from hooks.json only after you trust it, and skips untrusted hooks without a word.`,
        'yellow',
      ),
    );
    lines.push(
      `  ${untrusted.length} of ${trust.length} hooks are not trusted yet (${untrusted.map((t) => t.event).join(', ')}). Either:`,
    );
    lines.push(`  - open Codex and type /hooks, then review and trust the codex-self-evolution hooks, or`);
    lines.push(
      `  - run: ${self} install --trust${options.codexHome ? ` --codex-home ${JSON.stringify(codexHome)}` : ''}`,
    );
    lines.push(
      `    (writes [hooks.state."…"] trusted_hash entries for exactly these hooks into ${plan.config.path})`,
    );
  }
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
  printText(lines.join('\n'));
  return 0;
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
    const { repairAllSearchIndexes } = await import('../../core/recall/migrate.js');
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
    const { currentHost, schedulerStatus } = await import('../../core/install/scheduler.js');
    const host = currentHost();
    const status = schedulerStatus(home, host);
    if (!status.installed || status.kind === null) return null;
    // Only a job that scans this home: a crontab is per user, not per HOME, and another home's
    // job (or a test's) must not be moved.
    const { findCronBlock } = await import('../../core/install/scheduler.js');
    const jobText =
      status.kind === 'cron'
        ? (findCronBlock(host.runner('crontab', ['-l']).stdout) ?? '')
        : status.files.map((f) => (existsSync(f) ? readFileSync(f, 'utf8') : '')).join('\n');
    if (!jobText.includes(home)) return null;
    const { installScheduler } = await import('./install-scheduler.js');
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
