/**
 * Installed the way a user installs it: a packed tarball run through `npm exec` (what `npx
 * codex-self-evolution install` does), with its own HOME, CODEX_HOME and npm cache. The hooks
 * must run a copy that survives npm cleaning its cache, and a failed install must leave
 * hooks.json and config.toml as they were. Offline: the npm cache is seeded from the machine's.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  mkdtempSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productionPackages, seedNpmCache } from '../helpers/npm-cache.js';
import { REPO_ROOT } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/tmp.js';

const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string })
  .version;
const PLAIN_PATH = '/usr/local/bin:/usr/bin:/bin';

interface World {
  root: string;
  home: string;
  codexHome: string;
  userHome: string;
  cache: string;
  env: Record<string, string>;
}

let tarball = '';
let packDir = '';

function world(): World {
  const root = tempDir('csep-stable-');
  const w = {
    root,
    home: join(root, 'state'),
    codexHome: join(root, 'codex'),
    userHome: join(root, 'user'),
    cache: join(root, 'npm-cache'),
  };
  for (const d of [w.codexHome, w.userHome]) mkdirSync(d, { recursive: true });
  return {
    ...w,
    env: {
      PATH: process.env.PATH ?? PLAIN_PATH,
      HOME: w.userHome,
      CODEX_HOME: w.codexHome,
      CODEX_SELF_EVOLUTION_HOME: w.home,
      npm_config_cache: w.cache,
      npm_config_update_notifier: 'false',
      NO_COLOR: '1',
    },
  };
}

function npmExecInstall(w: World, pkg: string, extra: string[] = []) {
  return spawnSync(
    'npm',
    [
      'exec',
      '--offline',
      '--yes',
      '--package',
      pkg,
      '--',
      'codex-self-evolution',
      'install',
      '--json',
      ...extra,
    ],
    {
      cwd: w.userHome,
      env: w.env,
      encoding: 'utf8',
      timeout: 240_000,
    },
  );
}

/** Our handler commands in hooks.json, by event. */
function ourCommands(codexHome: string): Record<string, string> {
  const doc = JSON.parse(readFileSync(join(codexHome, 'hooks.json'), 'utf8')) as {
    hooks: Record<string, Array<{ hooks: Array<{ command: string }> }>>;
  };
  const out: Record<string, string> = {};
  for (const [event, groups] of Object.entries(doc.hooks)) {
    for (const g of groups)
      for (const h of g.hooks) if (h.command.includes('codex-self-evolution managed')) out[event] = h.command;
  }
  return out;
}

