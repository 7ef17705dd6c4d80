import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  HooksFileError,
  LEGACY_MARKER,
  MANAGED_HOOKS,
  MANAGED_MARKER,
  applyHooksPlan,
  applyInstallation,
  classifyCommand,
  detectJsonStyle,
  hookCommand,
  hookInstallStatus,
  planInstall,
  planInstallation,
  planRemoval,
  planUninstall,
  readHooksFile,
  serializeJson,
  shellQuote,
  textDiff,
  type JsonStyle,
  type Launcher,
} from '../../../src/core/agents/codex/hooks-file.js';
import { hookTrustHash } from '../../../src/core/agents/codex/trust.js';
import { tempDir } from '../../helpers/tmp.js';

const LAUNCHER: Launcher = {
  kind: 'node',
  node: '/usr/local/bin/node',
  cli: '/opt/csep/bin/codex-self-evolution.js',
};

/** A temp CODEX_HOME holding `text` as hooks.json (or no file for `undefined`). */
function codexHome(text?: string): string {
  const home = join(tempDir(), 'codex');
  mkdirSync(home);
  if (text !== undefined) writeFileSync(join(home, 'hooks.json'), text);
  return home;
}

const hooksPath = (home: string) => join(home, 'hooks.json');
const read = (home: string) => readFileSync(hooksPath(home), 'utf8');
const backups = (home: string) => readdirSync(home).filter((n) => n.startsWith('hooks.json.bak.'));

function install(home: string, launcher: Launcher = LAUNCHER): void {
  applyHooksPlan(planInstall(readHooksFile(home), { launcher }));
}
function uninstall(home: string): void {
  applyHooksPlan(planUninstall(readHooksFile(home)));
}

const OTHER_TOOL = {
  hooks: {
    PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: 'guard.sh', timeout: 5 }] }],
    Stop: [
      {
        hooks: [
          { type: 'command', command: 'notify-send done' },
          { type: 'command', command: 'other-tool stop', timeout: 30 },
        ],
      },
    ],
    SessionStart: [{ matcher: 'startup', hooks: [{ type: 'command', command: 'echo from-other-tool' }] }],
  },
};

const LEGACY_STOP =
  "bash -c ': codex-self-evolution-plugin managed; set -a; . /Users/me/.codex-self-evolution/.env.provider 2>/dev/null; set +a; exec uvx --from codex-self-evolution-plugin codex-self-evolution stop-review --from-stdin'";
const LEGACY_START =
  "bash -c ': codex-self-evolution-plugin managed; exec uvx --from codex-self-evolution-plugin codex-self-evolution session-start --from-stdin'";

describe('hook commands', () => {
  it('runs this node and this package by absolute path, marked, with --from-stdin', () => {
    expect(hookCommand({ subcommand: 'stop-review' }, LAUNCHER)).toBe(
      `'/usr/local/bin/node' '/opt/csep/bin/codex-self-evolution.js' stop-review --from-stdin # ${MANAGED_MARKER}`,
    );
    expect(
      hookCommand(
        { subcommand: 'session-start' },
        { kind: 'npx', packageSpec: 'codex-self-evolution@1.2.3' },
      ),
    ).toBe(`npx -y 'codex-self-evolution@1.2.3' session-start --from-stdin # ${MANAGED_MARKER}`);
  });

  it.each([
    ['sh', ['-c']],
    ['bash', ['-lc']],
    ['bash', ['-c']],
  ])('passes exactly the right argv under %s %s, even for paths with spaces and quotes', (shell, flags) => {
    const dir = join(tempDir(), "it's a dir with spaces");
    mkdirSync(dir);
    const script = join(dir, 'argv "probe".js');
    writeFileSync(script, 'process.stdout.write(JSON.stringify(process.argv.slice(2)))');
    const command = hookCommand(
      { subcommand: 'prompt-recall' },
      { kind: 'node', node: process.execPath, cli: script },
    );
    const result = spawnSync(shell, [...flags, command], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir },
    });
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(['prompt-recall', '--from-stdin']);
  });

  it('quotes single quotes the POSIX way', () => {
    expect(shellQuote("a'b")).toBe(`'a'\\''b'`);
  });

  it.each([
    [hookCommand({ subcommand: 'stop-review' }, LAUNCHER), 'ours', 'stop-review'],
    [LEGACY_STOP, 'legacy', 'stop-review'],
    [LEGACY_START, 'legacy', 'session-start'],
    ['python -m codex_self_evolution.cli stop-review --from-stdin', 'legacy', 'stop-review'],
    [
      'uvx --from codex-self-evolution-plugin codex-self-evolution session-start --from-stdin',
      'legacy',
      'session-start',
    ],
    ['codex-self-evolution stop-review --from-stdin', 'lookalike', 'stop-review'],
    ['other-tool stop', 'foreign', undefined],
    ['echo codex-self-evolution', 'foreign', undefined],
  ])('classifies %s', (command, kind, subcommand) => {
    expect(classifyCommand(command)).toEqual({ kind, subcommand });
  });

  it("keeps our marker distinct from the Python original's", () => {
    expect(LEGACY_MARKER.includes(MANAGED_MARKER)).toBe(false);
    expect(MANAGED_MARKER.includes(LEGACY_MARKER)).toBe(false);
  });
});

