import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { installScheduler } from '../../../src/cli/scheduler-install.js';
import { uninstallScheduler } from '../../../src/cli/commands/uninstall-scheduler.js';
import {
  CRON_BEGIN,
  CRON_END,
  LAUNCHD_LABEL,
  LEGACY_LAUNCHD_LABEL,
  SYSTEMD_UNIT,
  applySchedulerPlan,
  cronBlock,
  cronSchedule,
  detectScheduler,
  jobPath,
  launchdPlist,
  launchdPlistPath,
  mergeCrontab,
  parseInterval,
  planSchedulerInstall,
  planSchedulerRemoval,
  schedulerStatus,
  systemdQuote,
  systemdService,
  systemdTimer,
  systemdUnitDir,
  type CommandRunner,
  type RunResult,
  type ScanJob,
  type SchedulerHost,
} from '../../../src/core/install/scheduler.js';
import { tempDir } from '../../helpers/tmp.js';

// ---------------------------------------------------------------------------------------------
// A minimal, strict XML plist reader (enough for what launchdPlist writes; rejects anything else).
// ---------------------------------------------------------------------------------------------
type PlistValue = string | number | boolean | PlistValue[] | { [key: string]: PlistValue };

function parsePlist(xmlText: string): PlistValue {
  const decode = (s: string) =>
    s.replace(
      /&(lt|gt|quot|apos|amp);/g,
      (_m, e: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[e]!,
    );
  expect(
    xmlText.startsWith(
      '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN"',
    ),
  ).toBe(true);
  const body = /<plist version="1\.0">([\s\S]*)<\/plist>\s*$/.exec(xmlText);
  if (!body) throw new Error('no <plist> element');
  const tokens = body[1]!.match(/<[^>]+>|[^<]+/g)!.filter((t) => t.trim() !== '');
  let i = 0;
  const value = (): PlistValue => {
    const tag = tokens[i++]!;
    if (tag === '<true/>') return true;
    if (tag === '<false/>') return false;
    if (tag === '<string>' || tag === '<integer>' || tag === '<key>') {
      let text = '';
      if (!tokens[i]!.startsWith('<')) text = tokens[i++]!;
      const close = tokens[i++]!;
      if (close !== tag.replace('<', '</')) throw new Error(`unbalanced ${tag}`);
      if (/[<>]/.test(text) || /&(?!(lt|gt|quot|apos|amp);)/.test(text))
        throw new Error(`unescaped text ${text}`);
      return tag === '<integer>' ? Number(text) : decode(text);
    }
    if (tag === '<array>') {
      const out: PlistValue[] = [];
      while (tokens[i] !== '</array>') out.push(value());
      i++;
      return out;
    }
    if (tag === '<dict>') {
      const out: Record<string, PlistValue> = {};
      while (tokens[i] !== '</dict>') {
        if (tokens[i] !== '<key>') throw new Error(`expected <key>, got ${tokens[i]}`);
        const key = value() as string;
        out[key] = value();
      }
      i++;
      return out;
    }
    throw new Error(`unexpected ${tag}`);
  };
  const root = value();
  if (i !== tokens.length) throw new Error('trailing content');
  return root;
}

// ---------------------------------------------------------------------------------------------

const JOB: ScanJob = {
  node: '/usr/local/bin/node',
  cli: "/opt/tools & co/it's <100%>/bin/codex-self-evolution.js",
  home: '/Users/me/.codex-self-evolution',
  intervalSeconds: 300,
  path: '/usr/local/bin:/usr/bin:/bin',
};

/** A fake runner: records calls, answers from a table keyed by "cmd arg…" prefixes. */
function fakeRunner(
  answers: Record<string, Partial<RunResult>> = {},
): CommandRunner & { calls: Array<{ argv: string[]; input?: string }> } {
  const calls: Array<{ argv: string[]; input?: string }> = [];
  const runner = ((command: string, args: readonly string[], options: { input?: string } = {}) => {
    const argv = [command, ...args];
    calls.push(options.input === undefined ? { argv } : { argv, input: options.input });
    const key = Object.keys(answers)
      .filter((k) => argv.join(' ').startsWith(k))
      .sort((a, b) => b.length - a.length)[0];
    return { status: 0, stdout: '', stderr: '', ...(key === undefined ? {} : answers[key]) };
  }) as CommandRunner & { calls: Array<{ argv: string[]; input?: string }> };
  runner.calls = calls;
  return runner;
}

function host(platform: NodeJS.Platform, runner: CommandRunner): SchedulerHost {
  return { platform, userHome: tempDir('csep-userhome-'), uid: 501, runner };
}

describe('generated scheduler files', () => {
  it('writes a launchd plist that parses, with every special character escaped', () => {
    const plist = parsePlist(launchdPlist(JOB, '/Users/me')) as Record<string, PlistValue>;
    expect(plist).toEqual({
      Label: LAUNCHD_LABEL,
      ProgramArguments: [JOB.node, JOB.cli, 'scan'],
      EnvironmentVariables: { CODEX_SELF_EVOLUTION_HOME: JOB.home, HOME: '/Users/me', PATH: JOB.path },
      StartInterval: 300,
      RunAtLoad: false,
      ProcessType: 'Background',
      LowPriorityIO: true,
      ThrottleInterval: 60,
      StandardOutPath: '/Users/me/.codex-self-evolution/logs/scheduler.stdout.log',
      StandardErrorPath: '/Users/me/.codex-self-evolution/logs/scheduler.stderr.log',
    });
  });

  it('puts the logs under a custom home (the original hard-coded ~/.codex-self-evolution)', () => {
    const plist = parsePlist(launchdPlist({ ...JOB, home: '/data/csep' }, '/Users/me')) as Record<
      string,
      PlistValue
    >;
    expect(plist.StandardOutPath).toBe('/data/csep/logs/scheduler.stdout.log');
    expect((plist.EnvironmentVariables as Record<string, string>).CODEX_SELF_EVOLUTION_HOME).toBe(
      '/data/csep',
    );
  });

  it('carries CODEX_HOME when the user set one, in every scheduler kind, and not otherwise', () => {
    const job = { ...JOB, codexHome: '/data/my codex' };
    const plist = parsePlist(launchdPlist(job, '/Users/me')) as Record<string, PlistValue>;
    expect((plist.EnvironmentVariables as Record<string, string>).CODEX_HOME).toBe('/data/my codex');
    expect(systemdService(job)).toContain('Environment="CODEX_HOME=/data/my codex"');
    expect(cronBlock(job)).toContain("CODEX_HOME='/data/my codex' ");
    expect(systemdService(JOB)).not.toContain('CODEX_HOME');
    expect(cronBlock(JOB)).not.toContain('CODEX_HOME');
  });

  it('refuses control characters in paths', () => {
    expect(() => launchdPlist({ ...JOB, cli: '/a\nb' }, '/Users/me')).toThrow(/control characters/);
    expect(() => systemdService({ ...JOB, home: '/a\u0000b' })).toThrow(/control characters/);
  });

  it('writes a systemd service and timer that systemd-analyze accepts where it exists', () => {
    const dir = tempDir();
    const job = { ...JOB, node: process.execPath };
    const service = systemdService(job);
    const timer = systemdTimer(job);
    expect(service.split('\n')).toEqual([
      '[Unit]',
      'Description=codex-self-evolution: compile the lessons of recent Codex sessions (scan)',
      '',
      '[Service]',
      'Type=oneshot',
      'Environment="CODEX_SELF_EVOLUTION_HOME=/Users/me/.codex-self-evolution"',
      'Environment="PATH=/usr/local/bin:/usr/bin:/bin"',
      `ExecStart="${process.execPath}" "/opt/tools & co/it's <100%%>/bin/codex-self-evolution.js" "scan"`,
      'StandardOutput=append:/Users/me/.codex-self-evolution/logs/scheduler.stdout.log',
      'StandardError=append:/Users/me/.codex-self-evolution/logs/scheduler.stderr.log',
      'Nice=10',
      'IOSchedulingClass=idle',
      'TimeoutStartSec=30min',
      '',
    ]);
    expect(timer).toContain(
      '\n[Timer]\nOnActiveSec=60\nOnUnitActiveSec=300\nAccuracySec=30\nUnit=codex-self-evolution-scan.service\n',
    );
    expect(timer).toContain('\n[Install]\nWantedBy=timers.target\n');
    writeFileSync(join(dir, `${SYSTEMD_UNIT}.service`), service);
    writeFileSync(join(dir, `${SYSTEMD_UNIT}.timer`), timer);
    const probe = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
    if (probe.error === undefined && probe.status === 0) {
      const verify = spawnSync(
        'systemd-analyze',
        ['verify', join(dir, `${SYSTEMD_UNIT}.service`), join(dir, `${SYSTEMD_UNIT}.timer`)],
        {
          encoding: 'utf8',
          env: { ...process.env, SYSTEMD_LOG_LEVEL: 'warning' },
        },
      );
      expect(verify.stderr).toBe('');
      expect(verify.status).toBe(0);
      // The check is real: a broken unit fails it.
      writeFileSync(
        join(dir, 'broken.service'),
        service.replace(`ExecStart="${process.execPath}"`, 'ExecStart=relative/node'),
      );
      expect(
        spawnSync('systemd-analyze', ['verify', join(dir, 'broken.service')], { encoding: 'utf8' }).status,
      ).not.toBe(0);
    } else {
      // Without systemd-analyze the text assertions above are the check.
      expect(probe.error ?? probe.status).toBeTruthy();
    }
  });

  it.each([
    ['plain', '/usr/bin/node', '"/usr/bin/node"'],
    ['quotes and backslashes', 'a"b\\c', '"a\\"b\\\\c"'],
    ['specifiers and variables', '/x/%h/$HOME', '"/x/%%h/$$HOME"'],
  ])('quotes ExecStart words: %s', (_name, word, quoted) => {
    expect(systemdQuote(word)).toBe(quoted);
  });

  it.each([
    [60, '* * * * *'],
    [300, '*/5 * * * *'],
    [900, '*/15 * * * *'],
    [3600, '0 * * * *'],
    [7200, '0 */2 * * *'],
    [86400, '0 */24 * * *'],
  ])('cron schedule for %i s is %s', (seconds, schedule) => {
    expect(cronSchedule(seconds)).toBe(schedule);
  });

  it.each([
    [90, /multiple of 60/],
    [420, /cannot run every 420 seconds evenly/],
    [18000, /cannot run every 18000 seconds evenly/],
  ])('cron refuses %i s', (seconds, message) => {
    expect(() => cronSchedule(seconds)).toThrow(message);
  });

  it('writes a marked cron block with % escaped and paths quoted', () => {
    const block = cronBlock(JOB);
    const lines = block.split('\n');
    expect(lines[0]).toBe(CRON_BEGIN);
    expect(lines[2]).toBe(CRON_END);
    expect(lines[3]).toBe('');
    expect(lines[1]).toBe(
      `*/5 * * * * CODEX_SELF_EVOLUTION_HOME='/Users/me/.codex-self-evolution' PATH='/usr/local/bin:/usr/bin:/bin' '/usr/local/bin/node' '/opt/tools & co/it'\\''s <100\\%>/bin/codex-self-evolution.js' scan >>'/Users/me/.codex-self-evolution/logs/scheduler.log' 2>&1`,
    );
  });

  it('merges the cron block: add at the end, replace in place, remove, keep other lines', () => {
    const mine = cronBlock(JOB);
    const other = 'MAILTO=""\n0 3 * * * backup.sh\n';
    const added = mergeCrontab(other, mine);
    expect(added).toBe(other + mine);
    expect(mergeCrontab(added, mine)).toBe(added);
    const replaced = mergeCrontab(
      `${added}15 * * * * later.sh\n`,
      cronBlock({ ...JOB, intervalSeconds: 600 }),
    );
    expect(replaced).toBe(`${other}${cronBlock({ ...JOB, intervalSeconds: 600 })}15 * * * * later.sh\n`);
    expect(mergeCrontab(replaced, null)).toBe(`${other}15 * * * * later.sh\n`);
    expect(mergeCrontab(mine, null)).toBe('');
    expect(mergeCrontab('', mine)).toBe(mine);
  });

  it.each([
    [undefined, 300],
    ['600', 600],
    [60, 60],
  ])('parses --interval %s', (raw, seconds) => {
    expect(parseInterval(raw)).toBe(seconds);
  });

  it.each(['59', '1.5', 'abc', '86401', ''])('rejects --interval %j', (raw) => {
    expect(() => parseInterval(raw)).toThrow(/--interval/);
  });

  it("builds the job PATH from node's directory first, deduplicated, absolute only", () => {
    expect(jobPath('/opt/node/bin/node', '/usr/bin:relative:/opt/node/bin:/usr/bin', 'linux')).toBe(
      '/opt/node/bin:/usr/bin:/usr/local/bin:/bin',
    );
    expect(jobPath('/usr/bin/node', '', 'darwin')).toBe('/usr/bin:/opt/homebrew/bin:/usr/local/bin:/bin');
  });
});

describe('detecting the scheduler', () => {
  it.each([
    ['macOS', 'darwin', {}, 'launchd'],
    ['Linux with a systemd user manager', 'linux', {}, 'systemd'],
    [
      'Linux without one but with crontab',
      'linux',
      { 'systemctl --user': { status: 1 }, 'crontab -l': { status: 1, stderr: 'no crontab for me' } },
      'cron',
    ],
    [
      'Linux with neither',
      'linux',
      { systemctl: { status: null, error: 'ENOENT' }, crontab: { status: null, error: 'ENOENT' } },
      undefined,
    ],
  ] as const)('%s', (_name, platform, answers, kind) => {
    expect(
      detectScheduler(host(platform, fakeRunner(answers as Record<string, Partial<RunResult>>))).kind,
    ).toBe(kind);
  });
});

describe('installing and removing (injected runner: nothing is enabled on this machine)', () => {
  const job = (home: string): ScanJob => ({ ...JOB, home });

  it('launchd: writes the plist, boots out then bootstraps; idempotent once loaded; removal boots out', () => {
    const runner = fakeRunner({ 'launchctl print': { status: 113 } });
    const h = host('darwin', runner);
    const home = tempDir();
    const plan = planSchedulerInstall(job(home), 'launchd', h);
    applySchedulerPlan(plan, h);
    const plist = launchdPlistPath(h.userHome);
    expect(parsePlist(readFileSync(plist, 'utf8'))).toMatchObject({
      Label: LAUNCHD_LABEL,
      StartInterval: 300,
    });
    expect(runner.calls.map((c) => c.argv.join(' '))).toEqual([
      'launchctl bootout gui/501/com.codex-self-evolution.scan',
      `launchctl bootstrap gui/501 ${plist}`,
    ]);
    expect(existsSync(join(home, 'logs'))).toBe(true);

    const loaded = fakeRunner();
    const again = planSchedulerInstall(job(home), 'launchd', { ...h, runner: loaded });
    expect(again.unchanged).toBe(true);
    expect(applySchedulerPlan(again, { ...h, runner: loaded })).toEqual([]);

    const status = schedulerStatus(home, { ...h, runner: loaded });
    expect(status).toMatchObject({
      kind: 'launchd',
      installed: true,
      active: true,
      interval_seconds: 300,
      files: [plist],
    });

    const removal = fakeRunner();
    const rm = planSchedulerRemoval('launchd', { ...h, runner: removal });
    applySchedulerPlan(rm, { ...h, runner: removal });
    expect(removal.calls.map((c) => c.argv.join(' '))).toEqual([
      'launchctl bootout gui/501/com.codex-self-evolution.scan',
    ]);
    expect(existsSync(plist)).toBe(false);
  });

  it("launchd: replaces the Python original's agent", () => {
    const runner = fakeRunner();
    const h = host('darwin', runner);
    const legacy = launchdPlistPath(h.userHome, LEGACY_LAUNCHD_LABEL);
    mkdirSync(join(h.userHome, 'Library', 'LaunchAgents'), { recursive: true });
    writeFileSync(legacy, '<plist/>');
    const plan = planSchedulerInstall(job(tempDir()), 'launchd', h);
    expect(plan.notes.join()).toMatch(/Python original/);
    applySchedulerPlan(plan, h);
    expect(existsSync(legacy)).toBe(false);
    expect(runner.calls.map((c) => c.argv.join(' '))).toContain(
      'launchctl bootout gui/501/com.codex-self-evolution.preflight',
    );
  });

  it('systemd: writes both units, reloads and enables the timer; idempotent once enabled; removal disables first', () => {
    const runner = fakeRunner({ 'systemctl --user is-active': { status: 3, stdout: 'inactive\n' } });
    const h = host('linux', runner);
    const home = tempDir();
    applySchedulerPlan(planSchedulerInstall(job(home), 'systemd', h), h);
    const dir = systemdUnitDir(h.userHome);
    expect(readFileSync(join(dir, `${SYSTEMD_UNIT}.service`), 'utf8')).toBe(systemdService(job(home)));
    expect(readFileSync(join(dir, `${SYSTEMD_UNIT}.timer`), 'utf8')).toBe(systemdTimer(job(home)));
    expect(runner.calls.map((c) => c.argv.join(' '))).toEqual([
      'systemctl --user daemon-reload',
      'systemctl --user enable --now codex-self-evolution-scan.timer',
    ]);

    const enabled = fakeRunner({
      'systemctl --user is-active': { stdout: 'active\n' },
      'systemctl --user is-enabled': { stdout: 'enabled\n' },
    });
    expect(planSchedulerInstall(job(home), 'systemd', { ...h, runner: enabled }).unchanged).toBe(true);
    expect(schedulerStatus(home, { ...h, runner: enabled })).toMatchObject({
      kind: 'systemd',
      installed: true,
      active: true,
      interval_seconds: 300,
    });

    // A new interval rewrites the timer and restarts it.
    const changed = planSchedulerInstall({ ...job(home), intervalSeconds: 600 }, 'systemd', {
      ...h,
      runner: enabled,
    });
    expect(changed.write.map((f) => f.path)).toEqual([join(dir, `${SYSTEMD_UNIT}.timer`)]);

    const removal = fakeRunner();
    applySchedulerPlan(planSchedulerRemoval('systemd', { ...h, runner: removal }), { ...h, runner: removal });
    expect(removal.calls.map((c) => c.argv.join(' '))).toEqual([
      'systemctl --user disable --now codex-self-evolution-scan.timer',
      'systemctl --user daemon-reload',
    ]);
    expect(existsSync(join(dir, `${SYSTEMD_UNIT}.timer`))).toBe(false);
    expect(existsSync(join(dir, `${SYSTEMD_UNIT}.service`))).toBe(false);
  });

  it('cron: installs the block through `crontab -`, keeps other entries, idempotent, removable', () => {
    let crontab = 'MAILTO=""\n0 3 * * * backup.sh\n';
    const runner: CommandRunner = (cmd, args, options = {}) => {
      if (cmd === 'crontab' && args[0] === '-l')
        return crontab === ''
          ? { status: 1, stdout: '', stderr: 'no crontab for me\n' }
          : { status: 0, stdout: crontab, stderr: '' };
      if (cmd === 'crontab' && args[0] === '-') {
        crontab = options.input ?? '';
        return { status: 0, stdout: '', stderr: '' };
      }
      if (cmd === 'crontab' && args[0] === '-r') {
        crontab = '';
        return { status: 0, stdout: '', stderr: '' };
      }
      return { status: 1, stdout: '', stderr: 'unexpected' };
    };
    const h = host('linux', runner);
    const home = tempDir();
    applySchedulerPlan(planSchedulerInstall(job(home), 'cron', h), h);
    expect(crontab).toBe(`MAILTO=""\n0 3 * * * backup.sh\n${cronBlock(job(home))}`);
    expect(planSchedulerInstall(job(home), 'cron', h).unchanged).toBe(true);
    expect(schedulerStatus(home, h)).toMatchObject({
      kind: 'cron',
      installed: true,
      active: true,
      interval_seconds: 300,
    });
    applySchedulerPlan(planSchedulerRemoval('cron', h), h);
    expect(crontab).toBe('MAILTO=""\n0 3 * * * backup.sh\n');
    expect(planSchedulerRemoval('cron', h).unchanged).toBe(true);
  });

  it('a failing load command is an error, not a silent success', () => {
    const runner = fakeRunner({
      'systemctl --user enable': { status: 1, stderr: 'Failed to connect to bus' },
    });
    const h = host('linux', runner);
    const plan = planSchedulerInstall(job(tempDir()), 'systemd', h);
    expect(() => applySchedulerPlan(plan, h)).toThrow(/enable --now .* failed: Failed to connect to bus/);
  });

  it('the commands: dry run changes nothing, install then uninstall through the detected kind', () => {
    const runner = fakeRunner({ 'systemctl --user is-active': { status: 3, stdout: 'inactive\n' } });
    const h = host('linux', runner);
    const home = tempDir();
    const dry = installScheduler({ dryRun: true }, home, h);
    expect(dry.json).toMatchObject({ status: 'dry_run', kind: 'systemd', interval_seconds: 300 });
    expect(dry.text).toContain('would run: systemctl --user enable --now codex-self-evolution-scan.timer');
    expect(existsSync(systemdUnitDir(h.userHome))).toBe(false);
    expect(runner.calls.some((c) => c.argv.includes('enable'))).toBe(false);

    const done = installScheduler({ interval: '600' }, home, h);
    expect(done.json).toMatchObject({ status: 'installed', kind: 'systemd', interval_seconds: 600 });
    expect(readFileSync(join(systemdUnitDir(h.userHome), `${SYSTEMD_UNIT}.timer`), 'utf8')).toContain(
      'OnUnitActiveSec=600',
    );

    const removed = uninstallScheduler({}, h);
    expect(removed.json).toMatchObject({ status: 'removed', kinds: ['systemd'] });
    expect(uninstallScheduler({}, h).json).toMatchObject({ status: 'not_installed' });
  });

  it('status of a machine without a scheduler', () => {
    const h = host('linux', fakeRunner({ crontab: { status: 1, stderr: 'no crontab for me' } }));
    expect(schedulerStatus(tempDir(), h)).toMatchObject({
      kind: null,
      installed: false,
      active: null,
      error: null,
    });
  });
});
