/**
 * The compile-time half of human review: which suggestions of a batch the backend compiles and
 * which wait in the review store (`memory/review-store.ts`), by the `[review]` policy and the
 * planted-instruction check.
 */
import { checkSuggestion } from '../queue/content-check.js';
import { stagedItemId, type ReviewKind, type ReviewPolicy, type StagedItem } from '../memory/review-store.js';
import type { Envelope, Suggestion } from '../schemas.js';

function kindOf(family: string): ReviewKind {
  return family === 'memory_updates' ? 'memory' : family === 'recall_candidate' ? 'recall' : 'skills';
}

/**
 * Splits a batch by policy: the envelopes the backend compiles (staged suggestions removed;
 * approved envelopes pass whole) and the items to stage.
 */
export function splitForReview(
  envelopes: readonly Envelope[],
  policy: ReviewPolicy,
  now: string,
): { envelopes: Envelope[]; staged: StagedItem[] } {
  const staged: StagedItem[] = [];
  const out: Envelope[] = [];
  for (const envelope of envelopes) {
    if ((envelope as Record<string, unknown>).review_approved === true) {
      out.push(envelope);
      continue;
    }
    const source = (index: number, part?: 'skill_candidate') => ({
      suggestion_id: envelope.suggestion_id,
      index,
      ...(part ? { part } : {}),
      thread_id: envelope.thread_id,
      turn_id: envelope.turn_id,
      cwd: envelope.cwd,
      repo_fingerprint: envelope.repo_fingerprint,
      reviewer_timestamp: envelope.reviewer_timestamp,
      ...(envelope.reviewer_provider ? { reviewer_provider: envelope.reviewer_provider } : {}),
    });
    const kept: Suggestion[] = [];
    envelope.suggestions.forEach((suggestion, index) => {
      const kind = kindOf(suggestion.family);
      // Whatever the policy, a suggestion holding a dangerous instruction waits for a human.
      const flag = checkSuggestion(suggestion);
      if (flag) {
        staged.push({
          version: 1,
          id: stagedItemId(envelope.suggestion_id, index),
          state: 'staged',
          kind,
          suggestion,
          source: source(index),
          staged_at: now,
          flagged: { reason: flag.reason },
          history: [{ at: now, event: 'staged', detail: `flagged: ${flag.reason}` }],
        });
        return;
      }
      if (policy[kind] === 'review') {
        staged.push({
          version: 1,
          id: stagedItemId(envelope.suggestion_id, index),
          state: 'staged',
          kind,
          suggestion,
          source: source(index),
          staged_at: now,
          history: [{ at: now, event: 'staged' }],
        });
        return;
      }
      const details = suggestion.details as Record<string, unknown>;
      const candidate = details.skill_candidate;
      if (
        policy.skills === 'review' &&
        candidate !== undefined &&
        candidate !== null &&
        typeof candidate === 'object' &&
        !Array.isArray(candidate)
      ) {
        const c = candidate as Record<string, unknown>;
        const skill: Suggestion = {
          family: 'skill_action',
          summary: typeof c.title === 'string' && c.title.trim() ? c.title : suggestion.summary,
          details: { action: 'create', ...c, ...(details.evidence ? { evidence: details.evidence } : {}) },
          confidence: suggestion.confidence,
        };
        staged.push({
          version: 1,
          id: stagedItemId(envelope.suggestion_id, index, 'skill_candidate'),
          state: 'staged',
          kind: 'skills',
          suggestion: skill,
          source: source(index, 'skill_candidate'),
          staged_at: now,
          history: [{ at: now, event: 'staged' }],
        });
        const rest = { ...details };
        delete rest.skill_candidate;
        kept.push({ ...suggestion, details: rest });
        return;
      }
      kept.push(suggestion);
    });
    out.push(kept.length === envelope.suggestions.length ? envelope : { ...envelope, suggestions: kept });
  }
  return { envelopes: out, staged };
}
