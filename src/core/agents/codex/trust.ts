/**
 * Codex hook trust (codex-hooks.md §3): the key and hash Codex 0.169 gives every non-managed
 * hook, reading the `[hooks.state."<key>"]` tables of `$CODEX_HOME/config.toml`, and editing
 * them surgically.
 *
 * Codex runs a user hook only when `hooks.state."<key>".trusted_hash` equals the hook's current
 * hash; otherwise it skips the hook without a word. The key is
 * `<canonical path of hooks.json>:<event_snake>:<group index>:<handler index>`, so a hook's
 * trust is tied to its position: inserting or removing a group before another tool's hook
 * changes that hook's key and silently untrusts it. The planners in hooks.ts therefore report
 * such moves, and `planTrustEdit` can carry the trust along (`TrustMove`).
 *
 * Edits keep the user's file: comments, order and formatting of everything else are untouched.
 * Every edit is verified by parsing the result and comparing it with the expected document;
 * an edit that would change anything else is refused (TrustEditError) rather than written.
 */
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  readFileSync,
  realpathSync,
  statSync,
  constants as fsConstants,
} from 'node:fs';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { AppError } from '../../errors.js';
import { writeFileAtomic } from '../../fs/atomic.js';

/** Events whose matcher Codex uses (and hashes); the others ignore it (codex-hooks.md §2). */
export const MATCHER_EVENTS: ReadonlySet<string> = new Set([
  'PreToolUse',
  'PermissionRequest',
  'PostToolUse',
  'SessionStart',
  'SubagentStart',
  'SubagentStop',
  'PreCompact',
  'PostCompact',
  'SessionEnd',
]);

