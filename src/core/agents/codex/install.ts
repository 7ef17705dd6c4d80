/**
 * Installing, removing and inspecting our hooks in `$CODEX_HOME/hooks.json`, with their trust in
 * `$CODEX_HOME/config.toml`, as the agent seam asks: plan, write unless it is a dry run, and report
 * the Codex part of `install` / `uninstall` (the JSON fields and the human lines).
 *
 * Codex runs a hook from hooks.json only once it is trusted (the hash of the handler is in
 * config.toml), and skips untrusted hooks without a word; `--trust` writes those entries.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRecord } from '../../json.js';
import { textDiff } from '../config-file.js';
import type { AgentStatus, InstallOutcome, InstallRequest, ReportLine } from '../types.js';
import {
  applyInstallation,
  hookInstallStatus,
  planInstallation,
  planRemoval,
  type InstallationPlan,
  type ManagedEvent,
  type PlannedChange,
} from './hooks-file.js';
import { parseConfigToml, readTrustState } from './trust.js';

/** Our subcommand per Codex event. */
const SUBCOMMAND: Record<ManagedEvent, 'session-start' | 'prompt-recall' | 'stop-review'> = {
  SessionStart: 'session-start',
  UserPromptSubmit: 'prompt-recall',
  Stop: 'stop-review',
};

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
    // An unparseable config.toml trusts nothing; planWarnings says why.
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

/** `install` for Codex: our hooks into hooks.json, and with `trust` their trust into config.toml. */
export function installCodexHooks(request: InstallRequest): InstallOutcome {
  if (!request.launcher) throw new TypeError('install needs a launcher');
  const codexHome = request.configDir;
  const dryRun = Boolean(request.dryRun);
  const plan = planInstallation({ codexHome, launcher: request.launcher, trust: Boolean(request.trust) });
  const written = dryRun ? { hooksBackup: undefined, configBackup: undefined } : applyInstallation(plan);
  const trust = trustAfter(plan);
  const untrusted = trust.filter((t) => !t.trusted);
  const legacyReplaced = plan.hooks.changes.filter(
    (c) => c.action === 'replace_legacy' || c.action === 'remove_legacy',
  ).length;
  const again = `${request.self} install --trust${request.configDirGiven ? ` --codex-home ${JSON.stringify(codexHome)}` : ''}`;
  const nextSteps =
    untrusted.length === 0
      ? []
      : [
          'open Codex and type /hooks to review and trust the codex-self-evolution hooks',
          `or run: ${again}  (writes their trust into ${plan.config.path})`,
        ];
  const status = dryRun ? 'dry_run' : plan.hooks.changed || plan.trust?.changed ? 'installed' : 'unchanged';

  const json: Record<string, unknown> = {
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
    ...(dryRun
      ? {
          hooks_json_after: plan.hooks.after,
          config_toml_after: plan.trust?.changed ? plan.trust.after : null,
        }
      : {}),
  };

  const lines: ReportLine[] = [];
  const text = (t: string) => lines.push({ text: t });
  const file = plan.hooks.file.path;
  if (dryRun) lines.push({ text: `Dry run: nothing was written. Planned changes to ${file}:`, tone: 'bold' });
  else if (plan.hooks.changed)
    lines.push({ text: `Installed the codex-self-evolution hooks in ${file}:`, tone: 'bold' });
  else
    lines.push({ text: `The codex-self-evolution hooks in ${file} are already up to date:`, tone: 'bold' });
  changeLines(plan.hooks.changes).forEach(text);
  if (legacyReplaced > 0) {
    text(
      `The Python codex-self-evolution-plugin's hooks were ${dryRun ? 'to be ' : ''}replaced, so no turn is reviewed twice.`,
    );
  }
  if (written.hooksBackup) text(`Backup of the previous file: ${written.hooksBackup}`);
  if (plan.hooks.changed) text('Every other hook in the file is kept as it was, in its place.');
  if (dryRun && plan.hooks.changed) {
    text('');
    text(`${file}:`);
    text(textDiff(plan.hooks.file.text, plan.hooks.after ?? ''));
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
    text('');
    text(
      `${plan.config.path} ${verb}: ${parts.join('; ')}${written.configBackup ? ` (backup: ${written.configBackup})` : ''}.`,
    );
    if (dryRun) text(textDiff(plan.trust.before, plan.trust.after));
  }
  text('');
  if (untrusted.length === 0) {
    lines.push({
      text: `Trust: all ${trust.length} hooks are trusted${dryRun ? ' after this change' : ''}; Codex will run them.`,
      tone: 'green',
    });
  } else {
    lines.push({
      text: `Trust: Codex runs a hook from hooks.json only after you trust it, and skips untrusted hooks without a word.`,
      tone: 'yellow',
    });
    text(
      `  ${untrusted.length} of ${trust.length} hooks are not trusted yet (${untrusted.map((t) => t.event).join(', ')}). Either:`,
    );
    text(`  - open Codex and type /hooks, then review and trust the codex-self-evolution hooks, or`);
    text(`  - run: ${again}`);
    text(
      `    (writes [hooks.state."…"] trusted_hash entries for exactly these hooks into ${plan.config.path})`,
    );
  }
  return {
    status,
    changed: plan.hooks.changed || Boolean(plan.trust?.changed),
    json,
    lines,
    warnings: planWarnings(plan),
    nextSteps,
  };
}

