/**
 * Probes for the local reviewer's unit tests: a session written as turns (the rollout builder's
 * specs), reviewed as the Stop hook's worker would, and what it proposes as plain text.
 */
import { parseRollout } from '../../src/core/agents/codex/rollout.js';
import { reviewLocally } from '../../src/core/review/local/review.js';
import type { Transcript } from '../../src/core/review/types.js';
import { rolloutText, type Step, type TurnSpec } from '../fixtures/rollouts/rollout-builder.js';

/** The session as the reviewer reads it. */
export function transcript(turns: TurnSpec[]): Transcript {
  return parseRollout(rolloutText({ turns }));
}

/** A shell step that passed. */
export const ok = (sh: string, out = ''): Step => ({ sh, exit: 0, out });
/** A shell step that failed. */
export const fail = (sh: string, out: string): Step => ({ sh, exit: 1, out });
/** The agent's message. */
export const say = (text: string): Step => ({ say: text });

/** Everything the reviewer proposes for the session's latest turn, as text. */
export function learnedFrom(turns: TurnSpec[]): string[] {
  const output = reviewLocally(transcript(turns));
  return [...output.memory_updates, ...output.recall_candidate].map(
    (item) => `${item.summary} ${String(item.details.content ?? '')}`,
  );
}

/** Everything proposed for a one-message session. */
export function learned(text: string): string[] {
  return learnedFrom([{ user: text, steps: [say('ok')] }]);
}
