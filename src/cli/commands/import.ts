/** `import`: review an agent's past sessions into the queue (see core/review/import.ts). */
import { expandPath, importSessions, loadAgent, UsageError } from '../../core/index.js';
import { printJson, printText } from '../output.js';
import type { CommandContext } from '../context.js';

export interface ImportCommandOptions {
  /** The agent whose sessions are imported (default `codex`). */
  agent?: string;
  /** The agent's config directory (default: the agent's own, e.g. `$CODEX_HOME`). */
  configDir?: string;
  /** Codex's name for `configDir`. */
  codexHome?: string;
  repo?: string;
  all?: boolean;
  since?: string;
  limit?: string;
  dryRun?: boolean;
  provider?: string;
  json?: boolean;
}

function progressBar(done: number, total: number, suggestions: number): string {
  const width = 28;
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `\r[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total} sessions, ${suggestions} suggestions`;
}

export async function run(options: ImportCommandOptions, ctx: CommandContext): Promise<number> {
  if (options.all && options.repo) throw new UsageError('import takes either --repo DIR or --all, not both');
  let since: Date | undefined;
  if (options.since !== undefined) {
    since = new Date(
      /^\d+d$/.test(options.since)
        ? Date.now() - Number(options.since.slice(0, -1)) * 86_400_000
        : options.since,
    );
    if (Number.isNaN(since.getTime()))
      throw new UsageError(
        `--since must be a date (2026-11-01) or a number of days (30d), got "${options.since}"`,
      );
  }
  let limit: number | undefined;
  if (options.limit !== undefined) {
    limit = Number(options.limit);
    if (!Number.isInteger(limit) || limit < 1)
      throw new UsageError(`--limit must be a positive integer, got "${options.limit}"`);
  }
  const tty = Boolean(process.stderr.isTTY);
  const agent = await loadAgent(options.agent);
  const given = options.configDir ?? options.codexHome;
  const summary = await importSessions({
    home: ctx.invocation.home,
    agent: agent.name,
    configDir: agent.configDir(given ? expandPath(given) : undefined),
    ...(options.repo ? { repo: expandPath(options.repo) } : {}),
    all: Boolean(options.all),
    ...(since ? { since } : {}),
    ...(limit ? { limit } : {}),
    dryRun: Boolean(options.dryRun),
    ...(options.provider ? { provider: options.provider } : {}),
    ...(tty
      ? { onProgress: (d: number, t: number, s: number) => process.stderr.write(progressBar(d, t, s)) }
      : {}),
  });
  if (tty) process.stderr.write('\n');
  Object.assign(ctx.invocation.extras, {
    rollouts_selected: summary.rollouts_selected,
    turns_reviewed: summary.turns_reviewed,
    suggestions: summary.suggestions,
    failures: summary.failures.length,
  });
  if (options.json) printJson(summary);
  else {
    printText(
      `${summary.dry_run ? 'Would review' : 'Reviewed'} ${summary.turns_reviewed} turn(s) from ${summary.rollouts_selected} of ${summary.rollouts_found} session(s) in ${summary.sessions_dir}` +
        ` (${summary.turns_already_reviewed} already reviewed): ${summary.suggestions} suggestion(s) queued in ${summary.envelopes} envelope(s).`,
    );
    for (const f of summary.failures.slice(0, 10))
      printText(`  failed: ${f.rollout}${f.turn ? ` turn ${f.turn}` : ''}: ${f.error}`);
    if (summary.envelopes > 0) {
      // With --all the envelopes span repositories: `scan` compiles every bucket, `compile --once` only one.
      const next = options.all
        ? 'codex-self-evolution scan'
        : `codex-self-evolution compile --once${options.repo ? ` --repo-root ${JSON.stringify(expandPath(options.repo))}` : ''}`;
      printText(`Run \`${next}\` (or wait for the scheduler) to merge them into memory.`);
    }
  }
  return summary.failures.length > 0 && summary.turns_reviewed === 0 && summary.rollouts_selected > 0 ? 1 : 0;
}
