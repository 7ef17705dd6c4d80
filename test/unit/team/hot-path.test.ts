/**
 * Session start reads the shared store on every call: the SessionStart hook and everything it
 * loads (the team store reader and merge included) must not import zod, commander, undici or
 * execa, nor spawn git.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', '..', '..', 'src');
const FORBIDDEN = ['zod', 'commander', 'undici', 'execa', 'node:child_process'];

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

function closure(roots: string[], follow: (from: string, spec: string) => boolean): Set<string> {
  const seen = new Set<string>();
  const queue = [...roots];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    if (!file.startsWith('/')) continue;
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

describe('session-start and prompt-recall hooks with the team store', () => {
  const runner = join(SRC, 'cli', 'hooks.ts');
  for (const hook of ['session-start', 'prompt-recall']) {
    it(`${hook} reaches the team store without zod, commander, undici, execa or child_process`, () => {
      const modules = closure(
        [runner, join(SRC, 'cli', 'hooks', `${hook}.ts`)],
        (from, spec) => from !== runner || !spec.startsWith('./hooks/'),
      );
      expect(modules.has(join(SRC, 'core', 'team', 'store.ts'))).toBe(true);
      expect(modules.has(join(SRC, 'core', 'team', 'schema.ts'))).toBe(false);
      // Memory entries are read by the zod-free reader, never through their schema.
      if (hook === 'session-start') expect(modules.has(join(SRC, 'core', 'memory', 'read.ts'))).toBe(true);
      expect(modules.has(join(SRC, 'core', 'memory', 'schema.ts'))).toBe(false);
      expect([...modules].filter((m) => FORBIDDEN.includes(m))).toEqual([]);
    });
  }

  it('the walker does find zod and child_process where they are', () => {
    const modules = closure(
      [join(SRC, 'core', 'team', 'share.ts'), join(SRC, 'core', 'team', 'schema.ts')],
      () => true,
    );
    expect(modules.has('zod')).toBe(true);
    expect(modules.has('node:child_process')).toBe(true);
  });
});
