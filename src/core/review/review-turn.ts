/**
 * Reviewing one turn: transcript → redaction → snapshot → reviewer → suggestions → queue.
 *
 * Used by the detached worker (spooled turns) and by `stop-review --hook-payload` (synchronous).
 * Everything persisted or sent is redacted first. The reviewer sees the transcript once.
 */
import { basename, join } from 'node:path';
import { utcNow } from '../constants.js';
import { loadConfig } from '../config/load.js';
import type { ResolvedConfig } from '../config/schema.js';
import { describeError } from '../errors.js';
import { writeFileAtomic, writeJsonAtomic } from '../fs/atomic.js';
import { stableStringify } from '../json.js';
import { logInfo } from '../log.js';
import { loadActiveSkills } from '../memory/view.js';
import { safeFileComponent, sha1, type StatePaths } from '../paths.js';
import { readPrompt } from '../prompts.js';
import { enqueueReviewedTurn, type QueueResult } from '../queue/queue.js';
import type { Suggestion } from '../schemas.js';
import { parseReviewerOutput, ReviewerOutputError, type SkippedSuggestion } from './parse.js';
import { getProvider, resolveReviewer } from './providers/index.js';
import { isPaidReviewer } from '../config/reviewers.js';
import { redactDeep, redactText } from '../redact/redact.js';
import { trivialTurnReason } from './trivial.js';
import { claimReview, nextLocalMidnight, refundReview, ReviewDeferredError } from './usage.js';
import { DEFAULT_MAX_REVIEWS_PER_DAY } from '../config/schema.js';
import { DEFAULT_AGENT, loadAgent } from '../agents/index.js';
import { turnKey } from '../agents/turn-key.js';
import type { AgentName } from '../agents/types.js';
import { renderTranscriptForReview } from './transcript.js';
import type { Transcript } from './types.js';
import { readRegularText } from '../fs/safe.js';

/** At most this many suggestions are kept from one review (a flood is noise or an injection). */
export const MAX_SUGGESTIONS_PER_REVIEW = 20;

/** What to review. Every string is already redacted or will be before use. */
export interface TurnInput {
  /** The agent the turn ran in (default `codex`). */
  agent?: AgentName;
  sessionId: string;
  turnId: string;
  cwd: string;
  transcriptPath: string | null;
  /** Plain transcript text (manual payloads); used when there is no rollout file. */
  transcriptText?: string;
  lastAssistantMessage: string;
  reviewerProvider: string | null;
  providerStubResponse?: unknown;
  triggeredAt?: string;
  /** An already parsed transcript (import reviews each turn of a rollout parsed once). */
  transcript?: Transcript;
}

export interface TurnReview {
  queue: QueueResult;
  snapshotPath: string;
  provider: string;
  providerSource: string;
  suggestions: Suggestion[];
  skipped: SkippedSuggestion[];
  notes: string[];
  /** Set when a paid reviewer was not called because the turn is small talk (trivial.ts). */
  trivial?: string;
}

function readOr(file: string, fallback: string): string {
  try {
    return readRegularText(file);
  } catch {
    return fallback;
  }
}

/** Parses the Python package's rendered transcript text (`user: …` / `assistant: …` blocks). */
export function transcriptFromText(text: string, lastAssistant: string): Transcript {
  const entries: Transcript['turns'][number]['entries'] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const match = /^(user|assistant):\s*([\s\S]*)$/i.exec(block.trim());
    if (match)
      entries.push({
        kind: match[1]!.toLowerCase() === 'user' ? 'user' : 'assistant',
        text: match[2]!.trim(),
      });
    else if (block.trim()) entries.push({ kind: 'user', text: block.trim() });
  }
  if (entries.length === 0 && lastAssistant) entries.push({ kind: 'assistant', text: lastAssistant });
  return { turns: entries.length ? [{ index: 0, entries }] : [], skippedLines: 0 };
}

/** Drops turns after the one being reviewed (a later resume appended them; they get their own Stop). */
function upToTurn(transcript: Transcript, turnId: string): Transcript {
  if (!turnId) return transcript;
  const at = transcript.turns.findIndex((t) => t.turnId === turnId);
  return at < 0 ? transcript : { ...transcript, turns: transcript.turns.slice(0, at + 1) };
}

