/**
 * The public API of codex-self-evolution: everything the CLI uses, and what a library user calls to
 * start a session, spool and review a turn, compile, recall, report status, install, import, edit
 * memory, share with the team and read the config. The CLI imports core only through this file.
 *
 * Importing it is cheap, because the hooks import it on every Codex session start, prompt and stop:
 * - Light infrastructure is re-exported eagerly: errors and exit codes, the log, paths, environment,
 *   constants, JSON, prompts, safe reads, redaction: what every hook loads anyway. None of it loads
 *   zod, commander, undici or execa (a test imports the built file in a fresh process and checks).
 * - Everything else is an async function that imports its implementation on first call (one dynamic
 *   `import()`, cached by Node afterwards), so a caller pays only for the operations it uses.
 * - Constants, classes and type guards of heavy modules come in groups from `load…()` functions.
 * - Types are `export type`: free at run time.
 * See docs/api.md.
 */

// ------------------------------------------------------------------------------------------------
// Laziness

/** The async stand-in of a function: same parameters, resolves to its result. */
export type Lazy<F> = F extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;

/**
 * An async stand-in for the function `name` of the module `load` imports. The module is imported
 * on the first call only (Node caches it), so importing this file never loads it.
 */
function lazy<M, K extends keyof M>(load: () => Promise<M>, name: K): Lazy<M[K]> {
  const call = async (...args: unknown[]): Promise<unknown> => {
    const fn = (await load())[name] as (...a: unknown[]) => unknown;
    return await fn(...args);
  };
  return call as Lazy<M[K]>;
}

/** Loads a module and hands back the named members only (constants, classes, type guards). */
async function pick<M, K extends keyof M>(load: () => Promise<M>, names: readonly K[]): Promise<Pick<M, K>> {
  const mod = await load();
  const out = {} as Pick<M, K>;
  for (const name of names) out[name] = mod[name];
  return Object.freeze(out);
}

// ------------------------------------------------------------------------------------------------
// Infrastructure, loaded eagerly (light: on every hook path anyway)

export {
  EXIT,
  AppError,
  UsageError,
  ConfigError,
  SchemaError,
  isAppError,
  describeError,
  type ExitCode,
  type AppErrorOptions,
} from './errors.js';
export {
  configureLog,
  logDirFor,
  currentLogPath,
  log,
  logInfo,
  logWarn,
  logError,
  type LogLevel,
  type LogOptions,
} from './log.js';
export {
  sha1,
  expandPath,
  resolveHome,
  resolveStatePaths,
  ensureRuntimeDirs,
  listBuckets,
  statePathsForBucket,
  type StatePaths,
  type ResolveStateOptions,
  type BucketInfo,
} from './paths.js';
export { readEnv, hydrateEnvProvider, describeEnvProvider, WORKER_ENV } from './env.js';
export { utcNow, FAMILIES, type Family } from './constants.js';
export { stableStringify, compactStringify } from './json.js';
export { PACKAGE_ROOT, csepCommand, readPrompt } from './prompts.js';
export { readRegularText, readRegularFile, NotRegularFileError } from './fs/safe.js';
export type { AtomicWriteOptions } from './fs/atomic.js';
export { redactText, containsSecret, type RedactionResult } from './redact/redact.js';

/** Writes a file atomically (temp file, fsync, rename, fsync of the directory). */
export const writeFileAtomic = lazy(() => import('./fs/atomic.js'), 'writeFileAtomic');
/**
 * Reading state files through their schemas: `readJsonFile(path, schema)` (undefined when missing)
 * and the schemas of the memory and recall indexes.
 */
export const loadFileSchemas = async () => ({
  ...(await pick(() => import('./fs/atomic.js'), ['readJsonFile'] as const)),
  ...(await pick(() => import('./memory/schema.js'), ['MemoryIndexSchema'] as const)),
  ...(await pick(() => import('./schemas.js'), ['RecallIndexSchema'] as const)),
});
/** Writes JSON atomically, like `writeFileAtomic`. */
export const writeJsonAtomic = lazy(() => import('./fs/atomic.js'), 'writeJsonAtomic');

// ------------------------------------------------------------------------------------------------
// Agents: one adapter per agent (payload → neutral turn, hook output, transcripts, install, status)

