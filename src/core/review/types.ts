/**
 * Shared types of the review path (Stop hook → reviewer → suggestion queue).
 *
 * The transcript reader produces a {@link Transcript}; redaction runs on it before anything is
 * persisted or sent; a {@link ReviewerProvider} turns a {@link ReviewRequest} into raw text that
 * must hold one ReviewerOutput JSON object.
 */

export type { Transcript, TranscriptEntry, TranscriptTurn } from '../agents/types.js';
import type { Transcript } from '../agents/types.js';

/** What a reviewer provider is asked. Every string in it is already redacted. */
export interface ReviewRequest {
  /** System prompt (prompts/reviewer.md). */
  system: string;
  /** The user message: the rendered review input (transcript selection + existing memory). */
  user: string;
  /** The parsed, redacted transcript, for providers that work on structure (the `local` reviewer). */
  transcript: Transcript;
  /** Existing memory texts, so a reviewer can avoid duplicates. */
  existing: { userMd: string; memoryMd: string };
  signal?: AbortSignal;
}

/** What a provider answers: raw text expected to hold one ReviewerOutput JSON object. */
export interface ReviewResponse {
  text: string;
  /** Provider name that produced it, e.g. `openai-compatible`. */
  provider: string;
  model?: string;
}

/** A reviewer backend. One file per provider, a plain object, a static registry. */
export interface ReviewerProvider {
  readonly name: string;
  review(request: ReviewRequest): Promise<ReviewResponse>;
}
