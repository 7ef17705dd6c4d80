/**
 * `status` for people: the warnings that lead it (.env.provider lines that cannot be parsed,
 * named by number only; a key file readable by others; a key that does not select a reviewer; a
 * hook copy that is gone) and the summary built from the status document.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { idleKeyWarnings, renderStatus } from '../../../src/cli/commands/status.js';
import { describeEnvProvider, unparsedEnvLines } from '../../../src/core/env.js';
import { hookCommandCli, inspectInstallation } from '../../../src/core/status.js';
import { tempDir } from '../../helpers/tmp.js';

const SECRET = 'sk-test-0123456789abcdefghijklmnop';

describe('.env.provider problems', () => {
  it('names the lines it cannot parse by number, never their content', () => {
    const text = `# keys\nOPENAI_API_KEY ${SECRET}\n\nANTHROPIC_API_KEY: ${SECRET}\nexport MINIMAX_API_KEY=${SECRET}\n  \nX=1\n`;
    expect(unparsedEnvLines(text)).toEqual([2, 4]);
    const home = tempDir();
    writeFileSync(join(home, '.env.provider'), text, { mode: 0o600 });
    chmodSync(join(home, '.env.provider'), 0o600);
    const described = describeEnvProvider(home);
    expect(described).toMatchObject({
      unparsed_lines: [2, 4],
      readable_by_others: false,
      keys_set: ['MINIMAX_API_KEY'],
    });
    expect(JSON.stringify(described)).not.toContain(SECRET);
    chmodSync(join(home, '.env.provider'), 0o644);
    expect(describeEnvProvider(home).readable_by_others).toBe(true);
  });

  it('warns when a provider key is set but another reviewer is in use', () => {
    expect(idleKeyWarnings(['OPENAI_API_KEY'], 'local')[0]).toMatch(
      /OPENAI_API_KEY is set in .env.provider, but the reviewer in use is local/,
    );
    expect(idleKeyWarnings(['OPENAI_API_KEY'], 'openai-compatible')).toEqual([]);
    expect(idleKeyWarnings(['OPENAI_API_KEY', 'MINIMAX_API_KEY'], 'minimax')[0]).toMatch(
      /^OPENAI_API_KEY is set/,
    );
    expect(idleKeyWarnings([], 'local')).toEqual([]);
  });
});

describe('the copy the hooks run', () => {
  it('reads node and cli out of our hook command, quotes included', () => {
    expect(
      hookCommandCli(
        `'/usr/bin/node' '/home/o'\\''brien/x/bin/codex-self-evolution.js' stop-review --from-stdin # codex-self-evolution managed`,
      ),
    ).toEqual({
      node: '/usr/bin/node',
      cli: "/home/o'brien/x/bin/codex-self-evolution.js",
    });
    expect(hookCommandCli('npx -y codex-self-evolution@1.0.0 stop-review --from-stdin')).toBeUndefined();
  });

  it('reports a missing copy and a version other than the one that installed the hooks', () => {
    const home = tempDir();
    const root = join(home, 'pkg');
    mkdirSync(join(root, 'bin'), { recursive: true });
    writeFileSync(join(root, 'bin', 'codex-self-evolution.js'), '');
    writeFileSync(
      join(root, 'package.json'),
      JSON.stringify({ name: 'codex-self-evolution', version: '0.2.0' }),
    );
    writeFileSync(
      join(home, 'install.json'),
      JSON.stringify({ version: '0.1.0', launcher: 'node', installed_at: 'x' }),
    );
    const command = `'${process.execPath}' '${join(root, 'bin', 'codex-self-evolution.js')}' stop-review --from-stdin # codex-self-evolution managed`;
    const other = inspectInstallation(home, { Stop: command });
    expect(other).toMatchObject({ ok: false, version: '0.2.0', installed_version: '0.1.0' });
    expect(other.problems[0]).toMatch(/run version 0\.2\.0 .* but version 0\.1\.0 installed them/);
    const gone = inspectInstallation(home, { Stop: command.replace(root, join(home, 'gone')) });
    expect(gone.problems[0]).toMatch(/which does not exist: every hook fails open/);
    expect(inspectInstallation(home, { Stop: null })).toMatchObject({
      launcher: null,
      ok: false,
      problems: [],
    });
  });
});

describe('the summary for people', () => {
  it('leads with the warnings and shows installation, hooks, scheduler, reviewer and each repository', () => {
    const text = renderStatus({
      version: '0.1.0',
      home: '/h',
      warnings: ['the hooks run /x/bin/codex-self-evolution.js, which does not exist'],
      installation: { launcher: 'node', cli: '/x/bin/codex-self-evolution.js', version: null, ok: false },
      hook_install: {
        file: '/c/hooks.json',
        installed: { SessionStart: true, UserPromptSubmit: true, Stop: true },
        trusted: { SessionStart: true, UserPromptSubmit: false, Stop: true },
      },
      scheduler: { installed: true, kind: 'systemd', interval_seconds: 300, active: true },
      recent_activity: { last_scan: '2026-12-07T10:00:00.000Z' },
      reviewer: { provider: 'local', source: 'default', offline: true, error: null },
      buckets: [
        {
          project: 'shop--abc',
          canonical_cwd: '/src/shop',
          archived: false,
          counts: { pending: 3, failed: 1 },
          last_receipt: { timestamp: '2026-12-07T09:00:00Z' },
          lessons: { active: 12, stale: 2, review_waiting: 0 },
        },
        { project: 'old', archived: true, counts: {}, last_receipt: null, lessons: {} },
      ],
    });
    const lines = text.split('\n');
    expect(lines[0]).toBe('warning: the hooks run /x/bin/codex-self-evolution.js, which does not exist');
    expect(text).toContain(
      'Hooks run:   /x/bin/codex-self-evolution.js (version unknown) — broken, see above',
    );
    expect(text).toContain('Hooks:       3/3 installed, 2/3 trusted in /c/hooks.json');
    expect(text).toContain('Scheduler:   systemd, every 300 s; last scan 2026-12-07 10:00:00 UTC');
    expect(text).toContain('Reviewer:    local (the default, offline)');
    expect(text).toContain('Repositories (1)');
    expect(text).toContain(
      '  /src/shop: queue 3 pending; last compile 2026-12-07 09:00:00 UTC; 12 entries; 1 failed, 2 stale',
    );
    expect(text).not.toContain('old');
    expect(lines.length).toBeLessThan(20);
  });
});
