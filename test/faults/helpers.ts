/**
 * Shared pieces of the fault suite (test/faults/faults.test.ts): isolated worlds (home, repo,
 * Codex home under one temp root), the built CLI run as Codex runs it, waiting for and reaping the
 * detached review workers, suggestion accounting from receipts, whole-tree checks (every JSON file
 * parses, no temp file left, nothing outside the state dir) and the tally printed at the end.
 *
 * Processes this suite starts are found by their command line, which always holds the world's
 * unique temp root (the workers get `--state-dir <root>/…`), and are ended by pid.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { expect } from 'vitest';
import { readReceiptHistory } from '../../src/core/compiler/receipts.js';
import { QUEUE_STATES, type QueueState } from '../../src/core/constants.js';
import { resolveStatePaths, type StatePaths } from '../../src/core/paths.js';
import type { Suggestion } from '../../src/core/schemas.js';
import { suggestionIdFor } from '../../src/core/queue/queue.js';
import { legacyTurnKey } from '../../src/core/agents/turn-key.js';
import { rolloutText, type RolloutSpec } from '../fixtures/rollouts/rollout-builder.js';
import { runCliAsync, type CliResult } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/tmp.js';

// ------------------------------------------------------------------------------------- tally

/** What the suite did, printed by its last test. */
export const tally = {
  cases: 0,
  faults: {} as Record<string, number>,
  suggestionsExpected: 0,
  suggestionsAccounted: 0,
  suggestionsLost: 0,
  suggestionsDuplicated: 0,
  /** Defects found by the suite, pinned by a test and reported (not fixed here). */
  knownDefects: [] as string[],
  /** Where timed kills landed (before any work, mid-work, after the work, or the run ended first). */
  killPhases: {} as Record<string, number>,
};

/** Counts one fault case and the faults it injected, by kind. */
export function countCase(kind: string, faults = 1): void {
  tally.cases++;
  tally.faults[kind] = (tally.faults[kind] ?? 0) + faults;
}

/**
 * Accounts suggestions of a case: `expected` keys (`suggestion_id:index`) against those the
 * receipts account for. Lost and duplicated ones are added to the tally (and fail the case).
 */
export function accountSuggestions(
  expected: readonly string[],
  accounted: readonly string[],
): { lost: string[]; duplicated: string[] } {
  const seen = new Map<string, number>();
  for (const key of accounted) seen.set(key, (seen.get(key) ?? 0) + 1);
  const lost = expected.filter((k) => !seen.has(k));
  const duplicated = [...seen].filter(([, n]) => n > 1).map(([k]) => k);
  tally.suggestionsExpected += expected.length;
  tally.suggestionsAccounted += expected.length - lost.length;
  tally.suggestionsLost += lost.length;
  tally.suggestionsDuplicated += duplicated.length;
  return { lost, duplicated };
}

// ------------------------------------------------------------------------------------- worlds

export interface World {
  root: string;
  home: string;
  repo: string;
  codexHome: string;
  env: Record<string, string>;
  paths: StatePaths;
}

/**
 * A temp root that outlives the current test (for state that accumulates over several tests);
 * the caller removes it with {@link removeRoot} in `afterAll`.
 */
export function suiteRoot(): string {
  return realpathSync(mkdtempSync(join(tmpdir(), 'csep-fault-suite-')));
}

/** Removes a {@link suiteRoot} (after reaping its processes). */
export function removeRoot(root: string): void {
  for (const pid of processesMentioning(root)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone.
    }
  }
  if (process.env.CSEP_FAULT_KEEP === '1') {
    console.log(`kept ${root} (CSEP_FAULT_KEEP=1)`);
    return;
  }
  rmSync(root, { recursive: true, force: true });
}

/**
 * A fresh world: `<root>/home` (state), `<root>/repo` (a git repository), `<root>/codex-home`.
 * Without `root`, a temp dir removed when the current test finishes.
 */
export function world(options: { root?: string; home?: string; env?: Record<string, string> } = {}): World {
  const root = options.root ?? tempDir('csep-fault-');
  const home = options.home ?? join(root, 'home');
  const repo = join(root, 'repo');
  mkdirSync(join(repo, '.git'), { recursive: true });
  const codexHome = join(root, 'codex-home');
  const env: Record<string, string> = {
    HOME: root,
    CODEX_HOME: codexHome,
    CODEX_SELF_EVOLUTION_HOME: home,
    CODEX_SELF_EVOLUTION_REVIEWER_PROVIDER: 'dummy',
    ...options.env,
  };
  return { root, home, repo, codexHome, env, paths: resolveStatePaths({ cwd: repo, home }) };
}

