/**
 * Our hooks in Claude Code's settings.json: merged with the user's settings and other tools'
 * hooks, idempotent, backed up, refused when unparseable, and removed byte for byte. Also the
 * plugin form, and the hook commands Claude Code runs with /bin/sh -c.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { claudeCodeAgent } from '../../../src/core/agents/claude-code/index.js';
import { pluginFiles, writePluginDir } from '../../../src/core/agents/claude-code/plugin.js';
import {
  applySettingsPlan,
  CLAUDE_HOOKS,
  claudeHookCommand,
  planClaudeInstall,
  planClaudeUninstall,
  readSettingsFile,
} from '../../../src/core/agents/claude-code/settings.js';
import type { InstallRequest, Launcher } from '../../../src/core/agents/types.js';
import { tempDir } from '../../helpers/tmp.js';

const LAUNCHER: Launcher = {
  kind: 'node',
  node: '/opt/node 20/bin/node',
  cli: "/home/o'neil/csep/bin/codex-self-evolution.js",
};
const request = (configDir: string, extra: Partial<InstallRequest> = {}): InstallRequest => ({
  configDir,
  configDirGiven: true,
  launcher: LAUNCHER,
  self: 'codex-self-evolution',
  ...extra,
});

/** A user's settings with their own preferences and another tool's hooks, in their own formatting. */
const USER_SETTINGS =
  '{\r\n\t"model": "opus",\r\n\t"permissions": {"allow": ["Bash(npm test)"]},\r\n' +
  '\t"hooks": {\r\n\t\t"Stop": [{"hooks": [{"type": "command", "command": "notify-send done"}]}],\r\n' +
  '\t\t"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "audit.sh"}]}]\r\n\t}\r\n}';

