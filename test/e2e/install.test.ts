/**
 * `install` / `uninstall` / `install-scheduler` through the built CLI, in temp homes. The trust
 * check asks the real Codex 0.169 (`codex app-server` hooks/list, via the Codex harness's
 * codex-hooks.mjs in test/harness/codex/) whether it considers the hooks we wrote trusted.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, REPO_ROOT, runCli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/tmp.js';

const HARNESS_DIR = join(REPO_ROOT, 'test', 'harness', 'codex');
const CODEX = join(REPO_ROOT, 'node_modules', '.bin', 'codex');
const MARKER = '# codex-self-evolution managed';

/** Another tool's hooks.json, hand-formatted (no serializer reproduces it). */
const OTHER = `{ "hooks": {
  "PreToolUse": [ { "matcher": "Bash", "hooks": [ { "type": "command", "command": "guard.sh" } ] } ],
  "Stop": [ { "hooks": [ { "type": "command", "command": "notify-send 'codex done'", "timeout": 5 } ] } ]
} }
`;

function world(hooks?: string) {
  const root = tempDir();
  const codexHome = join(root, 'codex');
  const home = join(root, 'csep');
  mkdirSync(codexHome);
  if (hooks !== undefined) writeFileSync(join(codexHome, 'hooks.json'), hooks);
  return {
    root,
    codexHome,
    home,
    env: { HOME: root, CODEX_HOME: codexHome, CODEX_SELF_EVOLUTION_HOME: home },
  };
}

const listing = (dir: string) => readdirSync(dir).sort();