/** `SessionStart` → `session_start` (the event name inside keys and hashes). */
export function eventSnake(event: string): string {
  return event.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/** Codex's timeout when a handler sets none: 600 s, but 1 s for SessionEnd and Interrupt. */
export function defaultHookTimeout(event: string): number {
  return event === 'SessionEnd' || event === 'Interrupt' ? 1 : 600;
}

/** The fields of a hooks.json handler that take part in the hash. */
export interface HashableHandler {
  type?: unknown;
  command?: unknown;
  timeout?: unknown;
  async?: unknown;
  statusMessage?: unknown;
}

function sortDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortDeep);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortDeep((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/**
 * The hash Codex computes for one command handler (`sha256:<hex>`), codex-hooks.md §3:
 * sha256 of the key-sorted JSON of `{event_name, matcher?, hooks:[{type, command, timeout,
 * async, statusMessage?}]}`. The matcher counts only when set and the event uses matchers.
 */
export function hookTrustHash(event: string, matcher: unknown, handler: HashableHandler): string {
  const timeoutRaw =
    typeof handler.timeout === 'number' && Number.isFinite(handler.timeout)
      ? handler.timeout
      : defaultHookTimeout(event);
  const normalized: Record<string, unknown> = {
    type: 'command',
    command: typeof handler.command === 'string' ? handler.command : '',
    timeout: Math.max(1, timeoutRaw),
    async: handler.async === true,
  };
  if (handler.statusMessage !== undefined && handler.statusMessage !== null)
    normalized.statusMessage = handler.statusMessage;
  const identity: Record<string, unknown> = { event_name: eventSnake(event), hooks: [normalized] };
  if (MATCHER_EVENTS.has(event) && matcher !== undefined && matcher !== null) identity.matcher = matcher;
  return `sha256:${createHash('sha256')
    .update(JSON.stringify(sortDeep(identity)))
    .digest('hex')}`;
}

/** The key Codex stores trust under: `<hooks.json path>:<event_snake>:<group>:<handler>`. */
export function hookTrustKey(
  hooksJsonPath: string,
  event: string,
  groupIndex: number,
  handlerIndex: number,
): string {
  return `${hooksJsonPath}:${eventSnake(event)}:${groupIndex}:${handlerIndex}`;
}

/** One `[hooks.state."<key>"]` table as Codex reads it. */
export interface TrustStateEntry {
  trusted_hash?: string;
  enabled?: boolean;
}

/** A config.toml that cannot be parsed or edited safely. */
export class TrustEditError extends AppError {}

/** Parses config.toml text (empty text is an empty document). Throws TrustEditError on bad TOML. */
export function parseConfigToml(text: string, file = 'config.toml'): Record<string, unknown> {
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (error) {
    throw new TrustEditError(
      `cannot parse ${file}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
      {
        hint: 'fix the TOML syntax first (Codex refuses to start with it too), then run the command again',
      },
    );
  }
}

/** The `hooks.state` tables of a parsed config.toml, by key. */
export function readTrustState(doc: Record<string, unknown>): Map<string, TrustStateEntry> {
  const out = new Map<string, TrustStateEntry>();
  const hooks = doc.hooks;
  if (hooks === null || typeof hooks !== 'object') return out;
  const state = (hooks as Record<string, unknown>).state;
  if (state === null || typeof state !== 'object') return out;
  for (const [key, value] of Object.entries(state as Record<string, unknown>)) {
    if (value === null || typeof value !== 'object') continue;
    const entry: TrustStateEntry = {};
    const v = value as Record<string, unknown>;
    if (typeof v.trusted_hash === 'string') entry.trusted_hash = v.trusted_hash;
    if (typeof v.enabled === 'boolean') entry.enabled = v.enabled;
    out.set(key, entry);
  }
  return out;
}

/** Whether `[features] hooks` (or the deprecated `codex_hooks`) turns Codex hooks off. */
export function hooksFeatureDisabled(doc: Record<string, unknown>): string | undefined {
  const features = doc.features;
  if (features === null || typeof features !== 'object') return undefined;
  const f = features as Record<string, unknown>;
  if (f.hooks === false) return 'features.hooks = false';
  if (f.codex_hooks === false) return 'features.codex_hooks = false';
  return undefined;
}

/** Plugin ids of the Python original's Codex plugin that are enabled (they would run its hooks too). */
export function legacyPluginsEnabled(doc: Record<string, unknown>): string[] {
  const plugins = doc.plugins;
  if (plugins === null || typeof plugins !== 'object') return [];
  return Object.entries(plugins as Record<string, unknown>)
    .filter(
      ([id, v]) =>
        id.startsWith('codex-self-evolution@') &&
        v !== null &&
        typeof v === 'object' &&
        (v as Record<string, unknown>).enabled === true,
    )
    .map(([id]) => id);
}

// ---------------------------------------------------------------------------------------------
// Surgical edits
// ---------------------------------------------------------------------------------------------

/** Trust for a hook whose key changed because hooks before it were added or removed. */
export interface TrustMove {
  from: string;
  to: string;
  hash: string;
}

/** What to change in `hooks.state`. */
export interface TrustEditRequest {
  /** Set `trusted_hash` of these keys (table created when missing). */
  upserts?: ReadonlyArray<{ key: string; hash: string }>;
  /** Remove these keys' tables, only when their stored hash is the given one (ours). */
  removals?: ReadonlyArray<{ key: string; hash: string }>;
  /** Carry a stored trust to a new key when the stored hash equals `hash`. */
  moves?: readonly TrustMove[];
}

/** The result of planning an edit. */
export interface TrustEditPlan {
  before: string;
  after: string;
  changed: boolean;
  /** Keys whose trusted_hash is written. */
  trusted: string[];
  /** Keys whose table is removed. */
  removed: string[];
  /** Moves that were carried out (the stored hash matched). */
  moved: TrustMove[];
}

/** A TOML basic string (JSON escapes are valid TOML escapes; DEL must be escaped too). */
export function tomlBasicString(value: string): string {
  return JSON.stringify(value).replace(/\u007f/g, '\\u007F');
}

interface HeaderLine {
  /** Offset of the first character of the line. */
  start: number;
  /** Offset just past the line's newline (or the text end). */
  end: number;
  /** Decoded key path, or undefined when the line is an array table or unparseable. */
  path: string[] | undefined;
}

/** Parses the key path of a `[a."b".'c']` header line; undefined for `[[…]]` or odd lines. */
export function parseHeaderPath(line: string): string[] | undefined {
  const text = line.trim();
  if (!text.startsWith('[') || text.startsWith('[[')) return undefined;
  const parts: string[] = [];
  let i = 1;
  const skipWs = () => {
    while (text[i] === ' ' || text[i] === '\t') i++;
  };
  for (;;) {
    skipWs();
    const ch = text[i];
    if (ch === '"') {
      let j = i + 1;
      let raw = '';
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\') {
          raw += text.slice(j, j + 2);
          j += 2;
          continue;
        }
        raw += text[j];
        j++;
      }
      if (j >= text.length) return undefined;
      try {
        const decoded: unknown = JSON.parse(
          `"${raw.replace(/\\U([0-9a-fA-F]{8})/g, (_m, hex: string) => String.fromCodePoint(parseInt(hex, 16)).replace(/"/g, '\\"'))}"`,
        );
        if (typeof decoded !== 'string') return undefined;
        parts.push(decoded);
      } catch {
        return undefined;
      }
      i = j + 1;
    } else if (ch === "'") {
      const j = text.indexOf("'", i + 1);
      if (j < 0) return undefined;
      parts.push(text.slice(i + 1, j));
      i = j + 1;
    } else {
      const m = /^[A-Za-z0-9_-]+/.exec(text.slice(i));
      if (!m) return undefined;
      parts.push(m[0]);
      i += m[0].length;
    }
    skipWs();
    if (text[i] === '.') {
      i++;
      continue;
    }
    if (text[i] !== ']') return undefined;
    const rest = text.slice(i + 1).trim();
    if (rest !== '' && !rest.startsWith('#')) return undefined;
    return parts;
  }
}

