/**
 * Our hooks in Claude Code's user settings (`$CLAUDE_CONFIG_DIR/settings.json`, else
 * `~/.claude/settings.json`), planned first and written separately, so a dry run shows exactly
 * what would be written.
 *
 * Claude Code runs a hook command with `/bin/sh -c` (dash on Debian, whatever the user's shell),
 * so commands are POSIX sh: single-quoted words and a trailing `# codex-self-evolution managed`
 * comment that marks the handler as ours at no cost at run time. The settings file is the user's
 * own (permissions, model, plugins, other tools' hooks), so the plans keep these rules:
 * - Everything that is not our handler stays as it is, in its order; our group is appended at the
 *   end of its event, or our handler is updated in place.
 * - Idempotent: when our handlers are already as wanted nothing is written, not even a backup.
 * - The file keeps its indentation, line endings and final newline; the bytes before an install
 *   are kept in a backup (`settings.json.bak.<time>`), and uninstall writes those bytes back when
 *   nothing but our entries differs, so install followed by uninstall is byte for byte a no-op.
 * - A file that cannot be parsed, or whose `hooks` is not shaped as Claude Code reads it, is never
 *   rewritten: the command fails with the reason and changes nothing.
 */
import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../fs/atomic.js';
import {
  backupFile,
  ConfigFileError,
  DEFAULT_STYLE,
  detectJsonStyle,
  launcherPrefix,
  listBackups,
  serializeJson,
  type JsonStyle,
  readConfigFile,
} from '../config-file.js';
import type { HookEvent, Launcher } from '../types.js';
import { AGENT } from './payload.js';

/** Marker of the handlers this tool writes (a trailing shell comment, the same for every agent). */
export const MANAGED_MARKER = 'codex-self-evolution managed';

/** Claude Code's settings events we hook, with the CLI subcommand each runs. */
export interface ClaudeHookSpec {
  event: 'SessionStart' | 'UserPromptSubmit' | 'Stop' | 'SessionEnd';
  subcommand: HookEvent;
  matcher?: string;
  /** Seconds before Claude Code cancels the hook. */
  timeout: number;
}

/**
 * The hooks, in the order they are written. SessionStart runs for every source (a compaction has
 * just dropped the earlier context; a resume picks up what was learned meanwhile). SessionEnd has
 * Claude Code's own 1.5 s budget whatever the timeout says; it only spools.
 */
export const CLAUDE_HOOKS: readonly ClaudeHookSpec[] = [
  {
    event: 'SessionStart',
    subcommand: 'session-start',
    matcher: 'startup|resume|clear|compact',
    timeout: 15,
  },
  { event: 'UserPromptSubmit', subcommand: 'prompt-recall', timeout: 10 },
  { event: 'Stop', subcommand: 'stop-review', timeout: 20 },
  { event: 'SessionEnd', subcommand: 'session-end', timeout: 2 },
];

/** The command string of one hook: POSIX sh, naming the agent, marked as ours. */
export function claudeHookCommand(subcommand: HookEvent, launcher: Launcher): string {
  return `${launcherPrefix(launcher)} ${subcommand} --agent ${AGENT} --from-stdin # ${MANAGED_MARKER}`;
}

const SUBCOMMAND_RE = /(?:^|\s)(session-start|prompt-recall|stop-review|session-end)(?=\s|$)/;

/** Whether a handler's command is ours, and which subcommand it runs. */
export function classifyClaudeCommand(command: unknown): { ours: boolean; subcommand: string | undefined } {
  if (typeof command !== 'string') return { ours: false, subcommand: undefined };
  return { ours: command.includes(MANAGED_MARKER), subcommand: SUBCOMMAND_RE.exec(command)?.[1] };
}

// ---------------------------------------------------------------------------------------------
// Reading

/** settings.json cannot be used (unparseable, wrong shape, unreadable): never overwritten. */
export class ClaudeSettingsError extends ConfigFileError {}