/** Runs a hook command the way Codex does (`sh -c`), with a plain PATH. */
function runHook(w: World, command: string, payload: Record<string, unknown>) {
  return spawnSync('/bin/sh', ['-c', command], {
    input: JSON.stringify(payload),
    env: { PATH: PLAIN_PATH, HOME: w.userHome, CODEX_SELF_EVOLUTION_HOME: w.home },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

/** The next release: the same package with a higher version, packed for npx. */
function nextRelease(w: World): { pkg: { version: string }; nextTarball: string } {
  const next = join(w.root, 'next');
  spawnSync('tar', ['-xzf', tarball, '-C', w.root]);
  cpSync(join(w.root, 'package'), next, { recursive: true });
  const pkg = JSON.parse(readFileSync(join(next, 'package.json'), 'utf8')) as { version: string };
  pkg.version = `${VERSION}-next.1`;
  writeFileSync(join(next, 'package.json'), JSON.stringify(pkg, null, 2));
  const packed = spawnSync(
    'npm',
    ['pack', next, '--pack-destination', w.root, '--ignore-scripts', '--json'],
    {
      encoding: 'utf8',
    },
  );
  const nextTarball = join(w.root, (JSON.parse(packed.stdout) as Array<{ filename: string }>)[0]!.filename);
  return { pkg, nextTarball };
}

beforeAll(() => {
  const dir = (packDir = mkdtempSync(join(tmpdir(), 'csep-pack-')));
  const packed = spawnSync(
    'npm',
    ['pack', REPO_ROOT, '--pack-destination', dir, '--ignore-scripts', '--json'],
    { encoding: 'utf8', timeout: 120_000 },
  );
  expect(packed.status, packed.stderr).toBe(0);
  tarball = join(dir, (JSON.parse(packed.stdout) as Array<{ filename: string }>)[0]!.filename);
}, 180_000);

afterAll(() => {
  if (packDir) rmSync(packDir, { recursive: true, force: true });
});

describe('a stable installation from a packed tarball through npm exec', () => {
  it('installs a copy under the state home that keeps working after the npm cache is deleted; uninstall removes it', async () => {
    const w = world();
    expect(await seedNpmCache(w.cache)).toBeGreaterThan(20);
    const result = npmExecInstall(w, tarball);
    expect(result.status, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout) as {
      hook_copy: { package_root: string; temporary_source: string; action: string };
      next_steps: string[];
    };
    // Run through npx, the trust step is said the way the user can type it.
    expect(out.next_steps.join('\n')).toContain('npx codex-self-evolution install --trust');
    const prefix = join(w.home, 'runtime', VERSION);
    expect(out.hook_copy).toMatchObject({
      package_root: join(prefix, 'node_modules', 'codex-self-evolution'),
      temporary_source: "npm's npx cache",
      action: 'installed',
    });
    const commands = ourCommands(w.codexHome);
    expect(Object.keys(commands).sort()).toEqual(['SessionStart', 'Stop', 'UserPromptSubmit']);
    for (const c of Object.values(commands)) {
      expect(c).toContain(
        join(prefix, 'node_modules', 'codex-self-evolution', 'bin', 'codex-self-evolution.js'),
      );
      expect(c).not.toContain('_npx');
    }

    // npm cleans its cache: the hooks still run.
    rmSync(w.cache, { recursive: true, force: true });
    const repo = join(w.root, 'repo');
    mkdirSync(join(repo, '.git'), { recursive: true });
    const start = runHook(w, commands.SessionStart!, {
      session_id: 's1',
      cwd: repo,
      hook_event_name: 'SessionStart',
      source: 'startup',
      model: 'm',
    });
    expect(start.status, start.stderr).toBe(0);
    const context = (JSON.parse(start.stdout) as { hookSpecificOutput: { additionalContext: string } })
      .hookSpecificOutput.additionalContext;
    expect(context).toContain('Recall Contract');
    const version = spawnSync(
      process.execPath,
      [join(prefix, 'node_modules', 'codex-self-evolution', 'bin', 'codex-self-evolution.js'), '--version'],
      { encoding: 'utf8' },
    );
    expect(version.stdout.trim()).toBe(VERSION);

    // status names the copy and finds it working.
    const status = spawnSync(
      process.execPath,
      [
        join(prefix, 'node_modules', 'codex-self-evolution', 'bin', 'codex-self-evolution.js'),
        'status',
        '--json',
      ],
      { env: w.env, encoding: 'utf8' },
    );
    const installation = (
      JSON.parse(status.stdout) as {
        installation: { cli: string; ok: boolean; version: string | null; problems: string[] };
      }
    ).installation;
    expect(installation).toMatchObject({ ok: true, version: VERSION, problems: [] });

    const un = spawnSync(
      process.execPath,
      [
        join(prefix, 'node_modules', 'codex-self-evolution', 'bin', 'codex-self-evolution.js'),
        'uninstall',
        '--json',
      ],
      { env: w.env, encoding: 'utf8' },
    );
    expect(un.status, un.stderr).toBe(0);
    expect(existsSync(join(w.home, 'runtime'))).toBe(false);
    expect(existsSync(join(w.home, 'install.json'))).toBe(false);
    expect(existsSync(join(w.codexHome, 'hooks.json'))).toBe(false);
  }, 300_000);

  it('moves the hooks to a new version on install after an upgrade, removes the old copy, and status warns when the copy is gone', async () => {
    const w = world();
    await seedNpmCache(w.cache);
    expect(npmExecInstall(w, tarball).status).toBe(0);
    const { pkg, nextTarball } = nextRelease(w);
    const upgraded = npmExecInstall(w, nextTarball);
    expect(upgraded.status, upgraded.stderr).toBe(0);
    for (const c of Object.values(ourCommands(w.codexHome)))
      expect(c).toContain(join(w.home, 'runtime', pkg.version, 'node_modules'));
    expect(readdirSync(join(w.home, 'runtime'))).toEqual([pkg.version]);

    // The copy disappears: hooks fail open, status says so first.
    rmSync(join(w.home, 'runtime'), { recursive: true, force: true });
    const stop = runHook(w, ourCommands(w.codexHome).Stop!, {
      session_id: 's',
      hook_event_name: 'Stop',
      cwd: w.root,
    });
    expect(stop.status).not.toBe(2);
    const status = spawnSync(
      process.execPath,
      [join(REPO_ROOT, 'bin', 'codex-self-evolution.js'), 'status', '--json'],
      { env: w.env, encoding: 'utf8' },
    );
    const doc = JSON.parse(status.stdout) as { warnings: string[]; installation: { ok: boolean } };
    expect(doc.installation.ok).toBe(false);
    expect(doc.warnings[0]).toMatch(/hooks run .* which does not exist/);
  }, 300_000);

  it("installing a second agent with a newer version keeps the copy the first agent's hooks run", async () => {
    const w = world();
    await seedNpmCache(w.cache);
    expect(npmExecInstall(w, tarball).status).toBe(0);
    const codexCopy = join(w.home, 'runtime', VERSION);
    const claudeDir = join(w.root, 'claude');
    mkdirSync(claudeDir);
    const { pkg, nextTarball } = nextRelease(w);
    const env = { ...w.env, CLAUDE_CONFIG_DIR: claudeDir };
    const second = npmExecInstall({ ...w, env }, nextTarball, ['--agent', 'claude-code']);
    expect(second.status, second.stderr).toBe(0);
    expect(readdirSync(join(w.home, 'runtime')).sort()).toEqual([VERSION, pkg.version].sort());
    const notes = (JSON.parse(second.stdout) as { notes: string[] }).notes.join('\n');
    expect(notes).toContain(`codex's hooks still run the copy in ${codexCopy}`);
    // Codex's hooks still run their copy.
    const repo = join(w.root, 'repo');
    mkdirSync(join(repo, '.git'), { recursive: true });
    const payload = { session_id: 's1', cwd: repo, hook_event_name: 'SessionStart', source: 'startup' };
    const start = runHook(w, ourCommands(w.codexHome).SessionStart!, payload);
    expect(start.status, start.stderr).toBe(0);
    expect(start.stdout).toContain('Recall Contract');

    // Removing Claude Code's hooks keeps the copy Codex's hooks run.
    const cli = join(REPO_ROOT, 'bin', 'codex-self-evolution.js');
    const un = spawnSync(process.execPath, [cli, 'uninstall', '--agent', 'claude-code', '--json'], {
      env,
      encoding: 'utf8',
    });
    expect(un.status, un.stderr).toBe(0);
    expect(existsSync(codexCopy)).toBe(true);
    expect(runHook(w, ourCommands(w.codexHome).SessionStart!, payload).stdout).toContain('Recall Contract');
  }, 300_000);

  it('stops with one clear message and leaves hooks.json and config.toml as they were when npm fails or the home cannot be written', () => {
    const w = world();
    const hooks =
      '{ "hooks": { "Stop": [ { "hooks": [ { "type": "command", "command": "notify.sh" } ] } ] } }\n';
    const config = '# mine\nmodel = "o3"\n';
    writeFileSync(join(w.codexHome, 'hooks.json'), hooks);
    writeFileSync(join(w.codexHome, 'config.toml'), config);
    // A copy running from npx's cache (unpacked from the tarball), with an npm that fails.
    const npx = join(w.root, '_npx', 'abc', 'node_modules', 'codex-self-evolution');
    mkdirSync(join(w.root, '_npx', 'abc', 'node_modules'), { recursive: true });
    spawnSync('tar', ['-xzf', tarball, '-C', w.root]);
    cpSync(join(w.root, 'package'), npx, { recursive: true });
    // Its dependencies, as npx lays them out (beside it).
    for (const { name } of productionPackages()) {
      if (name.includes('node_modules/')) continue;
      const link = join(w.root, '_npx', 'abc', 'node_modules', name);
      mkdirSync(join(link, '..'), { recursive: true });
      if (!existsSync(link)) symlinkSync(join(REPO_ROOT, 'node_modules', name), link);
    }
    const bin = join(w.root, 'fake-bin');
    mkdirSync(bin);
    writeFileSync(
      join(bin, 'npm'),
      '#!/bin/sh\necho "npm error code E500: registry unreachable" >&2\nexit 1\n',
    );
    chmodSync(join(bin, 'npm'), 0o755);
    const env = {
      PATH: `${bin}:${PLAIN_PATH}`,
      HOME: w.userHome,
      CODEX_HOME: w.codexHome,
      CODEX_SELF_EVOLUTION_HOME: w.home,
      NO_COLOR: '1',
    };
    const failed = spawnSync(
      process.execPath,
      [join(npx, 'bin', 'codex-self-evolution.js'), 'install', '--trust'],
      { env, encoding: 'utf8' },
    );
    expect(failed.status).toBe(1);
    expect(failed.stderr).toContain('cannot make a stable copy: npm pack failed');
    expect(failed.stderr).toContain('registry unreachable');
    expect(failed.stderr.trim().split('\n')).toHaveLength(2); // the message and its hint
    expect(readFileSync(join(w.codexHome, 'hooks.json'), 'utf8')).toBe(hooks);
    expect(readFileSync(join(w.codexHome, 'config.toml'), 'utf8')).toBe(config);
    expect(readdirSync(w.codexHome).sort()).toEqual(['config.toml', 'hooks.json']);
    expect(existsSync(join(w.home, 'runtime')) ? readdirSync(join(w.home, 'runtime')) : []).toEqual([]);

    // npm missing altogether.
    const none = spawnSync(process.execPath, [join(npx, 'bin', 'codex-self-evolution.js'), 'install'], {
      env: { ...env, PATH: join(w.root, 'empty') },
      encoding: 'utf8',
    });
    expect(none.status).toBe(1);
    expect(none.stderr).toContain('npm was not found');
    expect(readFileSync(join(w.codexHome, 'hooks.json'), 'utf8')).toBe(hooks);

    // A state home that cannot be written (its parent is a file).
    writeFileSync(join(w.root, 'a-file'), '');
    const blocked = spawnSync(process.execPath, [join(npx, 'bin', 'codex-self-evolution.js'), 'install'], {
      env: { ...env, CODEX_SELF_EVOLUTION_HOME: join(w.root, 'a-file', 'home') },
      encoding: 'utf8',
    });
    expect(blocked.status).toBe(1);
    expect(blocked.stderr).toMatch(/cannot make a stable copy: .*a-file\/home\/runtime cannot be written/);
    expect(readFileSync(join(w.codexHome, 'hooks.json'), 'utf8')).toBe(hooks);
    expect(readFileSync(join(w.codexHome, 'config.toml'), 'utf8')).toBe(config);
  }, 120_000);
});