describe('install / uninstall (built CLI)', () => {
  it("installs beside other tools' hooks, is idempotent, and uninstall restores the exact bytes", () => {
    const w = world(OTHER);
    const first = runCli(['install'], { env: w.env });
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout).toContain(
      `Installed the codex-self-evolution hooks in ${join(w.codexHome, 'hooks.json')}`,
    );
    expect(first.stdout).toMatch(
      /\+ SessionStart +added: '.+' '.+bin\/codex-self-evolution\.js' session-start --from-stdin # codex-self-evolution managed/,
    );
    expect(first.stdout).toContain('type /hooks');
    expect(first.stdout).toContain('codex-self-evolution install --trust');
    const installed = readFileSync(join(w.codexHome, 'hooks.json'), 'utf8');
    const doc = JSON.parse(installed) as {
      hooks: Record<string, Array<{ matcher?: string; hooks: Array<{ command: string; timeout: number }> }>>;
    };
    expect(doc.hooks.PreToolUse![0]!.hooks[0]!.command).toBe('guard.sh');
    expect(doc.hooks.Stop!.map((g) => g.hooks[0]!.command)).toEqual([
      "notify-send 'codex done'",
      `'${process.execPath}' '${CLI}' stop-review --from-stdin ${MARKER}`,
    ]);
    expect(doc.hooks.SessionStart![0]).toEqual({
      matcher: 'startup|resume|clear|compact',
      hooks: [
        {
          type: 'command',
          command: `'${process.execPath}' '${CLI}' session-start --from-stdin ${MARKER}`,
          timeout: 15,
        },
      ],
    });
    expect(doc.hooks.UserPromptSubmit![0]!.hooks[0]!.timeout).toBe(10);
    const backups = listing(w.codexHome).filter((n) => n.startsWith('hooks.json.bak.'));
    expect(backups).toHaveLength(1);
    expect(readFileSync(join(w.codexHome, backups[0]!), 'utf8')).toBe(OTHER);

    const second = runCli(['install'], { env: w.env });
    expect(second.status).toBe(0);
    expect(second.stdout).toContain('already up to date');
    expect(readFileSync(join(w.codexHome, 'hooks.json'), 'utf8')).toBe(installed);
    expect(listing(w.codexHome).filter((n) => n.startsWith('hooks.json.bak.'))).toHaveLength(1);

    const removed = runCli(['uninstall'], { env: w.env });
    expect(removed.status).toBe(0);
    expect(removed.stdout).toContain('restored byte for byte');
    expect(readFileSync(join(w.codexHome, 'hooks.json'), 'utf8')).toBe(OTHER);
    expect(runCli(['uninstall'], { env: w.env }).stdout).toContain('nothing to remove');
  });

  it('--dry-run prints the change and writes nothing', () => {
    const w = world(OTHER);
    const before = listing(w.codexHome);
    const result = runCli(['install', '--dry-run', '--trust'], { env: w.env });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Dry run: nothing was written');
    expect(result.stdout).toMatch(
      /^\+ +"command": "'.*' stop-review --from-stdin # codex-self-evolution managed",$/m,
    );
    expect(result.stdout).toMatch(/^\+ trusted_hash = "sha256:[0-9a-f]{64}"$/m);
    expect(listing(w.codexHome)).toEqual(before);
    expect(readFileSync(join(w.codexHome, 'hooks.json'), 'utf8')).toBe(OTHER);
    runCli(['install'], { env: w.env });
    const installed = readFileSync(join(w.codexHome, 'hooks.json'), 'utf8');
    const dryUninstall = runCli(['uninstall', '--dry-run', '--json'], { env: w.env });
    expect(JSON.parse(dryUninstall.stdout)).toMatchObject({
      status: 'dry_run',
      hooks_changed: true,
      hooks_json_after: OTHER,
    });
    expect(readFileSync(join(w.codexHome, 'hooks.json'), 'utf8')).toBe(installed);
  });

  it('refuses to overwrite a hooks.json it cannot parse (exit 1, nothing written)', () => {
    const broken = '{ "hooks": { "Stop": [ ] ';
    const w = world(broken);
    const result = runCli(['install'], { env: w.env });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /^codex-self-evolution: cannot parse .*hooks\.json: .*refusing to overwrite it\nhint: fix the JSON by hand/,
    );
    expect(readFileSync(join(w.codexHome, 'hooks.json'), 'utf8')).toBe(broken);
    expect(listing(w.codexHome)).toEqual(['hooks.json']);
  });

  it("replaces the Python original's hooks and says so; --codex-home wins over $CODEX_HOME", () => {
    const legacy = JSON.stringify(
      {
        hooks: {
          Stop: [
            {
              hooks: [
                {
                  type: 'command',
                  timeout: 20,
                  command:
                    "bash -c ': codex-self-evolution-plugin managed; exec uvx --from codex-self-evolution-plugin codex-self-evolution stop-review --from-stdin'",
                },
              ],
            },
          ],
          SessionStart: [
            {
              hooks: [
                {
                  type: 'command',
                  timeout: 15,
                  command:
                    "bash -c ': codex-self-evolution-plugin managed; exec uvx --from codex-self-evolution-plugin codex-self-evolution session-start --from-stdin'",
                },
              ],
            },
          ],
        },
      },
      null,
      2,
    );
    const w = world(legacy);
    const decoy = join(w.root, 'decoy');
    mkdirSync(decoy);
    const result = runCli(['install', '--codex-home', w.codexHome, '--json'], {
      env: { ...w.env, CODEX_HOME: decoy },
    });
    expect(result.status).toBe(0);
    const out = JSON.parse(result.stdout) as {
      status: string;
      legacy_replaced: number;
      changes: Array<{ action: string; event: string }>;
    };
    expect(out.status).toBe('installed');
    expect(out.legacy_replaced).toBe(2);
    expect(
      out.changes
        .filter((c) => c.action === 'replace_legacy')
        .map((c) => c.event)
        .sort(),
    ).toEqual(['SessionStart', 'Stop']);
    expect(readFileSync(join(w.codexHome, 'hooks.json'), 'utf8')).not.toContain('uvx');
    expect(listing(decoy)).toEqual([]);
    const human = runCli(['install', '--via-npx', '--dry-run'], { env: w.env });
    expect(human.stdout).toMatch(/npx -y 'codex-self-evolution@\d+\.\d+\.\d+' stop-review --from-stdin/);
  });

  it('the shell wrappers run the CLI', () => {
    const w = world();
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', ...w.env };
    const inst = spawnSync(join(REPO_ROOT, 'scripts', 'install-codex-hook.sh'), ['--json'], {
      env,
      encoding: 'utf8',
    });
    expect(inst.status).toBe(0);
    expect(JSON.parse(inst.stdout)).toMatchObject({
      status: 'installed',
      hooks_file: join(w.codexHome, 'hooks.json'),
    });
    const un = spawnSync(join(REPO_ROOT, 'scripts', 'uninstall-codex-hook.sh'), ['--json'], {
      env,
      encoding: 'utf8',
    });
    expect(JSON.parse(un.stdout)).toMatchObject({ status: 'removed', hooks_file_deleted: true });
    expect(existsSync(join(w.codexHome, 'hooks.json'))).toBe(false);
  });

  it('install --trust writes trust that the real Codex accepts', () => {
    const helper = join(HARNESS_DIR, 'codex-hooks.mjs');
    expect(existsSync(helper), `the Codex harness is missing: ${helper}`).toBe(true);
    const w = world(OTHER);
    // A user config with comments and settings that must survive.
    const config = '# my Codex settings\nmodel = "o3"\n\n[analytics]\nenabled = false\n';
    writeFileSync(join(w.codexHome, 'config.toml'), config);
    const result = runCli(['install', '--trust'], { env: w.env });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Trust: all 3 hooks are trusted');
    const after = readFileSync(join(w.codexHome, 'config.toml'), 'utf8');
    expect(after.startsWith(config)).toBe(true);

    const listed = spawnSync(process.execPath, [helper, '--codex', CODEX, '--json', '--cwd', w.root], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: w.root, CODEX_HOME: w.codexHome },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(listed.status, listed.stderr).toBe(0);
    const hooks = (
      JSON.parse(listed.stdout) as {
        data: Array<{
          hooks: Array<{ eventName: string; command: string; trustStatus: string; key: string }>;
        }>;
      }
    ).data.flatMap((d) => d.hooks);
    const ours = hooks.filter((h) => h.command.includes(MARKER));
    expect(ours.map((h) => [h.eventName, h.trustStatus]).sort()).toEqual([
      ['sessionStart', 'trusted'],
      ['stop', 'trusted'],
      ['userPromptSubmit', 'trusted'],
    ]);
    // Another tool's hooks stay the user's decision.
    expect(hooks.find((h) => h.command === 'guard.sh')?.trustStatus).toBe('untrusted');

    // Uninstall removes our trust entries and gives config.toml back unchanged.
    expect(runCli(['uninstall'], { env: w.env }).status).toBe(0);
    expect(readFileSync(join(w.codexHome, 'config.toml'), 'utf8')).toBe(config);
    expect(readFileSync(join(w.codexHome, 'hooks.json'), 'utf8')).toBe(OTHER);
  });

  it('status reports hooks installed and trusted', () => {
    const w = world();
    runCli(['install'], { env: w.env });
    const plain = JSON.parse(runCli(['install', '--json', '--dry-run'], { env: w.env }).stdout) as {
      hooks: Array<{ trusted: boolean }>;
    };
    expect(plain.hooks.map((h) => h.trusted)).toEqual([false, false, false]);
    runCli(['install', '--trust'], { env: w.env });
    const trusted = JSON.parse(runCli(['install', '--json'], { env: w.env }).stdout) as {
      status: string;
      hooks: Array<{ trusted: boolean }>;
      next_steps: string[];
    };
    expect(trusted.status).toBe('unchanged');
    expect(trusted.hooks.map((h) => h.trusted)).toEqual([true, true, true]);
    expect(trusted.next_steps).toEqual([]);
    const status = JSON.parse(runCli(['status'], { env: w.env }).stdout) as {
      hook_install: Record<string, unknown>;
      scheduler: Record<string, unknown>;
    };
    expect(status.hook_install).toMatchObject({
      file: join(w.codexHome, 'hooks.json'),
      installed: { SessionStart: true, UserPromptSubmit: true, Stop: true },
      trusted: { SessionStart: true, UserPromptSubmit: true, Stop: true },
      launcher: 'node',
      error: null,
    });
    expect(status.scheduler).toHaveProperty('installed');
  });
});

