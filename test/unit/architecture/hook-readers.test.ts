/**
 * The hooks read state files with zod-free readers (each tested against its schema): no hook
 * reaches zod, commander, undici or execa, nor the modules that hold the schemas of what it reads.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closure, SRC } from '../../helpers/import-graph.js';

const FORBIDDEN = ['zod', 'commander', 'undici', 'execa'];
const runner = join(SRC, 'cli', 'hooks.ts');

function hookModules(hook: string): Set<string> {
  return closure(
    [runner, join(SRC, 'cli', 'hooks', `${hook}.ts`)],
    (from, spec) => from !== runner || !spec.startsWith('./hooks/'),
  );
}

describe('state-file readers on the hook paths', () => {
  for (const hook of ['session-start', 'prompt-recall', 'stop-review', 'session-end']) {
    it(`${hook} reaches no zod and no schema module`, () => {
      const modules = hookModules(hook);
      expect([...modules].filter((m) => FORBIDDEN.includes(m))).toEqual([]);
      for (const schema of [
        join(SRC, 'core', 'schemas.ts'),
        join(SRC, 'core', 'memory', 'schema.ts'),
        join(SRC, 'core', 'spool', 'schema.ts'),
      ])
        expect(modules.has(schema), schema).toBe(false);
    });
  }

  it('the Stop hook reads spool entries through the zod-free reader', () => {
    expect(hookModules('stop-review').has(join(SRC, 'core', 'spool', 'spool.ts'))).toBe(true);
  });
});
