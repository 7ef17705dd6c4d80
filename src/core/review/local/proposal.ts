/**
 * What the local reviewer's extractors propose, before de-duplication and serialization into a
 * ReviewerOutput.
 */

/** Where a proposal comes from in the session: a turn index and a short literal quote. */
export interface Evidence {
  turn: number;
  /** At most 200 characters. */
  quote: string;
}

/** The kind of lesson, which decides its family and how it is written. */
export type LessonKind = 'preference' | 'fact' | 'procedure' | 'command' | 'error_fix' | 'files';

/** One candidate suggestion. */
export interface Proposal {
  kind: LessonKind;
  family: 'memory_updates' | 'recall_candidate';
  /** Memory updates only: the person's way of working (`user`) or a fact about the repo (`global`). */
  scope?: 'user' | 'global';
  summary: string;
  content: string;
  sourcePaths: string[];
  evidence: Evidence;
  /** In [0, 1]. */
  confidence: number;
  /**
   * The part compared with existing memory to skip known lessons: the rule's text, the command
   * to use, or the error line (defaults to `content`).
   */
  dedupeKey?: string;
  /**
   * Command lessons: the words the working command adds to the failing one (`pnpm` for
   * `npm test` → `pnpm test`). When a stated preference of the same session already has them
   * all, the preference is the lesson and the command lesson is a repeat.
   */
  addedWords?: string[];
}

/** Maximum length of an evidence quote. */
export const MAX_QUOTE = 200;