/**
 * Writes `<home>/config.toml` applying every kind of suggestion at the next compile (skills are
 * staged for a human by default), plus `extra` lines.
 */
export function autoApplyConfig(w: World, extra: string[] = []): void {
  mkdirSync(w.home, { recursive: true });
  writeFileSync(
    join(w.home, 'config.toml'),
    [
      'schema_version = 2',
      ...extra,
      '',
      '[review]',
      'memory = "auto"',
      'recall = "auto"',
      'skills = "auto"',
      '',
    ].join('\n'),
  );
}

/** Runs the built CLI (always asynchronously, so servers and timers of this process keep running). */
export function cli(
  w: World,
  args: readonly string[],
  options: { input?: string; env?: Record<string, string | undefined>; timeoutMs?: number } = {},
): Promise<CliResult> {
  return runCliAsync(args, {
    env: { ...w.env, ...options.env },
    ...(options.input !== undefined ? { input: options.input } : {}),
    timeoutMs: options.timeoutMs ?? 60_000,
  });
}

/** A realistic rollout of one session with one turn; returns its path and the turn id Codex would report. */
export function writeRollout(
  w: World,
  sessionId: string,
  spec: Omit<RolloutSpec, 'sessionId' | 'cwd'>,
  name = `rollout-${sessionId.slice(-12)}.jsonl`,
): { path: string; turnId: string } {
  const path = join(w.root, name);
  writeFileSync(path, rolloutText({ ...spec, sessionId, cwd: w.repo }));
  // Same scheme as the rollout builder: turn n of a session.
  const turnId = `01a2161a-0001-7000-8000-${sessionId.slice(-12)}`;
  return { path, turnId };
}

/** A UUID-shaped session id, distinct per `n`. */
export function sessionIdFor(n: number, prefix = 'a'): string {
  return `01a2161a-${prefix.padEnd(4, '0').slice(0, 4)}-7000-8000-${n.toString(16).padStart(12, '0')}`;
}

/** A Stop payload as Codex sends it. */
export function stopPayload(
  w: World,
  fields: {
    sessionId: string;
    turnId: string;
    transcriptPath?: string | null;
    lastAssistant?: string;
    stub?: unknown;
    extra?: Record<string, unknown>;
  },
): string {
  return JSON.stringify({
    session_id: fields.sessionId,
    turn_id: fields.turnId,
    transcript_path: fields.transcriptPath ?? null,
    cwd: w.repo,
    hook_event_name: 'Stop',
    model: 'gpt-5-codex',
    permission_mode: 'bypassPermissions',
    stop_hook_active: false,
    last_assistant_message: fields.lastAssistant ?? 'Done.',
    ...(fields.stub !== undefined ? { provider_stub_response: fields.stub } : {}),
    ...fields.extra,
  });
}

/**
 * Words unique to `tag` (pseudo-words drawn from sha1(tag)), so two lessons of the suite never
 * share enough terms to be merged as near-duplicates or taken as an update of one another.
 */
export function distinctWords(tag: string, count = 6): string {
  const hex = createHash('sha1').update(tag).digest('hex');
  const c = 'bdfgklmnprtvz';
  const v = 'aeiou';
  const words: string[] = [];
  for (let i = 0; i < count; i++) {
    const n = parseInt(hex.slice(i * 6, i * 6 + 6), 16);
    words.push(
      `${c[n % 13]}${v[(n >> 4) % 5]}${c[(n >> 7) % 13]}${v[(n >> 11) % 5]}${c[(n >> 14) % 13]}${v[(n >> 18) % 5]}`,
    );
  }
  return words.join(' ');
}

/** The two suggestions of {@link reviewFor} as stored suggestions (for envelopes queued directly). */
export function suggestionsFor(tag: string): Suggestion[] {
  return [
    {
      family: 'memory_updates',
      summary: `lesson ${tag}`,
      details: { action: 'add', scope: 'global', content: `Lesson ${tag}: ${distinctWords(`m:${tag}`)}.` },
      confidence: 0.9,
    },
    {
      family: 'recall_candidate',
      summary: `fact ${tag}`,
      details: {
        content: `Fact ${tag}: ${distinctWords(`r:${tag}`)}.`,
        source_paths: ['config/billing.toml'],
      },
      confidence: 1,
    },
  ];
}