/** Every line that starts a table (`[…]` or `[[…]]`), in order. */
function headerLines(text: string): HeaderLine[] {
  const out: HeaderLine[] = [];
  let start = 0;
  while (start < text.length) {
    const nl = text.indexOf('\n', start);
    const end = nl < 0 ? text.length : nl + 1;
    const line = text.slice(start, end).replace(/\r?\n$/, '');
    if (/^\s*\[/.test(line)) out.push({ start, end, path: parseHeaderPath(line) });
    start = end;
  }
  return out;
}

function isStateTable(path: string[] | undefined, key: string): boolean {
  return (
    path !== undefined && path.length === 3 && path[0] === 'hooks' && path[1] === 'state' && path[2] === key
  );
}

/** Normalizes a parsed TOML document into plain JSON-comparable data. */
function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return `${value}n`;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    if (typeof (value as { toISOString?: unknown }).toISOString === 'function') return String(value);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

/**
 * Plans `request` against config.toml `text` (empty when the file is missing). The result's
 * `after` text differs from `before` only in the `hooks.state` tables named by the request.
 * Throws TrustEditError when the file cannot be parsed or when the keys are written in a form
 * (inline tables, dotted keys) that cannot be edited without rewriting the user's file.
 */
export function planTrustEdit(text: string, request: TrustEditRequest, file = 'config.toml'): TrustEditPlan {
  const doc = parseConfigToml(text, file);
  const state = readTrustState(doc);
  const eol = text.includes('\r\n') ? '\r\n' : '\n';

  // Desired final values: key → hash to write, or null to delete.
  const desired = new Map<string, string | null>();
  const moved: TrustMove[] = [];
  for (const move of request.moves ?? []) {
    if (move.from === move.to) continue;
    if (state.get(move.from)?.trusted_hash !== move.hash) continue;
    moved.push(move);
  }
  for (const move of moved) if (!desired.has(move.from)) desired.set(move.from, null);
  for (const move of moved) desired.set(move.to, move.hash);
  for (const r of request.removals ?? []) {
    if (state.get(r.key)?.trusted_hash === r.hash && !desired.has(r.key)) desired.set(r.key, null);
  }
  for (const u of request.upserts ?? []) desired.set(u.key, u.hash);

  let after = text;
  const trusted: string[] = [];
  const removed: string[] = [];
  for (const [key, hash] of desired) {
    const current = state.get(key);
    if (hash !== null && current?.trusted_hash === hash) continue;
    if (hash === null && current === undefined) continue;
    const headers = headerLines(after);
    const index = headers.findIndex((h) => isStateTable(h.path, key));
    if (index < 0 && current !== undefined) {
      throw new TrustEditError(
        `${file}: hooks.state ${JSON.stringify(key)} is written in a form this tool does not edit (not a [hooks.state."…"] table)`,
        {
          hint: 'trust the hooks in Codex instead: open codex, type /hooks',
        },
      );
    }
    if (hash === null) {
      const h = headers[index]!;
      const next = headers[index + 1]?.start ?? after.length;
      // Remove the header and its key lines (and blank lines after them), but keep comment
      // lines right before the next table: they describe that table, not this one.
      let end = h.end;
      let cursor = h.end;
      while (cursor < next) {
        const nl = after.indexOf('\n', cursor);
        const lineEnd = nl < 0 || nl + 1 > next ? next : nl + 1;
        const line = after.slice(cursor, lineEnd).trim();
        if (line !== '' && !line.startsWith('#')) end = lineEnd;
        cursor = lineEnd;
      }
      while (end < next) {
        const nl = after.indexOf('\n', end);
        const lineEnd = nl < 0 || nl + 1 > next ? next : nl + 1;
        if (after.slice(end, lineEnd).trim() !== '') break;
        end = lineEnd;
      }
      if (end >= after.length) {
        // The last table: also drop the blank lines that separated it, so the file still ends
        // with exactly one newline.
        const head = after.slice(0, h.start).replace(/(?:[ \t]*\r?\n)+$/, '');
        after = head === '' ? '' : head + eol;
      } else {
        after = after.slice(0, h.start) + after.slice(end);
      }
      removed.push(key);
      continue;
    }
    const line = `trusted_hash = ${tomlBasicString(hash)}`;
    if (index >= 0) {
      const h = headers[index]!;
      const bodyEnd = headers[index + 1]?.start ?? after.length;
      const body = after.slice(h.end, bodyEnd);
      const m = /^([ \t]*)(?:trusted_hash|"trusted_hash"|'trusted_hash')[ \t]*=.*$/m.exec(body);
      if (m) {
        const lineStart = h.end + m.index;
        const lineEnd = lineStart + m[0].replace(/\r$/, '').length;
        after = after.slice(0, lineStart) + m[1] + line + after.slice(lineEnd);
      } else {
        const needsEol = h.end === after.length && !after.endsWith('\n');
        after = after.slice(0, h.end) + (needsEol ? eol : '') + line + eol + after.slice(h.end);
      }
    } else {
      let prefix = after;
      if (prefix !== '' && !prefix.endsWith('\n')) prefix += eol;
      if (prefix !== '' && !/(\r?\n){2}$/.test(prefix)) prefix += eol;
      after = `${prefix}[hooks.state.${tomlBasicString(key)}]${eol}${line}${eol}`;
    }
    trusted.push(key);
  }

  // Verify: the result parses, and equals the original document with exactly these changes.
  const expected = plain(doc) as Record<string, unknown>;
  for (const [key, hash] of desired) {
    const hooks = (expected.hooks ??= {}) as Record<string, unknown>;
    const st = (hooks.state ??= {}) as Record<string, Record<string, unknown> | undefined>;
    if (hash === null) delete st[key];
    else st[key] = { ...(st[key] ?? {}), trusted_hash: hash };
  }
  if (after !== text) {
    let actual: unknown;
    try {
      actual = plain(parseToml(after));
    } catch (error) {
      throw new TrustEditError(
        `${file}: editing the trust tables would break the file (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); nothing was written`,
        {
          hint: 'trust the hooks in Codex instead: open codex, type /hooks',
        },
      );
    }
    if (JSON.stringify(sortDeep(pruneEmpty(actual))) !== JSON.stringify(sortDeep(pruneEmpty(expected)))) {
      throw new TrustEditError(
        `${file}: editing the trust tables would change other settings; nothing was written`,
        {
          hint: 'trust the hooks in Codex instead: open codex, type /hooks',
        },
      );
    }
  }
  return { before: text, after, changed: after !== text, trusted, removed, moved };
}

/** Drops empty `hooks.state` / `hooks` tables so "no table" and "empty table" compare equal. */
function pruneEmpty(doc: unknown): unknown {
  if (doc === null || typeof doc !== 'object') return doc;
  const copy = { ...(doc as Record<string, unknown>) };
  const hooks = copy.hooks;
  if (hooks !== null && typeof hooks === 'object' && !Array.isArray(hooks)) {
    const h = { ...(hooks as Record<string, unknown>) };
    if (h.state !== null && typeof h.state === 'object' && Object.keys(h.state).length === 0) delete h.state;
    if (Object.keys(h).length === 0) delete copy.hooks;
    else copy.hooks = h;
  }
  return copy;
}

// ---------------------------------------------------------------------------------------------
// The file
// ---------------------------------------------------------------------------------------------

/** `$CODEX_HOME/config.toml` as read. */
export interface CodexConfigFile {
  path: string;
  /** The symlink target when config.toml is a symlink. */
  writePath: string;
  exists: boolean;
  text: string;
  mode: number;
}

/** Reads `<codexHome>/config.toml` ('' when missing). */
export function readCodexConfig(codexHome: string): CodexConfigFile {
  const path = join(codexHome, 'config.toml');
  try {
    const text = readFileSync(path, 'utf8');
    const writePath = realpathSync(path);
    return { path, writePath, exists: true, text, mode: statSync(writePath).mode & 0o777 };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new TrustEditError(
        `cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    return { path, writePath: path, exists: false, text: '', mode: 0o600 };
  }
}

/** Writes a planned edit: backs the file up (`config.toml.bak.<stamp>`), then replaces it atomically. */
export function applyTrustEdit(
  file: CodexConfigFile,
  plan: TrustEditPlan,
  stamp: string,
): { backup: string | undefined } {
  if (!plan.changed) return { backup: undefined };
  let current: string | null;
  try {
    current = readFileSync(file.path, 'utf8');
  } catch {
    current = null;
  }
  if (current !== (file.exists ? file.text : null)) {
    throw new TrustEditError(
      `${file.path} changed while this command was running; nothing was written to it`,
      { hint: 'run the command again' },
    );
  }
  let backup: string | undefined;
  if (file.exists) {
    for (let i = 0; i < 100 && backup === undefined; i++) {
      const target = `${file.path}.bak.${stamp}${i === 0 ? '' : `-${i}`}`;
      if (existsSync(target)) continue;
      copyFileSync(file.path, target, fsConstants.COPYFILE_EXCL);
      backup = target;
    }
  }
  writeFileAtomic(file.writePath, plan.after, { mode: file.mode });
  return { backup };
}
