/**
 * `compile [--once | --interval SECONDS]`: compiles the pending suggestions of
 * one bucket. `--once` (the default) drains the queue in batches of `--batch-size` and prints one
 * JSON result; `--interval` repeats that every SECONDS until SIGINT/SIGTERM, printing one result
 * per pass. SIGINT/SIGTERM stop between batches (a batch not yet applied returns to the queue); a
 * second signal exits at once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  agentBackendOptions,
  loadCompileSettings,
  logWarn,
  parseBackendName,
  resolveStatePaths,
  resolveTeamSettings,
  runCompile,
  UsageError,
  type CompileResult,
} from '../../core/index.js';
import { abortOnSignals, autoShareAfterCompile, positiveInt } from '../compile-run.js';
import { printJson } from '../output.js';
import type { CommandContext } from '../context.js';

export interface CompileCliOptions {
  stateDir?: string;
  repoRoot?: string;
  once?: boolean;
  interval?: string;
  backend?: string;
  batchSize?: string;
  maxBatches?: string;
}

export async function run(options: CompileCliOptions, ctx: CommandContext): Promise<number> {
  if (options.once && options.interval !== undefined)
    throw new UsageError('--once and --interval cannot be used together');
  const interval = positiveInt('--interval', options.interval);
  const batchSize = positiveInt('--batch-size', options.batchSize);
  const maxBatches = positiveInt('--max-batches', options.maxBatches);
  const home = ctx.invocation.home;
  const settings = await loadCompileSettings(home);
  for (const warning of settings.warnings) logWarn(`compile: ${warning}`, { kind: 'compile' });
  const backend = await parseBackendName(options.backend ?? settings.backend);
  const paths = resolveStatePaths({
    cwd: options.repoRoot ?? process.cwd(),
    ...(options.stateDir ? { stateDir: options.stateDir } : {}),
    home,
  });
  const controller = new AbortController();
  const removeSignals = abortOnSignals(controller);
  const compileOnce = async (): Promise<CompileResult> =>
    runCompile(paths, {
      backend,
      allowFallback: settings.allowFallback,
      caps: settings.caps,
      reviewPolicy: settings.reviewPolicy,
      lessons: settings.lessons,
      signal: controller.signal,
      backendOptions: await agentBackendOptions(settings),
      ...(batchSize ? { batchSize } : {}),
      ...(maxBatches ? { maxBatches } : {}),
    });
  try {
    let failed = false;
    for (;;) {
      const result = await compileOnce();
      printJson(result);
      if (result.status === 'success' && (await resolveTeamSettings(home)).autoShare)
        await autoShareAfterCompile(paths, ctx);
      failed ||= result.status === 'failed';
      ctx.invocation.extras.status = result.status;
      ctx.invocation.extras.processed_count =
        ((ctx.invocation.extras.processed_count as number | undefined) ?? 0) + result.processed_count;
      ctx.invocation.extras.batches =
        ((ctx.invocation.extras.batches as number | undefined) ?? 0) + result.batches;
      ctx.invocation.extras.backend = result.backend;
      if (interval === undefined || controller.signal.aborted)
        return interval === undefined && failed ? 1 : 0;
      try {
        await sleep(interval * 1000, undefined, { signal: controller.signal });
      } catch {
        return 0; // Interrupted while waiting: an orderly stop.
      }
    }
  } finally {
    removeSignals();
  }
}
