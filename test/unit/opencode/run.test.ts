/** The environment and the read-only config an opencode run gets (the run itself: test/unit/process). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { opencodeEnv, restrictedConfigContent } from '../../../src/core/compiler/backends/opencode/run.js';
import { WORKER_ENV } from '../../../src/core/env.js';
import { tempDir } from '../../helpers/tmp.js';

describe('opencodeEnv', () => {
  it('keeps the user environment, drops our settings and what .env.provider set, marks the worker', () => {
    const home = tempDir();
    writeFileSync(join(home, '.env.provider'), 'MINIMAX_API_KEY=mm-secret\nOPENAI_API_KEY=from-file\n');
    const env = opencodeEnv(
      {
        HOME: '/home/me',
        XDG_CONFIG_HOME: '/home/me/.config',
        PATH: '/usr/bin',
        ANTHROPIC_API_KEY: 'user-own-key',
        MINIMAX_API_KEY: 'mm-secret',
        OPENAI_API_KEY: 'exported-by-user',
        CODEX_SELF_EVOLUTION_HOME: '/x',
        CODEX_SELF_EVOLUTION_REVIEWER_API_KEY: 'ours',
        CSEP_DEBUG: '1',
      },
      home,
    );
    expect(env).toEqual({
      HOME: '/home/me',
      XDG_CONFIG_HOME: '/home/me/.config',
      PATH: '/usr/bin',
      ANTHROPIC_API_KEY: 'user-own-key',
      OPENAI_API_KEY: 'exported-by-user',
      [WORKER_ENV]: '1',
    });
  });
});

describe('restrictedConfigContent', () => {
  it('offers only the read tool and denies other directories, over the user inline config', () => {
    expect(JSON.parse(restrictedConfigContent(undefined))).toEqual({
      tools: { '*': false, read: true },
      permission: { external_directory: 'deny' },
    });
    const merged = JSON.parse(
      restrictedConfigContent(
        JSON.stringify({ model: 'a/b', tools: { read: false, bash: true }, permission: { bash: 'allow' } }),
      ),
    );
    expect(merged).toEqual({
      model: 'a/b',
      tools: { read: true, bash: false, '*': false },
      permission: { bash: 'allow', external_directory: 'deny' },
    });
    expect(JSON.parse(restrictedConfigContent('{"permission":"allow"}')).permission).toEqual({
      '*': 'allow',
      external_directory: 'deny',
    });
    expect(JSON.parse(restrictedConfigContent('not json'))).toEqual({
      tools: { '*': false, read: true },
      permission: { external_directory: 'deny' },
    });
  });
});
