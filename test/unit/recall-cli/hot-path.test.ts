/**
 * The prompt-recall hook runs on every prompt: neither it nor anything it loads may import zod,
 * commander, undici or execa (docs/performance.md). Walks the import graph of the sources.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closure, SRC } from '../../helpers/import-graph.js';

const FORBIDDEN = ['zod', 'commander', 'undici', 'execa'];

describe('prompt-recall --from-stdin import graph', () => {
  it('reaches no zod, commander, undici or execa', () => {
    const hookFile = join(SRC, 'cli', 'hooks', 'prompt-recall.ts');
    const runner = join(SRC, 'cli', 'hooks.ts');
    // The runner's handler table imports each hook lazily; only this hook's import is followed.
    const modules = closure(
      [runner, hookFile],
      (from, spec) => from !== runner || !spec.startsWith('./hooks/'),
    );
    expect(modules.has(join(SRC, 'core', 'flows', 'prompt-recall.ts'))).toBe(true);
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
