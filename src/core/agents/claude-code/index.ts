/**
 * Claude Code as an agent of this tool (`--agent claude-code`).
 *
 * The hook members (payload mapping, output) are in `payload.ts`, loaded with this file; the
 * transcript reader, the settings installer and the session finder are imported on first use, so
 * a hook loads none of them.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AgentAdapter, AgentStatus, InstallOutcome, InstallRequest, ReportLine } from '../types.js';
import { AGENT, hookInput, hookOutput, MAX_CONTEXT_CHARS, stopTurn } from './payload.js';

/** The Claude Code adapter. */
export const claudeCodeAgent: AgentAdapter = {
  name: AGENT,
  displayName: 'Claude Code',
  maxContextChars: MAX_CONTEXT_CHARS,
  hookInput,
  stopTurn,
  hookOutput,

  async readTranscript(path, options = {}) {
    const { readClaudeTranscript } = await import('./transcript.js');
    return readClaudeTranscript(path, options);
  },
  sessionsDir(configDir) {
    return join(configDir, 'projects');
  },
  async findSessions(configDir) {
    const { findClaudeSessions } = await import('./sessions.js');
    return findClaudeSessions(configDir);
  },

  configDir(override, env) {
    // Here rather than in settings.ts, so that resolving the directory loads nothing more.
    const fromEnv = (env ?? process.env).CLAUDE_CONFIG_DIR;
    const raw = override ?? (fromEnv && fromEnv.trim() !== '' ? fromEnv : join(homedir(), '.claude'));
    if (raw === '~') return homedir();
    return resolve(raw.startsWith('~/') ? join(homedir(), raw.slice(2)) : raw);
  },
  async install(request) {
    return installClaude(request);
  },
  async uninstall(request) {
    return uninstallClaude(request);
  },
  async status(configDir) {
    const { claudeHookStatus } = await import('./settings.js');
    const s = claudeHookStatus(configDir);
    const status: AgentStatus = {
      agent: AGENT,
      configDir,
      hooksFile: s.file,
      installed: s.installed,
      commands: s.commands,
      error: s.error,
      details: { exists: s.exists, disable_all_hooks: s.disableAllHooks },
    };
    return status;
  },
  skillsDir(configDir) {
    return join(configDir, 'skills');
  },
};

const VERB: Record<string, string> = {
  add: 'added',
  update: 'updated',
  unchanged: 'unchanged',
  remove: 'removed',
  remove_duplicate: 'removed a duplicate',
};
const SIGN: Record<string, string> = {
  add: '+',
  update: '~',
  unchanged: '=',
  remove: '-',
  remove_duplicate: '-',
};

function changeLines(
  changes: ReadonlyArray<{ action: string; event: string; command?: string; previous?: string }>,
): ReportLine[] {
  const width = Math.max(0, ...changes.map((c) => c.event.length));
  return changes.map((c) => ({
    text: `  ${SIGN[c.action] ?? ' '} ${c.event.padEnd(width)}  ${VERB[c.action] ?? c.action}${
      c.action === 'unchanged' ? '' : c.command ? `: ${c.command}` : c.previous ? `: ${c.previous}` : ''
    }`,
  }));
}

/** The trust note: in the interactive UI no hook runs in a folder whose trust dialog was not accepted. */
const TRUST_NOTE =
  'in the interactive Claude Code UI, accept the workspace trust dialog once in each project: before that ' +
  'Claude Code runs no hook there at all (claude -p runs them everywhere)';

async function installClaude(request: InstallRequest): Promise<InstallOutcome> {
  const settings = await import('./settings.js');
  if (!request.launcher) throw new Error('install needs a launcher');
  const file = settings.readSettingsFile(request.configDir);
  const plan = settings.planClaudeInstall(file, request.launcher);
  const dryRun = Boolean(request.dryRun);
  const { backup } = dryRun ? { backup: undefined } : settings.applySettingsPlan(plan);
  const status = dryRun ? 'dry_run' : plan.changed ? 'installed' : 'unchanged';
  const lines: ReportLine[] = [];
  if (dryRun)
    lines.push({ text: `Dry run: nothing was written. Planned changes to ${file.path}:`, tone: 'bold' });
  else if (plan.changed)
    lines.push({ text: `Installed the codex-self-evolution hooks in ${file.path}:`, tone: 'bold' });
  else
    lines.push({
      text: `The codex-self-evolution hooks in ${file.path} are already up to date:`,
      tone: 'bold',
    });
  lines.push(...changeLines(plan.changes));
  if (backup) lines.push({ text: `Backup of the previous file: ${backup}` });
  if (plan.changed)
    lines.push({ text: 'Every other setting and hook in the file is kept as it was, in its place.' });
  const warnings: string[] = [];
  if (file.doc.disableAllHooks === true)
    warnings.push(`"disableAllHooks": true in ${file.path}: Claude Code runs no hook until it is removed`);
  return {
    status,
    changed: plan.changed,
    json: {
      agent: AGENT,
      config_dir: request.configDir,
      hooks_file: file.path,
      hooks_changed: plan.changed,
      changes: plan.changes,
      backup: backup ?? null,
      ...(dryRun ? { settings_json_after: plan.after } : {}),
    },
    lines,
    warnings,
    nextSteps: dryRun ? [] : [TRUST_NOTE],
  };
}

async function uninstallClaude(request: InstallRequest): Promise<InstallOutcome> {
  const settings = await import('./settings.js');
  const file = settings.readSettingsFile(request.configDir);
  const plan = settings.planClaudeUninstall(file);
  const dryRun = Boolean(request.dryRun);
  const { backup } = dryRun ? { backup: undefined } : settings.applySettingsPlan(plan);
  const deleted = plan.changed && plan.after === null;
  const status = dryRun ? 'dry_run' : plan.changed ? 'removed' : 'not_installed';
  const lines: ReportLine[] = [];
  if (!plan.changed)
    lines.push({ text: `No codex-self-evolution hooks in ${file.path}; nothing to remove.` });
  else {
    lines.push({
      text: dryRun
        ? `Dry run: nothing was written. Planned changes to ${file.path}:`
        : `Removed the codex-self-evolution hooks from ${file.path}:`,
      tone: 'bold',
    });
    lines.push(...changeLines(plan.changes));
    if (deleted)
      lines.push({ text: `Nothing else was in the file, so it ${dryRun ? 'would be' : 'was'} deleted.` });
    if (plan.restoredFrom)
      lines.push({
        text: `The file ${dryRun ? 'would be' : 'was'} restored byte for byte from ${plan.restoredFrom}.`,
      });
    if (backup) lines.push({ text: `Backup of the previous file: ${backup}` });
  }
  return {
    status,
    changed: plan.changed,
    json: {
      agent: AGENT,
      config_dir: request.configDir,
      hooks_file: file.path,
      hooks_changed: plan.changed,
      hooks_file_deleted: deleted,
      restored_from_backup: plan.restoredFrom ?? null,
      changes: plan.changes,
      backup: backup ?? null,
    },
    lines,
    warnings: [],
    nextSteps: [],
  };
}