describe('install --agent claude-code (settings.json)', () => {
  it("merges our four hooks after the user's own, keeps everything else, and backs the file up", async () => {
    const dir = tempDir('csep-cc-settings-');
    const file = join(dir, 'settings.json');
    writeFileSync(file, USER_SETTINGS);
    const outcome = await claudeCodeAgent.install(request(dir));
    expect(outcome.status).toBe('installed');
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('\r\n\t\t"Stop": [');
    const doc = JSON.parse(text) as {
      model: string;
      permissions: unknown;
      hooks: Record<string, Array<{ matcher?: string; hooks: Array<{ command: string; timeout?: number }> }>>;
    };
    expect(doc.model).toBe('opus');
    expect(doc.permissions).toEqual({ allow: ['Bash(npm test)'] });
    expect(doc.hooks.Stop![0]!.hooks[0]!.command).toBe('notify-send done');
    expect(doc.hooks.Stop![1]!.hooks[0]!.command).toBe(claudeHookCommand('stop-review', LAUNCHER));
    expect(doc.hooks.PreToolUse).toEqual([
      { matcher: 'Bash', hooks: [{ type: 'command', command: 'audit.sh' }] },
    ]);
    expect(doc.hooks.SessionStart![0]!.matcher).toBe('startup|resume|clear|compact');
    expect(doc.hooks.SessionEnd![0]!.hooks[0]).toMatchObject({ timeout: 2 });
    expect(Object.keys(doc.hooks).sort()).toEqual([
      'PreToolUse',
      'SessionEnd',
      'SessionStart',
      'Stop',
      'UserPromptSubmit',
    ]);
    const backup = outcome.json.backup as string;
    expect(readFileSync(backup, 'utf8')).toBe(USER_SETTINGS);
    const status = await claudeCodeAgent.status(dir);
    expect(status.installed).toEqual({
      'session-start': true,
      'prompt-recall': true,
      'stop-review': true,
      'session-end': true,
    });
    expect(status.commands['stop-review']).toBe(claudeHookCommand('stop-review', LAUNCHER));
  });

  it('install twice equals install once: nothing written, no second backup', async () => {
    const dir = tempDir('csep-cc-twice-');
    const file = join(dir, 'settings.json');
    writeFileSync(file, USER_SETTINGS);
    await claudeCodeAgent.install(request(dir));
    const once = readFileSync(file, 'utf8');
    const again = await claudeCodeAgent.install(request(dir));
    expect(again.status).toBe('unchanged');
    expect(again.changed).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe(once);
    expect(readdirSync(dir).filter((n) => n.includes('.bak.'))).toHaveLength(1);
  });

  it('uninstall restores the file byte for byte, even after an update in between', async () => {
    const dir = tempDir('csep-cc-restore-');
    const file = join(dir, 'settings.json');
    writeFileSync(file, USER_SETTINGS);
    await claudeCodeAgent.install(request(dir));
    // A newer version moves the hooks to another copy: an update, with a backup holding the old hooks.
    const moved = await claudeCodeAgent.install(
      request(dir, { launcher: { ...LAUNCHER, cli: '/new/bin/csep.js' } }),
    );
    expect(moved.status).toBe('installed');
    const removed = await claudeCodeAgent.uninstall(request(dir));
    expect(removed.status).toBe('removed');
    expect(removed.json.restored_from_backup).toEqual(expect.stringContaining('settings.json.bak.'));
    expect(readFileSync(file, 'utf8')).toBe(USER_SETTINGS);
    expect((await claudeCodeAgent.uninstall(request(dir))).status).toBe('not_installed');
  });

  it('a settings file that did not exist is removed again; one the user changed meanwhile keeps the change', async () => {
    const dir = tempDir('csep-cc-new-');
    const file = join(dir, 'settings.json');
    await claudeCodeAgent.install(request(dir));
    expect(existsSync(file)).toBe(true);
    await claudeCodeAgent.uninstall(request(dir));
    expect(existsSync(file)).toBe(false);

    await claudeCodeAgent.install(request(dir));
    const doc = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, `${JSON.stringify({ ...doc, theme: 'dark' }, null, 2)}\n`);
    await claudeCodeAgent.uninstall(request(dir));
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ theme: 'dark' });
  });

  it('refuses a file it cannot parse, or hooks it cannot read, and changes nothing', async () => {
    const dir = tempDir('csep-cc-broken-');
    const file = join(dir, 'settings.json');
    for (const text of ['{"model": "opus",}', '[]', '{"hooks": []}', '{"hooks": {"Stop": {"hooks": []}}}']) {
      writeFileSync(file, text);
      await expect(claudeCodeAgent.install(request(dir))).rejects.toThrow(/refusing to overwrite it/);
      // Uninstall either refuses the same way or finds nothing of ours; it never writes.
      await claudeCodeAgent
        .uninstall(request(dir))
        .catch((e: unknown) => expect(String(e)).toMatch(/refusing/));
      expect(readFileSync(file, 'utf8')).toBe(text);
    }
    expect(readdirSync(dir)).toEqual(['settings.json']);
    writeFileSync(file, '{"model": "opus",}');
    const status = await claudeCodeAgent.status(dir);
    expect(status.error).toMatch(/cannot parse/);
  });

  it('a dry run writes nothing; a symlinked settings file is written through to its target', async () => {
    const dir = tempDir('csep-cc-dry-');
    const dry = await claudeCodeAgent.install(request(dir, { dryRun: true }));
    expect(dry.status).toBe('dry_run');
    expect(dry.json.settings_json_after).toEqual(
      expect.stringContaining('session-start --agent claude-code'),
    );
    expect(readdirSync(dir)).toEqual([]);

    const real = join(dir, 'dotfiles-settings.json');
    writeFileSync(real, '{"model": "opus"}\n');
    symlinkSync(real, join(dir, 'settings.json'));
    await claudeCodeAgent.install(request(dir));
    expect(JSON.parse(readFileSync(real, 'utf8'))).toHaveProperty('hooks.Stop');
    await claudeCodeAgent.uninstall(request(dir));
    expect(readFileSync(real, 'utf8')).toBe('{"model": "opus"}\n');
  });

  it('drops our duplicates and a stale hook of ours on an event we no longer use', () => {
    const dir = tempDir('csep-cc-dupes-');
    const ours = claudeHookCommand('stop-review', LAUNCHER);
    writeFileSync(
      join(dir, 'settings.json'),
      JSON.stringify({
        hooks: {
          Stop: [
            { hooks: [{ type: 'command', command: ours, timeout: 20 }] },
            { hooks: [{ type: 'command', command: ours }] },
          ],
          Notification: [
            {
              hooks: [
                { type: 'command', command: `x stop-review --from-stdin # codex-self-evolution managed` },
              ],
            },
          ],
        },
      }),
    );
    const plan = planClaudeInstall(readSettingsFile(dir), LAUNCHER);
    expect(plan.changes.map((c) => `${c.action}:${c.event}`)).toEqual([
      'add:SessionStart',
      'add:UserPromptSubmit',
      'unchanged:Stop',
      'remove_duplicate:Stop',
      'add:SessionEnd',
      'remove:Notification',
    ]);
    applySettingsPlan(plan);
    const after = readSettingsFile(dir);
    expect(Object.keys(after.doc.hooks as object)).not.toContain('Notification');
    expect(planClaudeUninstall(after, []).after).toBeNull();
  });
});

