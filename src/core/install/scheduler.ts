/**
 * The scheduled `scan` (compile every bucket with pending lessons): a launchd agent on macOS, a
 * systemd user timer on Linux, a marked crontab block where neither exists.
 *
 * The generated texts are pure functions of a `ScanJob` (tested as tables). Installing is a
 * plan (files to write or delete, commands to run) applied as a separate step through an
 * injected `CommandRunner`, so tests assert the exact `launchctl` / `systemctl` / `crontab`
 * calls without enabling anything on the machine. Plans are idempotent: when the files are
 * already as wanted and the job is loaded, nothing is written and nothing is run.
 *
 * The job runs `<node> <cli> scan` with CODEX_SELF_EVOLUTION_HOME set, so a custom home is
 * honoured (the Python package's plist hard-coded `~/.codex-self-evolution`); its output goes to
 * `<home>/logs/scheduler.{stdout,stderr}.log`.
 */
import { existsSync, mkdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AppError, UsageError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { runSync } from '../process/run.js';

export type SchedulerKind = 'launchd' | 'systemd' | 'cron';
export const SCHEDULER_KINDS: readonly SchedulerKind[] = ['launchd', 'systemd', 'cron'];

/** launchd label (and plist name). */
export const LAUNCHD_LABEL = 'com.codex-self-evolution.scan';
/** The Python original's agent, replaced on install so two scanners never share a home. */
export const LEGACY_LAUNCHD_LABEL = 'com.codex-self-evolution.preflight';
/** systemd unit base name (`.service` + `.timer`). */
export const SYSTEMD_UNIT = 'codex-self-evolution-scan';
export const CRON_BEGIN =
  '# >>> codex-self-evolution scheduler (managed block: codex-self-evolution uninstall-scheduler removes it) >>>';
export const CRON_END = '# <<< codex-self-evolution scheduler <<<';

/** Default seconds between scans. */
export const DEFAULT_INTERVAL = 300;

/** A scheduler cannot be installed or removed here. */
export class SchedulerError extends AppError {}

/** What the scheduled job runs. */
export interface ScanJob {
  /** Absolute node binary. */
  node: string;
  /** Absolute path of `bin/codex-self-evolution.js`. */
  cli: string;
  /** State home the scans use (CODEX_SELF_EVOLUTION_HOME). */
  home: string;
  intervalSeconds: number;
  /** PATH the job sees (scan may start `git` or `opencode`). */
  path: string;
  /**
   * CODEX_HOME the job sees, when the user set one: a compile reads the Codex config (native
   * skills, the codex reviewer) from there, and a timer does not inherit the login environment.
   */
  codexHome?: string;
}

/** Where the job's output goes. */
export function schedulerLogPaths(home: string): { stdout: string; stderr: string; cron: string } {
  const dir = join(home, 'logs');
  return {
    stdout: join(dir, 'scheduler.stdout.log'),
    stderr: join(dir, 'scheduler.stderr.log'),
    cron: join(dir, 'scheduler.log'),
  };
}

/** Validates `--interval`: whole seconds, 60 s to 1 day. */
export function parseInterval(raw: string | number | undefined): number {
  if (raw === undefined) return DEFAULT_INTERVAL;
  const n = typeof raw === 'number' ? raw : Number(raw);
  if (!Number.isInteger(n) || n < 60 || n > 86_400)
    throw new UsageError(
      `--interval must be a whole number of seconds from 60 to 86400 (got ${JSON.stringify(String(raw))})`,
    );
  return n;
}

/** A PATH for the job: node's own directory first, then the given PATH, then the usual dirs. */
export function jobPath(
  node: string,
  currentPath: string | undefined,
  platform: NodeJS.Platform = process.platform,
): string {
  const dirs = [
    dirname(node),
    ...(currentPath ?? '').split(':'),
    ...(platform === 'darwin' ? ['/opt/homebrew/bin'] : []),
    '/usr/local/bin',
    '/usr/bin',
    '/bin',
  ];
  return [...new Set(dirs.filter((d) => d.startsWith('/')))].join(':');
}

function checkJob(job: ScanJob): void {
  for (const [name, value] of Object.entries({
    node: job.node,
    cli: job.cli,
    home: job.home,
    path: job.path,
    codexHome: job.codexHome ?? '',
  })) {
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
    if (/[\u0000-\u001f\u007f]/.test(value))
      throw new SchedulerError(
        `the ${name} path contains control characters; refusing to write it into a scheduler file`,
      );
  }
}

// ---------------------------------------------------------------------------------------------
// launchd
// ---------------------------------------------------------------------------------------------

function xml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** `~/Library/LaunchAgents/<label>.plist`. */
export function launchdPlistPath(userHome: string, label = LAUNCHD_LABEL): string {
  return join(userHome, 'Library', 'LaunchAgents', `${label}.plist`);
}

/** The launchd agent: runs the scan every `intervalSeconds`, not at load, at background priority. */
export function launchdPlist(job: ScanJob, userHome: string): string {
  checkJob(job);
  const logs = schedulerLogPaths(job.home);
  const str = (v: string) => `<string>${xml(v)}</string>`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    '<dict>',
    '  <key>Label</key>',
    `  ${str(LAUNCHD_LABEL)}`,
    '  <key>ProgramArguments</key>',
    '  <array>',
    `    ${str(job.node)}`,
    `    ${str(job.cli)}`,
    `    ${str('scan')}`,
    '  </array>',
    '  <key>EnvironmentVariables</key>',
    '  <dict>',
    '    <key>CODEX_SELF_EVOLUTION_HOME</key>',
    `    ${str(job.home)}`,
    '    <key>HOME</key>',
    `    ${str(userHome)}`,
    '    <key>PATH</key>',
    `    ${str(job.path)}`,
    ...(job.codexHome ? ['    <key>CODEX_HOME</key>', `    ${str(job.codexHome)}`] : []),
    '  </dict>',
    '  <key>StartInterval</key>',
    `  <integer>${job.intervalSeconds}</integer>`,
    '  <key>RunAtLoad</key>',
    '  <false/>',
    '  <key>ProcessType</key>',
    '  <string>Background</string>',
    '  <key>LowPriorityIO</key>',
    '  <true/>',
    '  <key>ThrottleInterval</key>',
    '  <integer>60</integer>',
    '  <key>StandardOutPath</key>',
    `  ${str(logs.stdout)}`,
    '  <key>StandardErrorPath</key>',
    `  ${str(logs.stderr)}`,
    '</dict>',
    '</plist>',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// systemd
// ---------------------------------------------------------------------------------------------

/** `~/.config/systemd/user` (or `$XDG_CONFIG_HOME/systemd/user`). */
export function systemdUnitDir(userHome: string, xdgConfigHome?: string): string {
  return join(
    xdgConfigHome && xdgConfigHome.startsWith('/') ? xdgConfigHome : join(userHome, '.config'),
    'systemd',
    'user',
  );
}

/** One ExecStart word: double-quoted, C escapes, `%` and `$` doubled (specifiers, variables). */
export function systemdQuote(word: string): string {
  return `"${word.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%').replace(/\$/g, '$$$$')}"`;
}

/** An `Environment=` assignment, quoted (`%` doubled; `$` is literal there). */
function systemdEnv(name: string, value: string): string {
  return `Environment="${name}=${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%')}"`;
}

/** The oneshot service that runs one scan. */
export function systemdService(job: ScanJob): string {
  checkJob(job);
  const logs = schedulerLogPaths(job.home);
  return [
    '[Unit]',
    'Description=codex-self-evolution: compile the lessons of recent Codex sessions (scan)',
    '',
    '[Service]',
    'Type=oneshot',
    systemdEnv('CODEX_SELF_EVOLUTION_HOME', job.home),
    systemdEnv('PATH', job.path),
    ...(job.codexHome ? [systemdEnv('CODEX_HOME', job.codexHome)] : []),
    `ExecStart=${[job.node, job.cli, 'scan'].map(systemdQuote).join(' ')}`,
    `StandardOutput=append:${logs.stdout.replace(/%/g, '%%')}`,
    `StandardError=append:${logs.stderr.replace(/%/g, '%%')}`,
    'Nice=10',
    'IOSchedulingClass=idle',
    'TimeoutStartSec=30min',
    '',
  ].join('\n');
}

/** The timer: first run a minute after it starts, then every `intervalSeconds`. */
export function systemdTimer(job: ScanJob): string {
  return [
    '[Unit]',
    `Description=Run codex-self-evolution scan every ${job.intervalSeconds} seconds`,
    '',
    '[Timer]',
    'OnActiveSec=60',
    `OnUnitActiveSec=${job.intervalSeconds}`,
    'AccuracySec=30',
    `Unit=${SYSTEMD_UNIT}.service`,
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// cron
// ---------------------------------------------------------------------------------------------

/** The cron schedule for an interval: `*\/m` minutes dividing 60, or `0 *\/h` hours dividing 24. */
export function cronSchedule(intervalSeconds: number): string {
  if (intervalSeconds % 60 !== 0)
    throw new UsageError(`cron runs whole minutes; --interval ${intervalSeconds} is not a multiple of 60`);
  const minutes = intervalSeconds / 60;
  if (minutes < 60 && 60 % minutes === 0) return minutes === 1 ? '* * * * *' : `*/${minutes} * * * *`;
  if (minutes % 60 === 0 && 24 % (minutes / 60) === 0)
    return minutes === 60 ? '0 * * * *' : `0 */${minutes / 60} * * *`;
  throw new UsageError(
    `cron cannot run every ${intervalSeconds} seconds evenly; use a divisor of 60 minutes (e.g. 300) or of 24 hours`,
  );
}

/** Single-quoted for /bin/sh, with `%` escaped for cron (which turns a bare `%` into a newline). */
function cronWord(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`.replace(/%/g, '\\%');
}

/** The marked crontab block (with its final newline). */
export function cronBlock(job: ScanJob): string {
  checkJob(job);
  const log = schedulerLogPaths(job.home).cron;
  const line = `${cronSchedule(job.intervalSeconds)} CODEX_SELF_EVOLUTION_HOME=${cronWord(job.home)} PATH=${cronWord(job.path)}${job.codexHome ? ` CODEX_HOME=${cronWord(job.codexHome)}` : ''} ${cronWord(job.node)} ${cronWord(job.cli)} scan >>${cronWord(log)} 2>&1`;
  return `${CRON_BEGIN}\n${line}\n${CRON_END}\n`;
}

/** `existing` with our block replaced (in place), added (at the end) or removed (`block` null). */
export function mergeCrontab(existing: string, block: string | null): string {
  const lines = existing === '' ? [] : existing.replace(/\n$/, '').split('\n');
  const begin = lines.indexOf(CRON_BEGIN);
  const end = begin < 0 ? -1 : lines.indexOf(CRON_END, begin);
  const blockLines = block === null ? [] : block.replace(/\n$/, '').split('\n');
  let out: string[];
  if (begin >= 0 && end >= 0) out = [...lines.slice(0, begin), ...blockLines, ...lines.slice(end + 1)];
  else out = [...lines, ...blockLines];
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

/** Our block in a crontab, or undefined. */
export function findCronBlock(crontab: string): string | undefined {
  const begin = crontab.indexOf(CRON_BEGIN);
  if (begin < 0) return undefined;
  const end = crontab.indexOf(CRON_END, begin);
  return end < 0 ? undefined : `${crontab.slice(begin, end + CRON_END.length)}\n`;
}

// ---------------------------------------------------------------------------------------------
// Running commands, detecting, planning
// ---------------------------------------------------------------------------------------------

/** Result of one external command. `status` null means it could not start or timed out. */
export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
  error?: string;
}

/** Runs an external command (injected in tests). */
export type CommandRunner = (
  command: string,
  args: readonly string[],
  options?: { input?: string },
) => RunResult;

/** The real runner: 15 s timeout, never through a shell. */
export const spawnRunner: CommandRunner = (command, args, options = {}) => {
  const result = runSync([command, ...args], {
    input: options.input ?? '',
    timeoutMs: 15_000,
    maxOutputBytes: 1024 * 1024,
  });
  const out: RunResult = { status: result.exitCode ?? null, stdout: result.stdout, stderr: result.stderr };
  if (result.systemError !== undefined) out.error = result.systemError;
  return out;
};

/** Facts about the machine a plan depends on. */
export interface SchedulerHost {
  platform: NodeJS.Platform;
  userHome: string;
  uid: number;
  xdgConfigHome?: string;
  runner: CommandRunner;
}

/** The host this process runs on. */
export function currentHost(runner: CommandRunner = spawnRunner): SchedulerHost {
  const host: SchedulerHost = {
    platform: process.platform,
    userHome: process.env.HOME ?? '',
    uid: typeof process.getuid === 'function' ? process.getuid() : 0,
    runner,
  };
  if (process.env.XDG_CONFIG_HOME) host.xdgConfigHome = process.env.XDG_CONFIG_HOME;
  return host;
}

/** Picks the scheduler: launchd on macOS, a reachable systemd user manager, else cron. */
export function detectScheduler(host: SchedulerHost): { kind: SchedulerKind | undefined; reason: string } {
  if (host.platform === 'darwin') return { kind: 'launchd', reason: 'macOS' };
  const systemd = host.runner('systemctl', ['--user', 'show-environment']);
  if (systemd.status === 0) return { kind: 'systemd', reason: 'a systemd user manager is running' };
  const cron = host.runner('crontab', ['-l']);
  if (cron.status !== null) return { kind: 'cron', reason: 'no systemd user manager; crontab is available' };
  return {
    kind: undefined,
    reason: 'neither a systemd user manager (systemctl --user) nor crontab is available',
  };
}

/** One file a plan writes. */
export interface PlannedFile {
  path: string;
  content: string;
}

/** One command a plan runs. */
export interface PlannedCommand {
  argv: string[];
  input?: string;
  /** Failure is expected and fine (e.g. unloading what is not loaded). */
  ignoreFailure?: boolean;
}

/** A scheduler change, computed before anything happens. */
export interface SchedulerPlan {
  kind: SchedulerKind;
  action: 'install' | 'remove';
  /** Nothing to do: files as wanted and the job loaded (install), or nothing installed (remove). */
  unchanged: boolean;
  write: PlannedFile[];
  remove: string[];
  commands: PlannedCommand[];
  /** Directories to create first (the log directory). */
  mkdirs: string[];
  notes: string[];
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function readCrontab(host: SchedulerHost): string {
  const r = host.runner('crontab', ['-l']);
  if (r.status === 0) return r.stdout;
  // `crontab -l` exits 1 with "no crontab for <user>" when there is none.
  if (r.status !== null && /no crontab/i.test(r.stderr)) return '';
  throw new SchedulerError(`cannot read the crontab: ${r.error ?? (r.stderr.trim() || `exit ${r.status}`)}`);
}

/** Plans installing the job with `kind`. Reads the machine (files, `crontab -l`, load state) only. */
export function planSchedulerInstall(job: ScanJob, kind: SchedulerKind, host: SchedulerHost): SchedulerPlan {
  const plan: SchedulerPlan = {
    kind,
    action: 'install',
    unchanged: false,
    write: [],
    remove: [],
    commands: [],
    mkdirs: [join(job.home, 'logs')],
    notes: [],
  };
  if (kind === 'launchd') {
    const path = launchdPlistPath(host.userHome);
    const content = launchdPlist(job, host.userHome);
    const domain = `gui/${host.uid}`;
    const legacy = launchdPlistPath(host.userHome, LEGACY_LAUNCHD_LABEL);
    if (existsSync(legacy)) {
      plan.commands.push({
        argv: ['launchctl', 'bootout', `${domain}/${LEGACY_LAUNCHD_LABEL}`],
        ignoreFailure: true,
      });
      plan.remove.push(legacy);
      plan.notes.push(`replaced the Python original's launchd agent ${LEGACY_LAUNCHD_LABEL}`);
    }
    const same = readText(path) === content;
    const loaded = same && host.runner('launchctl', ['print', `${domain}/${LAUNCHD_LABEL}`]).status === 0;
    if (same && loaded && plan.remove.length === 0) return { ...plan, unchanged: true };
    if (!same) plan.write.push({ path, content });
    plan.commands.push({ argv: ['launchctl', 'bootout', `${domain}/${LAUNCHD_LABEL}`], ignoreFailure: true });
    plan.commands.push({ argv: ['launchctl', 'bootstrap', domain, path] });
    return plan;
  }
  if (kind === 'systemd') {
    const dir = systemdUnitDir(host.userHome, host.xdgConfigHome);
    const files = [
      { path: join(dir, `${SYSTEMD_UNIT}.service`), content: systemdService(job) },
      { path: join(dir, `${SYSTEMD_UNIT}.timer`), content: systemdTimer(job) },
    ];
    const changed = files.filter((f) => readText(f.path) !== f.content);
    const active =
      changed.length === 0 &&
      host.runner('systemctl', ['--user', 'is-active', `${SYSTEMD_UNIT}.timer`]).stdout.trim() === 'active';
    const enabled =
      active &&
      host.runner('systemctl', ['--user', 'is-enabled', `${SYSTEMD_UNIT}.timer`]).stdout.trim() === 'enabled';
    if (enabled) return { ...plan, unchanged: true };
    plan.write.push(...changed);
    plan.commands.push({ argv: ['systemctl', '--user', 'daemon-reload'] });
    plan.commands.push({ argv: ['systemctl', '--user', 'enable', '--now', `${SYSTEMD_UNIT}.timer`] });
    if (changed.length > 0 && active)
      plan.commands.push({ argv: ['systemctl', '--user', 'restart', `${SYSTEMD_UNIT}.timer`] });
    plan.notes.push(
      'a systemd user timer runs only while you are logged in, unless lingering is on (loginctl enable-linger)',
    );
    return plan;
  }
  const current = readCrontab(host);
  const next = mergeCrontab(current, cronBlock(job));
  if (next === current) return { ...plan, unchanged: true };
  plan.commands.push({ argv: ['crontab', '-'], input: next });
  return plan;
}

/** Which scheduler kinds have our job installed (by files, or the crontab block). */
export function installedKinds(host: SchedulerHost): SchedulerKind[] {
  const out: SchedulerKind[] = [];
  if (
    existsSync(launchdPlistPath(host.userHome)) ||
    existsSync(launchdPlistPath(host.userHome, LEGACY_LAUNCHD_LABEL))
  )
    out.push('launchd');
  const dir = systemdUnitDir(host.userHome, host.xdgConfigHome);
  if (existsSync(join(dir, `${SYSTEMD_UNIT}.timer`)) || existsSync(join(dir, `${SYSTEMD_UNIT}.service`)))
    out.push('systemd');
  try {
    if (findCronBlock(readCrontab(host)) !== undefined) out.push('cron');
  } catch {
    // No crontab command: nothing installed there.
  }
  return out;
}

/** Plans removing the job of `kind` (logs are kept). */
export function planSchedulerRemoval(kind: SchedulerKind, host: SchedulerHost): SchedulerPlan {
  const plan: SchedulerPlan = {
    kind,
    action: 'remove',
    unchanged: false,
    write: [],
    remove: [],
    commands: [],
    mkdirs: [],
    notes: [],
  };
  if (kind === 'launchd') {
    for (const label of [LAUNCHD_LABEL, LEGACY_LAUNCHD_LABEL]) {
      const path = launchdPlistPath(host.userHome, label);
      if (!existsSync(path)) continue;
      plan.commands.push({ argv: ['launchctl', 'bootout', `gui/${host.uid}/${label}`], ignoreFailure: true });
      plan.remove.push(path);
    }
  } else if (kind === 'systemd') {
    const dir = systemdUnitDir(host.userHome, host.xdgConfigHome);
    const files = [join(dir, `${SYSTEMD_UNIT}.timer`), join(dir, `${SYSTEMD_UNIT}.service`)].filter((p) =>
      existsSync(p),
    );
    if (files.length > 0) {
      plan.commands.push({
        argv: ['systemctl', '--user', 'disable', '--now', `${SYSTEMD_UNIT}.timer`],
        ignoreFailure: true,
      });
      plan.remove.push(...files);
      plan.commands.push({ argv: ['systemctl', '--user', 'daemon-reload'], ignoreFailure: true });
    }
  } else {
    const current = readCrontab(host);
    const next = mergeCrontab(current, null);
    if (next !== current)
      plan.commands.push(next === '' ? { argv: ['crontab', '-r'] } : { argv: ['crontab', '-'], input: next });
  }
  plan.unchanged = plan.commands.length === 0 && plan.remove.length === 0;
  return plan;
}

/** What applying a plan did. */
export interface AppliedCommand {
  argv: string[];
  status: number | null;
  stderr: string;
}

/**
 * Applies a plan: directories, file removals (after their unload commands), writes, commands in
 * order. launchd's bootout runs before the plist is removed; its load runs after the write.
 * Throws SchedulerError when a command that must succeed fails.
 */
export function applySchedulerPlan(plan: SchedulerPlan, host: SchedulerHost): AppliedCommand[] {
  if (plan.unchanged) return [];
  for (const dir of plan.mkdirs) mkdirSync(dir, { recursive: true });
  const applied: AppliedCommand[] = [];
  const run = (cmd: PlannedCommand) => {
    const r = host.runner(
      cmd.argv[0]!,
      cmd.argv.slice(1),
      cmd.input === undefined ? {} : { input: cmd.input },
    );
    applied.push({ argv: cmd.argv, status: r.status, stderr: r.stderr.trim() });
    if (r.status !== 0 && !cmd.ignoreFailure) {
      throw new SchedulerError(
        `${cmd.argv.join(' ')} failed: ${r.error ?? (r.stderr.trim() || `exit ${r.status}`)}`,
      );
    }
  };
  // Unloading commands (ignoreFailure) go first, then files change, then loading commands.
  const unload = plan.commands.filter((c) => c.ignoreFailure && plan.action === 'install');
  const rest = plan.commands.filter((c) => !(c.ignoreFailure && plan.action === 'install'));
  if (plan.action === 'remove') {
    const before = rest.filter((c) => !c.argv.includes('daemon-reload'));
    const after = rest.filter((c) => c.argv.includes('daemon-reload'));
    before.forEach(run);
    for (const p of plan.remove) if (existsSync(p)) unlinkSync(p);
    after.forEach(run);
    return applied;
  }
  unload.forEach(run);
  for (const p of plan.remove) if (existsSync(p)) unlinkSync(p);
  for (const f of plan.write) writeFileAtomic(f.path, f.content, { mode: 0o644 });
  rest.forEach(run);
  return applied;
}

// ---------------------------------------------------------------------------------------------
// Status
// ---------------------------------------------------------------------------------------------

/** What `status` reports about the scheduler. */
export interface SchedulerStatus {
  /** The kind installed (first found), else the one install would pick, else null. */
  kind: SchedulerKind | null;
  installed: boolean;
  /** Loaded / active timer / crontab block present; null when it could not be checked. */
  active: boolean | null;
  interval_seconds: number | null;
  files: string[];
  /** The legacy Python launchd agent is still installed. */
  legacy_agent: boolean;
  logs: { stdout: string; stderr: string; cron: string; last_output_at: string | null };
  error: string | null;
}

/** Read-only scheduler status for `status`. Runs at most two quick commands; never throws. */
export function schedulerStatus(home: string, host: SchedulerHost = currentHost()): SchedulerStatus {
  const logs = schedulerLogPaths(home);
  let last: number | null = null;
  for (const p of [logs.stdout, logs.stderr, logs.cron]) {
    try {
      last = Math.max(last ?? 0, statSync(p).mtimeMs);
    } catch {
      // No such log yet.
    }
  }
  const status: SchedulerStatus = {
    kind: null,
    installed: false,
    active: null,
    interval_seconds: null,
    files: [],
    legacy_agent: existsSync(launchdPlistPath(host.userHome, LEGACY_LAUNCHD_LABEL)),
    logs: { ...logs, last_output_at: last === null ? null : new Date(last).toISOString() },
    error: null,
  };
  try {
    const plist = launchdPlistPath(host.userHome);
    const dir = systemdUnitDir(host.userHome, host.xdgConfigHome);
    const timer = join(dir, `${SYSTEMD_UNIT}.timer`);
    if (existsSync(plist)) {
      status.kind = 'launchd';
      status.installed = true;
      status.files = [plist];
      const m = /<key>StartInterval<\/key>\s*<integer>(\d+)<\/integer>/.exec(readText(plist) ?? '');
      status.interval_seconds = m ? Number(m[1]) : null;
      status.active = host.runner('launchctl', ['print', `gui/${host.uid}/${LAUNCHD_LABEL}`]).status === 0;
    } else if (existsSync(timer)) {
      status.kind = 'systemd';
      status.installed = true;
      status.files = [join(dir, `${SYSTEMD_UNIT}.service`), timer];
      const m = /^OnUnitActiveSec=(\d+)$/m.exec(readText(timer) ?? '');
      status.interval_seconds = m ? Number(m[1]) : null;
      const r = host.runner('systemctl', ['--user', 'is-active', `${SYSTEMD_UNIT}.timer`]);
      status.active = r.status === null ? null : r.stdout.trim() === 'active';
    } else {
      const r = host.runner('crontab', ['-l']);
      if (r.status === 0 && findCronBlock(r.stdout) !== undefined) {
        status.kind = 'cron';
        status.installed = true;
        status.active = true;
        const line = findCronBlock(r.stdout)!.split('\n')[1] ?? '';
        const m = /^\*\/(\d+) \* \* \* \*/.exec(line) ?? /^0 \*\/(\d+) \* \* \*/.exec(line);
        status.interval_seconds = line.startsWith('* * * * *')
          ? 60
          : line.startsWith('0 * * * *')
            ? 3600
            : m
              ? Number(m[1]) * (line.startsWith('0 ') ? 3600 : 60)
              : null;
      }
    }
  } catch (error) {
    status.error = error instanceof Error ? error.message : String(error);
  }
  return status;
}
