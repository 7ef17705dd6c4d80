/**
 * Normalization shared by the compile backends and the apply guard: dedupe keys, stable ids,
 * skill ids that can never escape `skills/managed/`, and the "content" of a suggestion.
 */
import { sha1 } from '../paths.js';

/**
 * Dedupe key of a text: NFKC, lower case, apostrophes dropped, other punctuation and symbols
 * turned into spaces, whitespace collapsed. "Use pnpm." and "use  PNPM" share a key. A text made
 * only of punctuation keeps its (lower-cased, collapsed) punctuation so it still has a key.
 */
export function dedupeKey(text: string): string {
  const base = text.normalize('NFKC').toLowerCase();
  const key = base
    .replace(/['’‘`]/g, '')
    .replace(/[\p{P}\p{S}]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return key !== '' ? key : base.replace(/\s+/g, ' ').trim();
}

/** Stable recall record id: 12 hex of sha1 over the dedupe key of the content. */
export function recallIdFor(content: string): string {
  return sha1(dedupeKey(content)).slice(0, 12);
}

/**
 * Stable id of a memory entry, derived once from its scope and content at creation and then kept
 * (an edit does not change it): `m-` + 10 hex of sha1. `taken` resolves the (theoretical, or
 * edit-induced) collision with another entry's id deterministically.
 */
export function lessonIdFor(scope: string, content: string, taken?: ReadonlySet<string>): string {
  let id = `m-${sha1(`${scope}\u0000${dedupeKey(content)}`).slice(0, 10)}`;
  for (let n = 1; taken?.has(id); n++)
    id = `m-${sha1(`${scope}\u0000${dedupeKey(content)}\u0000${n}`).slice(0, 10)}`;
  return id;
}

/** A valid managed skill id: what the manifest schema and the file layout accept. */
export const SKILL_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;

/**
 * Normalizes a skill id or title into `[a-z0-9-]` (at most 64 characters): accents are folded,
 * every other run of characters becomes one `-`, leading/trailing `-` go. A raw value with no
 * usable character (e.g. only CJK) gets the stable id `skill-<sha1[:8]>` of the trimmed raw
 * value, so it is never empty. Returns undefined only for a blank raw value.
 */
export function normalizeSkillId(raw: string): string | undefined {
  const trimmed = raw.trim();
  if (trimmed === '') return undefined;
  const folded = trimmed
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64)
    .replace(/-+$/g, '');
  return folded !== '' ? folded : `skill-${sha1(trimmed).slice(0, 8)}`;
}

/** The first non-blank string among `details.content|note|text|body`, else the summary. */
export function suggestionContent(details: Record<string, unknown>, summary: string): string {
  for (const key of ['content', 'note', 'text', 'body']) {
    const value = details[key];
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
  }
  return summary.trim();
}

/** Non-empty trimmed strings of a `source_paths`-like value (anything else is dropped). */
export function cleanSourcePaths(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  const out: string[] = [];
  const seen = new Set<string>();
  for (const item of value) {
    if (typeof item !== 'string') continue;
    const path = item.trim();
    if (path === '' || seen.has(path)) continue;
    seen.add(path);
    out.push(path);
  }
  return out;
}

/** A string field of a loose object, trimmed, or '' when absent or not a string. */
export function stringField(object: Record<string, unknown>, key: string): string {
  const value = object[key];
  return typeof value === 'string' ? value.trim() : '';
}

/** Shortens a text for receipts and logs (never the full content of a suggestion). */
export function clip(text: string, max = 120): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
