/**
 * Cost control of paid reviewers: small talk is not sent to a model, reviews are
 * counted per local day and reviewer, a turn over `[review] max_per_day` waits for the next day
 * without spending an attempt, and `config use <reviewer>` works on any config.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configShowCommand } from '../../../src/cli/commands/config.js';
import { configUseCommand } from '../../../src/cli/config-use.js';
import { loadConfig } from '../../../src/core/config/load.js';
import { ensureRuntimeDirs, resolveStatePaths, type StatePaths } from '../../../src/core/paths.js';
import { reviewTurn } from '../../../src/core/review/review-turn.js';
import { legacyTurnKey } from '../../../src/core/agents/turn-key.js';
import { writeSpoolEntry, type SpoolEntry } from '../../../src/core/spool/spool.js';
import { trivialTurnReason } from '../../../src/core/review/trivial.js';
import type { Transcript } from '../../../src/core/review/types.js';
import { withLock } from '../../../src/core/lock/lock.js';
import {
  claimReview,
  localDay,
  nextLocalMidnight,
  readReviewsToday,
  recordReview,
  refundReview,
  usageDir,
} from '../../../src/core/review/usage.js';
import { drainSpool } from '../../../src/core/review/worker.js';
import { tempDir } from '../../helpers/tmp.js';

const turn = (...entries: Transcript['turns'][number]['entries']): Transcript => ({
  turns: [{ index: 0, entries }],
  skippedLines: 0,
});

describe('the trivial-turn pre-filter', () => {
  it('small talk without tools is trivial', () => {
    expect(
      trivialTurnReason(
        turn({ kind: 'user', text: 'thanks, looks good!' }, { kind: 'assistant', text: 'Glad to help.' }),
      ),
    ).toMatch(/small talk/);
    expect(
      trivialTurnReason(
        turn(
          { kind: 'user', text: 'what does --frozen-lockfile do?' },
          { kind: 'assistant', text: 'It fails when…' },
        ),
      ),
    ).toBeDefined();
  });

  it('tool use, a stated rule, a preference or a long message goes to the model', () => {
    expect(
      trivialTurnReason(
        turn({ kind: 'user', text: 'ok' }, { kind: 'tool_call', name: 'exec_command', input: 'pnpm test' }),
      ),
    ).toBeUndefined();
    expect(trivialTurnReason(turn({ kind: 'user', text: 'never edit the generated files' }))).toBeUndefined();
    expect(trivialTurnReason(turn({ kind: 'user', text: '以后都用 pnpm' }))).toBeUndefined();
    expect(trivialTurnReason(turn({ kind: 'user', text: `context: ${'word '.repeat(80)}` }))).toBeUndefined();
  });
});

describe('reviews per day', () => {
  it('counts per reviewer for the local day and keeps a week', () => {
    const home = tempDir();
    const now = new Date(2026, 11, 7, 15, 0, 0);
    recordReview(home, 'codex', 'k1', now);
    recordReview(home, 'codex', 'k2', now);
    recordReview(home, 'openai-compatible', 'k3', now);
    recordReview(home, 'codex', 'k4', new Date(2026, 11, 6, 23, 59, 0));
    expect(readReviewsToday(home, now)).toEqual({
      date: '2026-12-07',
      total: 3,
      by_reviewer: { codex: 2, 'openai-compatible': 1 },
    });
    recordReview(home, 'codex', 'k5', new Date(2026, 11, 20, 9, 0, 0));
    expect(readReviewsToday(home, now).total).toBe(0);
    expect(nextLocalMidnight(now)).toEqual(new Date(2026, 11, 8, 0, 0, 0));
    expect(localDay(now)).toBe('2026-12-07');
  });

  it('a refund takes back one review of that reviewer, never below zero', () => {
    const home = tempDir();
    const now = new Date(2026, 11, 7, 15, 0, 0);
    recordReview(home, 'codex', 'k1', now);
    recordReview(home, 'claude', 'k2', now);
    refundReview(home, 'codex', 'k1', now);
    refundReview(home, 'opencode', 'k3', now);
    expect(readReviewsToday(home, now)).toEqual({ date: '2026-12-07', total: 1, by_reviewer: { claude: 1 } });
  });
});

describe('claiming a review under the daily cap', () => {
  it('claims until the cap, then refuses without recording', async () => {
    const home = tempDir();
    const now = new Date(2026, 11, 7, 15, 0, 0);
    const claims = [];
    for (const key of ['k1', 'k2', 'k3']) claims.push(await claimReview(home, 'codex', key, 2, now));
    expect(claims.map((c) => c.claimed)).toEqual([true, true, false]);
    expect(claims[2]!.total).toBe(2);
    expect(readReviewsToday(home, now).total).toBe(2);
  });

  it("waits while another worker counts, so two workers never both take the cap's last review", async () => {
    const home = tempDir();
    const now = new Date(2026, 11, 7, 15, 0, 0);
    mkdirSync(usageDir(home), { recursive: true });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    // Another worker holds the claim: it has counted and is about to record the last review.
    const other = withLock(join(usageDir(home), 'claim.lock'), async () => {
      entered();
      await held;
      recordReview(home, 'codex', 'other', now);
    });
    await inside;
    const mine = claimReview(home, 'claude', 'mine', 1, now);
    await new Promise((r) => setTimeout(r, 300));
    expect(readReviewsToday(home, now).total).toBe(0); // still waiting: nothing recorded yet
    release();
    await other;
    expect(await mine).toEqual({ claimed: false, total: 1 });
    expect(readReviewsToday(home, now).by_reviewer).toEqual({ codex: 1 });
  });
});

function spoolTurn(paths: StatePaths, userText: string, toolUse: boolean): SpoolEntry {
  const transcriptPath = join(paths.home, 'rollout.jsonl');
  const lines = [
    { type: 'session_meta', payload: { id: 's1', cwd: paths.cwd } },
    { type: 'event_msg', payload: { type: 'task_started', turn_id: 't1' } },
    {
      type: 'response_item',
      payload: { type: 'message', role: 'user', content: [{ type: 'input_text', text: userText }] },
    },
    ...(toolUse
      ? [
          {
            type: 'response_item',
            payload: {
              type: 'function_call',
              name: 'exec_command',
              arguments: '{"cmd":"pnpm test"}',
              call_id: 'c1',
            },
          },
        ]
      : []),
    {
      type: 'response_item',
      payload: { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Done.' }] },
    },
  ];
  writeFileSync(transcriptPath, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  const entry: SpoolEntry = {
    schema_version: 1,
    key: legacyTurnKey('s1', 't1'),
    session_id: 's1',
    turn_id: 't1',
    cwd: paths.cwd,
    transcript_path: transcriptPath,
    transcript_size: null,
    last_assistant_message: 'Done.',
    model: null,
    stop_hook_active: false,
    reviewer_provider: null,
    spooled_at: new Date().toISOString(),
    attempts: 0,
    last_error: null,
    next_attempt_at: null,
    history: [],
  };
  writeSpoolEntry(paths, entry);
  return entry;
}

function bucket(config: string): { paths: StatePaths; env: NodeJS.ProcessEnv } {
  const home = tempDir();
  const repo = join(home, 'repo');
  mkdirSync(repo);
  writeFileSync(join(home, 'config.toml'), `schema_version = 2\n${config}`);
  const paths = resolveStatePaths({ cwd: repo, home });
  ensureRuntimeDirs(paths);
  // A codex that cannot be found: any model call would fail the review.
  return { paths, env: { PATH: '/nonexistent', CODEX_SELF_EVOLUTION_REVIEWER_PROVIDER: 'codex' } };
}

describe('paid reviews are skipped for small talk and capped per day', () => {
  it('a trivial turn is done without calling the reviewer and without counting a review', async () => {
    const { paths, env } = bucket('');
    const entry = spoolTurn(paths, 'thanks!', false);
    const review = await reviewTurn(
      paths,
      {
        sessionId: entry.session_id,
        turnId: entry.turn_id,
        cwd: entry.cwd,
        transcriptPath: entry.transcript_path,
        lastAssistantMessage: 'Done.',
        reviewerProvider: null,
      },
      { env },
    );
    expect(review.provider).toBe('codex');
    expect(review.trivial).toMatch(/small talk/);
    expect(review.queue.status).toBe('empty');
    expect(readReviewsToday(paths.home).total).toBe(0);
  });

  it('over the cap, the turn waits for the next local day with its attempt given back', async () => {
    const { paths, env } = bucket('[review]\nmax_per_day = 1\n');
    recordReview(paths.home, 'codex', 'earlier');
    spoolTurn(paths, 'From now on always run pnpm test before committing.', true);
    const result = await drainSpool(paths, { env });
    expect(result).toMatchObject({ deferred: 1, retried: 0, dead: 0, reviewed: 0 });
    const entry = JSON.parse(
      readFileSync(join(paths.spoolDir, `${legacyTurnKey('s1', 't1')}.json`), 'utf8'),
    ) as SpoolEntry;
    expect(entry.attempts).toBe(0);
    expect(entry.last_error).toBeNull();
    expect(Date.parse(entry.next_attempt_at!)).toBe(nextLocalMidnight().getTime());
    expect(entry.history.at(-1)!.event).toMatch(
      /deferred: daily review cap reached \(1 of \[review\] max_per_day = 1 today\)/,
    );
    expect(readReviewsToday(paths.home).total).toBe(1);
  });

  it('under the cap, the review is counted before the call; a configuration failure is taken back', async () => {
    const { paths, env } = bucket('[review]\nmax_per_day = 5\n');
    spoolTurn(paths, 'From now on always run pnpm test before committing.', true);
    const result = await drainSpool(paths, { env });
    // A reviewer that is not installed is a configuration problem: the turn waits without using
    // up an attempt, and the call, counted before it was tried, is refunded (it cost nothing).
    expect(result).toMatchObject({ waiting: 1, retried: 0, deferred: 0 });
    const day = readdirSync(usageDir(paths.home)).find((name) => name.endsWith('.jsonl'))!;
    const lines = readFileSync(join(usageDir(paths.home), day), 'utf8')
      .trim()
      .split('\n');
    expect(lines.map((line) => (JSON.parse(line) as { refund?: boolean }).refund ?? false)).toEqual([
      false,
      true,
    ]);
    expect(readReviewsToday(paths.home)).toMatchObject({ total: 0, by_reviewer: {} });
    const entry = JSON.parse(
      readFileSync(join(paths.spoolDir, `${legacyTurnKey('s1', 't1')}.json`), 'utf8'),
    ) as SpoolEntry;
    expect(entry.last_error).toMatch(/ProviderConfigError: the codex reviewer needs the codex CLI/);
    expect(usageDir(paths.home)).toContain(join('run', 'review-usage'));
  });
});

describe('config use <reviewer>', () => {
  it('works without a config file and without a profile of that name, and says what it costs', async () => {
    const home = tempDir();
    const first = await configUseCommand(home, 'codex', { env: {} });
    expect(first.exitCode).toBe(0);
    expect(first.output).toMatchObject({ status: 'switched', active_profile: 'codex' });
    expect(String(first.output['note'])).toMatch(/max_per_day/);
    writeFileSync(
      join(home, 'config.toml'),
      'schema_version = 2\n# mine\n[profiles.work]\nprovider = "openai-compatible"\n',
    );
    const second = await configUseCommand(home, 'claude', { env: {} });
    expect(second.output).toMatchObject({
      status: 'switched',
      active_profile: 'claude',
      created_profile: 'claude',
    });
    const text = readFileSync(join(home, 'config.toml'), 'utf8');
    expect(text).toContain('# mine\n[profiles.work]');
    expect(text).toContain('[profiles.claude]\nprovider = "claude"\n');
    const loaded = await loadConfig({ home, env: {} });
    expect(loaded.config.active_profile).toBe('claude');
    expect(loaded.warnings).toEqual([]);
    expect((await configUseCommand(home, 'local', { env: {} })).output).not.toHaveProperty('note');
    expect((await configUseCommand(home, 'no-such', { env: {} })).output).toMatchObject({
      status: 'unknown_profile',
    });
  });

  it('config show tells where the agent is and warns when it is missing', async () => {
    const home = tempDir();
    await configUseCommand(home, 'codex', { env: {} });
    const shown = await configShowCommand(home, { env: { PATH: '/nonexistent' } });
    expect(shown.output['reviewer']).toMatchObject({
      provider: 'codex',
      program: null,
      timeout_seconds: 180,
      max_per_day: 200,
    });
    expect(shown.output['warnings']).toContain(
      'reviewer: codex was not found; reviews will wait until it is installed or [review.codex] path is set',
    );
  });
});
