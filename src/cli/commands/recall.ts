/**
 * `recall`: ranked recall of what earlier sessions learned. One command, two styles:
 *
 * - `codex-self-evolution recall --query Q [--cwd DIR] [--state-dir S] [--top-k N] [--format F]`
 *   prints the JSON of the Python package (`query, cwd, count, results`, best first, only records above the
 *   relevance threshold, top 5 by default). A damaged index.json is an error (exit 1).
 * - `csep recall <words...>`, and `recall <words...>` of either bin: the words are
 *   joined with single spaces; top 3 and markdown by default; `triggered:true`,
 *   `reasons:["self_invoked"]` and `status` are added; any failure becomes a soft
 *   `status:"error"` result and the exit code is always 0 (the model calls it mid-task, and a
 *   failing tool call must not derail the turn). Its log line is `csep recall completed`.
 *
 * The csep style is chosen by the bin name (`csep`) or by positional words; `--query` of the
 * `codex-self-evolution` bin chooses the Python package's JSON style. Giving both words and `--query` is a
 * usage error. Results carry a `score` (boosted relevance) besides the keys the Python package printed.
 * Read-only: no
 * bucket is created, a stale search index is logged, not rewritten (see core/recall/query.ts).
 */
import { basename } from 'node:path';
import {
  describeError,
  logWarn,
  renderFocusedRecallLines,
  renderFocusedRecallMarkdown,
  repairSearchIndex,
  resolveTeamSettings,
  searchIndexUsable,
  UsageError,
  type StatePaths,
} from '../../core/index.js';
import { printJson, printText } from '../output.js';
import { parseTopK, queryHash, recallPaths, runQuery } from '../recall-query.js';
import type { CommandContext } from '../context.js';

export interface RecallOptions {
  query?: string;
  cwd?: string;
  stateDir?: string;
  home?: string;
  topK?: string;
  format?: 'json' | 'markdown';
}

function invokedAsCsep(): boolean {
  return basename(process.argv[1] ?? '').replace(/\.js$/, '') === 'csep';
}

export async function run(options: RecallOptions, ctx: CommandContext, args: string[]): Promise<number> {
  const words = args.filter((w) => typeof w === 'string');
  if (options.query !== undefined && words.length > 0) {
    throw new UsageError('give the query either as words or with --query, not both');
  }
  if (invokedAsCsep() || options.query === undefined) {
    const query = (options.query ?? words.join(' ')).trim();
    return runCsepStyle(query, options, ctx);
  }

  const topK = parseTopK(options.topK, 5);
  const paths = recallPaths(options, ctx);
  await buildIndexFirst(paths, ctx);
  const outcome = await runQuery('recall', paths, options.query, topK, {
    team: (await resolveTeamSettings(ctx.invocation.home)).enabled,
  });
  const results = outcome.results;
  Object.assign(ctx.invocation.extras, {
    count: results.length,
    query_hash: queryHash(options.query),
    cwd: paths.cwd,
    recall_mode: outcome.mode,
  });
  if (outcome.skipped > 0) ctx.invocation.extras.skipped_records = outcome.skipped;
  if (options.format === 'markdown') {
    printText(
      await renderFocusedRecallMarkdown({
        query: options.query,
        triggered: true,
        results,
        count: results.length,
      }),
    );
  } else {
    printJson({ query: options.query, cwd: paths.cwd, count: results.length, results });
  }
  return 0;
}

/**
 * A bucket without a usable search index (one the Python original wrote): build and save the
 * index first, under the compile lock when it is free at once, then answer from it. Building once
 * costs less time and memory than a rebuild in memory followed by a second build to save it.
 */
async function buildIndexFirst(paths: StatePaths, ctx: CommandContext): Promise<void> {
  try {
    if (await searchIndexUsable(paths)) return;
    ctx.invocation.extras.index_saved = (await repairSearchIndex(paths)).outcome;
  } catch (error) {
    logWarn(`recall: could not build the missing search index: ${describeError(error)}`, { kind: 'recall' });
  }
}

/** focused recall without the trigger gate, soft errors, exit 0. */
async function runCsepStyle(query: string, options: RecallOptions, ctx: CommandContext): Promise<number> {
  const format = options.format ?? 'markdown';
  const topK = parseTopK(options.topK, 3);
  // The summary line of this style is the one the Python package wrote: `csep recall completed`, kind
  // `csep-recall`
  // (extras override the defaults of finishInvocation).
  const extras = ctx.invocation.extras;
  Object.assign(extras, {
    msg: 'csep recall completed',
    kind: 'csep-recall',
    query_hash: queryHash(query),
    output_format: format,
  });
  let result: Record<string, unknown>;
  try {
    // No words is a soft error too: the model asked without a query, and exit 0 keeps its turn going.
    if (query === '') throw new UsageError('recall needs a query: csep recall "<focused query>"');
    const paths = recallPaths(options, ctx);
    extras.cwd = paths.cwd;
    await buildIndexFirst(paths, ctx);
    const outcome = await runQuery('csep-recall', paths, query, topK, {
      team: (await resolveTeamSettings(ctx.invocation.home)).enabled,
    });
    const results = outcome.results;
    result = {
      query,
      cwd: paths.cwd,
      count: results.length,
      results,
      focused_recall: await renderFocusedRecallLines(results),
      triggered: true,
      reasons: ['self_invoked'],
      status: results.length > 0 ? 'matched' : 'no_match',
    };
    Object.assign(extras, { count: results.length, status: result.status, recall_mode: outcome.mode });
    if (outcome.skipped > 0) extras.skipped_records = outcome.skipped;
  } catch (error) {
    const message = describeError(error);
    result = {
      query,
      count: 0,
      results: [],
      focused_recall: '',
      triggered: true,
      reasons: ['self_invoked'],
      status: 'error',
      error: message,
    };
    Object.assign(extras, { count: 0, status: 'error', error_message: message });
    logWarn(`csep recall failed softly: ${message}`, { kind: 'csep-recall' });
  }
  if (format === 'json') printJson(result);
  else {
    printText(
      await renderFocusedRecallMarkdown({
        query,
        triggered: true,
        results: result.results as [],
        count: result.count as number,
        ...(typeof result.error === 'string' ? { error: result.error } : {}),
      }),
    );
  }
  return 0;
}
