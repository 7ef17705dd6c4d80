/** `status`: read-only JSON diagnostics (SPEC §11). */
import { collectStatus } from '../../core/status.js';
import { printJson } from '../output.js';
import type { CommandContext } from '../program.js';
import { VERSION } from '../version.js';

export async function run(_options: { home?: string }, ctx: CommandContext): Promise<number> {
  printJson(collectStatus(ctx.invocation.home, VERSION));
  return 0;
}
