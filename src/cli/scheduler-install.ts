/**
 * Installing the scheduler, shared by `install-scheduler`, `uninstall-scheduler` and `install`:
 * run `scan` on a timer (launchd on macOS, a systemd user timer on Linux, else a marked crontab
 * block). Idempotent; the job's output goes under `<home>/logs/`. See core/install/scheduler.ts.
 */
import {
  loadInstaller,
  loadScheduler,
  PACKAGE_ROOT,
  readEnv,
  UsageError,
  type AppliedCommand,
  type SchedulerHost,
  type SchedulerKind,
  type SchedulerPlan,
} from '../core/index.js';
import { style } from './output.js';
import { VERSION } from './version.js';

// Loaded with this module (as static imports were): the steps are synchronous.
const {
  applySchedulerPlan,
  detectScheduler,
  jobPath,
  parseInterval,
  planSchedulerInstall,
  SCHEDULER_KINDS,
  SchedulerError,
  schedulerLogPaths,
} = await loadScheduler();
const { chooseHookCopy, resolveCodexHome } = await loadInstaller();

export interface InstallSchedulerOptions {
  interval?: string;
  kind?: string;
  dryRun?: boolean;
  json?: boolean;
  /** The bin the job runs (default: the copy the hooks run; see chooseHookCopy). */
  cli?: string;
}

/** Parses `--kind`. */
export function parseKind(raw: string | undefined): SchedulerKind | undefined {
  if (raw === undefined) return undefined;
  if (!(SCHEDULER_KINDS as readonly string[]).includes(raw))
    throw new UsageError(`--kind must be one of ${SCHEDULER_KINDS.join(', ')} (got ${JSON.stringify(raw)})`);
  return raw as SchedulerKind;
}

/** Describes a plan and what applying it did, for people. */
export function renderSchedulerPlan(plan: SchedulerPlan, applied: AppliedCommand[] | undefined): string[] {
  const lines: string[] = [];
  const verb = applied === undefined ? 'would' : '';
  for (const f of plan.write) lines.push(`  ${verb ? 'would write' : 'wrote'} ${f.path}`);
  for (const p of plan.remove) lines.push(`  ${verb ? 'would remove' : 'removed'} ${p}`);
  if (applied === undefined)
    for (const c of plan.commands)
      lines.push(`  would run: ${c.argv.join(' ')}${c.input !== undefined ? ' (new crontab on stdin)' : ''}`);
  else
    for (const c of applied)
      lines.push(
        `  ran: ${c.argv.join(' ')}${c.status === 0 ? '' : ` (exit ${c.status ?? 'none'}${c.stderr ? `: ${c.stderr}` : ''}; ignored)`}`,
      );
  for (const n of plan.notes) lines.push(`  note: ${n}`);
  return lines;
}

/** The command, with the host injectable (tests). Returns what to print and the exit code. */
export function installScheduler(
  options: InstallSchedulerOptions,
  home: string,
  host: SchedulerHost,
): { exitCode: number; json: Record<string, unknown>; text: string } {
  const intervalSeconds = parseInterval(options.interval);
  let kind = parseKind(options.kind);
  let reason = '--kind';
  if (kind === undefined) {
    const detected = detectScheduler(host);
    if (detected.kind === undefined)
      throw new SchedulerError(`no scheduler available: ${detected.reason}`, {
        hint: 'run `codex-self-evolution scan` from any scheduler you have, every 5 minutes',
      });
    kind = detected.kind;
    reason = detected.reason;
  }
  const node = process.execPath;
  const cli =
    options.cli ??
    chooseHookCopy({ home, packageRoot: PACKAGE_ROOT, version: VERSION, dryRun: Boolean(options.dryRun) })
      .cli;
  const codexHome = readEnv('CODEX_HOME');
  const job = {
    node,
    cli,
    home,
    intervalSeconds,
    path: jobPath(node, process.env.PATH, host.platform),
    ...(codexHome ? { codexHome: resolveCodexHome(codexHome) } : {}),
  };
  const plan = planSchedulerInstall(job, kind, host);
  const dryRun = Boolean(options.dryRun);
  const applied = dryRun ? undefined : applySchedulerPlan(plan, host);
  const logs = schedulerLogPaths(home);
  const status = dryRun ? 'dry_run' : plan.unchanged ? 'unchanged' : 'installed';
  const json = {
    status,
    kind,
    reason,
    interval_seconds: intervalSeconds,
    command: [job.node, job.cli, 'scan'],
    home,
    files: plan.write.map((f) => f.path),
    removed: plan.remove,
    commands: (applied ?? plan.commands).map((c) => c.argv),
    logs,
    notes: plan.notes,
    ...(dryRun
      ? {
          file_contents: Object.fromEntries(plan.write.map((f) => [f.path, f.content])),
          crontab_after: plan.commands.find((c) => c.input !== undefined)?.input ?? null,
        }
      : {}),
  };
  const lines = [
    style(
      `${dryRun ? 'Dry run: nothing was changed. ' : ''}Scheduler: ${kind} (${reason}), \`scan\` every ${intervalSeconds} s${plan.unchanged ? ' — already installed and loaded, nothing to do' : ''}.`,
      'bold',
    ),
    ...renderSchedulerPlan(plan, applied),
  ];
  if (dryRun) for (const f of plan.write) lines.push('', `${f.path}:`, f.content.trimEnd());
  if (dryRun) {
    const crontab = plan.commands.find((c) => c.input !== undefined)?.input;
    if (crontab !== undefined) lines.push('', 'crontab:', crontab.trimEnd());
  }
  lines.push(`Logs: ${kind === 'cron' ? logs.cron : `${logs.stdout}, ${logs.stderr}`}`);
  return { exitCode: 0, json, text: lines.join('\n') };
}
