/**
 * `recall-trigger --query Q [--cwd DIR] [--state-dir S] [--explicit] [--top-k 3] [--format markdown|json]`
 *: decides whether the query warrants recall (core/recall/trigger.ts: `--explicit`,
 * history cues in English and Chinese, or a question about the code; never small talk), and when
 * it does, runs the focused recall. Prints the `## Focused Recall` markdown (default) or JSON with
 * the keys `triggered, reasons, policy, skill_id, skill_content, query, count, results,
 * focused_recall, cwd`. Unlike the Python package, it does not run session-start first, so it creates no
 * bucket tree. A damaged index.json is an error (exit 1), as in the Python package.
 */
import {
  evaluateRecallTrigger,
  readPrompt,
  renderFocusedRecallLines,
  renderFocusedRecallMarkdown,
  resolveTeamSettings,
  type RecallResult,
} from '../../core/index.js';
import { printJson, printText } from '../output.js';
import type { CommandContext } from '../context.js';
import { parseTopK, queryHash, recallPaths, runQuery } from '../recall-query.js';

export interface RecallTriggerOptions {
  query: string;
  cwd?: string;
  stateDir?: string;
  home?: string;
  explicit?: boolean;
  topK?: string;
  format?: 'json' | 'markdown';
}

/** The skill id the Python package reported with the recall contract. */
export const RECALL_SKILL_ID = 'session_recall';

export async function run(options: RecallTriggerOptions, ctx: CommandContext): Promise<number> {
  const topK = parseTopK(options.topK, 3);
  const query = options.query;
  const paths = recallPaths(options, ctx);
  const decision = await evaluateRecallTrigger(query, { explicit: Boolean(options.explicit) });
  let results: RecallResult[] = [];
  Object.assign(ctx.invocation.extras, {
    query_hash: queryHash(query),
    cwd: paths.cwd,
    triggered: decision.triggered,
    reasons: decision.reasons,
  });
  if (decision.triggered) {
    const outcome = await runQuery('recall-trigger', paths, query, topK, {
      team: (await resolveTeamSettings(ctx.invocation.home)).enabled,
    });
    results = outcome.results;
    ctx.invocation.extras.recall_mode = outcome.mode;
    if (outcome.skipped > 0) ctx.invocation.extras.skipped_records = outcome.skipped;
  }
  ctx.invocation.extras.count = results.length;

  if ((options.format ?? 'markdown') === 'markdown') {
    printText(
      await renderFocusedRecallMarkdown({
        query,
        triggered: decision.triggered,
        results,
        count: results.length,
      }),
    );
    return 0;
  }
  printJson({
    triggered: decision.triggered,
    reasons: decision.reasons,
    policy: readPrompt('recall-policy.md'),
    skill_id: RECALL_SKILL_ID,
    skill_content: readPrompt('recall-contract.md'),
    query,
    count: results.length,
    results,
    focused_recall: await renderFocusedRecallLines(results),
    cwd: paths.cwd,
  });
  return 0;
}
