/**
 * The prompt-recall hook runs on every prompt: neither it nor anything it loads may import zod,
 * commander, undici or execa (docs/performance.md). Walks the import graph of the sources.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', '..', '..', 'src');
const FORBIDDEN = ['zod', 'commander', 'undici', 'execa'];

/** Runtime import specifiers of a module (static, re-exports and dynamic; `import type` excluded). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  const found: string[] = [];
  for (const m of text.matchAll(
    /^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm,
  ))
    found.push(m[1]!);
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(m[1]!);
  return found;
}

/** Every module reachable from `roots`, as source paths or bare package names. */
function closure(roots: string[], follow: (from: string, spec: string) => boolean = () => true): Set<string> {
  const seen = new Set<string>();
  const queue = [...roots];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    if (!file.startsWith('/')) continue; // a package or node: builtin
    for (const spec of importsOf(file)) {
      if (!follow(file, spec)) continue;
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
        expect(existsSync(target), `${file} imports ${spec}`).toBe(true);
        queue.push(target);
      } else queue.push(spec.startsWith('node:') ? spec : spec.split('/')[0]!);
    }
  }
  return seen;
}

describe('prompt-recall --from-stdin import graph', () => {
  it('reaches no zod, commander, undici or execa', () => {
    const hookFile = join(SRC, 'cli', 'hooks', 'prompt-recall.ts');
    const runner = join(SRC, 'cli', 'hooks.ts');
    // The runner's handler table imports each hook lazily; only this hook's import is followed.
    const modules = closure(
      [runner, hookFile],
      (from, spec) => from !== runner || !spec.startsWith('./hooks/'),
    );
    expect(modules.has(join(SRC, 'core', 'recall', 'prompt-recall.ts'))).toBe(true);
    expect(modules.has(join(SRC, 'core', 'recall', 'search.ts'))).toBe(true);
    const bad = [...modules].filter((m) => FORBIDDEN.includes(m));
    expect(bad).toEqual([]);
  });

  it('the walker does find a forbidden package where there is one', () => {
    const modules = closure(
      [join(SRC, 'cli', 'program.ts')],
      (_from, spec) => !spec.startsWith('./commands/'),
    );
    expect(modules.has('commander')).toBe(true);
  });
});
