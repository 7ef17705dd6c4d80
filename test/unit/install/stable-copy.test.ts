/** Where hooks may point: which running copies count as temporary, and pruning old copies. */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkCopy,
  pruneCopies,
  runtimeDir,
  stablePrefix,
  temporaryReason,
} from '../../../src/core/install/stable-copy.js';
import { tempDir } from '../../helpers/tmp.js';

describe('temporaryReason', () => {
  it("names npm's npx cache and temporary directories, and trusts a git checkout and other places", () => {
    const root = tempDir();
    const npx = join(root, '.npm', '_npx', 'a1b2', 'node_modules', 'codex-self-evolution');
    mkdirSync(npx, { recursive: true });
    expect(temporaryReason(npx, {})).toBe("npm's npx cache");
    const unpacked = join(root, 'package');
    mkdirSync(unpacked);
    expect(temporaryReason(unpacked, {})).toBe('a temporary directory');
    const clone = join(root, 'clone');
    mkdirSync(join(clone, '.git'), { recursive: true });
    expect(temporaryReason(clone, {})).toBeUndefined();
    expect(temporaryReason('/usr/lib/node_modules/codex-self-evolution', {})).toBeUndefined();
    expect(temporaryReason('/opt/cache/x/codex-self-evolution', { npm_config_cache: '/opt/cache' })).toBe(
      "npm's cache",
    );
  });
});

describe('pruneCopies and checkCopy', () => {
  it('removes every copy but the one kept, and finds a copy without a working bin broken', () => {
    const home = tempDir();
    for (const v of ['0.1.0', '0.2.0'])
      mkdirSync(join(stablePrefix(home, v), 'node_modules'), { recursive: true });
    expect(checkCopy(stablePrefix(home, '0.2.0'), '0.2.0')).toMatchObject({ ok: false });
    const pkg = join(stablePrefix(home, '0.2.0'), 'node_modules', 'codex-self-evolution');
    mkdirSync(join(pkg, 'bin'), { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ version: '0.2.0' }));
    writeFileSync(join(pkg, 'bin', 'codex-self-evolution.js'), 'process.stdout.write("0.1.9\\n")');
    expect(checkCopy(stablePrefix(home, '0.2.0'), '0.2.0').problem).toMatch(/--version failed/);
    writeFileSync(join(pkg, 'bin', 'codex-self-evolution.js'), 'process.stdout.write("0.2.0\\n")');
    expect(checkCopy(stablePrefix(home, '0.2.0'), '0.2.0')).toEqual({ ok: true });
    expect(pruneCopies(home, stablePrefix(home, '0.2.0'))).toEqual([stablePrefix(home, '0.1.0')]);
    expect(readdirSync(runtimeDir(home))).toEqual(['0.2.0']);
    pruneCopies(home);
    expect(readdirSync(home)).toEqual([]);
  });
});
