/**
 * Session start reads the shared store on every call: the SessionStart hook and everything it
 * loads (the team store reader and merge included) must not import zod, commander, undici or
 * execa, nor spawn git.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closure, SRC } from '../../helpers/import-graph.js';

const FORBIDDEN = ['zod', 'commander', 'undici', 'execa', 'node:child_process'];

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

  it('the walker does find zod and execa where they are', () => {
    const modules = closure(
      [join(SRC, 'core', 'team', 'share.ts'), join(SRC, 'core', 'team', 'schema.ts')],
      () => true,
    );
    expect(modules.has('zod')).toBe(true);
    expect(modules.has('execa')).toBe(true);
  });
});