export type * from './agents/types.js';

/** The adapter of an agent (default: Codex), loaded once. Throws a usage error for an unknown name. */
export const loadAgent = lazy(() => import('./agents/index.js'), 'loadAgent');
/**
 * The agent registry: `DEFAULT_AGENT`, `AGENT_NAMES`, `isAgentName`, `loadAgent`, the
 * `UnknownAgentError` class. Small: it loads no adapter until `loadAgent` is called.
 */
export const loadAgentRegistry = () =>
  pick(() => import('./agents/index.js'), [
    'DEFAULT_AGENT',
    'AGENT_NAMES',
    'isAgentName',
    'loadAgent',
    'UnknownAgentError',
  ] as const);
/** Claude Code's plugin form: `PLUGIN_NAME` and `writePluginDir` (a one-plugin marketplace). */
export const loadClaudeCodePlugin = () =>
  pick(() => import('./agents/claude-code/plugin.js'), ['PLUGIN_NAME', 'writePluginDir'] as const);
/** The key of a turn (agent, session, turn) in the spool, the queue and the daily ledger. */
export const turnKey = lazy(() => import('./agents/turn-key.js'), 'turnKey');

// ------------------------------------------------------------------------------------------------
// Session start

export type { SessionContext, TeamContext } from './session-start.js';
export type { TeamSettings } from './settings.js';

/** The learned background of a bucket within a budget (memory, skills, recall hints, team). */
export const buildSessionContext = lazy(() => import('./session-start.js'), 'buildSessionContext');
/** The `session-start` command's JSON object for a built context. */
export const sessionStartObject = lazy(() => import('./session-start.js'), 'sessionStartObject');
/** The session-start budget in characters (config `[session_start] budget`, else the default). */
export const resolveContextBudget = lazy(() => import('./settings.js'), 'resolveContextBudget');
/** Whether team memory is read (config `[team]`). */
export const resolveTeamSettings = lazy(() => import('./settings.js'), 'resolveTeamSettings');
/** Appends one usage line (entries injected or recalled); the compiler folds it into the counters. */
export const recordUsage = lazy(() => import('./memory/usage.js'), 'recordUsage');
/** Usage counters per memory entry, folded and pending lines together. */
export const readUsageTotals = lazy(() => import('./memory/usage.js'), 'readUsageTotals');

// ------------------------------------------------------------------------------------------------
// The Stop hook's spool, the review worker, reviewing a turn, importing sessions

export type { SpoolEntry } from './spool/spool.js';
export type { TurnInput, TurnReview, ReviewTurnOptions } from './review/review-turn.js';
export type { DrainResult } from './review/worker.js';
export type { DetachedOptions } from './process/detached.js';
export type { ImportOptions, ImportSummary } from './review/import.js';

/**
 * The Stop hook's spool, for the hook that writes it synchronously: `spoolEntryPath`,
 * `readSpoolEntry`, `writeSpoolEntry` (atomic, fsynced), `workerLockPath`, `isLockLive`.
 */
export const loadSpool = () =>
  pick(() => import('./spool/spool.js'), [
    'spoolEntryPath',
    'readSpoolEntry',
    'writeSpoolEntry',
    'workerLockPath',
    'isLockLive',
  ] as const);
/**
 * Starts a program detached, no stdio shared, not waited for (the Stop hook's review worker); see
 * core/process/detached.ts. Rejects when Node refuses the spawn at once.
 */
export const spawnDetached = lazy(() => import('./process/detached.js'), 'spawnDetached');
/** Moves the dead turns of a bucket back into the spool; returns how many. */
export const requeueDead = lazy(() => import('./spool/spool.js'), 'requeueDead');
/** The review worker: reviews the due spooled turns of a bucket and queues their suggestions. */
export const drainSpool = lazy(() => import('./review/worker.js'), 'drainSpool');
/** Reviews one turn (transcript → redaction → reviewer → suggestions) and optionally queues it. */
export const reviewTurn = lazy(() => import('./review/review-turn.js'), 'reviewTurn');
/** Suggestions counted by family. */
export const familyCounts = lazy(() => import('./review/review-turn.js'), 'familyCounts');
/** Reviews an agent's past sessions into the queue (`import`). */
export const importSessions = lazy(() => import('./review/import.js'), 'importSessions');

