/**
 * Prompt and policy texts shipped in `prompts/` (next to `dist/` in the package, next to `src/`
 * in a checkout). Read lazily and cached per process.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the package root (the directory holding `prompts/`). */
export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const cache = new Map<string, string>();

/** A word for sh: bare when it is plain, else single-quoted. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_/.,:@%+=-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command line that runs this copy's `csep` from any shell: absolute node and bin, so it
 * needs no PATH entry (the agent's shell has none for an npx or clone install). The hooks run
 * the installed copy, so the context they inject names that copy.
 */
export function csepCommand(): string {
  return `${shellWord(process.execPath)} ${shellWord(join(PACKAGE_ROOT, 'bin', 'csep.js'))}`;
}

/**
 * Text of `prompts/<name>`, with `{{csep}}` replaced by {@link csepCommand}. Throws if the
 * package is incomplete (a bug, not user error).
 */
export function readPrompt(name: string): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(join(PACKAGE_ROOT, 'prompts', name), 'utf8').replaceAll('{{csep}}', csepCommand());
    cache.set(name, text);
  }
  return text;
}
