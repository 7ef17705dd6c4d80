/**
 * `run_compile`, rebuilt around the lock, the queue and a transactional apply:
 *
 *   lock → roll forward / clean an interrupted apply → recover stranded envelopes → load assets once
 *   → repeat { claim ≤ batchSize oldest envelopes → backend → guard → plan → commit (files,
 *   envelopes to done/, receipt) } until the queue is empty → housekeeping → unlock.
 *
 * Draining: one `compile --once` compiles all pending work, in successive batches of `batchSize`
 * envelopes, each batch its own transaction and receipt (`drain: false` stops after one batch).
 * Assets are read from disk once per run and carried from batch to batch in memory (the compiler
 * holds the lock and is the only writer).
 *
 * Failures never strand work, and the policy depends on where a batch failed:
 * - computing (backend, guard, plan): the envelopes' content is the likely cause. They go back to
 *   `pending` with `attempt_count + 1` (`failed` after 3). With a deterministic backend a failing
 *   batch is first retried envelope by envelope, so one poison envelope cannot hold back the
 *   others, and the run keeps draining (the attempt budget bounds the retries); with an agent
 *   backend the run stops and the next one retries.
 * - applying (staging files before the commit point: disk full, permissions): not the envelopes'
 *   fault. They go back to `pending` without spending an attempt and the run stops.
 * - after the commit point: the journal completes the transaction (now, or on the next run).
 * A lost lock stops the run before anything is applied and leaves the queue to the new owner.
 * SIGINT/SIGTERM (the caller's AbortSignal) stop the run between batches, or before the commit
 * point with the batch returned to `pending` (no attempt spent).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { utcNow } from '../constants.js';
import { readEnv } from '../env.js';
import { describeError } from '../errors.js';
import { parseJsonWith, writeFileAtomic } from '../fs/atomic.js';
import { logInfo, logWarn } from '../log.js';
import { ensureRuntimeDirs, type StatePaths } from '../paths.js';
import { buildRecallIndex, serializeRecallSearchIndex } from '../recall/index-build.js';
import { loadAgent } from '../agents/index.js';
import { readAgentInstallRecords } from '../agents/install-record.js';
import {
  NativeSkillEntrySchema,
  reconcileNativeSkills,
  type NativeSkillEntry,
  type ReconcileResult,
} from '../skills/publish.js';
import {
  claimBatch,
  envelopePath,
  moveEnvelope,
  recoverStranded,
  releaseFailed,
  type ClaimResult,
} from '../queue/queue.js';
import {
  contextAfter,
  commitApply,
  guardArtifacts,
  journalPath,
  planApply,
  recoverJournal,
  type ApplyPlan,
  type JournalRecovery,
} from './apply.js';
import { partitionValid, SkillManifestSchema } from '../schemas.js';
import { parseBackendName, resolveBackend } from './backends/index.js';
import {
  DEFAULT_MEMORY_CAPS,
  type CompileArtifacts,
  type CompileBackend,
  type ItemReceipt,
  type MemoryCaps,
} from './backends/types.js';
import { loadCompileContext, type CompileContext } from './context.js';
import { maintenanceStatePath, readMaintenanceState, type MaintenanceState } from './maintenance-state.js';
import { crashPoint } from './crash.js';
import { BatchFailedError, CompileAbortedError, LockCompromisedError } from './errors.js';
import { runHousekeeping, type HousekeepingPolicy, type HousekeepingReport } from './housekeeping.js';
import { acquireCompileLock, type CompileLock, type LockOptions, type LockStatus } from './lock.js';
import { addActionStats, memoryActionStats, newReceiptId, writeReceipt } from './receipts.js';
import { changesSince, fileAt, gitInfo, trackedFiles, type GitInfo } from '../git.js';
import {
  DEFAULT_ARCHIVE_AFTER_DAYS,
  DEFAULT_ARCHIVE_BELOW_CONFIDENCE,
  DEFAULT_MAX_DIFFS,
  maintainMemory,
  type MaintenancePolicy,
} from '../memory/maintain.js';
import {
  AUTO_REVIEW_POLICY,
  writeStagedItems,
  type ReviewPolicy,
  type StagedItem,
} from '../memory/review-store.js';
import { splitForReview } from './review-split.js';
import { addUsageTotals, dropUsageFiles, readUsageTotals, takeUsage } from '../memory/usage.js';
import { readRegularText } from '../fs/safe.js';

/** Default number of envelopes per batch (100, as in the Python package). */
export const DEFAULT_BATCH_SIZE = 100;
/** Upper bound of batches in one run, so a queue refilled as fast as it drains cannot pin a run. */
export const DEFAULT_MAX_BATCHES = 1000;