// ------------------------------------------------------------------------------------------------
// Compile and scan

export type { CompileOptions, CompileResult } from './compiler/compile.js';
export type { ScanOptions, ScanResult, ScanProgress } from './flows/scan.js';
export type { PreflightResult } from './compiler/preflight.js';
export type { CompileSettings } from './compiler/settings.js';

/** Compiles a bucket's queued suggestions into memory, recall and skills, under the compile lock. */
export const runCompile = lazy(() => import('./compiler/compile.js'), 'runCompile');
/** Reviews spooled turns and compiles every bucket that has work. */
export const runScan = lazy(() => import('./flows/scan.js'), 'runScan');
/** Whether a bucket has compile work; cheap and creates nothing. */
export const runPreflight = lazy(() => import('./compiler/preflight.js'), 'runPreflight');
/** The `[compile]` settings of the config. */
export const loadCompileSettings = lazy(() => import('./compiler/settings.js'), 'loadCompileSettings');
/** The agent backend's options from the compile settings. */
export const agentBackendOptions = lazy(() => import('./compiler/settings.js'), 'agentBackendOptions');
/** Checks a compile backend name (`script`, `agent:opencode`). */
export const parseBackendName = lazy(() => import('./compiler/backends/index.js'), 'parseBackendName');
/** Receipts of past compiles, newest first. */
export const readReceiptHistory = lazy(() => import('./compiler/receipts.js'), 'readReceiptHistory');
/** Where a bucket keeps the before-images that `undo` restores. */
export const undoRoot = lazy(() => import('./compiler/apply.js'), 'undoRoot');

// ------------------------------------------------------------------------------------------------
// Recall

export type { RecallResult } from './recall/search.js';
export type { RecallQueryOptions, RecallQueryOutcome, RecallFiles } from './recall/query.js';
export type { FocusedRecallView, RenderableRecall } from './recall/render.js';
export type { RecallTriggerDecision, RecallTriggerOptions } from './recall/trigger.js';
export type { IndexRepairOutcome } from './recall/migrate.js';

/** Focused retrieval: the records of a bucket's recall index that answer a query. */
export const queryRecall = lazy(() => import('./recall/query.js'), 'queryRecall');
/** Prompt-time recall: the few notes that clear the threshold for a prompt, as hook context. */
export const promptRecall = lazy(() => import('./flows/prompt-recall.js'), 'promptRecall');
/** Whether a prompt should trigger focused recall. */
export const evaluateRecallTrigger = lazy(() => import('./recall/trigger.js'), 'evaluateRecallTrigger');
/** Recall results as plain lines. */
export const renderFocusedRecallLines = lazy(() => import('./recall/render.js'), 'renderFocusedRecallLines');
/** A recall view as Markdown. */
export const renderFocusedRecallMarkdown = lazy(
  () => import('./recall/render.js'),
  'renderFocusedRecallMarkdown',
);
/** Whether a bucket's search index can answer (exists and matches index.json). */
export const searchIndexUsable = lazy(() => import('./recall/migrate.js'), 'searchIndexUsable');
/** Builds a bucket's missing or stale search index under its compile lock. */
export const repairSearchIndex = lazy(() => import('./recall/migrate.js'), 'repairSearchIndex');
/** Builds the missing search index of every bucket. */
export const repairAllSearchIndexes = lazy(() => import('./recall/migrate.js'), 'repairAllSearchIndexes');
/** Loads a bucket's recall search index. */
export const loadRecallSearchIndex = lazy(() => import('./recall/index-build.js'), 'loadRecallSearchIndex');
/** Searches a recall index file directly. */
export const searchRecallFile = lazy(() => import('./recall/search.js'), 'searchRecallFile');

// ------------------------------------------------------------------------------------------------
// Team memory

export type { ShareOutcome, ShareOptions, ShareResult, TeamStatus } from './team/share.js';
export type { TeamRecallResult } from './team/recall.js';

