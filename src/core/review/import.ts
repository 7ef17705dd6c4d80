/**
 * `import`: bootstraps memory from an agent's past sessions (Codex:
 * `$CODEX_HOME/sessions/**\/rollout-*.jsonl`), found and read by the agent's adapter.
 *
 * Each turn of each selected rollout is reviewed exactly as the Stop hook would have reviewed it
 * (the transcript up to that turn, the turn itself in full), and keyed by (session, turn) like
 * the hook: a turn the hook or an earlier import already queued is skipped before any reviewer
 * call, so importing twice, or importing sessions the hook already saw, adds nothing.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadAgent } from '../agents/index.js';
import { turnKey } from '../agents/turn-key.js';
import type { AgentName } from '../agents/types.js';
import { loadConfig } from '../config/load.js';
import { describeError } from '../errors.js';
import { ensureRuntimeDirs, repoIdentity, resolveStatePaths, type StatePaths } from '../paths.js';
import { reviewTurn } from './review-turn.js';

export interface ImportOptions {
  home: string;
  /** The agent whose sessions are imported (default `codex`). */
  agent?: AgentName;
  /** The agent's config directory (Codex: `$CODEX_HOME`). */
  configDir: string;
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

/** Imports past sessions into the review queue. */
export async function importSessions(options: ImportOptions): Promise<ImportSummary> {
  const agent = await loadAgent(options.agent);
  const sessionsDir = agent.sessionsDir(options.configDir);
  const files = await agent.findSessions(options.configDir);
  const wantRepo = options.all ? undefined : repoIdentity(options.repo ?? process.cwd());
  let heads = files.filter((h) => h.cwd !== undefined && h.session !== undefined);
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
      const transcript = await agent.readTranscript(head.file);
      for (let i = 0; i < transcript.turns.length; i++) {
        const turn = transcript.turns[i]!;
        if (!turn.entries.some((e) => e.kind === 'user')) continue;
        const turnId = turn.turnId ?? `turn-${turn.index}`;
        const key = turnKey({ agent: agent.name, session: head.session!, turn: turnId });
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
              sessionId: head.session!,
              agent: agent.name,
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
