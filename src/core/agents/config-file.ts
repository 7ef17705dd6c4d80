/**
 * Helpers every agent's installer shares to edit a configuration file it does not own (Codex's
 * hooks.json, Claude Code's settings.json): keep the file's formatting, back it up before a change,
 * show a change as a diff, and quote the hook command that starts this tool.
 */
import {
  copyFileSync,
  existsSync,
  readdirSync,
  readFileSync,
  realpathSync,
  statSync,
  constants as fsConstants,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { AppError } from '../errors.js';
import type { Launcher } from './types.js';

/** A configuration file that cannot be used or written safely; it is never overwritten. */
export class ConfigFileError extends AppError {}

/** A configuration file as read before an edit. */
export interface ConfigFileRead {
  text: string;
  exists: boolean;
  /** Where a rewrite goes: the target of a symlinked file, so the link stays a link. */
  writePath: string;
  /** Permission bits a rewrite keeps. */
  mode: number;
}

/**
 * Reads a configuration file we edit but do not own. A missing file reads as empty; any other
 * failure is thrown as the error `fail` makes of its message.
 */
export function readConfigFile(path: string, fail: (message: string) => Error): ConfigFileRead {
  const read: ConfigFileRead = { text: '', exists: false, writePath: path, mode: 0o644 };
  try {
    read.text = readFileSync(path, 'utf8');
    read.exists = true;
    read.writePath = realpathSync(path);
    read.mode = statSync(read.writePath).mode & 0o777;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      throw fail(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return read;
}

/** A POSIX single-quoted word (safe in sh, bash, zsh and fish). */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The words that start this CLI in a hook command: `'<node>' '<cli.js>'` (no resolution, no
 * network, fastest) or `npx -y '<package>@<version>'` (no global install, pays npx's resolution).
 */
export function launcherPrefix(launcher: Launcher): string {
  return launcher.kind === 'node'
    ? `${shellQuote(launcher.node)} ${shellQuote(launcher.cli)}`
    : `npx -y ${shellQuote(launcher.packageSpec)}`;
}

/** How the file is formatted, so a rewrite looks like the original. */
export interface JsonStyle {
  indent: string;
  eol: '\n' | '\r\n';
  finalNewline: boolean;
  bom: boolean;
}

/** The style of a new file: 2 spaces, LF, final newline. */
export const DEFAULT_STYLE: JsonStyle = { indent: '  ', eol: '\n', finalNewline: true, bom: false };

/** Detects indentation, line ending, final newline and BOM of JSON text. */
export function detectJsonStyle(text: string): JsonStyle {
  const bom = text.startsWith('\uFEFF');
  const body = bom ? text.slice(1) : text;
  if (body.trim() === '') return { ...DEFAULT_STYLE, bom };
  const eol = body.includes('\r\n') ? '\r\n' : '\n';
  const inner = body.trim();
  const m = /\n([ \t]+)\S/.exec(inner);
  // The first indented line gives one level; a file without one is written compact.
  const indent = m ? (m[1]!.startsWith('\t') ? '\t' : m[1]!) : '';
  return { indent, eol, finalNewline: /\n$/.test(body), bom };
}

/** Serializes `doc` in `style`. */
export function serializeJson(doc: unknown, style: JsonStyle): string {
  const text = style.indent === '' ? JSON.stringify(doc) : JSON.stringify(doc, null, style.indent);
  const body = style.eol === '\r\n' ? text.replace(/\n/g, '\r\n') : text;
  return `${style.bom ? '\uFEFF' : ''}${body}${style.finalNewline ? style.eol : ''}`;
}

/** `<file>.bak.<…>` backups next to `file`, newest first. */
export function listBackups(hooksPath: string): string[] {
  const dir = dirname(hooksPath);
  const prefix = `${basename(hooksPath)}.bak.`;
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.startsWith(prefix));
  } catch {
    return [];
  }
  return names
    .map((n) => {
      const p = join(dir, n);
      let mtime: number;
      try {
        mtime = statSync(p).mtimeMs;
      } catch {
        mtime = 0;
      }
      return { p, n, mtime };
    })
    .sort((a, b) => b.mtime - a.mtime || (a.n < b.n ? 1 : a.n > b.n ? -1 : 0))
    .map((e) => e.p);
}

/** A sortable timestamp for file names: `20261126T060021123Z`. */
export function fileStamp(now: Date = new Date()): string {
  return now.toISOString().replace(/[-:.]/g, '');
}

/** Copies `file` to `<file>.bak.<stamp>` (never overwriting an existing backup). Returns the path. */
export function backupFile(file: string, now: Date = new Date()): string {
  const base = `${file}.bak.${fileStamp(now)}`;
  for (let i = 0; i < 100; i++) {
    const target = i === 0 ? base : `${base}-${i}`;
    if (existsSync(target)) continue;
    copyFileSync(file, target, fsConstants.COPYFILE_EXCL);
    return target;
  }
  throw new ConfigFileError(`cannot create a backup of ${file}: too many backups with the same timestamp`);
}

/**
 * A unified-style line diff (`-`/`+`, two lines of context, `…` between hunks) for dry runs.
 * Files here are small (hundreds of lines), so the quadratic LCS table is fine.
 */
export function textDiff(before: string, after: string, context = 2): string {
  const a = before === '' ? [] : before.replace(/\r?\n$/, '').split(/\r?\n/);
  const b = after === '' ? [] : after.replace(/\r?\n$/, '').split(/\r?\n/);
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--)
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  }
  const ops: Array<{ op: ' ' | '-' | '+'; line: string }> = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      ops.push({ op: ' ', line: a[i]! });
      i++;
      j++;
    } else if (i < n && (j === m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      ops.push({ op: '-', line: a[i]! });
      i++;
    } else {
      ops.push({ op: '+', line: b[j]! });
      j++;
    }
  }
  const keep = ops.map(
    (o, k) => o.op !== ' ' || ops.slice(Math.max(0, k - context), k + context + 1).some((x) => x.op !== ' '),
  );
  const out: string[] = [];
  let skipped = false;
  ops.forEach((o, k) => {
    if (!keep[k]) {
      skipped = true;
      return;
    }
    if (skipped && out.length > 0) out.push('  …');
    skipped = false;
    out.push(`${o.op} ${o.line}`);
  });
  return out.join('\n');
}
