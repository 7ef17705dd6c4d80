/**
 * Team notes as an extra source of recall: the shared recall notes of the checkout are
 * searched on their own with the same ranking (`searchRecall`, an in-memory index over at most a
 * few hundred small records) and merged into the personal results. The ranking itself is not
 * touched: this only adds candidates, labels them and removes duplicates.
 *
 * Hot path (prompt-time recall): no zod. The store is read by the caller (`loadTeamRecall`).
 */
import type { RecallRecord } from '../recall/index-build.js';
import type { RecallQueryOutcome } from '../recall/query.js';
import { searchRecall, type RecallResult } from '../recall/search.js';
import { normalizeText } from './merge.js';
import { loadTeamStore, teamStaleReason, worktreeRoot, TEAM_DIR } from './store.js';

/** Shared recall notes of a checkout, ready to search. */
export interface TeamRecallSource {
  records: RecallRecord[];
  /** Files skipped (malformed and the like), for the caller's log line. */
  problems: string[];
}

/** A recall result that came from the shared store. */
export interface TeamRecallResult extends RecallResult {
  origin: 'team';
  /** The file of the entry, relative to the checkout root. */
  shared_path: string;
}

/** Label put before the title of a shared note, so every renderer shows where it came from. */
export const TEAM_RECALL_LABEL = '[team] ';

/**
 * The shared recall notes of the checkout containing `cwd` (stale ones left out), as records of
 * the reader's repository. Undefined when there is no checkout or no store.
 */
export function loadTeamRecall(
  cwd: string,
  repoFingerprint: string,
  stateHome?: string,
): TeamRecallSource | undefined {
  const root = worktreeRoot(cwd);
  if (root === undefined) return undefined;
  const store = loadTeamStore(root, stateHome !== undefined ? { stateHome } : {});
  if (!store.exists) return store.problems.length > 0 ? { records: [], problems: store.problems } : undefined;
  const records: RecallRecord[] = [];
  for (const e of store.entries) {
    if (e.kind !== 'recall' || teamStaleReason(e, root) !== undefined) continue;
    records.push({
      id: e.id,
      summary: e.title,
      content: e.content,
      source_paths: e.sourcePaths,
      repo_fingerprint: repoFingerprint,
      cwd: root,
      thread_id: `${TEAM_DIR}/${e.file}`,
      turn_id: '',
    });
  }
  return { records, problems: store.problems };
}

/**
 * Adds the shared notes that match `options.query` to a personal outcome: a shared note with the
 * text of a personal result is dropped (one note, the personal one), one with the id of a personal
 * result but other text replaces it (edited in the repository), the rest are labelled and merged by
 * score, and the best `topK` are kept. The mode stays the personal one.
 */
export function mergeTeamRecall(
  outcome: RecallQueryOutcome,
  team: TeamRecallSource | undefined,
  options: { query: string; cwd?: string; repoFingerprint?: string; topK: number },
): RecallQueryOutcome {
  if (team === undefined || team.records.length === 0) return outcome;
  const found = searchRecall(undefined, team.records, {
    query: options.query,
    topK: options.topK,
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    ...(options.repoFingerprint !== undefined ? { repoFingerprint: options.repoFingerprint } : {}),
  });
  if (found.length === 0) return outcome;
  const texts = new Set(outcome.results.map((r) => normalizeText(r.content)));
  // Same id, other text: the shared copy was edited in the repository and replaces the personal one
  // (as at session start); same text: one note, the personal one.
  const replaced = new Set<string>();
  const shared: TeamRecallResult[] = [];
  for (const r of found) {
    if (texts.has(normalizeText(r.content))) continue;
    if (outcome.results.some((p) => p.id === r.id)) replaced.add(r.id);
    shared.push({
      ...r,
      summary: `${TEAM_RECALL_LABEL}${r.summary}`,
      thread_id: '',
      origin: 'team',
      shared_path: r.thread_id,
    });
  }
  if (shared.length === 0) return outcome;
  const results = [...outcome.results.filter((p) => !replaced.has(p.id)), ...shared]
    .sort((a, b) => b.score - a.score)
    .slice(0, Math.max(1, options.topK));
  return { ...outcome, results };
}
