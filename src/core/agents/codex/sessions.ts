/**
 * Past Codex sessions for `import`: every `rollout-*.jsonl` under `$CODEX_HOME/sessions`, with the
 * session id, cwd and start time read from its first line (session_meta) without reading the rest.
 */
import { closeSync, existsSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isRecord } from '../../json.js';
import type { SessionFile } from '../types.js';

/** Every `rollout-*.jsonl` under `dir`. */
export function findRollouts(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[])
    .filter((p) => /(^|\/)rollout-[^/]*\.jsonl$/.test(p))
    .map((p) => join(dir, p))
    .sort();
}

/** Reads the first line (session_meta) of a rollout, bounded, without reading the rest. */
export function readRolloutHead(file: string): SessionFile {
  const fromName = /rollout-(\d{4})-(\d{2})-(\d{2})T(\d{2})-(\d{2})-(\d{2})/.exec(file);
  let startedAt = fromName
    ? Date.parse(`${fromName[1]}-${fromName[2]}-${fromName[3]}T${fromName[4]}:${fromName[5]}:${fromName[6]}Z`)
    : NaN;
  let sessionId: string | undefined;
  let cwd: string | undefined;
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const buffer = Buffer.alloc(256 * 1024);
    const n = readSync(fd, buffer, 0, buffer.length, 0);
    const text = buffer.subarray(0, n).toString('utf8');
    const line = text.slice(0, text.indexOf('\n') >= 0 ? text.indexOf('\n') : text.length);
    // Codex's format: narrowed field by field, a value of another type is treated as absent.
    const meta: unknown = JSON.parse(line);
    if (isRecord(meta) && meta.type === 'session_meta') {
      const payload = isRecord(meta.payload) ? meta.payload : {};
      const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
      sessionId = text(payload.session_id) ?? text(payload.id);
      cwd = text(payload.cwd);
      const ts = Date.parse(text(payload.timestamp) ?? text(meta.timestamp) ?? '');
      if (Number.isFinite(ts)) startedAt = ts;
    }
  } catch {
    // A rollout without a readable head is still imported if selected by --all.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (!Number.isFinite(startedAt)) {
    try {
      startedAt = statSync(file).mtimeMs;
    } catch {
      startedAt = 0;
    }
  }
  return { file, session: sessionId, cwd, startedAt };
}

/** Every rollout under `dir` with its head, sorted by path. */
export function findCodexSessions(dir: string): SessionFile[] {
  return findRollouts(dir).map(readRolloutHead);
}
