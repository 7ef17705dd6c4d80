/**
 * Shared types of the review path (Stop hook → reviewer → suggestion queue).
 *
 * The transcript reader produces a {@link Transcript}; redaction runs on it before anything is
 * persisted or sent; a {@link ReviewerProvider} turns a {@link ReviewRequest} into raw text that
 * must hold one ReviewerOutput JSON object.
 */

/** One item of a Codex rollout that a reviewer may care about. */
export type TranscriptEntry =
  | { kind: 'user'; text: string; turnId?: string; timestamp?: string }
  | { kind: 'assistant'; text: string; turnId?: string; timestamp?: string }
  /** A tool invocation: shell command, apply_patch, MCP call... `input` is the rendered arguments. */
  | { kind: 'tool_call'; name: string; input: string; callId?: string; turnId?: string; timestamp?: string }
  /** The output of a tool call; `exitCode` when the rollout records one. */
  | {
      kind: 'tool_output';
      output: string;
      callId?: string;
      exitCode?: number;
      turnId?: string;
      timestamp?: string;
    };

/** A user turn: entries from one human prompt up to (not including) the next. */
export interface TranscriptTurn {
  /** 0-based position among the turns of the rollout. */
  index: number;
  turnId?: string;
  entries: TranscriptEntry[];
}

/** A parsed Codex rollout. */
export interface Transcript {
  sessionId?: string;
  cwd?: string;
  cliVersion?: string;
  turns: TranscriptTurn[];
  /** Lines that could not be parsed (kept as a count, never their content). */
  skippedLines: number;
}

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