/** A reviewer answer with one memory update and one recall candidate, unique to `tag`. */
export function reviewFor(tag: string): { text: string; count: number } {
  const [memory, recall] = suggestionsFor(tag).map(({ family: _family, ...rest }) => rest);
  return {
    text: JSON.stringify({ memory_updates: [memory], recall_candidate: [recall], skill_action: [] }),
    count: 2,
  };
}

/** The receipt keys (`suggestion_id:index`) a turn's suggestions should be accounted under. */
export function expectedKeys(sessionId: string, turnId: string, count: number): string[] {
  const id = suggestionIdFor(legacyTurnKey(sessionId, turnId));
  return Array.from({ length: count }, (_, i) => `${id}:${i}`);
}

/**
 * Every suggestion-level item of every receipt in the history, as `suggestion_id:index`. A receipt
 * is one transaction: the same `receipt_id` twice in the history counts once (see
 * {@link repeatedReceipts}), so a key seen twice means two transactions applied it.
 */
export function accountedKeys(paths: StatePaths): string[] {
  const seen = new Set<unknown>();
  const unique = readReceiptHistory(paths).filter((r) => {
    if (seen.has(r.receipt_id)) return false;
    seen.add(r.receipt_id);
    return true;
  });
  return unique.flatMap((r) =>
    (
      (r.item_receipts as
        Array<{ kind: string; part?: string; suggestion_id: string; index: number }> | undefined) ?? []
    )
      .filter((i) => i.kind === 'suggestion' && !i.part)
      .map((i) => `${i.suggestion_id}:${i.index}`),
  );
}

/** How many receipt lines of the history repeat an earlier line's `receipt_id`. */
export function repeatedReceipts(paths: StatePaths): number {
  const ids = readReceiptHistory(paths).map((r) => r.receipt_id);
  return ids.length - new Set(ids).size;
}

/** Adds a defect found (not fixed here) to the tally, once per description. */
export function noteDefect(description: string): void {
  if (!tally.knownDefects.includes(description)) tally.knownDefects.push(description);
}

/** Envelope ids per queue state (file names, no reading). */
export function queueIds(paths: StatePaths): Record<QueueState, string[]> {
  return Object.fromEntries(
    QUEUE_STATES.map((s) => {
      let names: string[];
      try {
        names = readdirSync(paths.queue[s]).filter((n) => n.endsWith('.json') && !n.startsWith('.'));
      } catch {
        names = [];
      }
      return [s, names.map((n) => n.slice(0, -5)).sort()];
    }),
  ) as Record<QueueState, string[]>;
}

export function spoolEntries(paths: StatePaths): string[] {
  try {
    return readdirSync(paths.spoolDir).filter((n) => n.endsWith('.json') && !n.startsWith('.'));
  } catch {
    return [];
  }
}

// ------------------------------------------------------------------------------------- processes

/** Pids of live processes whose command line mentions `marker` (this suite's temp roots are unique). */
export function processesMentioning(marker: string): number[] {
  const out: number[] = [];
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return out;
  }
  for (const pid of pids) {
    if (Number(pid) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // A zombie (state Z) has exited already.
      if (cmd.includes(marker) && !/^\d+ \(.*\) Z /.test(stat)) out.push(Number(pid));
    } catch {
      // Exited meanwhile.
    }
  }
  return out;
}

/** SIGKILLs the processes this world started that are still running (by pid). Returns how many. */
export function reap(w: World): number {
  const pids = processesMentioning(w.root);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone.
    }
  }
  return pids.length;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits until no process of this world runs and the spool is empty (or `timeoutMs` passed). */
export async function waitForQuiet(
  w: World,
  timeoutMs = 90_000,
): Promise<{ quiet: boolean; spooled: number; running: number }> {
  const started = Date.now();
  for (;;) {
    const running = processesMentioning(w.root).length;
    const spooled = spoolEntries(w.paths).length;
    if (running === 0 && spooled === 0) return { quiet: true, spooled, running };
    if (running === 0 && Date.now() - started > 2_000) return { quiet: false, spooled, running };
    if (Date.now() - started > timeoutMs) return { quiet: false, spooled, running };
    await sleep(50);
  }
}

