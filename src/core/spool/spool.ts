/**
 * The Stop-hook spool: where a finished turn waits for review.
 *
 * The hook writes one small file per turn (`review/spool/<key>.json`, key = the turn's
 * idempotency key) and returns; a detached worker reviews spooled turns and deletes each entry
 * only after its envelope is queued. A worker that dies leaves the entry in place, so the turn is
 * picked up by the next Stop, preflight or scan. Failures are retried with backoff; after
 * MAX_REVIEW_ATTEMPTS an entry moves to `review/spool/dead/` with its reason, never deleted.
 *
 * Zod-free on purpose: the hook loads this module.
 */
import {
  closeSync,
  constants,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  statSync,
  unlinkSync,
  utimesSync,
} from 'node:fs';
import { join } from 'node:path';
import { AGENT_NAMES } from '../agents/index.js';
import type { AgentName } from '../agents/types.js';
import { utcNow } from '../constants.js';
import { writeJsonAtomic } from '../fs/atomic.js';
import type { StatePaths } from '../paths.js';
import { readRegularText } from '../fs/safe.js';
import { isPidFileLockLive, touchPidFileLock, tryPidFileLock } from '../lock/pid-file.js';

/** Attempts before a spooled turn is parked in `dead/`. */
export const MAX_REVIEW_ATTEMPTS = 6;
/** Delay before attempt n+1 (seconds), indexed by attempts made so far. */
export const RETRY_BACKOFF_SECONDS = [0, 60, 300, 1800, 7200, 43200];

/** One spooled turn. Every text in it is already redacted. */
export interface SpoolEntry {
  /** Fields written by other versions are kept (a refresh writes them back). */
  [field: string]: unknown;
  schema_version: 1;
  key: string;
  /** The agent the turn ran in; absent for Codex (and in every entry older than the agent seam). */
  agent?: AgentName;
  session_id: string;
  turn_id: string;
  cwd: string;
  transcript_path: string | null;
  /** Size of the rollout when the hook ran: the review reads no further (later turns are theirs). */
  transcript_size: number | null;
  last_assistant_message: string;
  model: string | null;
  stop_hook_active: boolean;
  /**
   * Spooled by a Stop that fired while the agent still worked on the turn in the background: not
   * due before `next_attempt_at`, unless a later Stop of the turn (which clears it) came first.
   */
  settling?: boolean;
  /** Explicit provider from the payload (manual runs and tests); normally absent. */
  reviewer_provider: string | null;
  /** Canned reviewer answer for the `dummy` provider (tests). */
  provider_stub_response?: unknown;
  spooled_at: string;
  attempts: number;
  last_error: string | null;
  next_attempt_at: string | null;
  /**
   * Set while the turn waits out an outage (see {@link classifyReviewFailure}): the reason, since
   * when, the reviewer that failed, and how many outage failures in a row (for the backoff).
   * Cleared by the next counted failure. Absent on entries written by earlier versions.
   */
  waiting?: {
    reason: WaitReason;
    since: string;
    provider: string | null;
    failures: number;
    last_failed_at: string;
  };
  history: Array<{ at: string; event: string }>;
}

/**
 * Why a turn waits without using up its attempts: the reviewer could not be reached (connection
 * refused/reset, DNS, TLS, proxy, timeout), rate-limited us, was down (5xx), is not configured
 * (not installed, not logged in, no key), or the worker was interrupted.
 */
export const WAIT_REASONS = [
  'unreachable',
  'rate_limited',
  'provider_unavailable',
  'config',
  'interrupted',
] as const;
export type WaitReason = (typeof WAIT_REASONS)[number];

/** Longest wait between two tries of a turn held by an outage (Retry-After may ask for more). */
export const OUTAGE_BACKOFF_CAP_SECONDS = 900;