export interface CompileOptions {
  /** `script` (default) or `agent:opencode`. */
  backend?: string;
  /** Envelopes per batch (default 100). */
  batchSize?: number;
  /** Compile all pending work in successive batches (default true). */
  drain?: boolean;
  /** Stop after this many batches (default 1000). */
  maxBatches?: number;
  /** May an unavailable/failing agent backend fall back to `script` (default true). */
  allowFallback?: boolean;
  /** Memory caps per scope (defaults: DEFAULT_MEMORY_CAPS). */
  caps?: { user?: Partial<MemoryCaps['user']>; global?: Partial<MemoryCaps['global']> };
  lock?: LockOptions;
  /** Retention policy overrides, or false to skip housekeeping. */
  housekeeping?: Partial<HousekeepingPolicy> | false;
  /** Abort between batches / before a commit (the CLI wires SIGINT and SIGTERM to it). */
  signal?: AbortSignal;
  /** Extra options passed to the backend (timeouts, opencode settings). */
  backendOptions?: Record<string, unknown>;
  /** Test seam: use this backend object instead of the registry's. */
  backendImpl?: CompileBackend;
  /**
   * Which kinds of suggestion wait for a human. Default: everything auto (library
   * callers and tests); the CLI passes `[review]` of config.toml (skills = review by default).
   */
  reviewPolicy?: ReviewPolicy;
  /** Lesson maintenance (staleness, forgetting); `git: false` skips every git call. */
  lessons?: Partial<MaintenancePolicy> & { git?: boolean };
}

/** What the maintenance step of a run did. */
export interface MaintenanceResult {
  receipt_id: string | null;
  head: string | null;
  stale: number;
  archived: number;
  usage_lines_folded: number;
  git_checked: boolean;
}

/** What a compile run did; the CLI prints it. */
export interface CompileResult {
  status: 'success' | 'skip_empty' | 'skip_locked' | 'failed';
  processed_count: number;
  /** `compiler/last_receipt.json` when this run wrote a receipt, else null (skip_locked). */
  receipt_path: string | null;
  backend: string;
  fallback_backend: string | null;
  memory_action_stats: Record<string, unknown>;
  discarded_count: number;
  /** Projection of active managed skills into `$CODEX_HOME/skills` (null when nothing was compiled). */
  global_skill_publish: ReconcileResult | null;
  batches: number;
  receipt_ids: string[];
  suggestion_count: number;
  /** Envelopes that went back to the queue after a failure. */
  failed_count: number;
  recovered: { journal: JournalRecovery; stranded: ReturnType<typeof recoverStranded> } | null;
  aborted: boolean;
  state_dir: string;
  lock?: LockStatus;
  error?: string;
  housekeeping?: HousekeepingReport;
  /** Suggestions staged for review in this run (`review list`). */
  staged_count?: number;
  maintenance?: MaintenanceResult;
}

function mergeCaps(caps: CompileOptions['caps']): MemoryCaps {
  const out: MemoryCaps = {
    user: { ...DEFAULT_MEMORY_CAPS.user, ...caps?.user },
    global: { ...DEFAULT_MEMORY_CAPS.global, ...caps?.global },
  };
  for (const scope of ['user', 'global'] as const) {
    for (const key of ['maxEntries', 'maxChars'] as const) {
      const v = out[scope][key];
      if (!Number.isInteger(v) || v < 1)
        throw new RangeError(`caps.${scope}.${key} must be a positive integer, got ${v}`);
    }
  }
  return out;
}

/**
 * Reconciles the native Codex skills of this repository with the manifest just written: active
 * skills that pass the quality gate are (re)written, retired or vanished ones removed. Never
 * throws: problems are returned in `errors` and logged.
 */
