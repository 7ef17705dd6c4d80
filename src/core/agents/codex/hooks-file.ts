/**
 * Installing this tool's hooks into `$CODEX_HOME/hooks.json` (and removing them), as plans that
 * are computed first and applied separately, so `--dry-run` shows exactly what would be written.
 *
 * Our handlers carry a trailing shell comment, `# codex-self-evolution managed`: Codex runs a
 * command as `$SHELL -lc '<command>'`, where a `#` word starts a comment in sh, bash, zsh and
 * fish alike, so the marker costs nothing at run time and survives any formatting of the file.
 * Handlers of the Python original (`: codex-self-evolution-plugin managed; … uvx --from …`) are
 * replaced in place on install so a user switching over does not get every hook twice.
 *
 * Rules the plans keep:
 * - Every other tool's groups and handlers stay as they are, in their order; our group is
 *   appended at the end of its event (or our existing handler is updated in place), so other
 *   hooks keep their position and therefore their trust key.
 * - Idempotent: when our handlers are already as wanted the plan is "unchanged" and nothing
 *   (not even a backup) is written.
 * - The file keeps its indentation, line endings and final newline. When it cannot be
 *   reproduced exactly (custom formatting), the pre-install bytes live in the backup and
 *   uninstall restores those bytes when the only difference left is our entries, so install
 *   followed by uninstall gives back a byte-identical file.
 * - A hooks.json that cannot be parsed (or whose hook lists are not lists) is never rewritten.
 */