/** Node/undici error codes of a network that is not there. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EPIPE',
  'ECONNABORTED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'CERT_HAS_EXPIRED',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'EPROTO',
]);

/** `kind` of the ProviderError classes (review/providers/http.ts) → how the spool treats it. */
const WAIT_BY_KIND: Record<string, WaitReason> = {
  connection: 'unreachable',
  timeout: 'unreachable',
  rate_limit: 'rate_limited',
  server: 'provider_unavailable',
  config: 'config',
  aborted: 'interrupted',
};
/** Class names, for errors that lost their `kind` (another copy of the module, a plain rethrow). */
const WAIT_BY_NAME: Record<string, WaitReason> = {
  ProviderConnectionError: 'unreachable',
  ProviderTimeoutError: 'unreachable',
  ProviderRateLimitError: 'rate_limited',
  ProviderServerError: 'provider_unavailable',
  ProviderConfigError: 'config',
  ProviderAbortedError: 'interrupted',
};

/**
 * Classifies a failed review. An outage (the {@link WaitReason}s) never counts toward the
 * dead-letter budget: the turn waits with a capped backoff and is retried as soon as any review
 * by the same reviewer succeeds. Bad answers, 4xx (401/403 included) and any other error count.
 * Keyed on the error's `kind` (ProviderFailureKind), then its class name, then a Node error code.
 */
export function classifyReviewFailure(error: unknown): { wait: WaitReason | null; provider: string | null } {
  const e = (error ?? {}) as {
    kind?: unknown;
    name?: unknown;
    code?: unknown;
    provider?: unknown;
    cause?: unknown;
  };
  const provider = typeof e.provider === 'string' ? e.provider : null;
  if (typeof e.kind === 'string' && e.kind in WAIT_BY_KIND)
    return { wait: WAIT_BY_KIND[e.kind] ?? null, provider };
  if (typeof e.kind === 'string') return { wait: null, provider };
  const name = error instanceof Error ? error.constructor.name : typeof e.name === 'string' ? e.name : '';
  if (name in WAIT_BY_NAME) return { wait: WAIT_BY_NAME[name] ?? null, provider };
  let cause: unknown = error;
  for (let depth = 0; depth < 4 && cause !== null && typeof cause === 'object'; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return { wait: 'unreachable', provider };
    cause = (cause as { cause?: unknown }).cause;
  }
  return { wait: null, provider };
}

/** `<home>/run/reviewer-ok/`: one file per reviewer, touched after each successful review. */
export function reviewerHealthDir(home: string): string {
  return join(home, 'run', 'reviewer-ok');
}

function healthFile(home: string, provider: string | null): string {
  return join(
    reviewerHealthDir(home),
    (provider ?? 'default').replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 80) || 'default',
  );
}

/**
 * Records that `provider` just reviewed a turn: every turn of any bucket waiting out an outage of
 * that reviewer becomes due at once (see {@link isDue}). Best effort.
 */
export function markReviewerHealthy(home: string, provider: string | null): void {
  try {
    mkdirSync(reviewerHealthDir(home), { recursive: true });
    for (const name of new Set([provider, null])) {
      const file = healthFile(home, name);
      const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
      closeSync(fd);
      const now = new Date();
      utimesSync(file, now, now);
    }
  } catch {
    // The next review tries again; waiting turns keep their own schedule meanwhile.
  }
}

/** When `provider` last reviewed a turn successfully (ms), or 0. */
export function reviewerHealthyAt(home: string, provider: string | null): number {
  try {
    return lstatSync(healthFile(home, provider)).mtimeMs;
  } catch {
    return 0;
  }
}

export function spoolDir(paths: StatePaths): string {
  return paths.spoolDir;
}

export function deadDir(paths: StatePaths): string {
  return join(paths.spoolDir, 'dead');
}

export function spoolEntryPath(paths: StatePaths, key: string): string {
  return join(paths.spoolDir, `${key}.json`);
}

/** Writes (or refreshes) a turn's spool entry. A refresh keeps attempts and history. */
export function writeSpoolEntry(paths: StatePaths, entry: SpoolEntry): string {
  const file = spoolEntryPath(paths, entry.key);
  writeJsonAtomic(file, entry);
  return file;
}

