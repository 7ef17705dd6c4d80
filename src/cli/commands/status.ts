/** `status`: read-only JSON diagnostics (SPEC §11). */
import { loadConfig } from '../../core/config/load.js';
import { describeError } from '../../core/errors.js';
import { isPaidReviewer, resolveReviewer } from '../../core/review/providers/index.js';
import { collectStatus, reviewsTodayStatus } from '../../core/status.js';
import { printJson } from '../output.js';
import type { CommandContext } from '../program.js';
import { VERSION } from '../version.js';

/** Which reviewer the Stop hook would use now, and why (names only, never keys). */
async function reviewerStatus(home: string): Promise<Record<string, unknown>> {
  try {
    const loaded = await loadConfig({ home });
    const selection = resolveReviewer({ config: loaded.config });
    return {
      provider: selection.provider,
      source: selection.source,
      profile: selection.profile,
      offline: !isPaidReviewer(selection.provider),
      max_per_day: loaded.config.review.max_per_day,
      config_path: loaded.path,
      config_exists: loaded.exists,
      warnings: [...loaded.warnings, ...selection.warnings],
      error: null,
    };
  } catch (error) {
    return { provider: null, source: null, error: describeError(error) };
  }
}

export async function run(_options: { home?: string }, ctx: CommandContext): Promise<number> {
  const status = collectStatus(ctx.invocation.home, VERSION);
  const reviewer = await reviewerStatus(ctx.invocation.home);
  status.reviewer = reviewer;
  if (typeof reviewer.max_per_day === 'number') {
    status.reviews_today = reviewsTodayStatus(ctx.invocation.home, reviewer.max_per_day);
  }
  printJson(status);
  return 0;
}
