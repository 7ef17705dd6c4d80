/** `compile-preflight`: whether a compile has work, without side effects. */
import { resolveStatePaths, runPreflight } from '../../core/index.js';
import { printJson } from '../output.js';
import type { CommandContext } from '../context.js';

export interface PreflightCliOptions {
  stateDir?: string;
  repoRoot?: string;
}

export async function run(options: PreflightCliOptions, ctx: CommandContext): Promise<number> {
  const paths = resolveStatePaths({
    cwd: options.repoRoot ?? process.cwd(),
    ...(options.stateDir ? { stateDir: options.stateDir } : {}),
    home: ctx.invocation.home,
  });
  const result = await runPreflight(paths);
  ctx.invocation.extras.status = result.status;
  printJson(result);
  return 0;
}
