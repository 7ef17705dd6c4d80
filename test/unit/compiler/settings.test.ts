import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCompile } from '../../../src/core/compiler/compile.js';
import { loadCompileSettings } from '../../../src/core/compiler/settings.js';
import { resolveStatePaths } from '../../../src/core/paths.js';
import { tempDir } from '../../helpers/tmp.js';

describe('loadCompileSettings', () => {
  it('uses defaults without a config file', async () => {
    const settings = await loadCompileSettings(tempDir());
    expect(settings).toMatchObject({
      backend: 'script',
      allowFallback: true,
      caps: { user: { maxEntries: 30, maxChars: 3000 }, global: { maxEntries: 80, maxChars: 12000 } },
      opencodeTimeoutMs: 900_000,
    });
    expect(settings.warnings).toEqual([]);
  });

  it('reads [compile] and [compile.memory], and keeps the agent timeout below the lock stale window', async () => {
    const home = tempDir();
    mkdirSync(home, { recursive: true });
    writeFileSync(
      join(home, 'config.toml'),
      '[compile]\nbackend = "agent:opencode"\nallow_fallback = false\n\n[compile.opencode]\ntimeout_seconds = 3000\n\n[compile.memory]\nuser_max_entries = 5\nglobal_max_chars = 2000\n',
    );
    const settings = await loadCompileSettings(home);
    expect(settings).toMatchObject({
      backend: 'agent:opencode',
      allowFallback: false,
      caps: { user: { maxEntries: 5, maxChars: 3000 }, global: { maxEntries: 80, maxChars: 2000 } },
    });
    expect(settings.opencodeTimeoutMs).toBe(1500_000);
    expect(settings.warnings).toEqual([expect.stringContaining('capped at 1500')]);
  });

  it('falls back to defaults when config.toml is broken', async () => {
    const home = tempDir();
    writeFileSync(join(home, 'config.toml'), '[compile\nbackend = ');
    const settings = await loadCompileSettings(home);
    expect(settings.backend).toBe('script');
    expect(settings.warnings[0]).toMatch(/config\.toml unusable/);
  });
});

describe('runCompile on a directory without a bucket', () => {
  it('is skip_empty and creates nothing', async () => {
    const root = tempDir();
    const paths = resolveStatePaths({ cwd: root, home: join(root, 'home') });
    expect(await runCompile(paths)).toMatchObject({
      status: 'skip_empty',
      receipt_path: null,
      processed_count: 0,
    });
    expect(existsSync(join(root, 'home'))).toBe(false);
  });
});