/** The root of the checkout around a directory, if any. */
export const worktreeRoot = lazy(() => import('./team/store.js'), 'worktreeRoot');
/** The shared store folder of a checkout and whether it exists. */
export const teamStoreDir = lazy(() => import('./team/store.js'), 'teamStoreDir');
/** The shared entries of a checkout as recall records. */
export const loadTeamRecall = lazy(() => import('./team/recall.js'), 'loadTeamRecall');
/** Merges team recall results into personal ones. */
export const mergeTeamRecall = lazy(() => import('./team/recall.js'), 'mergeTeamRecall');
/** `team share`: writes entries into the checkout's shared store (never commits). */
export const shareEntries = lazy(() => import('./team/share.js'), 'shareEntries');
/** `team unshare`: removes an entry from the shared store. */
export const unshareEntry = lazy(() => import('./team/share.js'), 'unshareEntry');
/** `team status`. */
export const teamStatus = lazy(() => import('./team/share.js'), 'teamStatus');
/** Shares what the config asks to share automatically after a compile. */
export const autoShare = lazy(() => import('./team/share.js'), 'autoShare');

// ------------------------------------------------------------------------------------------------
// Status

/** The `status` report of a home. */
export const collectStatus = lazy(() => import('./status.js'), 'collectStatus');
/** Paid reviews spent today against `[review] max_per_day`. */
export const reviewsTodayStatus = lazy(() => import('./status.js'), 'reviewsTodayStatus');

// ------------------------------------------------------------------------------------------------
// Install and uninstall: the stable copy the hooks run, the scheduler (hooks: each agent's adapter)

export type { HookCopy, InstallRecord } from './install/stable-copy.js';
export type {
  AppliedCommand,
  SchedulerHost,
  SchedulerKind,
  SchedulerPlan,
  SchedulerStatus,
} from './install/scheduler.js';

/**
 * The stable copy of the package that installed hooks run (chosen, recorded, pruned), and the Codex
 * home (`--codex-home`, `$CODEX_HOME`, `~/.codex`). Each agent installs its own hooks through its
 * adapter (`loadAgent(name)` → `install`, `uninstall`).
 */
export const loadInstaller = async () => ({
  ...(await pick(() => import('./install/stable-copy.js'), [
    'chooseHookCopy',
    'installRecordPath',
    'packageRootOfCli',
    'pruneCopies',
    'readInstallRecord',
    'runtimeDir',
  ] as const)),
  ...(await pick(() => import('./agents/codex/home.js'), ['resolveCodexHome'] as const)),
  ...(await pick(() => import('./install/copies-in-use.js'), ['otherHookedAgents'] as const)),
  ...(await pick(() => import('./agents/install-record.js'), [
    'writeAgentInstallRecord',
    'removeAgentInstallRecord',
  ] as const)),
});

/**
 * The periodic `scan` (launchd, systemd user timer or crontab): the host, detection, plans for
 * installing and removing it, applying a plan, its status, and `SCHEDULER_KINDS`, `SchedulerError`.
 */
export const loadScheduler = () =>
  pick(() => import('./install/scheduler.js'), [
    'SCHEDULER_KINDS',
    'SchedulerError',
    'currentHost',
    'detectScheduler',
    'planSchedulerInstall',
    'planSchedulerRemoval',
    'applySchedulerPlan',
    'installedKinds',
    'schedulerStatus',
    'findCronBlock',
    'parseInterval',
    'jobPath',
    'schedulerLogPaths',
  ] as const);

// ------------------------------------------------------------------------------------------------
// Memory: list, edit, undo, the review queue

export type { MemoryEntry, MemoryEntryDescription, MemoryEntryDetails } from './memory/view.js';
export type { ManualChangeResult, UndoResult } from './flows/memory-edit.js';
export type { StagedItem } from './memory/review-store.js';

/** Applies one manual change to a memory entry through the compile transaction (undoable). */
export const changeMemoryEntry = lazy(() => import('./flows/memory-edit.js'), 'changeMemoryEntry');
/** The change `memory forget` makes. */
export const forgetMutation = lazy(() => import('./flows/memory-edit.js'), 'forgetMutation');
/** The change `memory edit` makes. */
export const editMutation = lazy(() => import('./flows/memory-edit.js'), 'editMutation');
/** Undoes one compile or manual change by its receipt id. */
export const undoReceipt = lazy(() => import('./flows/memory-edit.js'), 'undoReceipt');
/** Receipt ids that can still be undone. */
export const undoableReceiptIds = lazy(() => import('./flows/memory-edit.js'), 'undoableReceiptIds');
/** Memory-edit constants and hooks: `LOCK_WAIT_MS`, `restoreMutation`, `setLockWaitNotice`. */
export const loadMemoryEditing = () =>
  pick(() => import('./flows/memory-edit.js'), [
    'LOCK_WAIT_MS',
    'restoreMutation',
    'setLockWaitNotice',
  ] as const);
