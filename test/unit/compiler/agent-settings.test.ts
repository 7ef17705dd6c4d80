import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { agentBackendOptions, loadCompileSettings } from '../../../src/core/compiler/settings.js';
import { tempDir } from '../../helpers/tmp.js';

describe('agent backend options from config.toml', () => {
  it('passes [compile.opencode] model and agent to the backend, the environment winning', async () => {
    const home = tempDir();
    writeFileSync(
      join(home, 'config.toml'),
      '[compile.opencode]\nmodel = "fake/model-a"\nagent = "plan"\ntimeout_seconds = 120\n',
    );
    expect(agentBackendOptions(await loadCompileSettings(home))).toEqual({
      timeoutMs: 120_000,
      opencode_model: 'fake/model-a',
      opencode_agent: 'plan',
    });
    vi.stubEnv('CODEX_SELF_EVOLUTION_OPENCODE_MODEL', 'fake/model-b');
    expect(agentBackendOptions(await loadCompileSettings(home))).toMatchObject({
      opencode_model: 'fake/model-b',
      opencode_agent: 'plan',
    });
  });

  it('leaves model and agent to opencode when unset', async () => {
    expect(agentBackendOptions(await loadCompileSettings(tempDir()))).toEqual({ timeoutMs: 900_000 });
  });
});