describe('planInstall', () => {
  it.each([
    ['a missing file', undefined],
    ['an empty file', ''],
    ['a whitespace-only file', '  \n'],
    ['an empty object', '{}\n'],
    ['empty hooks', '{"hooks": {}}'],
  ])('on %s writes the three hooks with their timeouts and matcher', (_name, text) => {
    const home = codexHome(text);
    const plan = planInstall(readHooksFile(home), { launcher: LAUNCHER });
    expect(plan.changed).toBe(true);
    expect(plan.changes.map((c) => [c.action, c.event])).toEqual([
      ['add', 'SessionStart'],
      ['add', 'UserPromptSubmit'],
      ['add', 'Stop'],
    ]);
    const doc = JSON.parse(plan.after!) as {
      hooks: Record<string, Array<{ matcher?: string; hooks: Array<Record<string, unknown>> }>>;
    };
    expect(Object.keys(doc.hooks)).toEqual(['SessionStart', 'UserPromptSubmit', 'Stop']);
    expect(doc.hooks.SessionStart![0]!.matcher).toBe('startup|resume|clear|compact');
    expect(doc.hooks.Stop![0]!.matcher).toBeUndefined();
    expect(doc.hooks.SessionStart![0]!.hooks[0]).toEqual({
      type: 'command',
      command: hookCommand(MANAGED_HOOKS[0]!, LAUNCHER),
      timeout: 15,
    });
    expect(doc.hooks.UserPromptSubmit![0]!.hooks[0]!.timeout).toBe(10);
    expect(doc.hooks.Stop![0]!.hooks[0]!.timeout).toBe(20);
    expect(plan.handlers.map((h) => h.key)).toEqual([
      `${hooksPath(home)}:session_start:0:0`,
      `${hooksPath(home)}:user_prompt_submit:0:0`,
      `${hooksPath(home)}:stop:0:0`,
    ]);
    expect(plan.moves).toEqual([]);
  });

  it("keeps other tools' hooks untouched and in order, appending ours after them", () => {
    const original = JSON.stringify(OTHER_TOOL, null, 2);
    const home = codexHome(original);
    const plan = planInstall(readHooksFile(home), { launcher: LAUNCHER });
    const doc = JSON.parse(plan.after!) as typeof OTHER_TOOL & { hooks: Record<string, unknown[]> };
    expect(Object.keys(doc.hooks)).toEqual(['PreToolUse', 'Stop', 'SessionStart', 'UserPromptSubmit']);
    expect(doc.hooks.PreToolUse).toEqual(OTHER_TOOL.hooks.PreToolUse);
    expect(doc.hooks.Stop[0]).toEqual(OTHER_TOOL.hooks.Stop[0]);
    expect(doc.hooks.SessionStart[0]).toEqual(OTHER_TOOL.hooks.SessionStart[0]);
    expect(doc.hooks.Stop).toHaveLength(2);
    expect(doc.hooks.SessionStart).toHaveLength(2);
    // Other hooks keep their position, hence their trust key: nothing moves.
    expect(plan.moves).toEqual([]);
    expect(plan.handlers.find((h) => h.event === 'Stop')!.key).toBe(`${hooksPath(home)}:stop:1:0`);
  });

  it.each([
    ['the marker form', LEGACY_STOP, LEGACY_START],
    [
      'the python -m form',
      'python3 -m codex_self_evolution.cli stop-review --from-stdin',
      'python3 -m codex_self_evolution.cli session-start --from-stdin',
    ],
  ])("replaces the Python original's hooks (%s) in place, keeping other hooks", (_name, stop, start) => {
    const home = codexHome(
      JSON.stringify({
        hooks: {
          Stop: [
            { hooks: [{ type: 'command', timeout: 20, command: stop }] },
            { hooks: [{ type: 'command', command: 'other-tool stop' }] },
          ],
          SessionStart: [{ hooks: [{ type: 'command', timeout: 15, command: start }] }],
        },
      }),
    );
    const plan = planInstall(readHooksFile(home), { launcher: LAUNCHER });
    expect(
      plan.changes
        .filter((c) => c.action === 'replace_legacy')
        .map((c) => c.event)
        .sort(),
    ).toEqual(['SessionStart', 'Stop']);
    const doc = JSON.parse(plan.after!) as {
      hooks: Record<string, Array<{ matcher?: string; hooks: Array<{ command: string }> }>>;
    };
    expect(doc.hooks.Stop!.map((g) => g.hooks[0]!.command)).toEqual([
      hookCommand({ subcommand: 'stop-review' }, LAUNCHER),
      'other-tool stop',
    ]);
    expect(doc.hooks.SessionStart!).toHaveLength(1);
    expect(doc.hooks.SessionStart![0]!.matcher).toBe('startup|resume|clear|compact');
    expect(plan.after).not.toContain('codex-self-evolution-plugin');
  });

  it('removes a second Python hook and our own duplicates', () => {
    const ours = hookCommand({ subcommand: 'stop-review' }, LAUNCHER);
    const home = codexHome(
      JSON.stringify({
        hooks: {
          Stop: [
            { hooks: [{ type: 'command', command: ours, timeout: 20 }] },
            { hooks: [{ type: 'command', command: LEGACY_STOP }] },
            { hooks: [{ type: 'command', command: ours, timeout: 20 }] },
          ],
        },
      }),
    );
    const plan = planInstall(readHooksFile(home), { launcher: LAUNCHER });
    const stopChanges = plan.changes.filter((c) => c.event === 'Stop').map((c) => c.action);
    expect(stopChanges).toEqual(['unchanged', 'remove_duplicate', 'remove_legacy']);
    expect((JSON.parse(plan.after!) as { hooks: { Stop: unknown[] } }).hooks.Stop).toHaveLength(1);
  });

  it('is unchanged (same bytes, no backup) when already installed', () => {
    const home = codexHome(JSON.stringify(OTHER_TOOL, null, 4));
    install(home);
    const once = read(home);
    expect(backups(home)).toHaveLength(1);
    const plan = planInstall(readHooksFile(home), { launcher: LAUNCHER });
    expect(plan.changed).toBe(false);
    expect(plan.after).toBe(once);
    expect(plan.changes.every((c) => c.action === 'unchanged')).toBe(true);
    applyHooksPlan(plan);
    expect(read(home)).toBe(once);
    expect(backups(home)).toHaveLength(1);
  });

  it('updates our hooks in place when the launcher changes', () => {
    const home = codexHome(JSON.stringify(OTHER_TOOL));
    install(home);
    const npx: Launcher = { kind: 'npx', packageSpec: 'codex-self-evolution@9.9.9' };
    const plan = planInstall(readHooksFile(home), { launcher: npx });
    expect(plan.changes.map((c) => c.action)).toEqual(['update', 'update', 'update']);
    expect(plan.moves).toEqual([]);
    applyHooksPlan(plan);
    expect(read(home)).toContain("npx -y 'codex-self-evolution@9.9.9' stop-review --from-stdin");
    expect(read(home)).not.toContain('/usr/local/bin/node');
  });

  it('warns about, and keeps, an unmarked hook that looks like ours', () => {
    const home = codexHome(
      JSON.stringify({
        hooks: {
          Stop: [{ hooks: [{ type: 'command', command: 'codex-self-evolution stop-review --from-stdin' }] }],
        },
      }),
    );
    const plan = planInstall(readHooksFile(home), { launcher: LAUNCHER });
    expect(plan.warnings.join('\n')).toMatch(/looks like this tool/);
    expect(plan.after).toContain('"codex-self-evolution stop-review --from-stdin"');
  });

  it.each([
    ['invalid JSON', '{"hooks": {', /cannot parse .*refusing to overwrite/],
    ['a trailing comma', '{"hooks": {},}', /cannot parse/],
    ['a JSON array', '[]', /not a JSON object/],
    ['hooks as a list', '{"hooks": []}', /"hooks" is not an object/],
    ['an event that is not a list', '{"hooks": {"Stop": {}}}', /hooks\.Stop is not a list/],
    [
      'a group that is not an object',
      '{"hooks": {"SessionStart": [1]}}',
      /hooks\.SessionStart\[0\] is not an object/,
    ],
    [
      'handlers that are not a list',
      '{"hooks": {"UserPromptSubmit": [{"hooks": {}}]}}',
      /UserPromptSubmit\[0\]\.hooks is not a list/,
    ],
  ])('refuses to touch a file with %s', (_name, text, message) => {
    const home = codexHome(text);
    expect(() => planInstallation({ codexHome: home, launcher: LAUNCHER })).toThrow(HooksFileError);
    expect(() => planInstall(readHooksFile(home), { launcher: LAUNCHER })).toThrow(message);
    expect(read(home)).toBe(text);
    expect(backups(home)).toEqual([]);
  });

  it('leaves events it does not manage alone even when they are odd', () => {
    const text = '{"hooks": {"Notification": "not a list", "Stop": []}}';
    const home = codexHome(text);
    const plan = planInstall(readHooksFile(home), { launcher: LAUNCHER });
    const doc = JSON.parse(plan.after!) as { hooks: Record<string, unknown> };
    expect(doc.hooks.Notification).toBe('not a list');
  });

  it('refuses to write when the file changed after planning', () => {
    const home = codexHome('{}');
    const plan = planInstall(readHooksFile(home), { launcher: LAUNCHER });
    writeFileSync(hooksPath(home), '{"hooks": {"Stop": []}}');
    expect(() => applyHooksPlan(plan)).toThrow(/changed while this command was running/);
    expect(read(home)).toBe('{"hooks": {"Stop": []}}');
  });

  it('writes through a symlinked hooks.json instead of replacing the link', async () => {
    const root = tempDir();
    const home = join(root, 'codex');
    mkdirSync(home);
    const target = join(root, 'dotfiles-hooks.json');
    writeFileSync(target, '{}\n');
    const { symlinkSync, lstatSync } = await import('node:fs');
    symlinkSync(target, hooksPath(home));
    install(home);
    expect(lstatSync(hooksPath(home)).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, 'utf8')).toContain(MANAGED_MARKER);
  });
});

