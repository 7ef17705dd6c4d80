/**
 * JSON helpers shared by every writer: sorted keys and 2-space indent, as the Python original
 * wrote its files (`json.dumps(indent=2, sort_keys=True)`), but non-ASCII kept readable.
 */

/** Returns a copy of `value` whose object keys are sorted recursively (arrays keep their order). */
export function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeysDeep(v);
    }
    return out;
  }
  return value;
}

/** `JSON.stringify` with sorted keys and `indent` spaces (2 by default), without a trailing newline. */
export function stableStringify(value: unknown, indent = 2): string {
  return JSON.stringify(sortKeysDeep(value), null, indent);
}

/** Compact single-line JSON with sorted keys (hook outputs, log lines). */
export function compactStringify(value: unknown): string {
  return JSON.stringify(sortKeysDeep(value));
}

/** Parses JSON, returning `undefined` instead of throwing. */
export function tryParseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/** True for a plain JSON object (not null, not an array): the first step of narrowing parsed JSON. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Returns the first balanced `{…}` in `text` (string- and escape-aware), or undefined.
 */
export function firstBalancedObject(text: string): string | undefined {
  let start = text.indexOf('{');
  while (start !== -1) {
    let depth = 0;
    let inString = false;
    let escaped = false;
    for (let i = start; i < text.length; i++) {
      const ch = text[i];
      if (inString) {
        if (escaped) escaped = false;
        else if (ch === '\\') escaped = true;
        else if (ch === '"') inString = false;
        continue;
      }
      if (ch === '"') inString = true;
      else if (ch === '{') depth++;
      else if (ch === '}') {
        depth--;
        if (depth === 0) {
          const candidate = text.slice(start, i + 1);
          try {
            JSON.parse(candidate);
            return candidate;
          } catch {
            break; // Not JSON after all: try the next opening brace.
          }
        }
      }
    }
    start = text.indexOf('{', start + 1);
  }
  return undefined;
}
