/**
 * `stop-review` outside the hook:
 * - `--hook-payload FILE`: the synchronous review of one payload;
 * - `--drain`: the review worker (started detached by the Stop hook; also safe by hand);
 * - `--retry-dead`: puts turns parked after repeated failures back in the spool.
 */
import { unlinkSync } from 'node:fs';
import {
  AppError,
  drainSpool,
  ensureRuntimeDirs,
  familyCounts,
  loadAgent,
  loadAgentRegistry,
  readRegularText,
  redactText,
  requeueDead,
  resolveStatePaths,
  reviewTurn,
  UsageError,
} from '../../core/index.js';
import { printJson } from '../output.js';
import type { CommandContext } from '../context.js';

// Loaded with this module (as the static import was).
const { DEFAULT_AGENT } = await loadAgentRegistry();

export interface StopReviewOptions {
  hookPayload?: string;
  cleanupPayload?: boolean;
  stateDir?: string;
  cwd?: string;
  drain?: boolean;
  retryDead?: boolean;
  retryNow?: boolean;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export async function run(options: StopReviewOptions, ctx: CommandContext): Promise<number> {
  const modes = [
    options.hookPayload !== undefined,
    Boolean(options.drain),
    Boolean(options.retryDead),
  ].filter(Boolean).length;
  if (modes !== 1)
    throw new UsageError(
      'stop-review needs exactly one of --from-stdin, --hook-payload FILE, --drain or --retry-dead',
    );
  if (options.drain || options.retryDead) {
    const paths = resolveStatePaths({
      ...(options.cwd ? { cwd: options.cwd } : {}),
      ...(options.stateDir ? { stateDir: options.stateDir } : {}),
      home: ctx.invocation.home,
    });
    ensureRuntimeDirs(paths);
    if (options.retryDead) {
      const requeued = await requeueDead(paths);
      printJson({ requeued, state_dir: paths.stateDir });
      return 0;
    }
    const result = await drainSpool(paths, { ignoreBackoff: Boolean(options.retryNow) });
    Object.assign(ctx.invocation.extras, { mode: 'drain', ...result });
    printJson({ state_dir: paths.stateDir, ...result });
    return 0;
  }
  const file = options.hookPayload!;
  try {
    let payload: Record<string, unknown>;
    try {
      const value = JSON.parse(readRegularText(file)) as unknown;
      if (value === null || typeof value !== 'object' || Array.isArray(value))
        throw new Error('not a JSON object');
      payload = value as Record<string, unknown>;
    } catch (error) {
      throw new AppError(
        `cannot read hook payload ${file}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    const agent = await loadAgent();
    const turn = agent.stopTurn(payload);
    const cwd = turn.cwd ?? options.cwd ?? process.cwd();
    const paths = resolveStatePaths({
      cwd,
      ...(options.stateDir ? { stateDir: options.stateDir } : {}),
      home: ctx.invocation.home,
    });
    ensureRuntimeDirs(paths);
    // Both shapes are accepted: a raw Stop payload of the agent and the Python package's mapped payload.
    const review = await reviewTurn(paths, {
      ...(agent.name !== DEFAULT_AGENT ? { agent: agent.name } : {}),
      sessionId: turn.id.session,
      turnId: turn.id.turn,
      cwd,
      transcriptPath: turn.transcriptPath ?? null,
      transcriptText: redactText(str(payload.transcript) ?? str(payload.thread_read_output) ?? '').text,
      lastAssistantMessage: turn.lastAssistantMessage ?? str(payload.thread_read_output) ?? '',
      reviewerProvider: str(payload.reviewer_provider) ?? null,
      ...(payload.provider_stub_response !== undefined
        ? { providerStubResponse: payload.provider_stub_response }
        : {}),
      ...(str(payload.triggered_at) ? { triggeredAt: str(payload.triggered_at)! } : {}),
    });
    const families = await familyCounts(review.suggestions);
    Object.assign(ctx.invocation.extras, {
      reviewer_provider: review.provider,
      suggestion_count: review.suggestions.length,
      skipped_suggestion_count: review.skipped.length,
      suggestion_families: families,
    });
    printJson({
      hook: 'Stop',
      pending_suggestion_path: review.queue.path,
      queue_status: review.queue.status,
      suggestion_id: review.queue.suggestionId,
      review_snapshot_path: review.snapshotPath,
      reviewer_provider: review.provider,
      reviewer_provider_source: review.providerSource,
      suggestion_count: review.suggestions.length,
      suggestion_families: families,
      skipped_suggestion_count: review.skipped.length,
      skipped_suggestions: review.skipped,
      notes: review.notes,
    });
    return 0;
  } finally {
    if (options.cleanupPayload) {
      try {
        unlinkSync(file);
      } catch {
        // Already gone.
      }
    }
  }
}
