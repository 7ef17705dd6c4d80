/**
 * The pre-filter run before a paid review: a turn with no tool use, a short human
 * message and no stated rule is small talk ("thanks", "what does this flag mean?") and almost
 * never holds a lesson, so it is not worth a model call. Conservative by design: anything that
 * could hold a lesson (a tool call, a long message, a rule word, a preference the local
 * reviewer recognises) goes to the model.
 */
import { extractPreferences } from './local/preferences.js';
import type { Transcript } from './types.js';

/** Human text longer than this is never called trivial: there is room for a lesson in it. */
export const TRIVIAL_MAX_USER_CHARS = 280;

/** Words that state a rule, a preference or a correction (English and Chinese). */
const RULE_WORDS = new RegExp(
  [
    "\\b(always|never|don'?t|do not|must|should|shouldn'?t|prefer|instead|remember|from now on|make sure",
    '|avoid|wrong|rather|only use|use\\s+\\S+\\s+not)\\b',
    '|总是|永远|不要|别|必须|应该|记住|以后|改用|而不是',
  ].join(''),
  'i',
);

/** Why a turn is trivial, or undefined when it deserves a review. */
export function trivialTurnReason(transcript: Transcript): string | undefined {
  const turn = transcript.turns.at(-1);
  if (!turn) return 'the turn has no messages';
  if (turn.entries.some((entry) => entry.kind === 'tool_call' || entry.kind === 'tool_output'))
    return undefined;
  // No human message at all (the rollout was unreadable and only the last answer is known):
  // nothing to judge by, so the model decides.
  if (!turn.entries.some((entry) => entry.kind === 'user')) return undefined;
  const userText = turn.entries
    .filter((entry) => entry.kind === 'user')
    .map((entry) => (entry.kind === 'user' ? entry.text : ''))
    .join('\n')
    .trim();
  if (userText.length > TRIVIAL_MAX_USER_CHARS) return undefined;
  if (RULE_WORDS.test(userText)) return undefined;
  if (extractPreferences({ ...transcript, turns: [turn] }).length > 0) return undefined;
  return 'small talk: no tool use, a short message and no stated rule';
}
