/**
 * `uninstall-scheduler [--kind K] [--dry-run] [--json]`: stop and remove the scheduled scan
 * of every kind that is installed (or only `--kind`). Logs are kept.
 */
import {
  loadScheduler,
  type AppliedCommand,
  type SchedulerHost,
  type SchedulerPlan,
} from '../../core/index.js';
import { printJson, printText, style } from '../output.js';
import type { CommandContext } from '../context.js';
import { parseKind, renderSchedulerPlan } from '../scheduler-install.js';

// Loaded with this module (as static imports were): the command's steps are synchronous.
const { applySchedulerPlan, currentHost, installedKinds, planSchedulerRemoval } = await loadScheduler();

export interface UninstallSchedulerOptions {
  kind?: string;
  dryRun?: boolean;
  json?: boolean;
}

/** The command, with the host injectable (tests). */
export function uninstallScheduler(
  options: UninstallSchedulerOptions,
  host: SchedulerHost,
): { exitCode: number; json: Record<string, unknown>; text: string } {
  const only = parseKind(options.kind);
  const kinds = only ? [only] : installedKinds(host);
  const dryRun = Boolean(options.dryRun);
  const done: Array<{ plan: SchedulerPlan; applied: AppliedCommand[] | undefined }> = [];
  for (const kind of kinds) {
    const plan = planSchedulerRemoval(kind, host);
    if (plan.unchanged) continue;
    done.push({ plan, applied: dryRun ? undefined : applySchedulerPlan(plan, host) });
  }
  const status = dryRun ? 'dry_run' : done.length > 0 ? 'removed' : 'not_installed';
  const json = {
    status,
    kinds: done.map((d) => d.plan.kind),
    removed: done.flatMap((d) => d.plan.remove),
    commands: done.flatMap((d) => (d.applied ?? d.plan.commands).map((c) => c.argv)),
  };
  const lines =
    done.length === 0
      ? ['No codex-self-evolution scheduler is installed; nothing to remove.']
      : done.flatMap((d) => [
          style(
            `${dryRun ? 'Dry run: nothing was changed. ' : ''}Scheduler (${d.plan.kind}) ${dryRun ? 'would be ' : ''}removed:`,
            'bold',
          ),
          ...renderSchedulerPlan(d.plan, d.applied),
        ]);
  if (done.length > 0) lines.push('Logs under the state home are kept.');
  return { exitCode: 0, json, text: lines.join('\n') };
}

export async function run(options: UninstallSchedulerOptions, _ctx: CommandContext): Promise<number> {
  const result = uninstallScheduler(options, currentHost());
  if (options.json) printJson(result.json);
  else printText(result.text);
  return result.exitCode;
}