type Check = (value: unknown) => boolean;
const isString: Check = (v) => typeof v === 'string';
const isStringOrNull: Check = (v) => v === null || typeof v === 'string';
const isCount: Check = (v) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isWaiting: Check = (v) => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const w = v as Record<string, unknown>;
  return (
    (WAIT_REASONS as readonly unknown[]).includes(w.reason) &&
    isString(w.since) &&
    isStringOrNull(w.provider) &&
    isCount(w.failures) &&
    isString(w.last_failed_at)
  );
};
const isHistory: Check = (v) =>
  Array.isArray(v) &&
  v.every(
    (e) =>
      e !== null &&
      typeof e === 'object' &&
      !Array.isArray(e) &&
      isString((e as Record<string, unknown>).at) &&
      isString((e as Record<string, unknown>).event),
  );

/**
 * The fields of an entry other than its identity: a missing or malformed one takes the value of a
 * fresh entry (undefined: left out), as `SpoolEntrySchema` (spool/schema.ts) does.
 */
const SPOOL_FIELDS: ReadonlyArray<[field: string, valid: Check, fallback: unknown]> = [
  ['schema_version', (v) => v === 1, 1],
  ['turn_id', isString, ''],
  ['cwd', isString, ''],
  ['transcript_path', isStringOrNull, null],
  ['transcript_size', (v) => v === null || (typeof v === 'number' && v >= 0), null],
  ['last_assistant_message', isString, ''],
  ['model', isStringOrNull, null],
  ['stop_hook_active', (v) => typeof v === 'boolean', false],
  ['settling', (v) => typeof v === 'boolean', undefined],
  ['reviewer_provider', isStringOrNull, null],
  ['spooled_at', isString, ''],
  ['attempts', isCount, 0],
  ['last_error', isStringOrNull, null],
  ['next_attempt_at', isStringOrNull, null],
  ['waiting', isWaiting, undefined],
  ['history', isHistory, []],
];

/** Every field the reader knows; the test checks it against the schema's shape. */
export const SPOOL_ENTRY_FIELDS: readonly string[] = [
  'key',
  'session_id',
  'agent',
  'provider_stub_response',
  ...SPOOL_FIELDS.map(([field]) => field),
];

/**
 * A spool entry as `SpoolEntrySchema.parse` would return it (zod-free: the Stop hook reads it), or
 * undefined when it is not an object with a `key`, a `session_id` and (if any) a known agent. Never
 * throws.
 */
export function parseSpoolEntry(raw: unknown): SpoolEntry | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const r = raw as Record<string, unknown>;
  if (typeof r.key !== 'string' || typeof r.session_id !== 'string') return undefined;
  // An agent this version does not know: never review its turn as another agent's.
  if (r.agent !== undefined && !(AGENT_NAMES as readonly unknown[]).includes(r.agent)) return undefined;
  const out: Record<string, unknown> = { ...r };
  for (const [field, valid, fallback] of SPOOL_FIELDS) {
    if (valid(r[field])) continue;
    if (fallback === undefined && !(field in r)) continue;
    out[field] = fallback === undefined ? undefined : structuredClone(fallback);
  }
  return out as SpoolEntry;
}

/** Reads a spool entry, or undefined when it is gone, unreadable or has no turn identity. */
export function readSpoolEntry(file: string): SpoolEntry | undefined {
  try {
    return parseSpoolEntry(JSON.parse(readRegularText(file)));
  } catch {
    return undefined;
  }
}

/** Spool entries of a bucket, oldest first. */
export function listSpool(paths: StatePaths): Array<{ key: string; file: string; mtimeMs: number }> {
  let names: string[];
  try {
    names = readdirSync(paths.spoolDir);
  } catch {
    return [];
  }
  const out: Array<{ key: string; file: string; mtimeMs: number }> = [];
  for (const name of names) {
    if (!name.endsWith('.json') || name.startsWith('.')) continue;
    const file = join(paths.spoolDir, name);
    try {
      out.push({ key: name.slice(0, -5), file, mtimeMs: statSync(file).mtimeMs });
    } catch {
      // Finished meanwhile.
    }
  }
  return out.sort((a, b) => a.mtimeMs - b.mtimeMs || a.key.localeCompare(b.key));
}

