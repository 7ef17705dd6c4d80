/**
 * The only reader of `process.env`, and `.env.provider` hydration.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Reads an environment variable: trimmed, empty means unset. */
export function readEnv(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** Parses one value of a `.env` line: quotes, escapes and inline comments. */
function parseValue(raw: string): string {
  const text = raw.trim();
  const quote = text[0];
  if (quote === '"' || quote === "'") {
    // Find the closing quote; anything after it (such as `# comment`) is ignored.
    let out = '';
    for (let i = 1; i < text.length; i++) {
      const ch = text[i]!;
      if (quote === '"' && ch === '\\' && i + 1 < text.length) {
        const next = text[++i]!;
        out += next === 'n' ? '\n' : next === 't' ? '\t' : next === 'r' ? '\r' : next;
        continue;
      }
      if (ch === quote) return out;
      out += ch;
    }
    // Unterminated quote: take the text literally rather than guess.
    return text;
  }
  // Unquoted: a `#` preceded by whitespace starts a comment (`KEY=a#b` keeps the `#`).
  const comment = /(^|\s)#/.exec(text);
  return (comment ? text.slice(0, comment.index) : text).trim();
}

/** Parses `.env` text into key/value pairs (blank values dropped, as in the Python package). */
export function parseEnvFile(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match || line.trimStart().startsWith('#')) continue;
    const value = parseValue(match[2] ?? '');
    if (value !== '') out.set(match[1]!, value);
  }
  return out;
}

/**
 * 1-based numbers of the lines `parseEnvFile` cannot read (not blank, not a comment, not
 * `KEY=value`), such as `OPENAI_API_KEY sk-…` or `KEY: value`. Only numbers: a line may hold a secret.
 */
export function unparsedEnvLines(text: string): number[] {
  const out: number[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    if (!/^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=/.test(line)) out.push(i + 1);
  });
  return out;
}

/** Path of the provider secrets file under a home. */
export function envProviderPath(home: string): string {
  return join(home, '.env.provider');
}

/**
 * Copies `<home>/.env.provider` into `env`; existing variables win. Returns the names set
 * (never values). A missing file is not an error.
 */
export function hydrateEnvProvider(home: string, env: NodeJS.ProcessEnv = process.env): string[] {
  let text: string;
  try {
    text = readFileSync(envProviderPath(home), 'utf8');
  } catch {
    return [];
  }
  const hydrated: string[] = [];
  for (const [key, value] of parseEnvFile(text)) {
    if (env[key] === undefined) {
      env[key] = value;
      hydrated.push(key);
    }
  }
  return hydrated;
}

/** The provider keys the Python package reported by name. */
/**
 * Set in the environment of every process this tool starts (review worker, agent CLIs): a hook
 * seeing it does nothing, so our own runs never review or recall themselves.
 */
export const WORKER_ENV = 'CODEX_SELF_EVOLUTION_WORKER';

export const WELL_KNOWN_KEYS = ['MINIMAX_API_KEY', 'OPENAI_API_KEY', 'ANTHROPIC_API_KEY'] as const;

/** Names (never values) of the keys set in `.env.provider`, for status and `config show`. */
export function describeEnvProvider(home: string): {
  path: string;
  exists: boolean;
  keys_set: string[];
  keys_unset: string[];
  other_keys_set: string[];
  /** Lines that were ignored because they are not `KEY=value` (numbers only, never content). */
  unparsed_lines: number[];
  /** True when group or others may read the file (it holds keys). */
  readable_by_others: boolean;
  error: string | null;
} {
  const path = envProviderPath(home);
  let text: string;
  let mode: number;
  try {
    text = readFileSync(path, 'utf8');
    mode = statSync(path).mode;
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    return {
      path,
      exists: !missing,
      keys_set: [],
      keys_unset: [...WELL_KNOWN_KEYS],
      other_keys_set: [],
      unparsed_lines: [],
      readable_by_others: false,
      error: missing ? null : String(error),
    };
  }
  const parsed = parseEnvFile(text);
  const known = new Set<string>(WELL_KNOWN_KEYS);
  return {
    path,
    exists: true,
    keys_set: WELL_KNOWN_KEYS.filter((k) => parsed.has(k)),
    keys_unset: WELL_KNOWN_KEYS.filter((k) => !parsed.has(k)),
    other_keys_set: [...parsed.keys()].filter((k) => !known.has(k)).sort(),
    unparsed_lines: unparsedEnvLines(text),
    readable_by_others: process.platform !== 'win32' && (mode & 0o044) !== 0,
    error: null,
  };
}
