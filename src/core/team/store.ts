/**
 * The shared team store: `.codex-self-evolution/` at the root of a checkout, one
 * Markdown file per entry, named by the entry's stable id so two teammates adding entries never
 * touch the same file and git merges their work without conflicts.
 *
 * ```
 * ---
 * id: m-3f2a91c0de
 * kind: memory
 * title: "Migrations before tests"
 * created: 2026-12-01T10:00:00Z
 * updated: 2026-12-01T10:00:00Z
 * source_commit: 4b825dc642cb6eb9a060e54bf8d69288fbee4904
 * source_paths: ["db/migrate.js"]
 * provenance: "codex-self-evolution: learned from 2 reviewed sessions"
 * ---
 *
 * Run `npm run db:migrate` before the tests.
 * ```
 *
 * This module is on the hook path (session start and prompt-time recall read the store on every
 * call), so it loads no zod: the front matter is parsed by hand with exactly the rules of
 * `TeamFrontMatterSchema` (schema.ts), and a unit test holds the two together. Reading is bounded
 * (at most {@link MAX_TEAM_FILES} files of at most {@link MAX_TEAM_FILE_BYTES} bytes), refuses
 * symlinks, and skips a malformed file with one problem line instead of failing.
 */
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readSync,
  readdirSync,
  statSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { realpathOrResolve } from '../paths.js';

/** Folder of the shared store, at the root of the checkout. */
export const TEAM_DIR = '.codex-self-evolution';
/** The folder's own explanation (never read as an entry). */
export const TEAM_README = 'README.md';
/** Shared skills, where Codex loads project skills. */
export const TEAM_SKILLS_DIR = join('.agents', 'skills');
/** Most entry files read per call (the rest are reported, not read). */
export const MAX_TEAM_FILES = 300;
/** Largest entry file read. */
export const MAX_TEAM_FILE_BYTES = 32 * 1024;
/** Longest title kept. */
export const MAX_TITLE_CHARS = 300;

/** Ids that are safe as one file-name component: what memory (`m-…`), recall and skill ids look like. */
export const TEAM_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const COMMIT_RE = /^[0-9a-f]{7,64}$/;
const KEY_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export type TeamKind = 'memory' | 'recall';

/** One shared entry as read from the store. */
export interface TeamEntry {
  id: string;
  kind: TeamKind;
  title: string;
  content: string;
  created: string | undefined;
  updated: string | undefined;
  sourceCommit: string | undefined;
  /** Repository-relative paths the entry depends on. */
  sourcePaths: string[];
  /** Ids this entry replaces. */
  supersedes: string[];
  confidence: number;
  provenance: string | undefined;
  /** File name inside the store. */
  file: string;
}

/** A front-matter value: what the hand parser produces. */
export type FrontMatterValue = string | number | boolean | string[];

/** The file name of an entry: its id plus `.md`; undefined for an id that is not safe as a name. */
export function teamFileName(id: string): string | undefined {
  return TEAM_ID_RE.test(id) ? `${id}.md` : undefined;
}

/**
 * The root of the working tree containing `dir`: the nearest directory holding a `.git` entry
 * (a directory for a normal clone, a file for a linked worktree or submodule), so each worktree
 * reads its own checkout. Undefined outside a working tree (and for a bare repository).
 */
export function worktreeRoot(dir: string): string | undefined {
  let current = realpathOrResolve(dir);
  for (;;) {
    try {
      lstatSync(join(current, '.git'));
      return current;
    } catch {
      // Not here: go up.
    }
    const parent = dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}

function parseValue(raw: string): FrontMatterValue | { error: string } {
  const v = raw.trim();
  if (v.startsWith('"')) {
    try {
      const parsed = JSON.parse(v) as unknown;
      return typeof parsed === 'string' ? parsed : { error: 'not a string' };
    } catch {
      return { error: 'unterminated or invalid quoted string' };
    }
  }
  if (v.startsWith('[')) {
    try {
      const parsed = JSON.parse(v) as unknown;
      if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string')) return parsed as string[];
    } catch {
      // Reported below.
    }
    return { error: 'a list must be ["…", "…"] of quoted strings' };
  }
  if (v.startsWith("'") && v.endsWith("'") && v.length >= 2) return v.slice(1, -1).replaceAll("''", "'");
  if (/^-?\d+(?:\.\d+)?$/.test(v)) return Number(v);
  if (v === 'true' || v === 'false') return v === 'true';
  return v;
}

/**
 * Splits a file into its front matter (as raw values) and body. Returns the reason when the file
 * is not `---` / `key: value` lines / `---` / body.
 */
export function splitFrontMatter(
  text: string,
): { ok: true; data: Record<string, FrontMatterValue>; body: string } | { ok: false; reason: string } {
  const src = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const lines = src.split(/\r?\n/);
  if (lines[0]?.trim() !== '---')
    return { ok: false, reason: 'no front matter (the file must start with a --- line)' };
  const data: Record<string, FrontMatterValue> = Object.create(null) as Record<string, FrontMatterValue>;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '---')
      return {
        ok: true,
        data,
        body: lines
          .slice(i + 1)
          .join('\n')
          .trim(),
      };
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const colon = line.indexOf(':');
    const key = colon > 0 ? line.slice(0, colon).trim() : '';
    if (!KEY_RE.test(key)) return { ok: false, reason: `line ${i + 1}: expected "key: value"` };
    if (Object.prototype.hasOwnProperty.call(data, key))
      return { ok: false, reason: `line ${i + 1}: ${key} given twice` };
    const value = parseValue(line.slice(colon + 1));
    if (typeof value === 'object' && !Array.isArray(value))
      return { ok: false, reason: `line ${i + 1}: ${key}: ${value.error}` };
    data[key] = value;
  }
  return { ok: false, reason: 'the front matter has no closing --- line' };
}