/** `uninstall` for Codex: our hooks out of hooks.json, their trust entries out of config.toml. */
export function uninstallCodexHooks(request: InstallRequest): InstallOutcome {
  const codexHome = request.configDir;
  const dryRun = Boolean(request.dryRun);
  const plan = planRemoval({ codexHome, includeLegacy: Boolean(request.includeLegacy) });
  const written = dryRun ? { hooksBackup: undefined, configBackup: undefined } : applyInstallation(plan);
  const removedFile = plan.hooks.changed && plan.hooks.after === null;
  const status = dryRun ? 'dry_run' : plan.hooks.changed ? 'removed' : 'not_installed';
  const json: Record<string, unknown> = {
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
    ...(dryRun
      ? {
          hooks_json_after: plan.hooks.after,
          config_toml_after: plan.trust?.changed ? plan.trust.after : null,
        }
      : {}),
  };
  const file = plan.hooks.file.path;
  const lines: ReportLine[] = [];
  const text = (t: string) => lines.push({ text: t });
  if (!plan.hooks.changed) {
    text(`No codex-self-evolution hooks in ${file}; nothing to remove.`);
  } else {
    lines.push({
      text: dryRun
        ? `Dry run: nothing was written. Planned changes to ${file}:`
        : `Removed the codex-self-evolution hooks from ${file}:`,
      tone: 'bold',
    });
    changeLines(plan.hooks.changes).forEach(text);
    if (removedFile) text(`Nothing else was in the file, so it ${dryRun ? 'would be' : 'was'} deleted.`);
    if (plan.hooks.restoredFrom)
      text(`The file ${dryRun ? 'would be' : 'was'} restored byte for byte from ${plan.hooks.restoredFrom}.`);
    if (written.hooksBackup) text(`Backup of the previous file: ${written.hooksBackup}`);
    if (dryRun && plan.hooks.after !== null) {
      text('');
      text(`${file}:`);
      text(textDiff(plan.hooks.file.text, plan.hooks.after));
    }
  }
  if (plan.trust?.changed) {
    const removed = plan.trust.removed.length - plan.trust.moved.length;
    const parts = [
      plan.trust.removed.length > 0
        ? `removed ${removed} trust entr${removed === 1 ? 'y' : 'ies'} of these hooks`
        : '',
      plan.trust.moved.length > 0
        ? `carried the trust of ${plan.trust.moved.length} other hook(s) to their new position`
        : '',
    ].filter(Boolean);
    text(
      `${plan.config.path}: ${parts.join('; ')}${written.configBackup ? ` (backup: ${written.configBackup})` : ''}.`,
    );
    if (dryRun) text(textDiff(plan.trust.before, plan.trust.after));
  }
  // Hooks that are turned off do not matter to a removal.
  const warnings = planWarnings(plan).filter((w) => !w.startsWith('Codex hooks are turned off'));
  return {
    status,
    changed: plan.hooks.changed || Boolean(plan.trust?.changed),
    json,
    lines,
    warnings,
    nextSteps: [],
  };
}

/** Marker substring of hook commands this tool installs (and of the Python original's). */
export const HOOK_MARKERS = ['codex-self-evolution', 'csep '] as const;

/** Which of our hooks `$CODEX_HOME/hooks.json` holds. */
export function inspectHooks(file: string): Record<string, unknown> {
  const result: Record<string, unknown> = {
    file,
    exists: false,
    session_start_installed: false,
    stop_installed: false,
    prompt_recall_installed: false,
    error: null,
  };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') result.error = String(error);
    return result;
  }
  result.exists = true;
  try {
    // Codex's file, not ours: any shape is narrowed, and what is not a hook list holds none of ours.
    const data: unknown = JSON.parse(text);
    const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
    const hooks = isRecord(data) && isRecord(data.hooks) ? data.hooks : {};
    const commands = (event: string) =>
      list(hooks[event]).flatMap((group) =>
        list(isRecord(group) ? group.hooks : undefined).map((h) =>
          isRecord(h) && typeof h.command === 'string' ? h.command : '',
        ),
      );
    const ours = (event: string, sub: string) =>
      commands(event).some((c) => HOOK_MARKERS.some((m) => c.includes(m)) && c.includes(sub));
    result.session_start_installed = ours('SessionStart', 'session-start');
    result.stop_installed = ours('Stop', 'stop-review');
    result.prompt_recall_installed = ours('UserPromptSubmit', 'prompt-recall');
  } catch (error) {
    result.error = `cannot parse ${file}: ${error instanceof Error ? error.message : String(error)}`;
  }
  return result;
}

/** Which of our hooks hooks.json holds and whether config.toml trusts them. Never throws. */
export function codexHookStatus(configDir: string): AgentStatus {
  const status = hookInstallStatus(configDir);
  const out: AgentStatus = {
    agent: 'codex',
    configDir,
    hooksFile: status.file,
    installed: {},
    commands: {},
    error: status.error,
    details: { hooks: inspectHooks(join(configDir, 'hooks.json')), hook_install: status },
  };
  for (const [event, sub] of Object.entries(SUBCOMMAND) as Array<
    [ManagedEvent, (typeof SUBCOMMAND)[ManagedEvent]]
  >) {
    out.installed[sub] = status.installed[event];
    out.commands[sub] = status.commands[event];
  }
  return out;
}
