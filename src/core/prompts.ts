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

/** Text of `prompts/<name>`. Throws if the package is incomplete (a bug, not user error). */
export function readPrompt(name: string): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(join(PACKAGE_ROOT, 'prompts', name), 'utf8');
    cache.set(name, text);
  }
  return text;
}
