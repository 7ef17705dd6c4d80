/**
 * `scan`: preflight + compile over every bucket of the home; prints the JSON
 * summary and exits 0 even when buckets fail (their errors are in the summary). On a TTY a
 * progress line on stderr shows which bucket is being compiled.
 */
import {
  agentBackendOptions,
  listBuckets,
  loadCompileSettings,
  logWarn,
  parseBackendName,
  readEnv,
  repairAllSearchIndexes,
  resolveTeamSettings,
  runScan,
  statePathsForBucket,
  type ScanProgress,
} from '../../core/index.js';
import { printJson } from '../output.js';
import type { CommandContext } from '../context.js';
import { abortOnSignals, autoShareAfterCompile, positiveInt } from '../compile-run.js';

export interface ScanCliOptions {
  backend?: string;
  batchSize?: string;
}

function progressLine(stream: NodeJS.WriteStream): (p: ScanProgress) => void {
  return (p) => {
    const width = Math.max(20, (stream.columns ?? 80) - 1);
    const text =
      p.phase === 'start'
        ? `scan [${p.index}/${p.total}] ${p.project}`
        : `scan [${p.index}/${p.total}] ${p.project}: ${p.entry?.compile_status ?? ''}`;
    stream.write(`\r\u001b[K${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
  };
}

/** `CODEX_SELF_EVOLUTION_SCAN_BUCKET_BUDGET_SECONDS`: the per-bucket time budget of a scan. */
function bucketBudgetFromEnv(): { bucketBudgetMs?: number } {
  const raw = readEnv('CODEX_SELF_EVOLUTION_SCAN_BUCKET_BUDGET_SECONDS');
  const seconds = raw === undefined ? NaN : Number(raw);
  return Number.isFinite(seconds) && seconds > 0 ? { bucketBudgetMs: seconds * 1000 } : {};
}

export async function run(options: ScanCliOptions, ctx: CommandContext): Promise<number> {
  const batchSize = positiveInt('--batch-size', options.batchSize);
  const settings = await loadCompileSettings(ctx.invocation.home);
  for (const warning of settings.warnings) logWarn(`scan: ${warning}`, { kind: 'scan' });
  const backend = await parseBackendName(options.backend ?? settings.backend);
  const controller = new AbortController();
  const removeSignals = abortOnSignals(controller);
  const tty = Boolean(process.stderr.isTTY);
  try {
    const result = await runScan(ctx.invocation.home, {
      backend,
      allowFallback: settings.allowFallback,
      caps: settings.caps,
      reviewPolicy: settings.reviewPolicy,
      lessons: settings.lessons,
      signal: controller.signal,
      ...bucketBudgetFromEnv(),
      backendOptions: await agentBackendOptions(settings),
      ...(batchSize ? { batchSize } : {}),
      ...(tty ? { onProgress: progressLine(process.stderr) } : {}),
    });
    if (tty && result.total_projects > 0) process.stderr.write('\r\u001b[K');
    // Buckets the compile did not touch may still lack a search index (a Python-written home).
    const repaired = await repairAllSearchIndexes(ctx.invocation.home);
    const built = repaired.filter((r) => r.outcome === 'built').length;
    if (built > 0) ctx.invocation.extras.search_indexes_built = built;
    for (const r of repaired)
      if (r.outcome === 'failed')
        logWarn(`scan: could not build the recall search index of ${r.project}: ${r.error ?? ''}`, {
          kind: 'scan',
        });
    ctx.invocation.extras.total_projects = result.total_projects;
    ctx.invocation.extras.counts = result.counts;
    if (result.aggregate) ctx.invocation.extras.processed = result.aggregate.buckets_processed;
    printJson(result);
    // `[team] auto_share` writes eligible entries into each repository's working tree.
    if ((await resolveTeamSettings(ctx.invocation.home)).autoShare) {
      for (const b of listBuckets(ctx.invocation.home)) {
        if (!b.archived && b.canonicalCwd !== undefined)
          await autoShareAfterCompile(statePathsForBucket(ctx.invocation.home, b), ctx);
      }
    }
    return 0;
  } finally {
    removeSignals();
  }
}