import { existsSync, readFileSync, realpathSync, unlinkSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { writeFileAtomic } from '../../fs/atomic.js';
import {
  backupFile,
  ConfigFileError,
  DEFAULT_STYLE,
  detectJsonStyle,
  fileStamp,
  launcherPrefix,
  listBackups,
  serializeJson,
  type JsonStyle,
  readConfigFile,
} from '../config-file.js';
import type { Launcher } from '../types.js';
import {
  applyTrustEdit,
  hookTrustHash,
  hookTrustKey,
  hooksFeatureDisabled,
  legacyPluginsEnabled,
  parseConfigToml,
  planTrustEdit,
  readCodexConfig,
  readTrustState,
  type CodexConfigFile,
  type TrustEditPlan,
  type TrustMove,
} from './trust.js';

// The shared helpers, where the Codex installer's callers and tests have always found them.
export {
  backupFile,
  DEFAULT_STYLE,
  detectJsonStyle,
  fileStamp,
  listBackups,
  serializeJson,
  shellQuote,
  textDiff,
  type JsonStyle,
} from '../config-file.js';
export type { Launcher } from '../types.js';

/** Marker of the handlers this tool writes (a trailing shell comment). */
export const MANAGED_MARKER = 'codex-self-evolution managed';
/** Marker of the Python original's handlers (`: codex-self-evolution-plugin managed; …`). */
export const LEGACY_MARKER = 'codex-self-evolution-plugin managed';

/** The three events this tool hooks. */
export type ManagedEvent = 'SessionStart' | 'UserPromptSubmit' | 'Stop';

/** One hook this tool installs. */
export interface ManagedHookSpec {
  event: ManagedEvent;
  /** The CLI subcommand run with `--from-stdin`. */
  subcommand: 'session-start' | 'prompt-recall' | 'stop-review';
  /** SessionStart only: the `source` values it runs for. */
  matcher?: string;
  /** Seconds before Codex kills the hook. */
  timeout: number;
}

/**
 * The hooks, in the order they are written. SessionStart runs for every source: `startup` and
 * `clear` start a fresh context, `compact` has just dropped the earlier injection along with the
 * history, and `resume` picks up lessons learned since the session first started (at the cost of
 * a second, budget-bounded copy in a resumed history).
 */
export const MANAGED_HOOKS: readonly ManagedHookSpec[] = [
  {
    event: 'SessionStart',
    subcommand: 'session-start',
    matcher: 'startup|resume|clear|compact',
    timeout: 15,
  },
  { event: 'UserPromptSubmit', subcommand: 'prompt-recall', timeout: 10 },
  { event: 'Stop', subcommand: 'stop-review', timeout: 20 },
];

/** The command string of one hook. */
export function hookCommand(spec: Pick<ManagedHookSpec, 'subcommand'>, launcher: Launcher): string {
  return `${launcherPrefix(launcher)} ${spec.subcommand} --from-stdin # ${MANAGED_MARKER}`;
}

/** What a handler is, as far as this tool is concerned. */
export type HandlerKind = 'ours' | 'legacy' | 'lookalike' | 'foreign';

const SUBCOMMAND_RE = /(?:^|\s)(session-start|prompt-recall|stop-review)(?=\s|$)/;

/** Classifies a handler by its command. */
export function classifyCommand(command: unknown): { kind: HandlerKind; subcommand: string | undefined } {
  if (typeof command !== 'string') return { kind: 'foreign', subcommand: undefined };
  const subcommand = SUBCOMMAND_RE.exec(command)?.[1];
  if (command.includes(MANAGED_MARKER)) return { kind: 'ours', subcommand };
  if (
    command.includes(LEGACY_MARKER) ||
    command.includes('codex_self_evolution.cli') ||
    /uvx\s+--from\s+['"]?codex-self-evolution-plugin/.test(command)
  ) {
    return { kind: 'legacy', subcommand };
  }
  if (subcommand && /--from-stdin/.test(command) && /(?:codex-self-evolution|\bcsep\b)/.test(command))
    return { kind: 'lookalike', subcommand };
  return { kind: 'foreign', subcommand };
}

// ---------------------------------------------------------------------------------------------
// Reading the file
// ---------------------------------------------------------------------------------------------

/** hooks.json cannot be used (unparseable, wrong shape, unreadable): never overwritten. */
export class HooksFileError extends ConfigFileError {}

/** hooks.json as read. */
export interface HooksFile {
  /** `$CODEX_HOME/hooks.json` as addressed. */
  path: string;
  /** The path Codex puts in trust keys (the canonical CODEX_HOME + `/hooks.json`). */
  keyPath: string;
  /** Where bytes are written (the symlink target when hooks.json is a symlink). */
  writePath: string;
  exists: boolean;
  /** Raw text ('' when missing). */
  text: string;
  doc: Record<string, unknown>;
  style: JsonStyle;
  /** File mode to keep on rewrite. */
  mode: number;
}

export { resolveCodexHome } from './home.js';

/** Codex canonicalizes CODEX_HOME (symlinks resolved) before building trust keys. */
export function canonicalCodexHome(codexHome: string): string {
  // A home that does not exist yet (install creates it) is canonicalized through its nearest
  // existing ancestor, so the trust keys match what Codex computes once it exists.
  const missing: string[] = [];
  let current = resolve(codexHome);
  for (;;) {
    try {
      return join(realpathSync(current), ...missing.reverse());
    } catch {
      const parent = dirname(current);
      if (parent === current) return resolve(codexHome);
      missing.push(basename(current));
      current = parent;
    }
  }
}

/** Parses hooks.json text; empty text is an empty document. Throws HooksFileError. */
export function parseHooksText(text: string, file: string): Record<string, unknown> {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  if (body.trim() === '') return {};
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (error) {
    throw new HooksFileError(
      `cannot parse ${file}: ${error instanceof Error ? error.message : String(error)}; refusing to overwrite it`,
      {
        hint: `fix the JSON by hand (Codex ignores the whole file while it is broken), then run the command again`,
      },
    );
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new HooksFileError(`${file} is not a JSON object; refusing to overwrite it`, {
      hint: 'Codex expects {"hooks": {"<Event>": [ … ]}}',
    });
  }
  const hooks = (doc as Record<string, unknown>).hooks;
  if (hooks !== undefined && (hooks === null || typeof hooks !== 'object' || Array.isArray(hooks))) {
    throw new HooksFileError(`${file}: "hooks" is not an object; refusing to overwrite it`, {
      hint: 'Codex expects {"hooks": {"<Event>": [ … ]}}',
    });
  }
  return doc as Record<string, unknown>;
}

/** Reads `<codexHome>/hooks.json`. Throws HooksFileError for an unusable file. */
export function readHooksFile(codexHome: string): HooksFile {
  const path = join(codexHome, 'hooks.json');
  const keyPath = join(canonicalCodexHome(codexHome), 'hooks.json');
  const { text, exists, writePath, mode } = readConfigFile(path, (m) => new HooksFileError(m));
  const doc = parseHooksText(text, path);
  return {
    path,
    keyPath,
    writePath,
    exists,
    text,
    doc,
    style: exists ? detectJsonStyle(text) : DEFAULT_STYLE,
    mode,
  };
}

// ---------------------------------------------------------------------------------------------
// Plans
// ---------------------------------------------------------------------------------------------

/** One change a plan makes (or a note about what it keeps). */
export interface PlannedChange {
  action: 'add' | 'update' | 'unchanged' | 'replace_legacy' | 'remove_legacy' | 'remove_duplicate' | 'remove';
  event: string;
  command?: string;
  previous?: string;
}

/** One of our handlers after the plan, with its trust identity. */
export interface ManagedHandlerInfo {
  event: ManagedEvent;
  subcommand: string;
  command: string;
  key: string;
  hash: string;
}

/** The outcome of planning an install or uninstall. */
export interface HooksPlan {
  file: HooksFile;
  /** New file text; `null` deletes the file. Equal to `file.text` when nothing changes. */
  after: string | null;
  changed: boolean;
  changes: PlannedChange[];
  /** Our handlers after the plan (empty after an uninstall). */
  handlers: ManagedHandlerInfo[];
  /** Our handlers before the plan (uninstall drops their trust entries). */
  previousHandlers: Array<{ key: string; hash: string }>;
  /** Other tools' hooks whose trust key changes because hooks before them were removed. */
  moves: TrustMove[];
  warnings: string[];
  /** Uninstall: the backup whose original bytes are written back. */
  restoredFrom?: string;
}

type Group = Record<string, unknown> & { hooks?: unknown };
type Handler = Record<string, unknown>;

interface Location {
  event: string;
  group: Group;
  handler: Handler;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Checks the shape of the events we edit; other events are left alone whatever they hold. */
function checkShape(doc: Record<string, unknown>, file: string, events: readonly string[]): void {
  const hooks = doc.hooks;
  if (!isObject(hooks)) return;
  for (const event of events) {
    const groups = hooks[event];
    if (groups === undefined) continue;
    if (!Array.isArray(groups))
      throw new HooksFileError(`${file}: hooks.${event} is not a list; refusing to overwrite it`);
    groups.forEach((group, gi) => {
      if (!isObject(group))
        throw new HooksFileError(`${file}: hooks.${event}[${gi}] is not an object; refusing to overwrite it`);
      if (group.hooks !== undefined && !Array.isArray(group.hooks)) {
        throw new HooksFileError(
          `${file}: hooks.${event}[${gi}].hooks is not a list; refusing to overwrite it`,
        );
      }
    });
  }
}

/** Every handler of every well-formed event, in file order. */
function locations(doc: Record<string, unknown>): Location[] {
  const out: Location[] = [];
  const hooks = doc.hooks;
  if (!isObject(hooks)) return out;
  for (const [event, groups] of Object.entries(hooks)) {
    if (!Array.isArray(groups)) continue;
    for (const group of groups) {
      if (!isObject(group) || !Array.isArray(group.hooks)) continue;
      for (const handler of group.hooks) if (isObject(handler)) out.push({ event, group, handler });
    }
  }
  return out;
}

/** Trust key and hash of every handler, by object identity. */
function trustIdentities(
  doc: Record<string, unknown>,
  keyPath: string,
): Map<Handler, { key: string; hash: string }> {
  const out = new Map<Handler, { key: string; hash: string }>();
  const hooks = doc.hooks;
  if (!isObject(hooks)) return out;
  for (const [event, groups] of Object.entries(hooks)) {
    if (!Array.isArray(groups)) continue;
    groups.forEach((group, gi) => {
      if (!isObject(group) || !Array.isArray(group.hooks)) return;
      group.hooks.forEach((handler, hi) => {
        if (!isObject(handler)) return;
        out.set(handler, {
          key: hookTrustKey(keyPath, event, gi, hi),
          hash: hookTrustHash(event, group.matcher, handler),
        });
      });
    });
  }
  return out;
}

/** Removes `handler` from its group; drops the group when it becomes empty. */
function removeHandler(doc: Record<string, unknown>, loc: Location): void {
  const hooks = doc.hooks as Record<string, unknown>;
  const groups = hooks[loc.event] as unknown[];
  const list = loc.group.hooks as unknown[];
  list.splice(list.indexOf(loc.handler), 1);
  if (list.length === 0) groups.splice(groups.indexOf(loc.group), 1);
}

/** Drops events whose list we emptied (lists that were empty before stay). */
function dropEmptiedEvents(doc: Record<string, unknown>, before: Record<string, unknown>): void {
  const hooks = doc.hooks;
  if (!isObject(hooks)) return;
  const old = isObject(before.hooks) ? before.hooks : {};
  for (const [event, groups] of Object.entries(hooks)) {
    if (
      Array.isArray(groups) &&
      groups.length === 0 &&
      !(Array.isArray(old[event]) && old[event].length === 0)
    )
      delete hooks[event];
  }
}

function commandOf(handler: Handler): string {
  return typeof handler.command === 'string' ? handler.command : '';
}

function finishPlan(
  file: HooksFile,
  doc: Record<string, unknown>,
  oldIds: Map<Handler, { key: string; hash: string }>,
  changes: PlannedChange[],
  warnings: string[],
  previousHandlers: Array<{ key: string; hash: string }>,
  ours: Set<Handler>,
  after: string | null,
  restoredFrom?: string,
): HooksPlan {
  const newIds = trustIdentities(doc, file.keyPath);
  const moves: TrustMove[] = [];
  for (const [handler, id] of newIds) {
    const old = oldIds.get(handler);
    if (old && !ours.has(handler) && old.key !== id.key)
      moves.push({ from: old.key, to: id.key, hash: id.hash });
  }
  const handlers: ManagedHandlerInfo[] = [];
  for (const loc of locations(doc)) {
    if (!ours.has(loc.handler)) continue;
    const id = newIds.get(loc.handler)!;
    handlers.push({
      event: loc.event as ManagedEvent,
      subcommand: classifyCommand(loc.handler.command).subcommand ?? '',
      command: commandOf(loc.handler),
      key: id.key,
      hash: id.hash,
    });
  }
  const changed = after !== (file.exists ? file.text : null);
  const plan: HooksPlan = { file, after, changed, changes, handlers, previousHandlers, moves, warnings };
  if (restoredFrom !== undefined) plan.restoredFrom = restoredFrom;
  return plan;
}

/** Options of `planInstall`. */
export interface InstallOptions {
  launcher: Launcher;
  /** Hooks to install (default MANAGED_HOOKS). */
  specs?: readonly ManagedHookSpec[];
}

/** Plans installing (or updating) our hooks. Pure: reads nothing beyond `file`. */
export function planInstall(file: HooksFile, options: InstallOptions): HooksPlan {
  const specs = options.specs ?? MANAGED_HOOKS;
  checkShape(
    file.doc,
    file.path,
    specs.map((s) => s.event),
  );
  const doc = structuredClone(file.doc);
  const oldIds = trustIdentities(doc, file.keyPath);
  const changes: PlannedChange[] = [];
  const warnings: string[] = [];
  const ours = new Set<Handler>();
  if (!isObject(doc.hooks)) doc.hooks = {};
  const hooks = doc.hooks as Record<string, unknown>;
  const all = locations(doc);
  const previousHandlers = all
    .filter((l) => classifyCommand(l.handler.command).kind === 'ours')
    .map((l) => oldIds.get(l.handler)!);

  for (const spec of specs) {
    const desired: Handler = {
      type: 'command',
      command: hookCommand(spec, options.launcher),
      timeout: spec.timeout,
    };
    const inEvent = all.filter((l) => l.event === spec.event);
    const mine = inEvent.filter((l) => {
      const c = classifyCommand(l.handler.command);
      return c.kind === 'ours' && c.subcommand === spec.subcommand;
    });
    const legacy = inEvent.filter((l) => classifyCommand(l.handler.command).kind === 'legacy');
    const target = mine[0] ?? legacy[0];
    if (target) {
      const wasLegacy = mine.length === 0;
      const sameHandler =
        !wasLegacy &&
        Object.keys(target.handler).length === 3 &&
        target.handler.type === 'command' &&
        target.handler.command === desired.command &&
        target.handler.timeout === desired.timeout;
      const alone = (target.group.hooks as unknown[]).length === 1;
      const matcherOk = !alone || target.group.matcher === spec.matcher;
      if (sameHandler && matcherOk) {
        changes.push({ action: 'unchanged', event: spec.event, command: desired.command as string });
        ours.add(target.handler);
      } else {
        const list = target.group.hooks as unknown[];
        list[list.indexOf(target.handler)] = desired;
        if (alone) {
          if (spec.matcher === undefined) delete target.group.matcher;
          else target.group.matcher = spec.matcher;
        }
        ours.add(desired);
        changes.push({
          action: wasLegacy ? 'replace_legacy' : 'update',
          event: spec.event,
          command: desired.command as string,
          previous: commandOf(target.handler),
        });
      }
    } else {
      const group: Group =
        spec.matcher === undefined ? { hooks: [desired] } : { matcher: spec.matcher, hooks: [desired] };
      if (!Array.isArray(hooks[spec.event])) hooks[spec.event] = [];
      (hooks[spec.event] as unknown[]).push(group);
      ours.add(desired);
      changes.push({ action: 'add', event: spec.event, command: desired.command as string });
    }
    for (const loc of [...mine, ...legacy]) {
      if (loc === target) continue;
      removeHandler(doc, loc);
      changes.push({
        action: classifyCommand(loc.handler.command).kind === 'legacy' ? 'remove_legacy' : 'remove_duplicate',
        event: spec.event,
        previous: commandOf(loc.handler),
      });
    }
  }
  // Ours or the Python package's anywhere else (another event, or a subcommand we no longer install).
  const managedEvents = new Set(specs.map((s) => s.event as string));
  for (const loc of all) {
    const c = classifyCommand(loc.handler.command);
    if (c.kind === 'lookalike') {
      warnings.push(
        `${loc.event}: a hook that looks like this tool but has no "${MANAGED_MARKER}" marker is left as it is: ${commandOf(loc.handler)} (remove it by hand, or it runs twice)`,
      );
      continue;
    }
    if (c.kind !== 'ours' && c.kind !== 'legacy') continue;
    if (
      managedEvents.has(loc.event) &&
      (c.kind === 'legacy' || specs.some((s) => s.event === loc.event && s.subcommand === c.subcommand))
    )
      continue;
    removeHandler(doc, loc);
    changes.push({
      action: c.kind === 'legacy' ? 'remove_legacy' : 'remove',
      event: loc.event,
      previous: commandOf(loc.handler),
    });
  }
  dropEmptiedEvents(doc, file.doc);

  const structurallySame = file.exists && JSON.stringify(doc) === JSON.stringify(file.doc);
  const after = structurallySame ? file.text : serializeJson(doc, file.style);
  return finishPlan(file, doc, oldIds, changes, warnings, previousHandlers, ours, after);
}

/** Options of `planUninstall`. */
export interface UninstallOptions {
  /** Also remove the Python original's handlers. */
  includeLegacy?: boolean;
  /** Backups to consider for a byte-identical restore (default: `listBackups(file.path)`). */
  backups?: readonly string[];
}

/** `doc` without empty event lists and an empty `hooks` (all mean "no hooks" to Codex). */
function withoutEmptyHooks(doc: Record<string, unknown>): Record<string, unknown> {
  if (!isObject(doc.hooks)) return doc;
  const hooks = Object.fromEntries(
    Object.entries(doc.hooks).filter(([, v]) => !(Array.isArray(v) && v.length === 0)),
  );
  if (Object.keys(hooks).length === 0) {
    const { hooks: _drop, ...rest } = doc;
    return rest;
  }
  return { ...doc, hooks };
}

/** Plans removing exactly our handlers (empty groups and emptied events dropped). */
export function planUninstall(file: HooksFile, options: UninstallOptions = {}): HooksPlan {
  const doc = structuredClone(file.doc);
  const oldIds = trustIdentities(doc, file.keyPath);
  const changes: PlannedChange[] = [];
  const warnings: string[] = [];
  const previousHandlers: Array<{ key: string; hash: string }> = [];
  for (const loc of locations(doc)) {
    const c = classifyCommand(loc.handler.command);
    if (c.kind === 'ours' || (c.kind === 'legacy' && options.includeLegacy)) {
      if (c.kind === 'ours') previousHandlers.push(oldIds.get(loc.handler)!);
      removeHandler(doc, loc);
      changes.push({
        action: c.kind === 'ours' ? 'remove' : 'remove_legacy',
        event: loc.event,
        previous: commandOf(loc.handler),
      });
    } else if (c.kind === 'legacy') {
      warnings.push(
        `${loc.event}: a hook of the Python codex-self-evolution-plugin is left in place (remove it with --include-legacy): ${commandOf(loc.handler)}`,
      );
    }
  }
  dropEmptiedEvents(doc, file.doc);
  if (changes.length === 0)
    return finishPlan(
      file,
      doc,
      oldIds,
      changes,
      warnings,
      previousHandlers,
      new Set(),
      file.exists ? file.text : null,
    );

  // Byte-identical restore: the newest backup whose content equals the result.
  const wanted = JSON.stringify(withoutEmptyHooks(doc));
  for (const backup of options.backups ?? listBackups(file.path)) {
    let text: string;
    let parsed: Record<string, unknown>;
    try {
      text = readFileSync(backup, 'utf8');
      parsed = parseHooksText(text, backup);
    } catch {
      continue;
    }
    if (JSON.stringify(withoutEmptyHooks(parsed)) === wanted) {
      return finishPlan(file, doc, oldIds, changes, warnings, previousHandlers, new Set(), text, backup);
    }
  }
  // Nothing left and no backup to restore: the file was ours alone, so it goes.
  const after = Object.keys(withoutEmptyHooks(doc)).length === 0 ? null : serializeJson(doc, file.style);
  return finishPlan(file, doc, oldIds, changes, warnings, previousHandlers, new Set(), after);
}

// ---------------------------------------------------------------------------------------------
// Applying
// ---------------------------------------------------------------------------------------------

/** Writes a plan. Returns the backup made (when the file existed and changed). */
export function applyHooksPlan(plan: HooksPlan, now: Date = new Date()): { backup: string | undefined } {
  if (!plan.changed) return { backup: undefined };
  const { file } = plan;
  // Refuse to clobber an edit made between planning and writing.
  let current: string | null;
  try {
    current = readFileSync(file.path, 'utf8');
  } catch {
    current = null;
  }
  if (current !== (file.exists ? file.text : null)) {
    throw new HooksFileError(`${file.path} changed while this command was running; nothing was written`, {
      hint: 'run the command again',
    });
  }
  const backup = file.exists ? backupFile(file.path, now) : undefined;
  if (plan.after === null) {
    if (file.exists) unlinkSync(file.writePath);
  } else {
    writeFileAtomic(file.writePath, plan.after, { mode: file.mode });
  }
  return { backup };
}

// ---------------------------------------------------------------------------------------------
// hooks.json + config.toml together
// ---------------------------------------------------------------------------------------------

/** An install or uninstall across both files, planned before anything is written. */
export interface InstallationPlan {
  codexHome: string;
  hooks: HooksPlan;
  config: CodexConfigFile;
  /** The config.toml edit (trust entries written, carried along, or removed); undefined when none. */
  trust: TrustEditPlan | undefined;
  /** Why config.toml could not be edited when that was optional (the hooks are still written). */
  trustWarning: string | undefined;
  /** `features.hooks = false` (or the deprecated name) when Codex hooks are turned off. */
  hooksDisabledBy: string | undefined;
  /** Enabled plugins of the Python original (they would run their own hooks too). */
  legacyPlugins: string[];
}

function configFacts(config: CodexConfigFile): {
  doc: Record<string, unknown> | undefined;
  error: string | undefined;
} {
  try {
    return { doc: parseConfigToml(config.text, config.path), error: undefined };
  } catch (error) {
    return { doc: undefined, error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Plans `install`: our hooks into hooks.json; in config.toml, the trust of other tools' hooks
 * carried to their new keys when the plan moves them, and with `trust` our own trust entries.
 * Throws HooksFileError for an unusable hooks.json, and TrustEditError when `trust` is asked
 * for and config.toml cannot be edited safely.
 */
export function planInstallation(options: {
  codexHome: string;
  launcher: Launcher;
  trust?: boolean;
  specs?: readonly ManagedHookSpec[];
}): InstallationPlan {
  const file = readHooksFile(options.codexHome);
  const hooks = planInstall(file, {
    launcher: options.launcher,
    ...(options.specs ? { specs: options.specs } : {}),
  });
  const config = readCodexConfig(options.codexHome);
  const facts = configFacts(config);
  let trust: TrustEditPlan | undefined;
  let trustWarning: string | undefined;
  const request = {
    moves: hooks.moves,
    ...(options.trust ? { upserts: hooks.handlers.map((h) => ({ key: h.key, hash: h.hash })) } : {}),
  };
  if (options.trust) {
    trust = planTrustEdit(config.text, request, config.path);
  } else if (hooks.moves.length > 0) {
    try {
      trust = planTrustEdit(config.text, request, config.path);
    } catch (error) {
      trustWarning = `could not carry the trust of moved hooks in ${config.path}: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
  return {
    codexHome: options.codexHome,
    hooks,
    config,
    trust,
    trustWarning,
    hooksDisabledBy: facts.doc ? hooksFeatureDisabled(facts.doc) : undefined,
    legacyPlugins: facts.doc ? legacyPluginsEnabled(facts.doc) : [],
  };
}

/** Plans `uninstall`: our hooks out of hooks.json, our trust entries out of config.toml. */
export function planRemoval(options: { codexHome: string; includeLegacy?: boolean }): InstallationPlan {
  const file = readHooksFile(options.codexHome);
  const hooks = planUninstall(file, { includeLegacy: Boolean(options.includeLegacy) });
  const config = readCodexConfig(options.codexHome);
  const facts = configFacts(config);
  let trust: TrustEditPlan | undefined;
  let trustWarning: string | undefined;
  if (hooks.changed && (hooks.moves.length > 0 || hooks.previousHandlers.length > 0) && config.exists) {
    try {
      trust = planTrustEdit(
        config.text,
        { moves: hooks.moves, removals: hooks.previousHandlers },
        config.path,
      );
    } catch (error) {
      trustWarning = `left ${config.path} as it is: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
  return {
    codexHome: options.codexHome,
    hooks,
    config,
    trust,
    trustWarning,
    hooksDisabledBy: facts.doc ? hooksFeatureDisabled(facts.doc) : undefined,
    legacyPlugins: facts.doc ? legacyPluginsEnabled(facts.doc) : [],
  };
}

/** Writes an installation plan: hooks.json first, then config.toml. Returns the backups made. */
export function applyInstallation(
  plan: InstallationPlan,
  now: Date = new Date(),
): { hooksBackup: string | undefined; configBackup: string | undefined } {
  const { backup: hooksBackup } = applyHooksPlan(plan.hooks, now);
  const { backup: configBackup } = plan.trust
    ? applyTrustEdit(plan.config, plan.trust, fileStamp(now))
    : { backup: undefined };
  return { hooksBackup, configBackup };
}

// ---------------------------------------------------------------------------------------------
// Status
// ---------------------------------------------------------------------------------------------

/** What `status` reports about our hooks. */
export interface HookInstallStatus {
  file: string;
  exists: boolean;
  /** Per event: one of our handlers is in hooks.json. */
  installed: Record<ManagedEvent, boolean>;
  /** Per event: config.toml trusts that handler's current hash (so Codex runs it). */
  trusted: Record<ManagedEvent, boolean>;
  /** Per event: the command Codex runs, or null. */
  commands: Record<ManagedEvent, string | null>;
  /** `node` (absolute paths), `npx`, or null when nothing is installed. */
  launcher: 'node' | 'npx' | null;
  /** Handlers of the Python original still in hooks.json. */
  legacy_entries: number;
  config_file: string;
  /** Set when Codex hooks are turned off in config.toml. */
  hooks_disabled_by: string | null;
  /** Enabled plugins of the Python original. */
  legacy_plugins: string[];
  error: string | null;
}

const EVENTS: readonly ManagedEvent[] = ['SessionStart', 'UserPromptSubmit', 'Stop'];

/** Read-only: which of our hooks are installed and trusted in `codexHome`. Never throws. */
export function hookInstallStatus(codexHome: string): HookInstallStatus {
  const none = () => Object.fromEntries(EVENTS.map((e) => [e, false])) as Record<ManagedEvent, boolean>;
  const status: HookInstallStatus = {
    file: join(codexHome, 'hooks.json'),
    exists: false,
    installed: none(),
    trusted: none(),
    commands: Object.fromEntries(EVENTS.map((e) => [e, null])) as Record<ManagedEvent, string | null>,
    launcher: null,
    legacy_entries: 0,
    config_file: join(codexHome, 'config.toml'),
    hooks_disabled_by: null,
    legacy_plugins: [],
    error: null,
  };
  let file: HooksFile;
  try {
    file = readHooksFile(codexHome);
  } catch (error) {
    status.exists = existsSync(status.file);
    status.error = error instanceof Error ? error.message : String(error);
    return status;
  }
  status.exists = file.exists;
  const ids = trustIdentities(file.doc, file.keyPath);
  let state = new Map<string, { trusted_hash?: string; enabled?: boolean }>();
  try {
    const doc = parseConfigToml(readCodexConfig(codexHome).text, status.config_file);
    state = readTrustState(doc);
    status.hooks_disabled_by = hooksFeatureDisabled(doc) ?? null;
    status.legacy_plugins = legacyPluginsEnabled(doc);
  } catch (error) {
    status.error = error instanceof Error ? error.message : String(error);
  }
  for (const loc of locations(file.doc)) {
    const c = classifyCommand(loc.handler.command);
    if (c.kind === 'legacy') status.legacy_entries++;
    if (c.kind !== 'ours' || !(EVENTS as readonly string[]).includes(loc.event)) continue;
    const event = loc.event as ManagedEvent;
    if (status.installed[event]) continue;
    status.installed[event] = true;
    status.commands[event] = commandOf(loc.handler);
    status.launcher = /^npx\s/.test(commandOf(loc.handler)) ? 'npx' : 'node';
    const id = ids.get(loc.handler)!;
    const entry = state.get(id.key);
    status.trusted[event] = entry?.trusted_hash === id.hash && entry.enabled !== false;
  }
  return status;
}
