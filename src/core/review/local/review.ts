/**
 * The local reviewer: deterministic, offline lesson extraction from a (redacted) transcript into
 * a ReviewerOutput (SPEC §5.1). It proposes what a careful human would remember and nothing
 * rather than noise:
 *
 * - preferences, corrections and project facts the human stated (→ memory_updates, `user` or
 *   `global` scope), from their own messages only;
 * - the build/test/lint command that worked after another failed (→ memory_updates, `global`);
 * - errors that were fixed and how, and files worked on repeatedly (→ recall_candidate).
 *
 * Lessons already in USER.md / MEMORY.md are skipped. `skill_action` is always empty.
 */
import type { Transcript } from '../types.js';
import { collectActions, extractCommandLessons } from './commands.js';
import { dropRepeats, isKnown, parseExisting } from './dedupe.js';
import { extractFileFocus } from './files.js';
import { extractPreferences } from './preferences.js';
import type { Proposal } from './proposal.js';
import { contentWords } from './text.js';

/** One item of a ReviewerOutput family. */
export interface ReviewerOutputItem {
  summary: string;
  details: Record<string, unknown>;
  confidence: number;
}

/** The ReviewerOutput object (SPEC §5.1). */
export interface ReviewerOutput {
  memory_updates: ReviewerOutputItem[];
  recall_candidate: ReviewerOutputItem[];
  skill_action: ReviewerOutputItem[];
}

/** Options of {@link reviewLocally}. */
export interface LocalReviewOptions {
  /** Proposals below this confidence are dropped (default 0.5). */
  minConfidence?: number;
  /** At most this many memory updates (default 8) and recall candidates (default 5). */
  maxMemoryUpdates?: number;
  maxRecallCandidates?: number;
}

const KIND_ORDER: Record<Proposal['kind'], number> = { preference: 0, fact: 1, command: 2, error_fix: 3, files: 4 };

/** All proposals of a transcript, before filtering (exposed for tests and the evaluation). */
export function proposeLessons(transcript: Transcript): Proposal[] {
  const actions = collectActions(transcript);
  return [...extractPreferences(transcript), ...extractCommandLessons(actions), ...extractFileFocus(transcript, actions)];
}

/**
 * Reviews a transcript. Deterministic: the same transcript and memory give the same output.
 *
 * @param existing the current USER.md and MEMORY.md texts; lessons already there are skipped.
 */
export function reviewLocally(
  transcript: Transcript,
  existing: { userMd: string; memoryMd: string } = { userMd: '', memoryMd: '' },
  options: LocalReviewOptions = {},
): ReviewerOutput {
  const minConfidence = options.minConfidence ?? 0.5;
  const known = parseExisting([existing.userMd, existing.memoryMd]);
  const candidates = proposeLessons(transcript)
    .filter((proposal) => proposal.confidence >= minConfidence)
    .filter((proposal) => !isKnown(proposal, known));
  const stated = candidates.filter((proposal) => proposal.kind === 'preference' || proposal.kind === 'fact').map((proposal) => contentWords(proposal.content));
  const restated = (proposal: Proposal): boolean =>
    proposal.kind === 'command' &&
    (proposal.addedWords?.length ?? 0) > 0 &&
    stated.some((words) => (proposal.addedWords ?? []).every((word) => words.has(word)));
  const kept = dropRepeats(candidates.filter((proposal) => !restated(proposal))).sort(
    (a, b) => a.evidence.turn - b.evidence.turn || KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.summary.localeCompare(b.summary),
  );
  const turnIds = new Map(transcript.turns.map((turn) => [turn.index, turn.turnId]));
  const memory = kept.filter((proposal) => proposal.family === 'memory_updates').slice(0, options.maxMemoryUpdates ?? 8);
  const recall = kept.filter((proposal) => proposal.family === 'recall_candidate').slice(0, options.maxRecallCandidates ?? 5);
  return {
    memory_updates: memory.map((proposal) => toItem(proposal, turnIds.get(proposal.evidence.turn))),
    recall_candidate: recall.map((proposal) => toItem(proposal, turnIds.get(proposal.evidence.turn))),
    skill_action: [],
  };
}

function toItem(proposal: Proposal, turnId: string | undefined): ReviewerOutputItem {
  const evidence: Record<string, unknown> = { turn: proposal.evidence.turn, quote: proposal.evidence.quote };
  if (turnId !== undefined) evidence.turn_id = turnId;
  const details: Record<string, unknown> =
    proposal.family === 'memory_updates'
      ? { action: 'add', scope: proposal.scope ?? 'global', content: proposal.content }
      : { content: proposal.content };
  if (proposal.sourcePaths.length > 0 || proposal.family === 'recall_candidate') details.source_paths = proposal.sourcePaths;
  details.evidence = evidence;
  details.lesson = proposal.kind;
  return { summary: proposal.summary, details, confidence: proposal.confidence };
}
