/**
 * Parsing a reviewer's raw answer into suggestions, fixed:
 * - fenced or bare JSON, and the first balanced object when prose surrounds it;
 * - raw text over 100,000 characters or empty is rejected;
 * - strict at the top level (only the three family keys, each a list), lenient per item: a bad
 *   item is skipped with its family, index and reason, the rest is kept;
 * - a null field of an item means "absent" (models bound by a strict JSON schema write null for
 *   the fields they do not use), so every reviewer's answer is judged the same way.
 */
import { FAMILIES, type Family } from '../constants.js';
import { AppError } from '../errors.js';
import { formatZodIssues } from '../fs/atomic.js';
import { firstBalancedObject } from '../json.js';
import { ReviewerOutputTopSchema, SuggestionSchema, type Suggestion } from '../schemas.js';

export const MAX_REVIEWER_CHARS = 100_000;

/** A reviewer answer that cannot be used as a whole. Carries no raw text (it goes to review/failed/). */
export class ReviewerOutputError extends AppError {}

/** An item the lenient parser dropped. */
export interface SkippedSuggestion {
  family: string;
  index: number;
  reason: string;
  item: unknown;
}

export interface ParsedReview {
  suggestions: Suggestion[];
  skipped: SkippedSuggestion[];
}

/** Extracts the JSON value of a reviewer answer: whole text, fenced block, or first balanced object. */
export function extractJson(raw: string): unknown {
  if (raw.length > MAX_REVIEWER_CHARS)
    throw new ReviewerOutputError(
      `reviewer output exceeded max_chars (${raw.length} > ${MAX_REVIEWER_CHARS})`,
    );
  const text = raw.trim();
  if (text === '') throw new ReviewerOutputError('reviewer output is empty');
  const attempts: string[] = [text];
  const fence = /```(?:json|JSON)?\s*\n([\s\S]*?)\n?```/.exec(text);
  if (fence?.[1]) attempts.push(fence[1].trim());
  for (const candidate of attempts) {
    try {
      return JSON.parse(candidate) as unknown;
    } catch {
      // Try the next form.
    }
  }
  const object = firstBalancedObject(text);
  if (object !== undefined) return JSON.parse(object) as unknown;
  throw new ReviewerOutputError('reviewer output holds no JSON object');
}

/** Parses raw reviewer text: strict at the top level, lenient per item. */
export function parseReviewerOutput(raw: string): ParsedReview {
  const value = extractJson(raw);
  const top = ReviewerOutputTopSchema.safeParse(value);
  if (!top.success)
    throw new ReviewerOutputError(
      `reviewer output rejected: ${formatZodIssues(top.error).slice(0, 3).join('; ')}`,
    );
  const suggestions: Suggestion[] = [];
  const skipped: SkippedSuggestion[] = [];
  for (const family of FAMILIES) {
    const items = (top.data as Partial<Record<Family, unknown[]>>)[family] ?? [];
    items.forEach((item, index) => {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) {
        skipped.push({ family, index, reason: 'item must be an object', item });
        return;
      }
      const fields = withoutNulls(item) as Record<string, unknown>;
      const candidate: Record<string, unknown> = { ...fields, family };
      // The prompt allows `remove` to repeat old_summary as its summary; fill it in when absent.
      const details = candidate.details as Record<string, unknown> | undefined;
      if (
        family === 'memory_updates' &&
        details &&
        details.action === 'remove' &&
        typeof candidate.summary !== 'string'
      ) {
        candidate.summary = typeof details.old_summary === 'string' ? details.old_summary : '';
      }
      const parsed = SuggestionSchema.safeParse(candidate);
      if (!parsed.success) {
        skipped.push({ family, index, reason: formatZodIssues(parsed.error).join('; '), item });
        return;
      }
      suggestions.push({ ...parsed.data, summary: parsed.data.summary.trim() });
    });
  }
  return { suggestions, skipped };
}

/** A copy of `value` without object keys whose value is null (arrays keep their length). */
export function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
      if (inner !== null) out[key] = withoutNulls(inner);
    }
    return out;
  }
  return value;
}
