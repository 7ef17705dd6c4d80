/**
 * Prompt-time recall (Codex's UserPromptSubmit hook): the few recall records that clear the
 * relevance threshold for the user's prompt, rendered as a short `additionalContext` that Codex
 * places after the prompt as a developer message.
 *
 * It runs on every prompt, so it does as little as it can: greetings, thanks and arithmetic are
 * skipped before any file is read, only the compile-time index is used (an index is rebuilt in
 * memory only for a small bucket), only the top 3 are considered, and the text stays within a
 * small budget (1,500 characters by default) by clipping contents, never by dropping the header or
 * the provenance. Hot path: no zod, no commander.
 */
import { dirname } from 'node:path';
import type { RecallResult } from '../recall/search.js';
import { readSeen, recordSeen } from '../recall/session-seen.js';
import { queryRecall, type RecallFiles, type RecallQueryMode } from '../recall/query.js';
import { isTrivialPrompt } from '../recall/trigger.js';
import { mergeTeamRecall, type TeamRecallSource } from '../team/recall.js';

/** Records considered per prompt. */
export const PROMPT_RECALL_TOP_K = 3;
/** Default size of the injected text, in characters. */
export const PROMPT_RECALL_BUDGET = 1500;
/** Smallest budget honoured (a header and one clipped note). */
export const PROMPT_RECALL_MIN_BUDGET = 600;
/** Only the start of a long prompt (a pasted log, a file) is used as the query. */
export const PROMPT_QUERY_MAX_CHARS = 2000;
/** Largest bucket whose missing or stale index is rebuilt in memory during the hook (~100 ms). */
export const PROMPT_MAX_REBUILD_RECORDS = 300;

const HEADER =
  'Notes from earlier Codex sessions (codex-self-evolution recall) that match this prompt. ' +
  "Use them where they help; the current code and the user's words win when they disagree.";

/** Shortest clipped content worth showing; with less room, fewer notes are shown. */
const MIN_CONTENT = 80;
const MAX_TITLE = 160;
const MAX_PROVENANCE = 240;

/** What the hook decided and why (for its output and its log line). */
export interface PromptRecallOutcome {
  status: 'injected' | 'no_match' | 'trivial' | 'no_index' | 'stale_index';
  /** The `additionalContext` text; empty unless `status` is `injected`. */
  context: string;
  /** Notes in `context`. */
  count: number;
  mode?: RecallQueryMode;
  skipped: number;
  problems: string[];
}

/** Options of {@link promptRecall}. */
export interface PromptRecallOptions {
  cwd: string;
  repoFingerprint: string;
  /** Size of the injected text in characters (default {@link PROMPT_RECALL_BUDGET}). */
  budget?: number;
  /** Shared notes of the checkout, searched as an extra source. */
  team?: TeamRecallSource;
  /** The agent session: notes injected earlier in it are not injected again. */
  sessionId?: string;
}