/** Counts spooled and dead turns (for status and preflight). */
export function spoolCounts(paths: StatePaths): { spooled: number; dead: number } {
  let dead: number;
  try {
    dead = readdirSync(deadDir(paths)).filter((n) => n.endsWith('.json')).length;
  } catch {
    dead = 0;
  }
  return { spooled: listSpool(paths).length, dead };
}

/**
 * True when the entry may be attempted now: its time has come, or it waits out an outage and its
 * reviewer (or, when unknown, any reviewer) has succeeded since it last failed. `home` enables
 * the second check.
 */
export function isDue(entry: SpoolEntry, now = Date.now(), home?: string): boolean {
  if (entry.next_attempt_at === null || Date.parse(entry.next_attempt_at) <= now) return true;
  const waiting = entry.waiting;
  if (home === undefined || !waiting || waiting.reason === 'config') return false;
  const failedAt = Date.parse(waiting.last_failed_at);
  return reviewerHealthyAt(home, waiting.provider) > failedAt;
}

/**
 * Records an outage: the attempt is given back (the budget is for failures of the turn, not of
 * the network), and the turn waits with a capped backoff (or the server's Retry-After).
 */
export function recordWait(
  paths: StatePaths,
  entry: SpoolEntry,
  wait: WaitReason,
  provider: string | null,
  reason: string,
  retryAfterSeconds?: number,
): 'waiting' {
  const now = new Date();
  // An interrupted review (the worker was stopped) is due again at once.
  const interrupted = wait === 'interrupted';
  const failures = (entry.waiting?.failures ?? 0) + (interrupted ? 0 : 1);
  const backoff = interrupted
    ? 0
    : Math.min(60 * 2 ** Math.min(failures - 1, 10), OUTAGE_BACKOFF_CAP_SECONDS);
  const delay = Math.max(backoff, retryAfterSeconds ?? 0);
  writeSpoolEntry(paths, {
    ...entry,
    attempts: Math.max(0, entry.attempts - 1),
    last_error: reason.slice(0, 500),
    next_attempt_at: utcNow(new Date(now.getTime() + delay * 1000)),
    waiting: {
      reason: wait,
      since: entry.waiting?.since ?? utcNow(now),
      provider,
      failures,
      last_failed_at: now.toISOString(),
    },
    history: [
      ...entry.history,
      { at: utcNow(now), event: `waiting (${wait}, not counted): ${reason.slice(0, 200)}` },
    ].slice(-20),
  });
  return 'waiting';
}

/** Turns waiting out an outage, by reason, with the age of the oldest (for `status`). */
export function waitingTurns(
  paths: StatePaths,
  now = Date.now(),
): {
  waiting: number;
  by_reason: Partial<Record<WaitReason, number>>;
  oldest_since: string | null;
  oldest_age_seconds: number | null;
  turns: Array<{
    key: string;
    reason: WaitReason;
    since: string;
    age_seconds: number;
    provider: string | null;
    next_attempt_at: string | null;
    last_error: string | null;
  }>;
} {
  const turns = [];
  for (const item of listSpool(paths)) {
    const entry = readSpoolEntry(item.file);
    if (!entry?.waiting) continue;
    const since = Date.parse(entry.waiting.since);
    turns.push({
      key: entry.key,
      reason: entry.waiting.reason,
      since: entry.waiting.since,
      age_seconds: Number.isFinite(since) ? Math.max(0, Math.round((now - since) / 1000)) : 0,
      provider: entry.waiting.provider,
      next_attempt_at: entry.next_attempt_at,
      last_error: entry.last_error,
    });
  }
  const by_reason: Partial<Record<WaitReason, number>> = {};
  for (const t of turns) by_reason[t.reason] = (by_reason[t.reason] ?? 0) + 1;
  const oldest = turns.reduce<(typeof turns)[number] | undefined>(
    (a, t) => (a === undefined || t.age_seconds > a.age_seconds ? t : a),
    undefined,
  );
  return {
    waiting: turns.length,
    by_reason,
    oldest_since: oldest?.since ?? null,
    oldest_age_seconds: oldest?.age_seconds ?? null,
    turns,
  };
}

