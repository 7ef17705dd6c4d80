/**
 * Past Claude Code sessions for `import`: `<config>/projects/<cwd slug>/<session id>.jsonl`.
 * Subagent transcripts (`<slug>/<session>/subagents/…`) are not sessions of their own; the
 * transcript reader adds them to the turn that started them.
 *
 * Only the head of each file is read here (its first records name the session, the cwd and the
 * start time); the slug is not decoded back into a path (the mapping loses information).
 */
import { closeSync, fstatSync, openSync, readdirSync, readSync, constants as fsConstants } from 'node:fs';
import { join } from 'node:path';
import type { SessionFile } from '../types.js';

/** Bytes of a transcript's head read to find its session id, cwd and start. */
const HEAD_BYTES = 64 * 1024;

/** `<configDir>/projects`. */
export function claudeSessionsDir(configDir: string): string {
  return join(configDir, 'projects');
}

/** Every top-level session transcript under `<configDir>/projects`, with what its head says. */
export function findClaudeSessions(configDir: string): SessionFile[] {
  const root = claudeSessionsDir(configDir);
  const out: SessionFile[] = [];
  let projects: string[];
  try {
    projects = readdirSync(root);
  } catch {
    return out;
  }
  for (const project of projects.sort()) {
    let names: string[];
    try {
      names = readdirSync(join(root, project)).filter((n) => n.endsWith('.jsonl'));
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      const head = readHead(join(root, project, name));
      if (head) out.push(head);
    }
  }
  return out;
}

/** The session id, cwd and start of a transcript from its first records; undefined when not a file. */
export function readHead(file: string): SessionFile | undefined {
  let fd: number;
  try {
    fd = openSync(file, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  let text: string;
  let mtime: number;
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return undefined;
    mtime = stat.mtimeMs;
    const buffer = Buffer.alloc(Math.min(HEAD_BYTES, stat.size));
    const n = readSync(fd, buffer, 0, buffer.length, 0);
    text = buffer.subarray(0, n).toString('utf8');
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
  const session: SessionFile = { file, startedAt: mtime };
  let started = false;
  for (const line of text.split('\n')) {
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      continue;
    }
    if (record === null || typeof record !== 'object') continue;
    const r = record as Record<string, unknown>;
    if (session.session === undefined && typeof r.sessionId === 'string') session.session = r.sessionId;
    if (session.cwd === undefined && typeof r.cwd === 'string' && r.cwd !== '') session.cwd = r.cwd;
    if (!started && typeof r.timestamp === 'string') {
      const at = Date.parse(r.timestamp);
      if (Number.isFinite(at)) {
        session.startedAt = at;
        started = true;
      }
    }
    if (session.session !== undefined && session.cwd !== undefined && started) break;
  }
  return session;
}
