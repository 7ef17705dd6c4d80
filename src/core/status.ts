/**
 * `status`: read-only diagnostics. Nothing here creates or changes a file.
 */
import { closeSync, existsSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { QUEUE_STATES, utcNow, type QueueState } from './constants.js';
import { describeEnvProvider } from './env.js';
import { AGENT_NAMES, DEFAULT_AGENT, loadAgent } from './agents/index.js';
import { readAgentInstallRecords } from './agents/install-record.js';
import type { AgentStatus } from './agents/types.js';
import { schedulerStatus } from './install/scheduler.js';
import {
  installRecordPath,
  packageRootOfCli,
  packageVersion,
  readInstallRecord,
} from './install/stable-copy.js';
import { listBuckets, statePathsForBucket } from './paths.js';
import { lockStatus } from './compiler/lock.js';
import { listSpool, readSpoolEntry, spoolCounts, waitingTurns, type WaitReason } from './spool/spool.js';
import { readReviewsToday } from './review/usage.js';
import { MEMORY_STATUSES } from './memory/status.js';
import { loadMemory } from './memory/view.js';
import { listStagedItems } from './memory/review-store.js';
import { parseJsonWith } from './fs/atomic.js';
import { readRegularText } from './fs/safe.js';
import { ReceiptSchema } from './schemas.js';

/**
 * Lesson counts of a bucket by status, the stale ones listed for re-verification
 * (`memory list --stale`), and the review items waiting (`review list`).
 */
export function lessonCounts(paths: ReturnType<typeof statePathsForBucket>): Record<string, unknown> {
  const counts: Record<string, number> = Object.fromEntries(MEMORY_STATUSES.map((s) => [s, 0]));
  const stale: Array<{ id: string | null; summary: string; reason: unknown }> = [];
  for (const entry of loadMemory(paths).entries) {
    const status = entry.status ?? 'active';
    counts[status] = (counts[status] ?? 0) + 1;
    if (status === 'stale' && stale.length < 20)
      stale.push({
        id: entry.id ?? null,
        summary: entry.summary,
        reason: entry.record?.stale_reason ?? null,
      });
  }
  // A damaged item is skipped by the store: it is not waiting.
  const staged = listStagedItems(paths).filter((item) => item.state === 'staged').length;
  return { ...counts, review_waiting: staged, stale_to_reverify: stale };
}

function countJson(dir: string): number {
  try {
    return readdirSync(dir).filter((n) => n.endsWith('.json')).length;
  } catch {
    return 0;
  }
}

/** Counts of envelopes per queue state. */
export function queueCounts(stateDir: string): Record<QueueState, number> {
  return Object.fromEntries(
    QUEUE_STATES.map((s) => [s, countJson(join(stateDir, 'suggestions', s))]),
  ) as Record<QueueState, number>;
}

function lastReceipt(stateDir: string): Record<string, unknown> | null {
  const path = join(stateDir, 'compiler', 'last_receipt.json');
  try {
    const data = parseJsonWith(ReceiptSchema, readRegularText(path), path);
    return {
      path,
      timestamp: utcNow(statSync(path).mtime),
      receipt_id: data.receipt_id ?? null,
      run_status: data.run_status ?? null,
      backend: data.backend ?? null,
      fallback_backend: data.fallback_backend ?? null,
      processed_count: data.processed_count ?? 0,
      skip_reason: data.skip_reason ?? null,
      memory_action_stats: data.memory_action_stats ?? {},
    };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    return { path, error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * The fields of a `plugin.log` line (log.ts writes one JSON object per line) that status reads; a
 * field of another type is dropped, a line that is not a JSON object is skipped.
 */
const LogLineSchema = z.looseObject({
  ts: z.string().optional().catch(undefined),
  level: z.string().optional().catch(undefined),
  msg: z.string().optional().catch(undefined),
  kind: z.string().optional().catch(undefined),
  mode: z.string().optional().catch(undefined),
  agent: z.string().optional().catch(undefined),
  exit_code: z.unknown().optional(),
});

function parseLogLine(line: string): z.infer<typeof LogLineSchema> | undefined {
  try {
    const result = LogLineSchema.safeParse(JSON.parse(line));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}

/** Reads at most the last `bytes` of a file (status must stay cheap on a big log). */
function readTail(file: string, bytes: number): string {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const size = statSync(file).size;
    const start = Math.max(0, size - bytes);
    const buffer = Buffer.alloc(size - start);
    readSync(fd, buffer, 0, buffer.length, start);
    const text = buffer.toString('utf8');
    return start > 0 ? text.slice(text.indexOf('\n') + 1) : text;
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Activity of the last 24 hours, from the tail of the log. */
export function recentActivity(home: string, now = Date.now()): Record<string, unknown> {
  const logPath = join(home, 'logs', 'plugin.log');
  const text = readTail(logPath, 1024 * 1024);
  const byKind: Record<string, { total: number; failed: number }> = {};
  let warnings = 0;
  let lastScan: string | null = null;
  for (const line of text.split('\n')) {
    if (!line) continue;
    const entry = parseLogLine(line);
    if (!entry) continue;
    const ts = entry.ts !== undefined ? Date.parse(entry.ts) : NaN;
    if (!Number.isFinite(ts) || now - ts > 24 * 3600 * 1000) continue;
    if (entry.level === 'WARNING') warnings++;
    if (entry.msg !== 'cli command completed' || typeof entry.kind !== 'string') continue;
    const slot = (byKind[entry.kind] ??= { total: 0, failed: 0 });
    slot.total++;
    if (entry.exit_code !== 0) slot.failed++;
    if (entry.kind === 'scan') lastScan = entry.ts ?? null;
  }
  return {
    log_path: logPath,
    window_hours: 24,
    log_available: text !== '',
    commands: byKind,
    warnings,
    last_scan: lastScan,
  };
}

/**
 * Paid (agent-CLI and HTTP) reviews today, per reviewer, against `[review] max_per_day`
 *. `cap_reached` turns wait in the spool for the next local day.
 */
export function reviewsTodayStatus(home: string, maxPerDay: number | null): Record<string, unknown> {
  const today = readReviewsToday(home);
  return { ...today, max_per_day: maxPerDay, cap_reached: maxPerDay !== null && today.total >= maxPerDay };
}

/**
 * Why spooled turns are waiting: the distinct reasons of their last failures (the newest three),
 * e.g. "the codex reviewer is not logged in …; run `codex login`", which says what to do.
 */
export function spoolWaitingReasons(paths: ReturnType<typeof statePathsForBucket>): string[] {
  const reasons: string[] = [];
  for (const item of listSpool(paths).reverse()) {
    const reason = readSpoolEntry(item.file)?.last_error;
    if (typeof reason === 'string' && !reasons.includes(reason)) reasons.push(reason);
    if (reasons.length >= 3) break;
  }
  return reasons;
}

/** The node and cli words of a hook command we wrote (`'<node>' '<cli>' <sub> …`), if it is one. */
export function hookCommandCli(command: string): { node: string; cli: string } | undefined {
  const word = String.raw`'((?:[^']|'\\'')*)'`;
  const m = new RegExp(`^${word}\\s+${word}\\s`).exec(command);
  if (!m) return undefined;
  const unquote = (w: string) => w.replace(/'\\''/g, "'");
  return { node: unquote(m[1]!), cli: unquote(m[2]!) };
}

/**
 * Which copy of the CLI the hooks run, whether it is there, and whether it is the version that
 * installed them (`<home>/install.json`). `problems` are the warnings status leads with.
 */
export function inspectInstallation(
  home: string,
  commands: Record<string, string | null>,
): Record<string, unknown> & { ok: boolean; problems: string[] } {
  const record = readInstallRecord(home);
  const command = Object.values(commands).find((c): c is string => typeof c === 'string') ?? null;
  const problems: string[] = [];
  const base = {
    record_path: installRecordPath(home),
    installed_version: record?.version ?? null,
    installed_at: record?.installed_at ?? null,
  };
  if (command === null)
    return { ...base, launcher: null, node: null, cli: null, version: null, ok: false, problems };
  if (/^npx\s/.test(command)) {
    const spec = /npx -y '?([^'\s]+)'?/.exec(command)?.[1] ?? null;
    return {
      ...base,
      launcher: 'npx',
      package: spec,
      node: null,
      cli: null,
      version: spec?.split('@').pop() ?? null,
      ok: true,
      problems,
    };
  }
  const words = hookCommandCli(command);
  if (!words)
    return {
      ...base,
      launcher: 'unknown',
      node: null,
      cli: null,
      version: null,
      ok: false,
      problems: [`the hooks run a command this version does not recognise: ${command}`],
    };
  const version = packageVersion(packageRootOfCli(words.cli)) ?? null;
  if (!existsSync(words.node))
    problems.push(
      `the hooks run node at ${words.node}, which does not exist: every hook fails open and nothing is learned; run install again`,
    );
  if (!existsSync(words.cli))
    problems.push(
      `the hooks run ${words.cli}, which does not exist: every hook fails open and nothing is learned; run install again`,
    );
  else if (record && version !== record.version)
    problems.push(
      `the hooks run version ${version ?? 'unknown'} at ${words.cli}, but version ${record.version} installed them; run install again`,
    );
  return {
    ...base,
    launcher: 'node',
    node: words.node,
    cli: words.cli,
    version,
    ok: problems.length === 0,
    problems,
  };
}

/**
 * Totals of turns waiting out a reviewer outage across buckets: how many, by reason
 * (`unreachable`, `rate_limited`, `provider_unavailable`, `config`, `interrupted`), and the
 * oldest. A `config` wait (reviewer not installed, not logged in, no key) needs the user.
 */
export function waitingTotals(perBucket: ReadonlyArray<ReturnType<typeof waitingTurns>>): {
  waiting: number;
  by_reason: Partial<Record<WaitReason, number>>;
  oldest_since: string | null;
  oldest_age_seconds: number | null;
  needs_configuration: boolean;
} {
  const by_reason: Partial<Record<WaitReason, number>> = {};
  let oldest: { since: string; age: number } | undefined;
  for (const b of perBucket) {
    for (const [reason, n] of Object.entries(b.by_reason) as Array<[WaitReason, number]>)
      by_reason[reason] = (by_reason[reason] ?? 0) + n;
    if (
      b.oldest_since !== null &&
      b.oldest_age_seconds !== null &&
      (!oldest || b.oldest_age_seconds > oldest.age)
    ) {
      oldest = { since: b.oldest_since, age: b.oldest_age_seconds };
    }
  }
  return {
    waiting: perBucket.reduce((n, b) => n + b.waiting, 0),
    by_reason,
    oldest_since: oldest?.since ?? null,
    oldest_age_seconds: oldest?.age ?? null,
    needs_configuration: (by_reason.config ?? 0) > 0,
  };
}

/** The hook calls of the last log lines, latest per agent (a line without `agent` is Codex's). */
export function lastHookCalls(
  home: string,
): Record<string, { at: string; hook: string; exit_code: unknown }> {
  const text = readTail(join(home, 'logs', 'plugin.log'), 1024 * 1024);
  const out: Record<string, { at: string; hook: string; exit_code: unknown }> = {};
  for (const line of text.split('\n')) {
    if (!line.includes('"from_stdin"')) continue;
    const entry = parseLogLine(line);
    if (!entry || entry.msg !== 'cli command completed' || entry.mode !== 'from_stdin') continue;
    if (entry.ts === undefined || entry.kind === undefined) continue;
    const agent = entry.agent ?? DEFAULT_AGENT;
    out[agent] = { at: entry.ts, hook: entry.kind, exit_code: entry.exit_code ?? null };
  }
  return out;
}

/** Our hooks in each registered agent's config directory, and each agent's last hook call. */
async function agentStatuses(home: string): Promise<Array<AgentStatus & { last_hook_call: unknown }>> {
  const last = lastHookCalls(home);
  const out: Array<AgentStatus & { last_hook_call: unknown }> = [];
  // An agent installed with --config-dir is looked at where install put its hooks.
  const installed = new Map(readAgentInstallRecords(home).map((r) => [r.agent, r.config_dir]));
  for (const name of AGENT_NAMES) {
    const agent = await loadAgent(name);
    const configDir = installed.get(name) ?? agent.configDir();
    out.push({ ...(await agent.status(configDir)), last_hook_call: last[name] ?? null });
  }
  return out;
}

/** Collects the status document. `extra` lets callers add sections (reviewer, scheduler, locks). */
export async function collectStatus(home: string, version: string): Promise<Record<string, unknown>> {
  const buckets = listBuckets(home).map((bucket) => ({
    project: bucket.name,
    state_dir: bucket.stateDir,
    archived: bucket.archived,
    canonical_cwd: bucket.canonicalCwd ?? null,
    counts: queueCounts(bucket.stateDir),
    review_backlog: {
      ...spoolCounts(statePathsForBucket(home, bucket)),
      waiting_reasons: spoolWaitingReasons(statePathsForBucket(home, bucket)),
    },
    // Turns waiting out a reviewer outage (not counted toward dead), by reason and age.
    review_waiting: waitingTurns(statePathsForBucket(home, bucket)),
    lock: lockStatus(statePathsForBucket(home, bucket)),
    last_receipt: lastReceipt(bucket.stateDir),
    lessons: lessonCounts(statePathsForBucket(home, bucket)),
  }));
  const agents = await agentStatuses(home);
  // The default agent's facts keep their place at the top of the document.
  const main = agents.find((a) => a.agent === DEFAULT_AGENT)!;
  const installation = inspectInstallation(
    home,
    agents.reduce<Record<string, string | null>>(
      (all, a) => ({
        ...all,
        ...Object.fromEntries(Object.entries(a.commands).map(([e, c]) => [`${a.agent}:${e}`, c ?? null])),
      }),
      {},
    ),
  );
  const envProvider = describeEnvProvider(home);
  // What a person should look at first; the missing hook copy leads.
  const warnings: string[] = [...installation.problems];
  if (envProvider.unparsed_lines.length > 0) {
    const n = envProvider.unparsed_lines;
    warnings.push(
      `${envProvider.path}: line${n.length === 1 ? '' : 's'} ${n.join(', ')} ${n.length === 1 ? 'is' : 'are'} not KEY=value and ${n.length === 1 ? 'was' : 'were'} ignored`,
    );
  }
  if (envProvider.readable_by_others)
    warnings.push(
      `${envProvider.path} holds API keys and is readable by other users; run: chmod 600 ${envProvider.path}`,
    );
  return {
    timestamp: utcNow(),
    version,
    home,
    codex_home: main.configDir,
    warnings,
    installation,
    // The default agent's details: for Codex `hooks` (what hooks.json holds) and `hook_install`
    // (installed per event, and trusted: config.toml holds the hook's current hash, so Codex runs it).
    ...main.details,
    agents: agents.map((a) => ({
      agent: a.agent,
      config_dir: a.configDir,
      hooks_file: a.hooksFile,
      installed: a.installed,
      last_hook_call: a.last_hook_call,
      error: a.error,
    })),
    scheduler: schedulerStatus(home),
    env_provider: envProvider,
    buckets,
    totals: Object.fromEntries(QUEUE_STATES.map((s) => [s, buckets.reduce((n, b) => n + b.counts[s], 0)])),
    recent_activity: recentActivity(home),
    // The status command replaces max_per_day with the configured cap.
    reviews_today: reviewsTodayStatus(home, null),
    review_waiting: waitingTotals(buckets.map((b) => b.review_waiting)),
  };
}