/** settings.json as read. */
export interface SettingsFile {
  /** `<configDir>/settings.json` as addressed. */
  path: string;
  /** Where bytes are written (the target when settings.json is a symlink). */
  writePath: string;
  exists: boolean;
  text: string;
  doc: Record<string, unknown>;
  style: JsonStyle;
  mode: number;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Parses settings text; empty text is an empty document. Throws ClaudeSettingsError. */
export function parseSettingsText(text: string, file: string): Record<string, unknown> {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  if (body.trim() === '') return {};
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (error) {
    throw new ClaudeSettingsError(
      `cannot parse ${file}: ${error instanceof Error ? error.message : String(error)}; refusing to overwrite it`,
      {
        hint: 'fix the JSON by hand (Claude Code ignores the whole file while it is broken), then run the command again',
      },
    );
  }
  if (!isObject(doc)) throw new ClaudeSettingsError(`${file} is not a JSON object; refusing to overwrite it`);
  const hooks = doc.hooks;
  if (hooks !== undefined && !isObject(hooks))
    throw new ClaudeSettingsError(`${file}: "hooks" is not an object; refusing to overwrite it`, {
      hint: 'Claude Code expects {"hooks": {"<Event>": [ … ]}}',
    });
  return doc;
}

/** Reads `<configDir>/settings.json`. Throws ClaudeSettingsError for an unusable file. */
export function readSettingsFile(configDir: string): SettingsFile {
  const path = join(configDir, 'settings.json');
  const { text, exists, writePath, mode } = readConfigFile(path, (m) => new ClaudeSettingsError(m));
  const doc = parseSettingsText(text, path);
  return { path, writePath, exists, text, doc, style: exists ? detectJsonStyle(text) : DEFAULT_STYLE, mode };
}

// ---------------------------------------------------------------------------------------------
// Plans

/** One change a plan makes. */
export interface SettingsChange {
  action: 'add' | 'update' | 'unchanged' | 'remove' | 'remove_duplicate';
  event: string;
  command?: string;
  previous?: string;
}

/** An install or uninstall of settings.json, computed before anything is written. */
export interface SettingsPlan {
  file: SettingsFile;
  /** New text; `null` deletes the file. Equal to `file.text` when nothing changes. */
  after: string | null;
  changed: boolean;
  changes: SettingsChange[];
  /** Uninstall: the backup whose bytes are written back. */
  restoredFrom?: string;
}

type Handler = Record<string, unknown>;
interface Location {
  event: string;
  group: Record<string, unknown>;
  handler: Handler;
}

/** Checks the shape of the events we edit; other events are left alone whatever they hold. */
function checkShape(doc: Record<string, unknown>, file: string): void {
  if (!isObject(doc.hooks)) return;
  for (const { event } of CLAUDE_HOOKS) {
    const groups = doc.hooks[event];
    if (groups === undefined) continue;
    if (!Array.isArray(groups))
      throw new ClaudeSettingsError(`${file}: hooks.${event} is not a list; refusing to overwrite it`);
    groups.forEach((group, i) => {
      if (!isObject(group) || (group.hooks !== undefined && !Array.isArray(group.hooks)))
        throw new ClaudeSettingsError(
          `${file}: hooks.${event}[${i}] is not a hook group; refusing to overwrite it`,
        );
    });
  }
}

function locations(doc: Record<string, unknown>): Location[] {
  const out: Location[] = [];
  if (!isObject(doc.hooks)) return out;
  for (const [event, groups] of Object.entries(doc.hooks)) {
    if (!Array.isArray(groups)) continue;
    for (const group of groups) {
      if (!isObject(group) || !Array.isArray(group.hooks)) continue;
      for (const handler of group.hooks) if (isObject(handler)) out.push({ event, group, handler });
    }
  }
  return out;
}

function removeHandler(doc: Record<string, unknown>, loc: Location): void {
  const groups = (doc.hooks as Record<string, unknown>)[loc.event] as unknown[];
  const list = loc.group.hooks as unknown[];
  list.splice(list.indexOf(loc.handler), 1);
  if (list.length === 0) groups.splice(groups.indexOf(loc.group), 1);
}

/** Drops the event lists and the `hooks` object that our removals emptied (empty ones stay). */
function dropEmptied(doc: Record<string, unknown>, before: Record<string, unknown>): void {
  if (!isObject(doc.hooks)) return;
  const old = isObject(before.hooks) ? before.hooks : {};
  for (const [event, groups] of Object.entries(doc.hooks)) {
    if (
      Array.isArray(groups) &&
      groups.length === 0 &&
      !(Array.isArray(old[event]) && old[event].length === 0)
    )
      delete doc.hooks[event];
  }
  if (
    Object.keys(doc.hooks).length === 0 &&
    !(isObject(before.hooks) && Object.keys(before.hooks).length === 0)
  )
    delete doc.hooks;
}

const commandOf = (h: Handler): string => (typeof h.command === 'string' ? h.command : '');

/** Plans installing (or updating) our hooks. Pure: reads nothing beyond `file`. */
export function planClaudeInstall(file: SettingsFile, launcher: Launcher): SettingsPlan {
  checkShape(file.doc, file.path);
  const doc = structuredClone(file.doc);
  if (!isObject(doc.hooks)) doc.hooks = {};
  const hooks = doc.hooks as Record<string, unknown>;
  const all = locations(doc);
  const changes: SettingsChange[] = [];
  for (const spec of CLAUDE_HOOKS) {
    const desired: Handler = {
      type: 'command',
      command: claudeHookCommand(spec.subcommand, launcher),
      timeout: spec.timeout,
    };
    const mine = all.filter((l) => {
      const c = classifyClaudeCommand(l.handler.command);
      return l.event === spec.event && c.ours && c.subcommand === spec.subcommand;
    });
    const target = mine[0];
    if (target) {
      const list = target.group.hooks as unknown[];
      const alone = list.length === 1;
      const same =
        Object.keys(target.handler).length === 3 &&
        target.handler.type === 'command' &&
        target.handler.command === desired.command &&
        target.handler.timeout === desired.timeout;
      const matcherOk = !alone || target.group.matcher === spec.matcher;
      if (same && matcherOk)
        changes.push({ action: 'unchanged', event: spec.event, command: commandOf(desired) });
      else {
        list[list.indexOf(target.handler)] = desired;
        if (alone) {
          if (spec.matcher === undefined) delete target.group.matcher;
          else target.group.matcher = spec.matcher;
        }
        changes.push({
          action: 'update',
          event: spec.event,
          command: commandOf(desired),
          previous: commandOf(target.handler),
        });
      }
    } else {
      if (!Array.isArray(hooks[spec.event])) hooks[spec.event] = [];
      (hooks[spec.event] as unknown[]).push(
        spec.matcher === undefined ? { hooks: [desired] } : { matcher: spec.matcher, hooks: [desired] },
      );
      changes.push({ action: 'add', event: spec.event, command: commandOf(desired) });
    }
    for (const loc of mine.slice(1)) {
      removeHandler(doc, loc);
      changes.push({ action: 'remove_duplicate', event: spec.event, previous: commandOf(loc.handler) });
    }
  }
  // Ours anywhere else (another event, or a subcommand no longer installed).
  for (const loc of all) {
    const c = classifyClaudeCommand(loc.handler.command);
    if (!c.ours || CLAUDE_HOOKS.some((s) => s.event === loc.event && s.subcommand === c.subcommand)) continue;
    removeHandler(doc, loc);
    changes.push({ action: 'remove', event: loc.event, previous: commandOf(loc.handler) });
  }
  dropEmptied(doc, file.doc);
  const same = file.exists && JSON.stringify(doc) === JSON.stringify(file.doc);
  const after = same ? file.text : serializeJson(doc, file.style);
  return { file, after, changed: after !== (file.exists ? file.text : null), changes };
}

/** Plans removing exactly our handlers, restoring the pre-install bytes when that is all that differs. */
export function planClaudeUninstall(
  file: SettingsFile,
  backups: readonly string[] = listBackups(file.path),
): SettingsPlan {
  const doc = structuredClone(file.doc);
  const changes: SettingsChange[] = [];
  for (const loc of locations(doc)) {
    if (!classifyClaudeCommand(loc.handler.command).ours) continue;
    removeHandler(doc, loc);
    changes.push({ action: 'remove', event: loc.event, previous: commandOf(loc.handler) });
  }
  dropEmptied(doc, file.doc);
  const unchanged = file.exists ? file.text : null;
  if (changes.length === 0) return { file, after: unchanged, changed: false, changes };
  const wanted = JSON.stringify(doc);
  for (const backup of backups) {
    let text: string;
    try {
      text = readFileSync(backup, 'utf8');
      if (JSON.stringify(parseSettingsText(text, backup)) !== wanted) continue;
    } catch {
      continue;
    }
    return { file, after: text, changed: text !== unchanged, changes, restoredFrom: backup };
  }
  // Nothing left and no backup to restore: the file held only our hooks, so it goes.
  const after = Object.keys(doc).length === 0 ? null : serializeJson(doc, file.style);
  return { file, after, changed: after !== unchanged, changes };
}

// ---------------------------------------------------------------------------------------------
// Applying

/** Writes a plan (backup first when the file existed). Returns the backup made. */
export function applySettingsPlan(
  plan: SettingsPlan,
  now: Date = new Date(),
): { backup: string | undefined } {
  if (!plan.changed) return { backup: undefined };
  const { file } = plan;
  let current: string | null;
  try {
    current = readFileSync(file.path, 'utf8');
  } catch {
    current = null;
  }
  if (current !== (file.exists ? file.text : null))
    throw new ClaudeSettingsError(
      `${file.path} changed while this command was running; nothing was written`,
      {
        hint: 'run the command again',
      },
    );
  const backup = file.exists ? backupFile(file.path, now) : undefined;
  if (plan.after === null) unlinkSync(file.writePath);
  else writeFileAtomic(file.writePath, plan.after, { mode: file.mode });
  return { backup };
}

// ---------------------------------------------------------------------------------------------
// Status

/** Which of our hooks are in settings.json, and what else decides whether they run. Never throws. */
export function claudeHookStatus(configDir: string): {
  file: string;
  exists: boolean;
  installed: Partial<Record<HookEvent, boolean>>;
  commands: Partial<Record<HookEvent, string | null>>;
  disableAllHooks: boolean;
  error: string | null;
} {
  const status = {
    file: join(configDir, 'settings.json'),
    exists: false,
    installed: Object.fromEntries(CLAUDE_HOOKS.map((s) => [s.subcommand, false])) as Partial<
      Record<HookEvent, boolean>
    >,
    commands: Object.fromEntries(CLAUDE_HOOKS.map((s) => [s.subcommand, null])) as Partial<
      Record<HookEvent, string | null>
    >,
    disableAllHooks: false,
    error: null as string | null,
  };
  let file: SettingsFile;
  try {
    file = readSettingsFile(configDir);
  } catch (error) {
    status.exists = existsSync(status.file);
    status.error = error instanceof Error ? error.message : String(error);
    return status;
  }
  status.exists = file.exists;
  status.disableAllHooks = file.doc.disableAllHooks === true;
  for (const loc of locations(file.doc)) {
    const c = classifyClaudeCommand(loc.handler.command);
    const spec = CLAUDE_HOOKS.find((s) => s.event === loc.event && s.subcommand === c.subcommand);
    if (!c.ours || !spec || status.installed[spec.subcommand]) continue;
    status.installed[spec.subcommand] = true;
    status.commands[spec.subcommand] = commandOf(loc.handler);
  }
  return status;
}
