/**
 * `import`: bootstraps memory from existing Codex history (`$CODEX_HOME/sessions/**\/rollout-*.jsonl`).
 *
 * Each turn of each selected rollout is reviewed exactly as the Stop hook would have reviewed it
 * (the transcript up to that turn, the turn itself in full), and keyed by (session, turn) like
 * the hook: a turn the hook or an earlier import already queued is skipped before any reviewer
 * call, so importing twice, or importing sessions the hook already saw, adds nothing.
 */
import { closeSync, existsSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../config/load.js';
import { describeError } from '../errors.js';
import { ensureRuntimeDirs, repoIdentity, resolveStatePaths, type StatePaths } from '../paths.js';
import { reviewTurn } from './review-turn.js';
import { turnIdempotencyKey } from './spool.js';
import { readRollout } from './transcript.js';

export interface ImportOptions {
  home: string;
  codexHome: string;
  /** Only rollouts of this repository (any directory inside it); undefined with `all`. */
  repo?: string;
  all?: boolean;
  /** Only sessions started at or after this time. */
  since?: Date;
  /** Review at most this many rollouts (newest first). */
  limit?: number;
  dryRun?: boolean;
  /** Reviewer provider override (else the configured one). */
  provider?: string;
  onProgress?: (done: number, total: number, suggestions: number) => void;
}

export interface ImportSummary {
  sessions_dir: string;
  rollouts_found: number;
  rollouts_selected: number;
  turns_reviewed: number;
  turns_already_reviewed: number;
  suggestions: number;
  envelopes: number;
  failures: Array<{ rollout: string; turn: string; error: string }>;
  buckets: string[];
  dry_run: boolean;
}

interface RolloutHead {
  file: string;
  sessionId: string | undefined;
  cwd: string | undefined;
  startedAt: number;
}

/** Every `rollout-*.jsonl` under `dir`. */
export function findRollouts(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[])
    .filter((p) => /(^|\/)rollout-[^/]*\.jsonl$/.test(p))
    .map((p) => join(dir, p))
    .sort();
}

/** Reads the first line (session_meta) of a rollout, bounded, without reading the rest. */
export function readRolloutHead(file: string): RolloutHead {
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
    const meta = JSON.parse(line) as {
      type?: string;
      timestamp?: string;
      payload?: { session_id?: string; id?: string; cwd?: string; timestamp?: string };
    };
    if (meta.type === 'session_meta') {
      sessionId = meta.payload?.session_id ?? meta.payload?.id;
      cwd = meta.payload?.cwd;
      const ts = Date.parse(meta.payload?.timestamp ?? meta.timestamp ?? '');
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
  return { file, sessionId, cwd, startedAt };
}

/** Imports past sessions into the review queue. */
export async function importSessions(options: ImportOptions): Promise<ImportSummary> {
  const sessionsDir = join(options.codexHome, 'sessions');
  const files = findRollouts(sessionsDir);
  const wantRepo = options.all ? undefined : repoIdentity(options.repo ?? process.cwd());
  let heads = files.map(readRolloutHead).filter((h) => h.cwd !== undefined && h.sessionId !== undefined);
  if (wantRepo) heads = heads.filter((h) => repoIdentity(h.cwd!) === wantRepo);
  if (options.since) heads = heads.filter((h) => h.startedAt >= options.since!.getTime());
  heads.sort((a, b) => b.startedAt - a.startedAt || a.file.localeCompare(b.file));
  if (options.limit !== undefined) heads = heads.slice(0, options.limit);
  // Oldest first, so later sessions can refine what earlier ones taught.
  heads.reverse();

  const summary: ImportSummary = {
    sessions_dir: sessionsDir,
    rollouts_found: files.length,
    rollouts_selected: heads.length,
    turns_reviewed: 0,
    turns_already_reviewed: 0,
    suggestions: 0,
    envelopes: 0,
    failures: [],
    buckets: [],
    dry_run: Boolean(options.dryRun),
  };
  const config = options.dryRun ? null : (await loadConfig({ home: options.home })).config;
  const buckets = new Set<string>();
  let done = 0;
  for (const head of heads) {
    const paths: StatePaths = resolveStatePaths({ cwd: head.cwd!, home: options.home });
    buckets.add(paths.stateDir);
    try {
      const transcript = await readRollout(head.file);
      for (let i = 0; i < transcript.turns.length; i++) {
        const turn = transcript.turns[i]!;
        if (!turn.entries.some((e) => e.kind === 'user')) continue;
        const turnId = turn.turnId ?? `turn-${turn.index}`;
        const key = turnIdempotencyKey(head.sessionId!, turnId);
        if (existsSync(join(paths.suggestionsDir, '.keys', key))) {
          summary.turns_already_reviewed++;
          continue;
        }
        if (options.dryRun) {
          summary.turns_reviewed++;
          continue;
        }
        ensureRuntimeDirs(paths);
        try {
          const review = await reviewTurn(
            paths,
            {
              sessionId: head.sessionId!,
              turnId,
              cwd: head.cwd!,
              transcriptPath: head.file,
              transcript: { ...transcript, turns: transcript.turns.slice(0, i + 1) },
              lastAssistantMessage: '',
              reviewerProvider: options.provider ?? null,
            },
            { config },
          );
          summary.turns_reviewed++;
          summary.suggestions += review.suggestions.length;
          if (review.queue.status === 'written') summary.envelopes++;
        } catch (error) {
          summary.failures.push({ rollout: head.file, turn: turnId, error: describeError(error) });
        }
      }
    } catch (error) {
      summary.failures.push({ rollout: head.file, turn: '', error: describeError(error) });
    }
    done++;
    options.onProgress?.(done, heads.length, summary.suggestions);
  }
  summary.buckets = [...buckets].sort();
  return summary;
}
