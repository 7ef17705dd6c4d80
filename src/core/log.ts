/**
 * JSON-lines log at `<home>/logs/plugin.log`: one summary line per invocation plus
 * warnings. Size-bounded: past `maxBytes` the file rotates to `plugin.log.1` … `.N`.
 *
 * Never logs secrets or transcripts: callers pass counts, names and hashes; string values of
 * warning and error lines, and any long string, go through the redactor as a second guard.
 */
import { lstatSync, mkdirSync, renameSync } from 'node:fs';
import { appendNoFollow, ensureRealDir } from './fs/safe.js';
import { join } from 'node:path';
import { redactText } from './redact/redact.js';

export type LogLevel = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';

export interface LogOptions {
  /** Directory of the log (`<home>/logs`). */
  dir: string;
  /** Rotate past this size (default 5 MiB). */
  maxBytes?: number;
  /** Rotated files kept (default 5). */
  keep?: number;
  /** Written when the log directory cannot be used (default: process.stderr). */
  fallback?: (line: string) => void;
}

let config: (Required<Omit<LogOptions, 'fallback'>> & { fallback: (line: string) => void }) | undefined;

/** Sets where log lines go. Until called, lines are dropped (core code may log freely). */
export function configureLog(options: LogOptions): void {
  config = {
    dir: options.dir,
    maxBytes: options.maxBytes ?? 5 * 1024 * 1024,
    keep: options.keep ?? 5,
    fallback: options.fallback ?? ((line) => process.stderr.write(line)),
  };
  dirChecked = false;
}

/** Log directory under a home. */
export function logDirFor(home: string): string {
  return join(home, 'logs');
}

/** Path of the current log file, or undefined when logging is not configured. */
export function currentLogPath(): string | undefined {
  return config ? join(config.dir, 'plugin.log') : undefined;
}

function sanitize(value: unknown, force: boolean): unknown {
  if (typeof value === 'string') {
    const clipped = value.length > 2000 ? `${value.slice(0, 2000)}…` : value;
    return force || clipped.length > 120 ? redactText(clipped).text : clipped;
  }
  if (Array.isArray(value)) return value.map((v) => sanitize(v, force));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, sanitize(v, force)]));
  }
  return value;
}

function rotate(file: string, keep: number): void {
  for (let i = keep - 1; i >= 1; i--) {
    try {
      renameSync(`${file}.${i}`, `${file}.${i + 1}`);
    } catch {
      // Missing generations are fine.
    }
  }
  try {
    renameSync(file, `${file}.1`);
  } catch {
    // Another process rotated it first.
  }
}

let dirChecked = false;
let movedDir: { path: string; aside: string; kind: string } | undefined;

/** Appends one line. Never throws: logging must not break a hook. */
export function log(level: LogLevel, msg: string, extras: Record<string, unknown> = {}): void {
  if (!config) return;
  const force = level === 'WARNING' || level === 'ERROR';
  const line = `${JSON.stringify({ ts: new Date().toISOString(), level, msg: sanitize(msg, force), ...(sanitize(extras, force) as object) })}\n`;
  const file = join(config.dir, 'plugin.log');
  try {
    if (!dirChecked) {
      // Once per process: a symlinked logs/ directory is moved aside, never written through.
      dirChecked = true;
      ensureRealDir(config.dir, (what) => (movedDir = what));
    }
    try {
      if (lstatSync(file).size > config.maxBytes) rotate(file, config.keep);
    } catch {
      mkdirSync(config.dir, { recursive: true });
    }
    // Never through a planted symlink (or into a FIFO): it is moved aside, and said so.
    let moved = movedDir;
    movedDir = undefined;
    appendNoFollow(file, line, { onMovedAside: (what) => (moved = what) });
    if (moved) {
      const note = {
        ts: new Date().toISOString(),
        level: 'WARNING',
        msg: `log: ${moved.path} was a ${moved.kind}; moved aside to ${moved.aside}, not followed`,
      };
      appendNoFollow(file, `${JSON.stringify(note)}\n`);
    }
  } catch {
    try {
      config.fallback(line);
    } catch {
      // Nowhere left to write.
    }
  }
}

/** Logs that a planted symlink or special file was moved aside instead of being followed. */
export function reportMovedAside(what: { path: string; aside: string; kind: string }): void {
  log('WARNING', `${what.path} was a ${what.kind}; moved aside to ${what.aside}, not followed`, {
    kind: 'safety',
  });
}

export const logInfo = (msg: string, extras?: Record<string, unknown>): void => log('INFO', msg, extras);
export const logWarn = (msg: string, extras?: Record<string, unknown>): void => log('WARNING', msg, extras);
export const logError = (msg: string, extras?: Record<string, unknown>): void => log('ERROR', msg, extras);
