/**
 * `uninstall`: remove exactly this tool's hooks from `$CODEX_HOME/hooks.json` (empty groups and
 * events dropped, other tools' hooks kept in order) and the trust entries that pointed at them
 * from config.toml. When what is left equals a backup taken before an install, that backup's
 * bytes are written back, so install followed by uninstall restores the file byte for byte.
 * State under the home (memory, recall, skills) is left alone.
 */
import { existsSync, rmSync } from 'node:fs';
import { applyInstallation, planRemoval, resolveCodexHome, textDiff } from '../../core/agents/codex/hooks-file.js';
import { installRecordPath, pruneCopies, runtimeDir } from '../../core/install/stable-copy.js';
import { printJson, printText, style } from '../output.js';
import type { CommandContext } from '../program.js';
import { changeLines, planWarnings } from './install.js';

export interface UninstallOptions {
  codexHome?: string;
  dryRun?: boolean;
  json?: boolean;
  includeLegacy?: boolean;
}

export async function run(options: UninstallOptions, ctx: CommandContext): Promise<number> {
  const home = ctx.invocation.home;
  const codexHome = resolveCodexHome(options.codexHome);
  const plan = planRemoval({ codexHome, includeLegacy: Boolean(options.includeLegacy) });
  const dryRun = Boolean(options.dryRun);
  const written = dryRun ? { hooksBackup: undefined, configBackup: undefined } : applyInstallation(plan);
  const warnings = planWarnings(plan).filter((w) => !w.startsWith('Codex hooks are turned off'));
  const removedFile = plan.hooks.changed && plan.hooks.after === null;
  const status = dryRun ? 'dry_run' : plan.hooks.changed ? 'removed' : 'not_installed';
  // The stable copy install made (if any) goes with the hooks. It is removed last, after the
  // output: this process may be running from it.
  const copies = existsSync(runtimeDir(home)) ? runtimeDir(home) : null;
  if (copies !== null && !dryRun) {
    const { schedulerStatus } = await import('../../core/install/scheduler.js');
    if (schedulerStatus(home).installed)
      warnings.push(
        `the scheduled scan may run the copy in ${copies}, removed now; remove it with: codex-self-evolution uninstall-scheduler`,
      );
  }
  const finish = (): number => {
    if (!dryRun) {
      pruneCopies(home);
      rmSync(installRecordPath(home), { force: true });
    }
    return 0;
  };

  if (options.json) {
    printJson({
      status,
      dry_run: dryRun,
      codex_home: codexHome,
      hooks_file: plan.hooks.file.path,
      hooks_changed: plan.hooks.changed,
      hooks_file_deleted: removedFile,
      restored_from_backup: plan.hooks.restoredFrom ?? null,
      changes: plan.hooks.changes,
      backup: written.hooksBackup ?? null,
      config_file: plan.config.path,
      config_changed: Boolean(plan.trust?.changed),
      config_backup: written.configBackup ?? null,
      removed_trust_keys: plan.trust?.removed ?? [],
      moved_trust: plan.trust?.moved ?? [],
      removed_copy: copies,
      warnings,
      ...(dryRun
        ? {
            hooks_json_after: plan.hooks.after,
            config_toml_after: plan.trust?.changed ? plan.trust.after : null,
          }
        : {}),
    });
    return finish();
  }

  const file = plan.hooks.file.path;
  const lines: string[] = [];
  if (!plan.hooks.changed) {
    lines.push(`No codex-self-evolution hooks in ${file}; nothing to remove.`);
  } else {
    lines.push(
      style(
        dryRun
          ? `Dry run: nothing was written. Planned changes to ${file}:`
          : `Removed the codex-self-evolution hooks from ${file}:`,
        'bold',
      ),
    );
    lines.push(...changeLines(plan.hooks.changes));
    if (removedFile)
      lines.push(`Nothing else was in the file, so it ${dryRun ? 'would be' : 'was'} deleted.`);
    if (plan.hooks.restoredFrom)
      lines.push(
        `The file ${dryRun ? 'would be' : 'was'} restored byte for byte from ${plan.hooks.restoredFrom}.`,
      );
    if (written.hooksBackup) lines.push(`Backup of the previous file: ${written.hooksBackup}`);
    if (dryRun && plan.hooks.after !== null)
      lines.push('', `${file}:`, textDiff(plan.hooks.file.text, plan.hooks.after));
  }
  if (plan.trust?.changed) {
    const parts = [
      plan.trust.removed.length > 0
        ? `removed ${plan.trust.removed.length - plan.trust.moved.length} trust entr${plan.trust.removed.length - plan.trust.moved.length === 1 ? 'y' : 'ies'} of these hooks`
        : '',
      plan.trust.moved.length > 0
        ? `carried the trust of ${plan.trust.moved.length} other hook(s) to their new position`
        : '',
    ].filter(Boolean);
    lines.push(
      `${plan.config.path}: ${parts.join('; ')}${written.configBackup ? ` (backup: ${written.configBackup})` : ''}.`,
    );
    if (dryRun) lines.push(textDiff(plan.trust.before, plan.trust.after));
  }
  if (copies !== null)
    lines.push(
      `The copy of codex-self-evolution the hooks ran (${copies}) ${dryRun ? 'would be' : 'was'} removed.`,
    );
  lines.push(
    'Learned memory, recall and skills under the state home are kept; the scheduler (if any) is removed with uninstall-scheduler.',
  );
  for (const w of warnings) lines.push(style(`warning: ${w}`, 'yellow'));
  printText(lines.join('\n'));
  return finish();
}