/**
 * Checks parsed front matter with the rules of `TeamFrontMatterSchema` (schema.ts). Returns the
 * first problem, or undefined when it is valid.
 */
export function checkFrontMatter(data: Record<string, unknown>): string | undefined {
  const str = (key: string) => typeof data[key] === 'string';
  if (!str('id') || !TEAM_ID_RE.test(data.id as string))
    return 'id: must be 1-64 characters of [A-Za-z0-9_-], starting with a letter or digit';
  if (data.kind !== 'memory' && data.kind !== 'recall') return 'kind: must be memory or recall';
  if (!str('title') || (data.title as string).trim() === '') return 'title: must be a non-empty string';
  if ((data.title as string).length > MAX_TITLE_CHARS)
    return `title: longer than ${MAX_TITLE_CHARS} characters`;
  for (const key of ['created', 'updated', 'provenance'] as const) {
    if (data[key] !== undefined && !str(key)) return `${key}: must be a string`;
  }
  if (
    data.source_commit !== undefined &&
    !(
      str('source_commit') &&
      ((data.source_commit as string) === '' || COMMIT_RE.test(data.source_commit as string))
    )
  ) {
    return 'source_commit: must be a commit id (7-64 hex digits)';
  }
  for (const key of ['source_paths', 'supersedes'] as const) {
    const v = data[key];
    if (v !== undefined && !(Array.isArray(v) && v.every((x) => typeof x === 'string')))
      return `${key}: must be a list of strings`;
  }
  const c = data.confidence;
  if (c !== undefined && !(typeof c === 'number' && Number.isFinite(c) && c >= 0 && c <= 1))
    return 'confidence: must be a number from 0 to 1';
  return undefined;
}

/** Parses one entry file. The file name is only recorded, never trusted as an id. */
export function parseTeamEntry(
  text: string,
  file: string,
): { ok: true; entry: TeamEntry } | { ok: false; reason: string } {
  const split = splitFrontMatter(text);
  if (!split.ok) return split;
  const problem = checkFrontMatter(split.data);
  if (problem !== undefined) return { ok: false, reason: problem };
  if (split.body === '') return { ok: false, reason: 'the body (the entry text) is empty' };
  const d = split.data;
  const opt = (key: string) => (typeof d[key] === 'string' && d[key] !== '' ? (d[key] as string) : undefined);
  return {
    ok: true,
    entry: {
      id: d.id as string,
      kind: d.kind as TeamKind,
      title: (d.title as string).trim(),
      content: split.body,
      created: opt('created'),
      updated: opt('updated'),
      sourceCommit: opt('source_commit'),
      sourcePaths: Array.isArray(d.source_paths) ? d.source_paths.filter((p) => p.trim() !== '') : [],
      supersedes: Array.isArray(d.supersedes) ? d.supersedes.filter((p) => p.trim() !== '') : [],
      confidence: typeof d.confidence === 'number' ? d.confidence : 1,
      provenance: opt('provenance'),
      file,
    },
  };
}