/**
 * How memory entries are shown (`memory list|show`): `describeMemoryEntry`, `detailMemoryEntry`
 * (status, outcome against the budget, usage, provenance, supersession chain).
 */
export const loadMemoryView = () =>
  pick(() => import('./memory/view.js'), ['describeMemoryEntry', 'detailMemoryEntry'] as const);
/** Suggestions staged for review. */
export const listStagedItems = lazy(() => import('./memory/review-store.js'), 'listStagedItems');
/** One staged suggestion. */
export const readStagedItem = lazy(() => import('./memory/review-store.js'), 'readStagedItem');
/** Approves a staged suggestion (queues it for the next compile). */
export const approveItem = lazy(() => import('./memory/review-store.js'), 'approveItem');
/** Rejects a staged suggestion with a reason. */
export const rejectItem = lazy(() => import('./memory/review-store.js'), 'rejectItem');
/** Edits a staged suggestion. */
export const editItem = lazy(() => import('./memory/review-store.js'), 'editItem');

// ------------------------------------------------------------------------------------------------
// Config and reviewers

export type { EnvSource, LoadedConfig } from './config/load.js';
export type { ProviderName, ReviewerSelection, ResolvedEndpoint } from './review/providers/index.js';

/** Loads and checks the config (environment overrides applied). */
export const loadConfig = lazy(() => import('./config/load.js'), 'loadConfig');
/** The config file's text, if it exists. */
export const readConfigText = lazy(() => import('./config/load.js'), 'readConfigText');
/** `config init`. */
export const initConfig = lazy(() => import('./config/load.js'), 'initConfig');
/** `config use`: switches the active reviewer profile. */
export const useProfile = lazy(() => import('./config/load.js'), 'useProfile');
/** Adds a profile for a reviewer when the config has none. */
export const addReviewerProfile = lazy(() => import('./config/load.js'), 'addReviewerProfile');
/**
 * The config file's format, for code that needs it synchronously: `configPath`, `parseConfig`,
 * `redactConfigText`, the `ConfigFileError` class and the commented `CONFIG_TEMPLATE`.
 */
export const loadConfigFormat = async () => ({
  ...(await pick(() => import('./config/load.js'), [
    'configPath',
    'parseConfig',
    'redactConfigText',
    'ConfigFileError',
  ] as const)),
  ...(await pick(() => import('./config/template.js'), ['CONFIG_TEMPLATE'] as const)),
});
/** The reviewer names and kinds (no provider code): names, guards, the agent timeout default. */
export const loadReviewerNames = () =>
  pick(() => import('./config/reviewers.js'), [
    'PROVIDER_NAMES',
    'AGENT_PROVIDER_NAMES',
    'DEFAULT_AGENT_TIMEOUT_SECONDS',
    'isProviderName',
    'isAgentProviderName',
    'isPaidReviewer',
  ] as const);
/** Which reviewer and endpoint a config and environment select, and the HTTP dialects' defaults. */
export const loadReviewerSettings = () =>
  pick(() => import('./review/providers/index.js'), [
    'HTTP_PROVIDER_NAMES',
    'DIALECT_DEFAULTS',
    'isHttpProviderName',
    'isAgentProviderName',
    'isProviderName',
    'isPaidReviewer',
    'resolveEndpoint',
    'resolveReviewer',
  ] as const);
/** A URL for display (no credentials, no query). */
export const describeUrl = lazy(() => import('./review/providers/http.js'), 'describeUrl');
/** Finds an agent CLI (`codex`, `claude`, `opencode`) on the PATH. */
export const locateProgram = lazy(() => import('./compiler/backends/opencode/options.js'), 'locateProgram');
