/**
 * The key of a turn: 16 hex characters naming it in the spool (`spool/<key>.json`), the queue
 * (`suggestions/.keys/<key>`, suggestion ids) and the reviews-per-day ledger. The Stop hook and
 * `import` derive it from the same {@link TurnIdentity}, so a turn is reviewed once.
 */
import { sha1 } from '../paths.js';
import type { TurnIdentity } from './types.js';

/**
 * The key of a turn. Codex turns keep the key of the versions that served Codex alone,
 * `sha1({thread_id, turn_id})`, so turns spooled or queued before agents had names are still
 * recognised and never reviewed twice; the turns of every other agent also hash the agent name,
 * so two agents' sessions can never share a key.
 */
export function turnKey(id: TurnIdentity): string {
  if (id.agent === 'codex') return legacyTurnKey(id.session, id.turn);
  return sha1(JSON.stringify({ agent: id.agent, session: id.session, turn: id.turn })).slice(0, 16);
}

/** The key of a Codex turn as every version before the agent seam wrote it. */
export function legacyTurnKey(threadId: string, turnId: string): string {
  return sha1(JSON.stringify({ thread_id: threadId, turn_id: turnId })).slice(0, 16);
}