/** Recall for one prompt. Throws only what {@link queryRecall} throws. */
export function promptRecall(
  files: RecallFiles,
  prompt: string,
  options: PromptRecallOptions,
): PromptRecallOutcome {
  if (isTrivialPrompt(prompt)) return { status: 'trivial', context: '', count: 0, skipped: 0, problems: [] };
  const recallDir = dirname(files.recallIndex);
  const seen = options.sessionId ? readSeen(recallDir, options.sessionId) : new Set<string>();
  const query = prompt.length > PROMPT_QUERY_MAX_CHARS ? prompt.slice(0, PROMPT_QUERY_MAX_CHARS) : prompt;
  let outcome = queryRecall(files, {
    query,
    cwd: options.cwd,
    repoFingerprint: options.repoFingerprint,
    topK: PROMPT_RECALL_TOP_K,
    maxRebuildRecords: PROMPT_MAX_REBUILD_RECORDS,
    prompt: { seen },
  });
  // Shared team notes of the checkout, an extra source merged into the personal results.
  // Prompt-time recall stays quiet: one note in all, never one already injected in this session.
  outcome = mergeTeamRecall(outcome, options.team, {
    query,
    cwd: options.cwd,
    repoFingerprint: options.repoFingerprint,
    topK: 1,
  });
  if (seen.size > 0) outcome = { ...outcome, results: outcome.results.filter((r) => !seen.has(r.id)) };
  const base = {
    mode: outcome.mode,
    skipped: outcome.skipped,
    problems: [...outcome.problems, ...(options.team?.problems ?? [])],
  };
  if ((outcome.mode === 'no_index' || outcome.mode === 'stale_index') && outcome.results.length === 0) {
    return { status: outcome.mode, context: '', count: 0, ...base };
  }
  const rendered = renderPromptRecall(outcome.results, {
    budget: options.budget ?? PROMPT_RECALL_BUDGET,
    repoFingerprint: options.repoFingerprint,
  });
  if (rendered.count === 0) return { status: 'no_match', context: '', count: 0, ...base };
  if (options.sessionId) {
    const problem = recordSeen(
      recallDir,
      options.sessionId,
      outcome.results.slice(0, rendered.count).map((r) => r.id),
    );
    if (problem !== undefined) base.problems = [...base.problems, problem];
  }
  return { status: 'injected', context: rendered.text, count: rendered.count, ...base };
}

function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 1) return '…'.slice(0, max);
  // Do not cut a surrogate pair in half.
  let end = max - 1;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return `${text.slice(0, end).trimEnd()}…`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

interface Note {
  head: string;
  content: string;
  tail: string;
}

function noteOf(r: RecallResult, i: number, repoFingerprint: string): Note {
  const elsewhere = r.repo_fingerprint !== repoFingerprint;
  const title = clip(oneLine(r.summary), MAX_TITLE);
  const paths = r.source_paths.filter((p) => p.trim() !== '').join(', ');
  const origin = elsewhere ? `learned in another repository${r.cwd ? ` (${r.cwd})` : ''}` : '';
  const provenance = [paths ? `Provenance: ${paths}` : '', origin].filter(Boolean).join('; ');
  return {
    head: `\n\n### ${i + 1}. ${title}\n`,
    content: r.content.trim().replace(/\n{3,}/g, '\n\n'),
    tail: provenance ? `\n${clip(provenance, MAX_PROVENANCE)}` : '',
  };
}

/**
 * Renders the notes within `budget` characters: header, then per note a title, its content (clipped
 * so the whole fits, short contents leaving their room to longer ones) and its provenance. Shows
 * fewer notes (the lowest ranked go first) rather than clipping any content below 80 characters.
 */
export function renderPromptRecall(
  results: readonly RecallResult[],
  options: { budget: number; repoFingerprint: string },
): { text: string; count: number } {
  const budget = Math.max(PROMPT_RECALL_MIN_BUDGET, Math.floor(options.budget));
  for (let k = results.length; k >= 1; k--) {
    const notes = results.slice(0, k).map((r, i) => noteOf(r, i, options.repoFingerprint));
    const fixed = HEADER.length + notes.reduce((sum, n) => sum + n.head.length + n.tail.length, 0);
    let room = budget - fixed;
    if (room < MIN_CONTENT * k && k > 1) continue;
    // Water-filling: the shortest contents take what they need, the rest share what is left.
    const allowance = new Map<Note, number>();
    const byLength = [...notes].sort((a, b) => a.content.length - b.content.length);
    byLength.forEach((note, i) => {
      const share = Math.floor(room / (byLength.length - i));
      const take = Math.min(note.content.length, share);
      allowance.set(note, take);
      room -= take;
    });
    if (notes.some((n) => (allowance.get(n) ?? 0) < Math.min(MIN_CONTENT, n.content.length))) {
      if (k > 1) continue;
      return { text: '', count: 0 };
    }
    const text = HEADER + notes.map((n) => n.head + clip(n.content, allowance.get(n) ?? 0) + n.tail).join('');
    return { text, count: k };
  }
  return { text: '', count: 0 };
}