async function loadTranscript(input: TurnInput, notes: string[]): Promise<Transcript> {
  if (input.transcript) return input.transcript;
  if (input.transcriptPath) {
    try {
      const agent = await loadAgent(input.agent);
      return upToTurn(await agent.readTranscript(input.transcriptPath), input.turnId);
    } catch (error) {
      notes.push(
        `transcript unavailable (${describeError(error)}); reviewing the last assistant message only`,
      );
    }
  }
  return transcriptFromText(input.transcriptText ?? '', input.lastAssistantMessage);
}

/** The identity of the reviewed turn (its key in the spool, the queue and the reviews ledger). */
function identityOf(input: TurnInput) {
  return { agent: input.agent ?? DEFAULT_AGENT, session: input.sessionId, turn: input.turnId };
}

/** Reviews one turn and queues its suggestions. Throws on provider or parse failure (caller retries). */
export interface ReviewTurnOptions {
  env?: NodeJS.ProcessEnv;
  budgetChars?: number;
  /** The loaded config (callers reviewing many turns load it once); undefined = load it here. */
  config?: ResolvedConfig | null;
  /** Aborts the reviewer's request (SIGTERM of `scan`, a bucket's time budget). */
  signal?: AbortSignal;
}

export async function reviewTurn(
  paths: StatePaths,
  input: TurnInput,
  options: ReviewTurnOptions = {},
): Promise<TurnReview> {
  const notes: string[] = [];
  const transcript = redactDeep(await loadTranscript(input, notes));
  // The reviewer reviews the latest turn; earlier turns are context it already reviewed. A turn
  // with no human message (a hook-started turn, only tool output, an unreadable tail) teaches
  // nothing: say so once, the local reviewer then proposes nothing.
  const latest = transcript.turns.at(-1);
  if (!latest?.entries.some((entry) => entry.kind === 'user')) {
    notes.push('the reviewed turn has no human message; nothing to learn from it');
    logInfo('review: the reviewed turn has no human message; nothing to learn', {
      kind: 'stop-review',
      session: input.sessionId,
      turn: input.turnId,
    });
  }
  const rendered = renderTranscriptForReview(
    transcript,
    options.budgetChars ? { budgetChars: options.budgetChars } : {},
  );
  const userMd = redactText(readOr(paths.userMd, '')).text;
  const memoryMd = redactText(readOr(paths.memoryMd, '')).text;
  const skills = loadActiveSkills(paths).skills.map((s) => ({
    skill_id: s.skillId,
    title: s.title,
    description: s.description,
  }));
  const lastAssistant = redactText(input.lastAssistantMessage).text;

  // A broken config.toml fails the review (the turn stays spooled with the reason) rather than
  // silently running a reviewer the user did not choose.
  const config =
    options.config !== undefined
      ? options.config
      : (await loadConfig({ home: paths.home, ...(options.env ? { env: options.env } : {}) })).config;
  const selection = resolveReviewer({
    payloadProvider: input.reviewerProvider,
    config,
    ...(options.env ? { env: options.env } : {}),
  });
  for (const warning of selection.warnings) notes.push(warning);

  const userMessage = stableStringify({
    repository: basename(paths.repoKey),
    transcript: rendered,
    last_assistant_message: lastAssistant,
    existing_memory: { user_md: userMd, memory_md: memoryMd },
    managed_skills: skills,
  });

  // The snapshot is the audit record of what the reviewer saw.
  const snapshot = {
    context: {
      session_id: input.sessionId,
      thread_id: input.sessionId,
      turn_id: input.turnId,
      cwd: input.cwd,
      repo_root: paths.repoKey,
      state_dir: paths.stateDir,
      triggered_at: input.triggeredAt ?? utcNow(),
    },
    turn_snapshot: {
      transcript: rendered,
      last_assistant_message: lastAssistant,
      transcript_turns: transcript.turns.length,
    },
    comparison_materials: {
      current_user_md: userMd,
      current_memory_md: memoryMd,
      managed_skills_summary: skills,
    },
    source_authority: [
      input.transcriptPath ? 'transcript_path' : 'transcript',
      'memory_files',
      'managed_skills_manifest',
      'hook_payload',
    ],
    reviewer_provider: selection.provider,
    reviewer_provider_source: selection.source,
    notes,
  };
  const digest = sha1(stableStringify(snapshot)).slice(0, 12);
  const stem = `${safeFileComponent(input.sessionId, 48)}-${digest}`;
  const snapshotPath = join(paths.snapshotsDir, `${stem}.json`);
  writeJsonAtomic(snapshotPath, snapshot);

  const enqueue = (suggestions: Suggestion[], skipped: SkippedSuggestion[]): QueueResult =>
    enqueueReviewedTurn(paths, {
      ...(input.agent !== undefined && input.agent !== DEFAULT_AGENT ? { agent: input.agent } : {}),
      threadId: input.sessionId,
      turnId: input.turnId,
      cwd: input.cwd,
      suggestions,
      reviewerProvider: selection.provider,
      snapshotPath,
      skipped,
      extra: { reviewer_provider_source: selection.source },
    });
  if (isPaidReviewer(selection.provider)) {
    // Cost control: small talk is not worth a model call, and the day has a cap.
    const trivial = trivialTurnReason(transcript);
    if (trivial !== undefined) {
      notes.push(`not sent to ${selection.provider}: ${trivial}`);
      const queue = enqueue([], []);
      const { provider, source: providerSource } = selection;
      return { queue, snapshotPath, provider, providerSource, suggestions: [], skipped: [], notes, trivial };
    }
    const cap = config?.review.max_per_day ?? DEFAULT_MAX_REVIEWS_PER_DAY;
    const claim = await claimReview(paths.home, selection.provider, turnKey(identityOf(input)), cap);
    if (claim.busy)
      throw new ReviewDeferredError(
        'another review worker holds the daily-cap count; the turn is tried again in a minute',
        new Date(Date.now() + 60_000),
      );
    if (!claim.claimed) {
      throw new ReviewDeferredError(
        `daily review cap reached (${claim.total} of [review] max_per_day = ${cap} today); ` +
          'the turn waits for tomorrow',
        nextLocalMidnight(),
      );
    }
  }

  let response;
  try {
    const provider = await getProvider(selection.provider, {
      ...selection.settings,
      home: paths.home,
      ...(input.providerStubResponse !== undefined ? { stubResponse: input.providerStubResponse } : {}),
      onRetry: (event) =>
        logInfo(`${selection.provider} retrying`, {
          kind: 'stop-review',
          ...event,
        }),
    });
    response = await provider.review({
      system: readPrompt('reviewer.md'),
      user: userMessage,
      transcript,
      existing: { userMd, memoryMd },
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    // A configuration problem (not installed, not logged in, a refused key) cost nothing.
    const kind = (error as { kind?: unknown } | null)?.kind;
    if (isPaidReviewer(selection.provider) && (kind === 'config' || kind === 'auth')) {
      refundReview(paths.home, selection.provider, turnKey(identityOf(input)));
    }
    throw error;
  }

  let parsed;
  try {
    parsed = parseReviewerOutput(response.text);
  } catch (error) {
    if (error instanceof ReviewerOutputError) {
      const dump = [
        '# reviewer parse failure',
        `# snapshot: ${stem}.json`,
        `# provider: ${selection.provider}`,
        `# last_error: ${error.message}`,
        '',
        `--- attempt (chars=${response.text.length}) ---`,
        redactText(response.text.slice(0, 200_000)).text,
        '',
      ].join('\n');
      writeFileAtomic(join(paths.reviewFailedDir, `${stem}.txt`), dump);
      // One failure class for every reviewer: an answer that is not reviewer JSON is a bad response.
      const { ProviderBadResponseError } = await import('./providers/errors.js');
      const message = `${selection.provider} answered something that is not reviewer JSON: ${error.message}`;
      throw new ProviderBadResponseError(message, { provider: selection.provider, cause: error });
    }
    throw error;
  }
  const suggestions = redactDeep(parsed.suggestions)
    .sort((a, b) => (b.confidence ?? 1) - (a.confidence ?? 1))
    .slice(0, MAX_SUGGESTIONS_PER_REVIEW);
  if (parsed.suggestions.length > MAX_SUGGESTIONS_PER_REVIEW)
    notes.push(`kept ${MAX_SUGGESTIONS_PER_REVIEW} of ${parsed.suggestions.length} suggestions`);
  const skipped = redactDeep(parsed.skipped);
  const queue = enqueue(suggestions, skipped);
  return {
    queue,
    snapshotPath,
    provider: selection.provider,
    providerSource: selection.source,
    suggestions,
    skipped,
    notes,
  };
}

/** Counts per family, as the Python package's output reports them. */
export function familyCounts(suggestions: readonly Suggestion[]): Record<string, number> {
  const counts: Record<string, number> = { memory_updates: 0, recall_candidate: 0, skill_action: 0 };
  for (const s of suggestions) counts[s.family] = (counts[s.family] ?? 0) + 1;
  return counts;
}