export function publishNativeSkills(paths: StatePaths, skillsRoot?: string): ReconcileResult {
  let entries: NativeSkillEntry[];
  try {
    // The manifest the compile just wrote; an entry that does not match is not published.
    const manifest = parseJsonWith(SkillManifestSchema, readRegularText(paths.skillsManifest));
    entries = partitionValid(NativeSkillEntrySchema, manifest.skills).valid;
  } catch {
    entries = [];
  }
  const common = {
    home: paths.home,
    repoKey: paths.repoKey,
    entries,
    readSkillContent: (e: NativeSkillEntry) =>
      readRegularText(join(paths.skillsManagedDir, `${e.skill_id}.md`)),
  };
  const published = reconcileNativeSkills({ ...common, ...(skillsRoot !== undefined ? { skillsRoot } : {}) });
  for (const error of published.errors)
    logWarn(`compile: native skill ${error.name}: ${error.error}`, { kind: 'compile' });
  // The same skills where every other agent with our hooks loads skills (its own ledger).
  for (const record of readAgentInstallRecords(paths.home)) {
    if (skillsRoot !== undefined && record.skills_dir === skillsRoot) continue;
    const other = reconcileNativeSkills({
      ...common,
      skillsRoot: record.skills_dir,
      ledgerFile: join(paths.home, `native-skills.${record.agent}.json`),
    });
    for (const error of other.errors)
      logWarn(`compile: ${record.agent} native skill ${error.name}: ${error.error}`, { kind: 'compile' });
    (published.agents ??= {})[record.agent] = other;
  }
  return published;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** Lets timers (the lock heartbeat) and signal handlers run between synchronous batches. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

interface RunState {
  paths: StatePaths;
  backend: CompileBackend;
  caps: MemoryCaps;
  lock: CompileLock;
  signal: AbortSignal | undefined;
  backendOptions: Record<string, unknown>;
  allowFallback: boolean;
  context: CompileContext;
  /** Problems met loading assets, reported once (in the first receipt written). */
  problems: CompileContext['problems'];
  /** Envelopes the claim discarded as invalid, reported in the next receipt written. */
  discarded: ClaimResult['discarded'];
  result: CompileResult;
  batch: number;
  reviewPolicy: ReviewPolicy;
  git: GitInfo | undefined;
}

function countItems(items: readonly ItemReceipt[], state: ItemReceipt['state']): number {
  let n = 0;
  for (const item of items) if (item.state === state) n++;
  return n;
}

function discardedEnvelopeItems(discarded: ClaimResult['discarded']): Array<Record<string, unknown>> {
  return discarded.map((d) => ({
    kind: 'envelope',
    suggestion_id: d.id,
    state: 'discarded',
    path: d.path,
    reason: d.reason.slice(0, 500),
  }));
}

/** Builds the receipt of a successful batch. */
function successReceipt(
  run: RunState,
  args: {
    receiptId: string;
    startedAt: string;
    claimed: ClaimResult['claimed'];
    artifacts: CompileArtifacts;
    stats: Record<string, unknown>;
    staged?: readonly StagedItem[];
  },
): Record<string, unknown> {
  const { paths } = run;
  const { artifacts, claimed } = args;
  const envelopeItems = claimed.map(({ envelope }) => ({
    kind: 'envelope',
    suggestion_id: envelope.suggestion_id,
    state: 'done',
    path: envelopePath(paths, 'done', envelope.suggestion_id),
    suggestions: envelope.suggestions.length,
  }));
  const discardedEnvelopes = discardedEnvelopeItems(run.discarded);
  const items = artifacts.items.map((item) => ({
    kind: item.suggestion_id ? 'suggestion' : item.state === 'evicted' ? 'eviction' : 'backend',
    ...item,
  }));
  const discardedCount = countItems(artifacts.items, 'discarded') + discardedEnvelopes.length;
  return {
    receipt_id: args.receiptId,
    run_status: 'success',
    backend: artifacts.backend,
    fallback_backend: artifacts.fallback_backend,
    processed_count: claimed.length,
    archived_count: claimed.length,
    memory_records: artifacts.memory.user.length + artifacts.memory.global.length,
    recall_records: artifacts.recall.length,
    managed_skills: artifacts.skills.length,
    item_receipts: [
      ...envelopeItems,
      ...discardedEnvelopes,
      ...items,
      ...(args.staged ?? []).map((st) => ({
        kind: 'suggestion',
        state: 'staged',
        suggestion_id: st.source.suggestion_id,
        index: st.source.index,
        family: st.suggestion.family,
        review_id: st.id,
        ...(st.source.part ? { part: st.source.part } : {}),
        summary: st.suggestion.summary.slice(0, 120),
      })),
    ],
    skip_reason: null,
    memory_action_stats: args.stats,
    discarded_count: discardedCount,
    suggestion_count: claimed.reduce((n, c) => n + c.envelope.suggestions.length, 0),
    outcome_counts: {
      applied: countItems(artifacts.items, 'applied'),
      duplicate: countItems(artifacts.items, 'duplicate'),
      discarded: countItems(artifacts.items, 'discarded'),
      evicted: countItems(artifacts.items, 'evicted'),
      superseded: countItems(artifacts.items, 'superseded'),
      staged: args.staged?.length ?? 0,
    },
    context_problems: run.problems,
    batch: run.batch,
    started_at: args.startedAt,
    finished_at: utcNow(),
  };
}

/**
 * Compiles and commits one batch. Throws before the commit point with nothing applied. `last`:
 * no further batch is expected in this run, so the recall search index is built in this commit.
 */
async function compileBatch(
  run: RunState,
  claimed: ClaimResult['claimed'],
  last = true,
): Promise<Record<string, unknown>> {
  const startedAt = utcNow();
  const receiptId = newReceiptId();
  const claimedEnvelopes = claimed.map((c) => c.envelope);
  const stats = memoryActionStats(claimedEnvelopes);
  let artifacts: CompileArtifacts;
  let plan: ApplyPlan;
  let receipt: Record<string, unknown>;
  // Suggestions whose kind waits for review are staged, not compiled.
  const split = splitForReview(claimedEnvelopes, run.reviewPolicy, startedAt);
  const envelopes = split.envelopes;
  try {
    if (envelopes.length === 0) {
      // Only invalid envelopes were claimed: nothing to merge, but their receipt is still written.
      artifacts = {
        memory: run.context.memory,
        recall: run.context.recall,
        skills: [],
        manifest: run.context.manifest,
        items: [],
        backend: run.backend.name,
        fallback_backend: null,
      };
    } else {
      artifacts = await run.backend.compile(
        {
          envelopes,
          context: run.context,
          paths: run.paths,
          now: startedAt,
          caps: run.caps,
          ...(run.signal ? { signal: run.signal } : {}),
          ...(run.git ? { sourceCommit: run.git.head } : {}),
        },
        // The agent backend holds back sections under human review (it may invent skills otherwise).
        { allowFallback: run.allowFallback, reviewPolicy: run.reviewPolicy, ...run.backendOptions },
      );
    }
    crashPoint('after-backend', run.batch);
    artifacts = guardArtifacts(artifacts, run.context, run.paths);
    plan = planApply(run.paths, run.context, artifacts, { searchIndex: last });
    receipt = successReceipt(run, { receiptId, startedAt, claimed, artifacts, stats, staged: split.staged });
  } catch (error) {
    if (error instanceof CompileAbortedError || error instanceof LockCompromisedError) throw error;
    throw new BatchFailedError('compute', describeError(error), { cause: error });
  }
  try {
    // Before the commit point and idempotent (O_EXCL per item): a retried batch stages nothing twice.
    writeStagedItems(run.paths, split.staged);
    commitApply(run.paths, {
      txid: receiptId,
      plan,
      envelopes: claimedEnvelopes,
      receipt,
      batch: run.batch,
      beforeCommit: () => {
        if (run.signal?.aborted) throw new CompileAbortedError('interrupted before apply');
        run.lock.assertHeld();
      },
    });
  } catch (error) {
    if (error instanceof CompileAbortedError || error instanceof LockCompromisedError) throw error;
    throw new BatchFailedError('apply', describeError(error), { cause: error });
  }
  run.context = contextAfter(run.context, artifacts, plan, run.paths);
  run.problems = [];
  run.discarded = [];
  const r = run.result;
  r.batches++;
  r.processed_count += claimed.length;
  r.suggestion_count += receipt.suggestion_count as number;
  r.discarded_count += receipt.discarded_count as number;
  r.memory_action_stats = addActionStats(r.memory_action_stats, stats);
  r.backend = artifacts.backend;
  r.fallback_backend = artifacts.fallback_backend ?? r.fallback_backend;
  r.receipt_ids.push(receiptId);
  r.receipt_path = run.paths.lastReceipt;
  if (split.staged.length > 0) r.staged_count = (r.staged_count ?? 0) + split.staged.length;
  return receipt;
}

/**
 * Lesson maintenance after the drain: folds the usage log, marks entries stale when
 * HEAD moved since the last check, archives unused low-confidence entries (at most daily). One
 * transaction with its own receipt (`run_status: "maintenance"`, undoable) when anything changed.
 */
function runMaintenance(run: RunState, policy: MaintenancePolicy, useGit: boolean): MaintenanceResult {
  const { paths } = run;
  const now = utcNow();
  const state: MaintenanceState = readMaintenanceState(paths) ?? {};
  const result: MaintenanceResult = {
    receipt_id: null,
    head: run.git?.head ?? null,
    stale: 0,
    archived: 0,
    usage_lines_folded: 0,
    git_checked: false,
  };
  const receiptId = newReceiptId();
  const usage = takeUsage(paths.memoryDir, receiptId);
  result.usage_lines_folded = [...usage.injected.values(), ...usage.recalled.values()].reduce(
    (n, u) => n + u.count,
    0,
  );
  const ids = new Set(
    [...run.context.memory.user, ...run.context.memory.global, ...run.context.recall].map((r) =>
      String(r.id ?? ''),
    ),
  );
  const totals =
    usage.files.length > 0 ? addUsageTotals(paths.memoryDir, usage, ids) : readUsageTotals(paths.memoryDir);
  dropUsageFiles(usage.files);
  const git = useGit && run.git && state.head !== run.git.head ? run.git : undefined;
  const archive =
    !state.archive_checked_at ||
    Date.parse(now) - Date.parse(state.archive_checked_at) >= 86_400_000 ||
    usage.files.length > 0;
  const root = git?.root;
  const outcome = maintainMemory({
    memory: run.context.memory,
    now,
    policy,
    usage: totals,
    archive,
    ...(git && root
      ? {
          git: {
            info: git,
            tracked: trackedFiles(root),
            changesSince: (c: string) => changesSince(root, c),
            fileAt: (c: string, p: string) => fileAt(root, c, p),
          },
        }
      : {}),
  });
  result.git_checked = git !== undefined;
  if (outcome.changed) {
    const artifacts: CompileArtifacts = {
      memory: outcome.memory,
      recall: run.context.recall,
      skills: [],
      manifest: run.context.manifest,
      items: outcome.events,
      backend: 'maintenance',
      fallback_backend: null,
    };
    const plan = planApply(paths, run.context, artifacts, { searchIndex: false });
    const receipt = {
      receipt_id: receiptId,
      run_status: 'maintenance',
      backend: null,
      fallback_backend: null,
      processed_count: 0,
      archived_count: 0,
      memory_records: outcome.memory.user.length + outcome.memory.global.length,
      recall_records: run.context.recall.length,
      managed_skills: 0,
      item_receipts: outcome.events,
      skip_reason: null,
      memory_action_stats: {},
      head: run.git?.head ?? null,
      started_at: now,
      finished_at: utcNow(),
    };
    if (plan.writes.length > 0) {
      commitApply(paths, {
        txid: receiptId,
        plan,
        envelopes: [],
        receipt,
        beforeCommit: () => run.lock.assertHeld(),
      });
      run.context = contextAfter(run.context, artifacts, plan, paths);
      result.receipt_id = receiptId;
    }
    result.stale = outcome.events.filter((e) => e.event === 'stale').length;
    result.archived = outcome.events.filter((e) => e.event === 'archived').length;
  }
  const next: MaintenanceState = {
    ...state,
    ...(git ? { head: git.head, checked_at: now } : {}),
    ...(archive ? { archive_checked_at: now } : {}),
  };
  if (git || archive) writeFileAtomic(maintenanceStatePath(paths), `${JSON.stringify(next, null, 2)}\n`);
  return result;
}

/** Writes the receipt of a failed batch (its envelopes are already back in the queue). */
function writeFailureReceipt(
  run: RunState,
  failures: Array<{ id: string; state: string; reason: string }>,
  error: string,
): void {
  const receiptId = newReceiptId();
  const discardedEnvelopes = discardedEnvelopeItems(run.discarded);
  const receipt = {
    receipt_id: receiptId,
    run_status: 'failed',
    backend: run.backend.name,
    fallback_backend: null,
    processed_count: 0,
    archived_count: 0,
    memory_records: run.context.memory.user.length + run.context.memory.global.length,
    recall_records: run.context.recall.length,
    managed_skills: 0,
    item_receipts: [
      ...failures.map((f) => ({
        kind: 'envelope',
        suggestion_id: f.id,
        state: f.state,
        path: envelopePath(run.paths, f.state as 'pending' | 'failed', f.id),
        reason: f.reason,
      })),
      ...discardedEnvelopes,
    ],
    skip_reason: null,
    memory_action_stats: {},
    discarded_count: discardedEnvelopes.length,
    error,
    context_problems: run.problems,
    batch: run.batch,
    started_at: utcNow(),
    finished_at: utcNow(),
  };
  writeReceipt(run.paths, receipt);
  run.problems = [];
  run.discarded = [];
  run.result.receipt_ids.push(receiptId);
  run.result.receipt_path = run.paths.lastReceipt;
  run.result.discarded_count += discardedEnvelopes.length;
}

/** Puts claimed envelopes back in `pending` without counting an attempt (an interruption is not their fault).
 * */
function returnToPending(run: RunState, claimed: ClaimResult['claimed'], reason: string): void {
  for (const { envelope, path } of claimed) {
    if (!existsSync(path)) continue;
    moveEnvelope(run.paths, envelope, path, 'pending', reason);
  }
}

/**
 * Brings `recall/search-index.json` up to date when the run's last applied batch did not (the
 * queue ended exactly on a batch boundary, or a later batch failed). One atomic write of a cache
 * file; readers detect a stale index anyway, so a failure here is only logged.
 */
function refreshSearchIndex(run: RunState): void {
  try {
    run.lock.assertHeld();
    const indexText = run.context.texts.get(run.paths.recallIndex);
    const index = buildRecallIndex(
      run.context.recall,
      indexText === undefined ? {} : { source: Buffer.from(indexText, 'utf8') },
    );
    writeFileAtomic(run.paths.recallSearchIndex, `${serializeRecallSearchIndex(index)}\n`);
    run.context = { ...run.context, searchIndexFresh: true };
  } catch (error) {
    logWarn('compile: could not refresh the recall search index', {
      kind: 'compile',
      error: describeError(error),
    });
  }
}

type BatchOutcome = 'ok' | 'stop';

/** Runs one claimed batch with the failure policy of the module comment. */
async function runBatch(run: RunState, claim: ClaimResult, last: boolean): Promise<BatchOutcome> {
  try {
    await compileBatch(run, claim.claimed, last);
    return 'ok';
  } catch (error) {
    return handleBatchError(run, claim.claimed, error, true);
  }
}

async function handleBatchError(
  run: RunState,
  claimed: ClaimResult['claimed'],
  error: unknown,
  mayIsolate: boolean,
): Promise<BatchOutcome> {
  const message = error instanceof BatchFailedError ? error.message : describeError(error);
  if (error instanceof LockCompromisedError) {
    // Not ours any more: touch neither assets nor queue; the new owner recovers processing/.
    run.result.status = 'failed';
    run.result.error = message;
    return 'stop';
  }
  if (error instanceof CompileAbortedError) {
    returnToPending(run, claimed, 'compile interrupted before apply');
    run.result.aborted = true;
    return 'stop';
  }
  if (existsSync(journalPath(run.paths))) {
    // Failed after the commit point (a rename or a move): finish the transaction now; if even
    // that fails the next run does it (the journal stays).
    recoverJournal(run.paths);
    run.context = loadCompileContext(run.paths);
    run.result.processed_count += claimed.length;
    run.result.batches++;
    return 'ok';
  }
  if (error instanceof BatchFailedError && error.stage === 'apply') {
    // Writing failed (disk full, permissions): not the envelopes' fault, so no attempt is spent;
    // the run stops, the next one retries.
    const reason = `apply failed: ${message}`;
    returnToPending(run, claimed, reason);
    writeFailureReceiptSafe(
      run,
      claimed.map((c) => ({ id: c.envelope.suggestion_id, state: 'pending', reason })),
      message,
    );
    run.result.failed_count += claimed.length;
    run.result.status = 'failed';
    run.result.error = message;
    return 'stop';
  }
  if (mayIsolate && run.backend.deterministic && claimed.length > 1) {
    logWarn('compile batch failed; retrying envelope by envelope', {
      kind: 'compile',
      error: message,
      envelopes: claimed.length,
    });
    const failures: Array<{ id: string; state: string; reason: string }> = [];
    const report = () => {
      if (failures.length === 0) return;
      writeFailureReceipt(run, failures, message);
      run.result.failed_count += failures.length;
      run.result.status = 'failed';
      run.result.error = message;
    };
    for (const [position, one] of claimed.entries()) {
      try {
        await compileBatch(run, [one]);
      } catch (inner) {
        if (inner instanceof BatchFailedError && inner.stage === 'compute') {
          const reason = `compile failed: ${inner.message}`;
          for (const moved of releaseFailed(run.paths, [one], reason)) failures.push({ ...moved, reason });
          continue;
        }
        // Not a content problem: the rest of the batch was never attempted and goes back as is.
        report();
        const rest = claimed.slice(position + 1);
        if (rest.length > 0 && !(inner instanceof LockCompromisedError))
          returnToPending(run, rest, 'compile interrupted before apply');
        return handleBatchError(run, [one], inner, false);
      }
    }
    report();
    // Keep draining: a failing envelope is claimed again at most MAX_ATTEMPTS times (then it
    // rests in failed/), so the run ends and every good envelope behind it is compiled.
    return 'ok';
  }
  const reason = `compile failed: ${message}`;
  const moved = releaseFailed(run.paths, claimed, reason);
  writeFailureReceipt(
    run,
    moved.map((m) => ({ ...m, reason })),
    message,
  );
  run.result.failed_count += moved.length;
  run.result.status = 'failed';
  run.result.error = message;
  // A deterministic backend fails the same way again: keep draining, the attempt budget ends it.
  // An agent backend may be down: stop and let the next run retry.
  return run.backend.deterministic ? 'ok' : 'stop';
}

/** Like writeFailureReceipt, for when writing may be what failed: the receipt is best effort. */
function writeFailureReceiptSafe(
  run: RunState,
  failures: Array<{ id: string; state: string; reason: string }>,
  error: string,
): void {
  try {
    writeFailureReceipt(run, failures, error);
  } catch (inner) {
    logWarn('compile: could not write the failure receipt', { kind: 'compile', error: describeError(inner) });
  }
}

/**
 * Compiles the pending work of one bucket. Returns `skip_locked` without touching anything when a
 * live compile holds the lock.
 */
export async function runCompile(paths: StatePaths, options: CompileOptions = {}): Promise<CompileResult> {
  const backendName = parseBackendName(options.backend ?? 'script');
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const maxBatches = options.maxBatches ?? DEFAULT_MAX_BATCHES;
  const allowFallback = options.allowFallback ?? true;
  const caps = mergeCaps(options.caps);
  // Resolved before anything is claimed: an unusable backend must not burn attempts.
  const backend = options.backendImpl ?? (await resolveBackend(backendName, { allowFallback }));
  const result: CompileResult = {
    status: 'success',
    processed_count: 0,
    receipt_path: null,
    backend: backendName,
    fallback_backend: null,
    memory_action_stats: {},
    discarded_count: 0,
    global_skill_publish: null,
    batches: 0,
    receipt_ids: [],
    suggestion_count: 0,
    failed_count: 0,
    recovered: null,
    aborted: false,
    state_dir: paths.stateDir,
  };
  // A directory that never had a review has no bucket: nothing to compile, and nothing is created.
  if (!existsSync(paths.stateDir)) return { ...result, status: 'skip_empty' };
  ensureRuntimeDirs(paths);
  const acquired = await acquireCompileLock(paths, options.lock);
  if (!acquired.acquired) return { ...result, status: 'skip_locked', lock: acquired.status };
  const lock = acquired.lock;
  try {
    crashPoint('after-lock');
    const hold = Number(readEnv('CODEX_SELF_EVOLUTION_TEST_HOLD_LOCK_MS') ?? 0);
    if (hold > 0) await sleep(hold); // Test hook: keep the lock held so concurrency tests overlap.
    if (lock.replaced)
      logWarn('compile: took over a stale lock', {
        kind: 'compile',
        stale_reason: lock.replaced.stale_reason,
        owner_pid: lock.replaced.owner_pid,
      });
    const journal = recoverJournal(paths);
    const stranded = recoverStranded(paths);
    result.recovered = { journal, stranded };
    const context = loadCompileContext(paths);
    for (const problem of context.problems)
      logWarn(`compile: ${problem.problem}`, {
        kind: 'compile',
        file: problem.file,
        kept_aside: problem.kept_aside,
      });
    const run: RunState = {
      paths,
      backend,
      caps,
      lock,
      signal: options.signal,
      backendOptions: options.backendOptions ?? {},
      allowFallback,
      context,
      problems: context.problems,
      discarded: [],
      result,
      batch: 0,
      reviewPolicy: options.reviewPolicy ?? AUTO_REVIEW_POLICY,
      // One `git rev-parse` per run: the commit new and re-confirmed lessons are stamped with.
      git: options.lessons?.git === false ? undefined : gitInfo(paths.repoKey),
    };
    for (;;) {
      if (options.signal?.aborted) {
        result.aborted = true;
        break;
      }
      lock.assertHeld();
      run.batch++;
      const claim = claimBatch(paths, batchSize);
      if (claim.claimed.length === 0 && claim.discarded.length === 0) break;
      crashPoint('after-claim', run.batch);
      run.discarded = [...run.discarded, ...claim.discarded];
      // A short claim means the queue is drained: this is the last batch of the run.
      const last =
        options.drain === false ||
        run.batch >= maxBatches ||
        claim.claimed.length + claim.discarded.length < batchSize;
      const outcome = await runBatch(run, claim, last);
      if (outcome === 'stop' || options.drain === false || run.batch >= maxBatches) break;
      await yieldToEventLoop();
    }
    if (!result.aborted && result.status !== 'failed') {
      const policy: MaintenancePolicy = {
        archiveAfterDays: options.lessons?.archiveAfterDays ?? DEFAULT_ARCHIVE_AFTER_DAYS,
        archiveBelowConfidence: options.lessons?.archiveBelowConfidence ?? DEFAULT_ARCHIVE_BELOW_CONFIDENCE,
        maxDiffs: options.lessons?.maxDiffs ?? DEFAULT_MAX_DIFFS,
      };
      try {
        lock.assertHeld();
        result.maintenance = runMaintenance(run, policy, options.lessons?.git !== false);
      } catch (error) {
        if (error instanceof LockCompromisedError) throw error;
        logWarn('compile: lesson maintenance failed', { kind: 'compile', error: describeError(error) });
      }
    }
    // Also with no batch: a bucket written by the Python original, or an interrupted refresh,
    // has a missing or stale search index, and without one prompt-time recall injects nothing.
    if (!run.context.searchIndexFresh && (result.batches > 0 || existsSync(paths.recallIndex)))
      refreshSearchIndex(run);
    if (
      result.batches === 0 &&
      result.receipt_ids.length === 0 &&
      result.status === 'success' &&
      !result.aborted
    ) {
      result.status = 'skip_empty';
      const receipt = {
        receipt_id: newReceiptId(),
        run_status: 'skip_empty',
        backend: backendName,
        fallback_backend: null,
        processed_count: 0,
        archived_count: 0,
        memory_records: context.memory.user.length + context.memory.global.length,
        recall_records: context.recall.length,
        managed_skills: 0,
        item_receipts: [],
        skip_reason: 'skip_empty',
        memory_action_stats: {},
        context_problems: run.problems,
        started_at: utcNow(),
        finished_at: utcNow(),
      };
      // A skip is not history worth keeping unless something was found damaged.
      writeReceipt(paths, receipt, { history: run.problems.length > 0 });
      result.receipt_path = paths.lastReceipt;
    }
    if (result.batches > 0) {
      // Where the default agent loads user skills.
      const agent = await loadAgent();
      result.global_skill_publish = publishNativeSkills(paths, agent.skillsDir(agent.configDir()));
    }
    if (result.batches > 0 && options.housekeeping !== false) {
      result.housekeeping = runHousekeeping(
        paths,
        options.housekeeping === undefined ? {} : options.housekeeping,
      );
    }
  } catch (error) {
    if (error instanceof LockCompromisedError) {
      result.status = 'failed';
      result.error = describeError(error);
    } else {
      throw error;
    }
  } finally {
    await lock.release();
  }
  logInfo('compile finished', {
    kind: 'compile',
    state_dir: paths.stateDir,
    status: result.status,
    processed_count: result.processed_count,
    batches: result.batches,
    failed_count: result.failed_count,
    backend: result.backend,
  });
  return result;
}