/** Records a failed attempt: backoff, or park in `dead/` past the budget. Returns where it went. */
export function recordFailure(
  paths: StatePaths,
  entry: SpoolEntry,
  reason: string,
  retryAfterSeconds?: number,
): 'retry' | 'dead' {
  const now = Date.now();
  const { waiting: _wasWaiting, ...counted } = entry;
  const updated: SpoolEntry = {
    ...counted,
    last_error: reason.slice(0, 500),
    history: [
      ...entry.history,
      { at: utcNow(), event: `attempt ${entry.attempts} failed: ${reason.slice(0, 200)}` },
    ].slice(-20),
  };
  if (entry.attempts >= MAX_REVIEW_ATTEMPTS) {
    mkdirSync(deadDir(paths), { recursive: true });
    writeJsonAtomic(join(deadDir(paths), `${entry.key}.json`), { ...updated, next_attempt_at: null });
    try {
      unlinkSync(spoolEntryPath(paths, entry.key));
    } catch {
      // Already moved.
    }
    return 'dead';
  }
  const delay = Math.max(RETRY_BACKOFF_SECONDS[entry.attempts] ?? 43200, retryAfterSeconds ?? 0);
  updated.next_attempt_at = utcNow(new Date(now + delay * 1000));
  writeSpoolEntry(paths, updated);
  return 'retry';
}

/** Moves parked entries back into the spool, due now, with a fresh attempt budget. */
export function requeueDead(paths: StatePaths): number {
  let names: string[];
  try {
    names = readdirSync(deadDir(paths)).filter((n) => n.endsWith('.json'));
  } catch {
    return 0;
  }
  let moved = 0;
  for (const name of names) {
    const entry = readSpoolEntry(join(deadDir(paths), name));
    if (!entry) continue;
    writeSpoolEntry(paths, {
      ...entry,
      attempts: 0,
      next_attempt_at: null,
      history: [...entry.history, { at: utcNow(), event: 'requeued from dead' }],
    });
    unlinkSync(join(deadDir(paths), name));
    moved++;
  }
  return moved;
}

// ---------------------------------------------------------------------------------------------
// Worker locks: one review worker per bucket, at most MAX_WORKERS across the home.
// ---------------------------------------------------------------------------------------------

/** Review workers allowed to run at once across all repositories. */
export const MAX_WORKERS = 4;
/** A worker lock not refreshed for this long is stale even if its pid looks alive (pid reuse). */
export const WORKER_LOCK_STALE_MS = 15 * 60 * 1000;

/** True when `file` is a worker lock held by a live process that refreshed it recently. */
export function isLockLive(file: string, now = Date.now()): boolean {
  return isPidFileLockLive(file, WORKER_LOCK_STALE_MS, now);
}

/** The worker's heartbeat: keeps its bucket lock fresh while it reviews. */
export function touchWorkerLock(paths: StatePaths): void {
  touchPidFileLock(workerLockPath(paths));
}

export function workerLockPath(paths: StatePaths): string {
  return join(paths.reviewDir, 'worker.lock');
}

export function workerSlotsDir(home: string): string {
  return join(home, 'run', 'review-slots');
}

/** Takes the bucket's worker lock and one global slot. Undefined when either is busy. */
export function acquireWorker(paths: StatePaths): (() => void) | undefined {
  mkdirSync(paths.reviewDir, { recursive: true });
  const releaseBucket = tryPidFileLock(workerLockPath(paths), WORKER_LOCK_STALE_MS);
  if (!releaseBucket) return undefined;
  const slots = workerSlotsDir(paths.home);
  mkdirSync(slots, { recursive: true });
  for (let i = 0; i < MAX_WORKERS; i++) {
    const releaseSlot = tryPidFileLock(join(slots, `slot-${i}.lock`), WORKER_LOCK_STALE_MS);
    if (releaseSlot) {
      return () => {
        releaseSlot();
        releaseBucket();
      };
    }
  }
  releaseBucket();
  return undefined;
}
