/**
 * `install`: put this tool's SessionStart, UserPromptSubmit and Stop hooks into
 * `$CODEX_HOME/hooks.json` (see core/install/hooks.ts for the rules), and say how they become
 * trusted. `--trust` writes the trust entries into `$CODEX_HOME/config.toml`; nothing is
 * written there otherwise, except carrying other tools' existing trust along when their hook
 * changed position. Human-readable output by default, `--json` for machines.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../core/prompts.js';
import {
  applyInstallation,
  planInstallation,
  resolveCodexHome,
  textDiff,
  type InstallationPlan,
  type Launcher,
  type PlannedChange,
} from '../../core/install/hooks.js';
import { parseConfigToml, readTrustState } from '../../core/install/trust.js';
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

/** The launcher hooks use: this node and this package's bin, or npx with the pinned version. */
export function currentLauncher(viaNpx: boolean): { launcher: Launcher; warnings: string[] } {
  if (viaNpx) return { launcher: { kind: 'npx', packageSpec: `codex-self-evolution@${VERSION}` }, warnings: [] };
  const cli = join(PACKAGE_ROOT, 'bin', 'codex-self-evolution.js');
  const warnings: string[] = [];
  if (/[\\/]_npx[\\/]/.test(PACKAGE_ROOT)) {
    warnings.push(
      `this copy runs from npx's cache (${PACKAGE_ROOT}), which npm may clean at any time; install the package (npm i -g codex-self-evolution) and run install again, or use --via-npx`,
    );
  }
  if (!existsSync(cli)) warnings.push(`${cli} does not exist; the hooks would fail`);
  return { launcher: { kind: 'node', node: process.execPath, cli }, warnings };
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
export function trustAfter(plan: InstallationPlan): Array<{ event: string; key: string; hash: string; trusted: boolean }> {
  let state = new Map<string, { trusted_hash?: string; enabled?: boolean }>();
  try {
    state = readTrustState(parseConfigToml(plan.trust?.after ?? plan.config.text, plan.config.path));
  } catch {
    // An unreadable config.toml trusts nothing; the warning says so elsewhere.
  }
  return plan.hooks.handlers.map((h) => {
    const entry = state.get(h.key);
    return { event: h.event, key: h.key, hash: h.hash, trusted: entry?.trusted_hash === h.hash && entry.enabled !== false };
  });
}

/** Warnings common to install and uninstall. */
export function planWarnings(plan: InstallationPlan): string[] {
  const out = [...plan.hooks.warnings];
  if (plan.trustWarning) out.push(plan.trustWarning);
  if (plan.hooksDisabledBy) {
    out.push(`Codex hooks are turned off in ${plan.config.path} (${plan.hooksDisabledBy}): no hook runs until that line is removed. This command did not change it.`);
  }
  for (const id of plan.legacyPlugins) {
    out.push(`the Python original's Codex plugin ${id} is enabled and runs its own hooks as well; disable it (enabled = false under [plugins."${id}"] in ${plan.config.path}) to avoid running twice.`);
  }
  return out;
}

/** Renders the change lines. */
export function changeLines(changes: readonly PlannedChange[]): string[] {
  const width = Math.max(0, ...changes.map((c) => c.event.length));
  return changes.map((c) => {
    const head = `  ${SIGN[c.action]} ${c.event.padEnd(width)}  ${VERB[c.action]}`;
    const detail = c.action === 'unchanged' ? '' : c.command ? `: ${c.command}` : c.previous ? `: ${c.previous}` : '';
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
  const { launcher, warnings: launcherWarnings } = currentLauncher(Boolean(options.viaNpx));
  const plan = planInstallation({ codexHome, launcher, trust: Boolean(options.trust) });
  const dryRun = Boolean(options.dryRun);
  const written = dryRun ? { hooksBackup: undefined, configBackup: undefined } : applyInstallation(plan);
  const trust = trustAfter(plan);
  const untrusted = trust.filter((t) => !t.trusted);
  const warnings = [...launcherWarnings, ...planWarnings(plan)];
  const legacyReplaced = plan.hooks.changes.filter((c) => c.action === 'replace_legacy' || c.action === 'remove_legacy').length;
  const nextSteps =
    untrusted.length === 0
      ? []
      : [
          'open Codex and type /hooks to review and trust the codex-self-evolution hooks',
          `or run: codex-self-evolution install --trust${options.codexHome ? ` --codex-home ${JSON.stringify(codexHome)}` : ''}  (writes their trust into ${plan.config.path})`,
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
      hooks: trust.map((t) => ({ ...t, command: plan.hooks.handlers.find((h) => h.key === t.key)?.command ?? null })),
      backup: written.hooksBackup ?? null,
      config_file: plan.config.path,
      config_changed: Boolean(plan.trust?.changed),
      config_backup: written.configBackup ?? null,
      trusted_keys: plan.trust?.trusted ?? [],
      moved_trust: plan.trust?.moved ?? [],
      legacy_replaced: legacyReplaced,
      warnings,
      next_steps: nextSteps,
      reviewer: reviewer?.json ?? null,
      ...(dryRun ? { hooks_json_after: plan.hooks.after, config_toml_after: plan.trust?.changed ? plan.trust.after : null } : {}),
    });
    return 0;
  }

  const lines: string[] = [];
  const file = plan.hooks.file.path;
  if (dryRun) lines.push(style(`Dry run: nothing was written. Planned changes to ${file}:`, 'bold'));
  else if (plan.hooks.changed) lines.push(style(`Installed the codex-self-evolution hooks in ${file}:`, 'bold'));
  else lines.push(style(`The codex-self-evolution hooks in ${file} are already up to date:`, 'bold'));
  lines.push(...changeLines(plan.hooks.changes));
  if (legacyReplaced > 0) {
    lines.push(`The Python codex-self-evolution-plugin's hooks were ${dryRun ? 'to be ' : ''}replaced, so no turn is reviewed twice.`);
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
      plan.trust.moved.length > 0 ? `trust of ${plan.trust.moved.length} other hook(s) carried to their new position` : '',
    ].filter(Boolean);
    lines.push('', `${plan.config.path} ${verb}: ${parts.join('; ')}${written.configBackup ? ` (backup: ${written.configBackup})` : ''}.`);
    if (dryRun) lines.push(textDiff(plan.trust.before, plan.trust.after));
  }
  lines.push('');
  if (untrusted.length === 0) {
    lines.push(style(`Trust: all ${trust.length} hooks are trusted${dryRun ? ' after this change' : ''}; Codex will run them.`, 'green'));
  } else {
    lines.push(style(`Trust: Codex runs a hook from hooks.json only after you trust it, and skips untrusted hooks without a word.`, 'yellow'));
    lines.push(`  ${untrusted.length} of ${trust.length} hooks are not trusted yet (${untrusted.map((t) => t.event).join(', ')}). Either:`);
    lines.push(`  - open Codex and type /hooks, then review and trust the codex-self-evolution hooks, or`);
    lines.push(`  - run: codex-self-evolution install --trust${options.codexHome ? ` --codex-home ${JSON.stringify(codexHome)}` : ''}`);
    lines.push(`    (writes [hooks.state."…"] trusted_hash entries for exactly these hooks into ${plan.config.path})`);
  }
  for (const w of warnings) lines.push(style(`warning: ${w}`, 'yellow'));
  if (reviewerLines.length > 0) lines.push('', ...reviewerLines);
  printText(lines.join('\n'));
  return 0;
}