/** A front-matter string: JSON-quoted (valid YAML), line separators escaped. */
function quote(text: string): string {
  return JSON.stringify(text).replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

/** What {@link renderTeamEntry} writes. */
export interface TeamEntryInput {
  id: string;
  kind: TeamKind;
  title: string;
  content: string;
  created: string;
  updated: string;
  sourceCommit?: string | undefined;
  sourcePaths?: readonly string[];
  supersedes?: readonly string[];
  confidence?: number | undefined;
  provenance: string;
}

/** The file text of an entry (parses back to the same entry; see the unit tests). */
export function renderTeamEntry(e: TeamEntryInput): string {
  const lines = [
    '---',
    `id: ${e.id}`,
    `kind: ${e.kind}`,
    `title: ${quote(e.title.replace(/\s+/g, ' ').trim().slice(0, MAX_TITLE_CHARS))}`,
  ];
  lines.push(`created: ${quote(e.created)}`, `updated: ${quote(e.updated)}`);
  if (e.sourceCommit) lines.push(`source_commit: ${e.sourceCommit}`);
  if (e.sourcePaths && e.sourcePaths.length > 0) lines.push(`source_paths: ${JSON.stringify(e.sourcePaths)}`);
  if (e.supersedes && e.supersedes.length > 0) lines.push(`supersedes: ${JSON.stringify(e.supersedes)}`);
  if (e.confidence !== undefined && e.confidence !== 1)
    lines.push(`confidence: ${Math.round(e.confidence * 100) / 100}`);
  lines.push(`provenance: ${quote(e.provenance)}`, '---', '', e.content.trim(), '');
  return lines.join('\n');
}

/** What reading a store found. */
export interface TeamStore {
  /** The checkout root. */
  root: string;
  /** `<root>/.codex-self-evolution`. */
  dir: string;
  /** The folder exists (as a real directory). */
  exists: boolean;
  entries: TeamEntry[];
  /** One line per skipped file (malformed, too large, symlink, over the file limit). */
  problems: string[];
}

/** Reads one regular file (never through a symlink, never blocking on a FIFO), bounded. */
function readBounded(file: string, maxBytes: number): string | { error: string } {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { error: code === 'ELOOP' ? 'a symlink (not followed)' : `unreadable (${code ?? 'error'})` };
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return { error: 'not a regular file' };
    if (stat.size > maxBytes) return { error: `larger than ${maxBytes} bytes` };
    const buf = Buffer.alloc(stat.size);
    let done = 0;
    while (done < buf.length) {
      const n = readSync(fd, buf, done, buf.length - done, done);
      if (n === 0) break;
      done += n;
    }
    return buf.subarray(0, done).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** The store folder of a checkout root when it is a real directory (a symlinked folder is refused). */
export function teamStoreDir(root: string): { dir: string; exists: boolean; problem?: string } {
  const dir = join(root, TEAM_DIR);
  try {
    const st = lstatSync(dir);
    if (st.isSymbolicLink()) return { dir, exists: false, problem: `${TEAM_DIR} is a symlink; not read` };
    return { dir, exists: st.isDirectory() };
  } catch {
    return { dir, exists: false };
  }
}

/**
 * Reads the shared store of the checkout at `root`. Never throws: every file that cannot be used
 * is skipped with one problem line naming it and why. Entries come sorted by file name.
 */
export function loadTeamStore(
  root: string,
  options: { maxFiles?: number; stateHome?: string } = {},
): TeamStore {
  const { dir, exists, problem } = teamStoreDir(root);
  // A repository at $HOME (dotfiles) has the state home itself at <root>/.codex-self-evolution.
  if (options.stateHome !== undefined && dir === options.stateHome)
    return { root, dir, exists: false, entries: [], problems: [] };
  const store: TeamStore = { root, dir, exists, entries: [], problems: problem ? [problem] : [] };
  if (!exists) return store;
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((n) => n.endsWith('.md') && n !== TEAM_README && !n.startsWith('.'))
      .sort();
  } catch (error) {
    store.problems.push(`${TEAM_DIR}: unreadable (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    return store;
  }
  const max = options.maxFiles ?? MAX_TEAM_FILES;
  if (names.length > max) {
    store.problems.push(`${TEAM_DIR}: ${names.length} entry files; only the first ${max} are read`);
    names = names.slice(0, max);
  }
  const seen = new Set<string>();
  for (const name of names) {
    const text = readBounded(join(dir, name), MAX_TEAM_FILE_BYTES);
    if (typeof text !== 'string') {
      store.problems.push(`${TEAM_DIR}/${name} skipped: ${text.error}`);
      continue;
    }
    const parsed = parseTeamEntry(text, name);
    if (!parsed.ok) {
      store.problems.push(`${TEAM_DIR}/${name} skipped (malformed): ${parsed.reason}`);
      continue;
    }
    if (seen.has(parsed.entry.id)) {
      store.problems.push(`${TEAM_DIR}/${name} skipped: id ${parsed.entry.id} is also used by another file`);
      continue;
    }
    seen.add(parsed.entry.id);
    store.entries.push(parsed.entry);
  }
  return store;
}

/** A repository-relative path that can be checked inside the checkout (no `..`, not absolute). */
export function isSafeRelativePath(p: string): boolean {
  if (p === '' || p.startsWith('/') || p.startsWith('\\') || /^[A-Za-z]:/.test(p) || p.includes('\0'))
    return false;
  return !p.split(/[\\/]/).some((part) => part === '..');
}

/**
 * Why a shared entry is stale for this reader (a source path it depends on is gone from the
 * checkout), or undefined. One `stat` per declared path; paths that cannot be checked safely are
 * ignored.
 */
export function teamStaleReason(entry: TeamEntry, root: string): string | undefined {
  const missing: string[] = [];
  for (const p of entry.sourcePaths) {
    if (!isSafeRelativePath(p)) continue;
    try {
      statSync(join(root, p));
    } catch {
      missing.push(p);
    }
  }
  return missing.length > 0
    ? `source_deleted: ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ' …' : ''}`
    : undefined;
}