/** Waits until no process of this world runs (workers finished), whatever the spool holds. */
export async function waitForWorkers(w: World, timeoutMs = 90_000): Promise<number> {
  const started = Date.now();
  for (;;) {
    const running = processesMentioning(w.root).length;
    if (running === 0 || Date.now() - started > timeoutMs) return running;
    await sleep(50);
  }
}

/** Holds the bucket's review-worker lock with this (live) process, so a Stop hook only spools. */
export function holdWorkerLock(w: World): () => void {
  mkdirSync(w.paths.reviewDir, { recursive: true });
  const file = join(w.paths.reviewDir, 'worker.lock');
  writeFileSync(file, `${process.pid}\n`);
  return () => {
    try {
      if (readFileSync(file, 'utf8').startsWith(`${process.pid}\n`)) unlinkSync(file);
    } catch {
      // Gone.
    }
  };
}

// ------------------------------------------------------------------------------------- trees

/** Every regular file under `dir` (absolute paths), symlinks not followed. */
export function walk(dir: string): string[] {
  const out: string[] = [];
  const visit = (d: string) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) visit(p);
      else out.push(p);
    }
  };
  if (existsSync(dir)) visit(dir);
  return out;
}

/** Temp files of writeFileAtomic (`.<name>.<pid>.<n>.<hex>.tmp`) and apply stages left under `dir`. */
export function leftoverTemps(dir: string): string[] {
  return walk(dir).filter((p) => {
    const name = p.slice(p.lastIndexOf('/') + 1);
    return /^\..+\.\d+\.\d+\.[0-9a-f]+\.tmp$/.test(name) || /\.stage-/.test(name);
  });
}

/** JSON state files under `dir` that do not parse (quarantined copies and the given exceptions excluded). */
export function brokenJson(dir: string, except: readonly string[] = []): string[] {
  return walk(dir).filter((p) => {
    if (except.includes(p) || /\.corrupt-/.test(p) || /\/dead\/.*\.corrupt-/.test(p)) return false;
    if (p.endsWith('.jsonl')) {
      // Receipt history: every complete line parses (a torn last line is tolerated by readers).
      const lines = readFileSync(p, 'utf8').split('\n').filter(Boolean);
      return lines.slice(0, -1).some((l) => !parsesAsJson(l));
    }
    if (!p.endsWith('.json')) return false;
    return !parsesAsJson(readFileSync(p, 'utf8'));
  });
}

function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** All text under `dir` plus every file name (for secret scans). Binary files are read as latin1. */
export function treeText(dir: string): string {
  let out = '';
  for (const p of walk(dir)) {
    out += `\n${p}\n`;
    try {
      if (lstatSync(p).size > 64 * 1024 * 1024) continue;
      out += readFileSync(p, 'utf8');
    } catch {
      // Unreadable (e.g. removed meanwhile).
    }
  }
  return out;
}

/** Paths under `root` that are not inside one of `allowed` (relative paths, for messages). */
export function filesOutside(
  root: string,
  allowed: readonly string[],
  before: ReadonlySet<string>,
): string[] {
  return walk(root)
    .filter((p) => !before.has(p) && !allowed.some((a) => p === a || p.startsWith(`${a}/`)))
    .map((p) => relative(root, p));
}

/** A hook's answer is something Codex accepts: one JSON object line. */
export function expectHookAnswer(result: CliResult, allowStderr = false): Record<string, unknown> {
  expect(result.status, `hook exited ${result.status}; stderr: ${result.stderr}`).toBe(0);
  if (!allowStderr) expect(result.stderr).toBe('');
  const lines = result.stdout.split('\n').filter(Boolean);
  expect(lines).toHaveLength(1);
  const value = JSON.parse(lines[0]!) as Record<string, unknown>;
  expect(value !== null && typeof value === 'object' && !Array.isArray(value)).toBe(true);
  if ('hookSpecificOutput' in value) {
    const out = value.hookSpecificOutput as Record<string, unknown>;
    expect(typeof out.hookEventName).toBe('string');
    expect(typeof out.additionalContext).toBe('string');
  } else {
    expect(value).toEqual({ continue: true });
  }
  return value;
}

/** The lines of the plugin log (JSON lines), every generation. */
export function logLines(home: string): Array<Record<string, unknown>> {
  const dir = join(home, 'logs');
  const out: Array<Record<string, unknown>> = [];
  for (const p of walk(dir)) {
    for (const line of readFileSync(p, 'utf8').split('\n')) {
      if (!line) continue;
      try {
        out.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // A torn line.
      }
    }
  }
  return out;
}