describe('install then uninstall restores the original bytes', () => {
  const formats: Array<[string, string]> = [
    ['2-space JSON with a final newline', `${JSON.stringify(OTHER_TOOL, null, 2)}\n`],
    ['4-space JSON without a final newline', JSON.stringify(OTHER_TOOL, null, 4)],
    ['tab-indented JSON', `${JSON.stringify(OTHER_TOOL, null, '\t')}\n`],
    ['CRLF line endings', `${JSON.stringify(OTHER_TOOL, null, 2).replace(/\n/g, '\r\n')}\r\n`],
    ['compact one-line JSON', JSON.stringify(OTHER_TOOL)],
    [
      'hand-formatted JSON (not reproducible by a serializer)',
      '{ "hooks": {\n  "Stop": [ { "hooks": [ { "type": "command", "command": "other-tool stop", "timeout": 30 } ] } ],\n  "PreToolUse": [ {"matcher":"Bash", "hooks":[{"type":"command","command":"guard.sh"}]} ]\n} }\n',
    ],
    [
      'numbers written as 30.0 and 1e1',
      '{"hooks":{"Stop":[{"hooks":[{"type":"command","command":"x","timeout":30.0}]}]},"x":1e1}',
    ],
    ['an empty file', ''],
    ['an empty hooks object', '{\n  "hooks": {}\n}\n'],
    [
      'other top-level keys',
      '{\n  "$schema": "https://example.invalid/hooks.json",\n  "hooks": {\n    "Stop": []\n  }\n}\n',
    ],
  ];

  it.each(formats)('%s', (_name, original) => {
    const home = codexHome(original);
    install(home);
    expect(read(home)).toContain(MANAGED_MARKER);
    const installed = read(home);
    install(home);
    expect(read(home)).toBe(installed);
    uninstall(home);
    expect(read(home)).toBe(original);
  });

  it('deletes the file it created when nothing else is in it', () => {
    const home = codexHome();
    install(home);
    expect(existsSync(hooksPath(home))).toBe(true);
    uninstall(home);
    expect(existsSync(hooksPath(home))).toBe(false);
  });

  it('keeps the style without a backup when the file was canonical', () => {
    const original = `${JSON.stringify(OTHER_TOOL, null, 4)}\n`;
    const home = codexHome(original);
    install(home);
    const plan = planUninstall(readHooksFile(home), { backups: [] });
    expect(plan.after).toBe(original);
    expect(plan.restoredFrom).toBeUndefined();
  });

  it('keeps changes another tool made in between (no stale restore)', () => {
    const original = JSON.stringify(OTHER_TOOL);
    const home = codexHome(original);
    install(home);
    const doc = JSON.parse(read(home)) as { hooks: Record<string, unknown[]> };
    doc.hooks.PostToolUse = [{ hooks: [{ type: 'command', command: 'added-later' }] }];
    writeFileSync(hooksPath(home), JSON.stringify(doc, null, 2));
    uninstall(home);
    const after = JSON.parse(read(home)) as { hooks: Record<string, unknown[]> };
    expect(after.hooks.PostToolUse).toHaveLength(1);
    expect(read(home)).not.toContain(MANAGED_MARKER);
    expect({ ...after.hooks, PostToolUse: undefined }).toEqual({
      ...OTHER_TOOL.hooks,
      PostToolUse: undefined,
    });
  });

  it('removes only our handler from a group shared with another tool', () => {
    const ours = hookCommand({ subcommand: 'stop-review' }, LAUNCHER);
    const home = codexHome(
      JSON.stringify({
        hooks: {
          Stop: [
            {
              hooks: [
                { type: 'command', command: ours },
                { type: 'command', command: 'mine-too' },
              ],
            },
          ],
        },
      }),
    );
    const plan = planUninstall(readHooksFile(home), { backups: [] });
    expect(JSON.parse(plan.after!)).toEqual({
      hooks: { Stop: [{ hooks: [{ type: 'command', command: 'mine-too' }] }] },
    });
    // mine-too moved from handler 1 to handler 0: its trust must follow it.
    expect(plan.moves).toEqual([
      {
        from: `${hooksPath(home)}:stop:0:1`,
        to: `${hooksPath(home)}:stop:0:0`,
        hash: hookTrustHash('Stop', undefined, { type: 'command', command: 'mine-too' }),
      },
    ]);
  });

  it("leaves the Python original's hooks unless --include-legacy", () => {
    const home = codexHome(
      JSON.stringify({ hooks: { Stop: [{ hooks: [{ type: 'command', command: LEGACY_STOP }] }] } }),
    );
    const kept = planUninstall(readHooksFile(home));
    expect(kept.changed).toBe(false);
    expect(kept.warnings.join('\n')).toMatch(/--include-legacy/);
    const removed = planUninstall(readHooksFile(home), { includeLegacy: true, backups: [] });
    expect(removed.changed).toBe(true);
    expect(removed.after).toBeNull();
  });
});