describe('install-scheduler / uninstall-scheduler (built CLI, fake systemctl and crontab on PATH)', () => {
  /** A bin dir with fake `systemctl` (no user manager), `launchctl`, and a `crontab` backed by a file. */
  function fakeBin(root: string): { bin: string; crontab: string; calls: string } {
    const bin = join(root, 'fake-bin');
    mkdirSync(bin);
    const crontab = join(root, 'crontab.txt');
    const calls = join(root, 'calls.log');
    writeFileSync(
      join(bin, 'systemctl'),
      `#!/bin/sh\necho "systemctl $*" >> '${calls}'\necho "Failed to connect to bus" >&2\nexit 1\n`,
    );
    writeFileSync(
      join(bin, 'crontab'),
      `#!/bin/sh\necho "crontab $*" >> '${calls}'\ncase "$1" in\n  -l) if [ -f '${crontab}' ]; then cat '${crontab}'; else echo "no crontab for tester" >&2; exit 1; fi ;;\n  -) cat > '${crontab}' ;;\n  -r) rm -f '${crontab}' ;;\nesac\n`,
    );
    // Never reach a real launchd either (were this ever run on macOS).
    writeFileSync(join(bin, 'launchctl'), `#!/bin/sh\necho "launchctl $*" >> '${calls}'\nexit 1\n`);
    chmodSync(join(bin, 'launchctl'), 0o755);
    chmodSync(join(bin, 'systemctl'), 0o755);
    chmodSync(join(bin, 'crontab'), 0o755);
    return { bin, crontab, calls };
  }

  it('falls back to cron without a systemd user manager, idempotently, and removes its block only', () => {
    const w = world();
    const fake = fakeBin(w.root);
    writeFileSync(fake.crontab, '0 3 * * * backup.sh\n');
    const env = { ...w.env, PATH: `${fake.bin}:${process.env.PATH ?? '/usr/bin:/bin'}` };
    const dry = runCli(['install-scheduler', '--dry-run'], { env });
    expect(dry.status).toBe(0);
    expect(dry.stdout).toContain('Dry run: nothing was changed. Scheduler: cron');
    expect(readFileSync(fake.crontab, 'utf8')).toBe('0 3 * * * backup.sh\n');

    const done = runCli(['install-scheduler', '--json'], { env });
    expect(done.status, done.stderr).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({
      status: 'installed',
      kind: 'cron',
      interval_seconds: 300,
      home: w.home,
    });
    const tab = readFileSync(fake.crontab, 'utf8');
    expect(tab.startsWith('0 3 * * * backup.sh\n# >>> codex-self-evolution scheduler')).toBe(true);
    expect(tab).toContain(`*/5 * * * * CODEX_SELF_EVOLUTION_HOME='${w.home}'`);
    expect(tab).toContain(`'${CLI}' scan >>'${join(w.home, 'logs', 'scheduler.log')}' 2>&1`);
    expect(existsSync(join(w.home, 'logs'))).toBe(true);

    expect(JSON.parse(runCli(['install-scheduler', '--json'], { env }).stdout)).toMatchObject({
      status: 'unchanged',
    });
    expect(readFileSync(fake.crontab, 'utf8')).toBe(tab);

    const status = JSON.parse(runCli(['status'], { env }).stdout) as { scheduler: Record<string, unknown> };
    expect(status.scheduler).toMatchObject({
      kind: 'cron',
      installed: true,
      active: true,
      interval_seconds: 300,
      error: null,
    });

    const removed = runCli(['uninstall-scheduler', '--json'], { env });
    expect(JSON.parse(removed.stdout)).toMatchObject({ status: 'removed', kinds: ['cron'] });
    expect(readFileSync(fake.crontab, 'utf8')).toBe('0 3 * * * backup.sh\n');
    expect(readFileSync(fake.calls, 'utf8')).toContain('systemctl --user show-environment');
  });

  it('fails clearly when no scheduler exists', () => {
    const w = world();
    const bin = join(w.root, 'empty-bin');
    mkdirSync(bin);
    // Only node is reachable: no systemctl, no crontab.
    const result = runCli(['install-scheduler'], { env: { ...w.env, PATH: bin } });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/no scheduler available: neither a systemd user manager .* nor crontab/);
  });

  it('rejects a bad interval as a usage error', () => {
    const w = world();
    const result = runCli(['install-scheduler', '--interval', '10'], { env: w.env });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/--interval must be a whole number of seconds from 60 to 86400/);
  });
});