describe('hook commands', () => {
  it('are POSIX sh: dash runs them with quoted paths, the marker is a comment', () => {
    const dir = tempDir('csep-cc-sh-');
    const fakeNode = join(dir, 'node bin');
    mkdirSync(fakeNode);
    const script = join(fakeNode, 'node');
    writeFileSync(script, '#!/bin/sh\nfor a in "$@"; do printf "[%s]" "$a"; done\n', { mode: 0o755 });
    const command = claudeHookCommand('session-start', {
      kind: 'node',
      node: script,
      cli: "/x/o'neil/cli.js",
    });
    const run = spawnSync('/bin/sh', ['-c', command], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stdout).toBe("[/x/o'neil/cli.js][session-start][--agent][claude-code][--from-stdin]");
    expect(claudeHookCommand('stop-review', { kind: 'npx', packageSpec: 'codex-self-evolution@1.2.3' })).toBe(
      "npx -y 'codex-self-evolution@1.2.3' stop-review --agent claude-code --from-stdin # codex-self-evolution managed",
    );
  });
});

describe('the plugin form', () => {
  it('writes a one-plugin marketplace whose hooks are the settings hooks, and refuses a foreign folder', () => {
    const dir = join(tempDir('csep-cc-plugin-'), 'plugin-market');
    const first = writePluginDir(dir, LAUNCHER, '9.9.9');
    expect(first.every((f) => f.changed)).toBe(true);
    const hooks = JSON.parse(readFileSync(join(dir, 'plugin', 'hooks', 'hooks.json'), 'utf8')) as {
      hooks: Record<string, Array<{ hooks: Array<{ command: string }> }>>;
    };
    expect(Object.keys(hooks.hooks)).toEqual(CLAUDE_HOOKS.map((s) => s.event));
    expect(hooks.hooks.Stop![0]!.hooks[0]!.command).toBe(claudeHookCommand('stop-review', LAUNCHER));
    expect(
      JSON.parse(readFileSync(join(dir, 'plugin', '.claude-plugin', 'plugin.json'), 'utf8')),
    ).toMatchObject({
      name: 'codex-self-evolution',
      version: '9.9.9',
    });
    expect(JSON.parse(readFileSync(join(dir, '.claude-plugin', 'marketplace.json'), 'utf8'))).toMatchObject({
      plugins: [{ name: 'codex-self-evolution', source: './plugin' }],
    });
    expect(writePluginDir(dir, LAUNCHER, '9.9.9').some((f) => f.changed)).toBe(false);
    expect(Object.keys(pluginFiles(LAUNCHER, '1'))).toHaveLength(3);

    const foreign = join(tempDir('csep-cc-foreign-'), 'mine');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'notes.txt'), 'keep');
    expect(() => writePluginDir(foreign, LAUNCHER, '1')).toThrow(
      /not a codex-self-evolution plugin directory/,
    );
    expect(readdirSync(foreign)).toEqual(['notes.txt']);
  });
});
