/**
 * The idempotency key of a Codex turn, for callers that name a turn by its thread and turn ids.
 * Zod-free and tiny (the Stop hook loads it); the key of any agent's turn is `turnKey` in
 * agents/turn-key.ts, and a Codex turn's key is this one.
 */
export { legacyTurnKey as turnIdempotencyKey } from '../agents/turn-key.js';