describe('installation with trust (hooks.json + config.toml)', () => {
  it('writes nothing to config.toml without --trust, and exactly our trust with it', () => {
    const home = codexHome(JSON.stringify(OTHER_TOOL, null, 2));
    const config = '# my settings\nmodel = "gpt-5"\n\n[features]\nplugins = false # keep\n';
    writeFileSync(join(home, 'config.toml'), config);
    const plain = planInstallation({ codexHome: home, launcher: LAUNCHER });
    expect(plain.trust).toBeUndefined();
    applyInstallation(plain);
    expect(readFileSync(join(home, 'config.toml'), 'utf8')).toBe(config);
    expect(hookInstallStatus(home)).toMatchObject({
      installed: { SessionStart: true, UserPromptSubmit: true, Stop: true },
      trusted: { SessionStart: false, UserPromptSubmit: false, Stop: false },
      launcher: 'node',
    });

    const trusted = planInstallation({ codexHome: home, launcher: LAUNCHER, trust: true });
    expect(trusted.hooks.changed).toBe(false);
    expect(trusted.trust?.trusted).toHaveLength(3);
    const { configBackup } = applyInstallation(trusted);
    expect(readFileSync(configBackup!, 'utf8')).toBe(config);
    const after = readFileSync(join(home, 'config.toml'), 'utf8');
    expect(after.startsWith(config)).toBe(true);
    for (const h of trusted.hooks.handlers)
      expect(after).toContain(`[hooks.state.${JSON.stringify(h.key)}]\ntrusted_hash = "${h.hash}"`);
    expect(hookInstallStatus(home).trusted).toEqual({
      SessionStart: true,
      UserPromptSubmit: true,
      Stop: true,
    });

    // Uninstall drops our trust entries and gives config.toml back as it was.
    applyInstallation(planRemoval({ codexHome: home }));
    expect(readFileSync(join(home, 'config.toml'), 'utf8')).toBe(config);
    expect(hookInstallStatus(home).installed).toEqual({
      SessionStart: false,
      UserPromptSubmit: false,
      Stop: false,
    });
  });

  it("carries another tool's trust when uninstall shifts its hook", () => {
    const home = codexHome();
    install(home);
    // Another tool appends a Stop hook after ours, and the user trusts it.
    const doc = JSON.parse(read(home)) as { hooks: Record<string, unknown[]> };
    const theirs = { type: 'command', command: 'later-tool stop', timeout: 7 };
    doc.hooks.Stop!.push({ hooks: [theirs] });
    writeFileSync(hooksPath(home), JSON.stringify(doc, null, 2));
    const hash = hookTrustHash('Stop', undefined, theirs);
    writeFileSync(
      join(home, 'config.toml'),
      `[hooks.state."${hooksPath(home)}:stop:1:0"]\ntrusted_hash = "${hash}"\n`,
    );
    const plan = planRemoval({ codexHome: home });
    expect(plan.hooks.moves).toEqual([
      { from: `${hooksPath(home)}:stop:1:0`, to: `${hooksPath(home)}:stop:0:0`, hash },
    ]);
    applyInstallation(plan);
    expect(readFileSync(join(home, 'config.toml'), 'utf8')).toBe(
      `[hooks.state."${hooksPath(home)}:stop:0:0"]\ntrusted_hash = "${hash}"\n`,
    );
  });

  it('reports Codex hooks turned off and an enabled Python plugin without changing them', () => {
    const home = codexHome();
    const config =
      '[features]\nhooks = false\n\n[plugins."codex-self-evolution@codex-self-evolution"]\nenabled = true\n';
    writeFileSync(join(home, 'config.toml'), config);
    const plan = planInstallation({ codexHome: home, launcher: LAUNCHER, trust: true });
    expect(plan.hooksDisabledBy).toBe('features.hooks = false');
    expect(plan.legacyPlugins).toEqual(['codex-self-evolution@codex-self-evolution']);
    applyInstallation(plan);
    const after = readFileSync(join(home, 'config.toml'), 'utf8');
    expect(after.startsWith(config)).toBe(true);
    expect(hookInstallStatus(home).hooks_disabled_by).toBe('features.hooks = false');
  });

  it('status reports an unparseable hooks.json instead of throwing', () => {
    const home = codexHome('{nope');
    const status = hookInstallStatus(home);
    expect(status.exists).toBe(true);
    expect(status.error).toMatch(/cannot parse/);
    expect(status.installed.Stop).toBe(false);
  });

  it('status sees a hook as untrusted when its trusted hash is stale or it is disabled', () => {
    const home = codexHome();
    install(home);
    const plan = planInstallation({ codexHome: home, launcher: LAUNCHER, trust: true });
    applyInstallation(plan);
    const stop = plan.hooks.handlers.find((h) => h.event === 'Stop')!;
    const start = plan.hooks.handlers.find((h) => h.event === 'SessionStart')!;
    const text = readFileSync(join(home, 'config.toml'), 'utf8')
      .replace(stop.hash, 'sha256:stale')
      .replace(`[hooks.state."${start.key}"]\n`, `[hooks.state."${start.key}"]\nenabled = false\n`);
    writeFileSync(join(home, 'config.toml'), text);
    expect(hookInstallStatus(home).trusted).toEqual({
      SessionStart: false,
      UserPromptSubmit: true,
      Stop: false,
    });
  });
});

