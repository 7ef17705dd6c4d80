/**
 * `install-scheduler [--interval 300] [--kind K] [--dry-run] [--json]`: run `scan` on a timer.
 * The work is in ../scheduler-install.ts (shared with `install` and `uninstall-scheduler`).
 */
import { loadScheduler } from '../../core/index.js';
import type { CommandContext } from '../context.js';
import { printJson, printText } from '../output.js';
import { installScheduler, type InstallSchedulerOptions } from '../scheduler-install.js';

// Loaded with this module (as the static import was).
const { currentHost } = await loadScheduler();

export async function run(options: InstallSchedulerOptions, ctx: CommandContext): Promise<number> {
  const result = installScheduler(options, ctx.invocation.home, currentHost());
  if (options.json) printJson(result.json);
  else printText(result.text);
  return result.exitCode;
}