describe('formatting helpers', () => {
  it.each([
    ['{\n  "a": 1\n}\n', { indent: '  ', eol: '\n', finalNewline: true, bom: false }],
    ['{\n    "a": 1\n}', { indent: '    ', eol: '\n', finalNewline: false, bom: false }],
    ['{\r\n\t"a": 1\r\n}\r\n', { indent: '\t', eol: '\r\n', finalNewline: true, bom: false }],
    ['\uFEFF{"a":1}', { indent: '', eol: '\n', finalNewline: false, bom: true }],
  ])('detects the style of %j', (text, style) => {
    expect(detectJsonStyle(text)).toEqual(style);
    expect(serializeJson(JSON.parse(text.replace(/^\uFEFF/, '')), style as JsonStyle)).toBe(text);
  });

  it('shows a dry-run diff with removed lines before added ones', () => {
    expect(textDiff('a\nb\nc\n', 'a\nB\nc\n')).toBe('  a\n- b\n+ B\n  c');
    expect(textDiff('', 'x\n')).toBe('+ x');
  });
});

describe('canonical CODEX_HOME for trust keys', () => {
  it('resolves symlinks, also through a home that does not exist yet', async () => {
    const { symlinkSync } = await import('node:fs');
    const { canonicalCodexHome } = await import('../../../src/core/agents/codex/hooks-file.js');
    const root = tempDir();
    mkdirSync(join(root, 'real'));
    symlinkSync(join(root, 'real'), join(root, 'link'));
    expect(canonicalCodexHome(join(root, 'link'))).toBe(join(root, 'real'));
    expect(canonicalCodexHome(join(root, 'link', 'not', 'yet'))).toBe(join(root, 'real', 'not', 'yet'));
    const home = join(root, 'link', 'codex');
    const plan = planInstall(readHooksFile(home), { launcher: LAUNCHER });
    expect(plan.handlers[0]!.key).toBe(`${join(root, 'real', 'codex', 'hooks.json')}:session_start:0:0`);
  });
});
