/**
 * `kill -9` of the review worker and of the compiler at random points, 20 times in all (10 each),
 * in two buckets whose state accumulates from one kill to the next. The points are drawn from a
 * seeded PRNG (CSEP_FAULT_SEED, printed on failure): either a named crash point
 * (CODEX_SELF_EVOLUTION_TEST_CRASH_AT) or a SIGKILL after a random delay within the time a normal
 * run takes, so kills also land mid-write, mid-rename and mid-fsync. After each kill: nothing is
 * lost (every turn is spooled or queued, every envelope is in some state), the next run recovers
 * (no wedged lock), and in the end every suggestion is applied exactly once.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CRASH_STAGES } from '../../src/core/compiler/crash.js';
import { lockDirOf } from '../../src/core/compiler/lock.js';
import { ensureRuntimeDirs } from '../../src/core/paths.js';
import { enqueueReviewedTurn, suggestionIdFor } from '../../src/core/queue/queue.js';
import { legacyTurnKey } from '../../src/core/agents/turn-key.js';
import { isLockLive, workerLockPath } from '../../src/core/spool/spool.js';
import type { Suggestion } from '../../src/core/schemas.js';
import { CLI } from '../helpers/run-cli.js';
import {
  accountSuggestions,
  accountedKeys,
  brokenJson,
  cli,
  countCase,
  distinctWords,
  expectHookAnswer,
  expectedKeys,
  holdWorkerLock,
  noteDefect,
  queueIds,
  removeRoot,
  repeatedReceipts,
  reviewFor,
  sessionIdFor,
  spoolEntries,
  stopPayload,
  suiteRoot,
  tally,
  world,
  type World,
} from './helpers.js';

export const FAULT_SEED = Number(process.env.CSEP_FAULT_SEED ?? 20261126);
const ROUNDS = 10;

/** mulberry32. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Kill = { kind: 'named'; point: string } | { kind: 'timed'; delayMs: number };

/** Runs the CLI and SIGKILLs it: at a named point, or after `delayMs`. Resolves how it ended. */
function runAndKill(
  w: World,
  args: string[],
  kill: Kill,
): Promise<{ killed: boolean; status: number | null; ms: number }> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', NO_COLOR: '1', ...w.env };
  if (kill.kind === 'named') env.CODEX_SELF_EVOLUTION_TEST_CRASH_AT = kill.point;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: 'ignore' });
    const timer = kill.kind === 'timed' ? setTimeout(() => child.kill('SIGKILL'), kill.delayMs) : undefined;
    child.on('error', reject);
    child.on('exit', (status, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ killed: signal === 'SIGKILL', status, ms: Date.now() - started });
    });
  });
}

/** Records where a kill landed, for the totals line. */
function notePhase(target: string, killed: boolean, phase: 'before' | 'mid' | 'after'): void {
  const label = !killed
    ? `${target} finished before a timed kill (the round then used a named crash point)`
    : phase === 'before'
      ? `${target} killed before any work`
      : phase === 'mid'
        ? `${target} killed mid-work`
        : `${target} killed after its work`;
  tally.killPhases[label] = (tally.killPhases[label] ?? 0) + 1;
}

export function kills(): void {
  const rand = prng(FAULT_SEED);
  const seedNote = `CSEP_FAULT_SEED=${FAULT_SEED}`;

  describe(`kill -9 of the review worker at random points (${seedNote})`, () => {
    let w: World | undefined;
    const turns: Array<{ sessionId: string; turnId: string; count: number }> = [];
    let typicalMs = 600;
    afterAll(() => {
      if (w) removeRoot(w.root);
    });

    for (let round = 1; round <= ROUNDS; round++) {
      const kill: Kill =
        rand() < 0.4
          ? { kind: 'named', point: rand() < 0.5 ? 'review:after-claim' : 'review:after-enqueue' }
          : { kind: 'timed', delayMs: -1 };
      const fraction = rand();
      // Used when a timed kill comes after the run ended: the round then kills a second run here.
      const fallback: Kill = {
        kind: 'named',
        point: rand() < 0.5 ? 'review:after-claim' : 'review:after-enqueue',
      };
      it(`round ${round}: ${kill.kind === 'named' ? `crash at ${kill.point}` : `SIGKILL at ${Math.round(fraction * 100)}% of a normal drain`}`, async () => {
        w ??= world({ root: suiteRoot() });
        const spoolTurns = async (attempt: number, count: number) => {
          // New turns, spooled only (the bucket's worker lock is held by this live process).
          const release = holdWorkerLock(w!);
          const fresh = Array.from({ length: count }, (_, i) => {
            const sessionId = sessionIdFor(round * 100 + attempt * 10 + i, 'kw');
            const review = reviewFor(`w${round}-${attempt}-${i}`);
            return {
              sessionId,
              turnId: `turn-${round}-${attempt}-${i}`,
              count: review.count,
              stub: review.text,
            };
          });
          for (const t of fresh)
            expectHookAnswer(
              await cli(w!, ['stop-review', '--from-stdin'], {
                input: stopPayload(w!, { sessionId: t.sessionId, turnId: t.turnId, stub: t.stub }),
              }),
            );
          release();
          turns.push(...fresh);
          return fresh;
        };
        let fresh = await spoolTurns(0, 6);
        expect(spoolEntries(w.paths)).toHaveLength(6);

        let k: Kill =
          kill.kind === 'named' ? kill : { kind: 'timed', delayMs: Math.round(fraction * typicalMs) };
        let crashed = await runAndKill(w, ['stop-review', '--drain', '--cwd', w.repo], k);
        if (!crashed.killed) {
          notePhase('review worker', false, 'after');
          fresh = await spoolTurns(1, 3);
          k = fallback;
          crashed = await runAndKill(w, ['stop-review', '--drain', '--cwd', w.repo], k);
        }
        expect(crashed.killed, `${seedNote}: no kill landed in round ${round}`).toBe(true);
        countCase('kill -9 (review worker)');

        // Right after the kill: every turn is either still spooled or queued (marker and envelope).
        const spooled = new Set(spoolEntries(w.paths).map((n) => n.slice(0, -5)));
        const queued = new Set(Object.values(queueIds(w.paths)).flat());
        let queuedFresh = 0;
        for (const t of turns) {
          const key = legacyTurnKey(t.sessionId, t.turnId);
          const inQueue = queued.has(suggestionIdFor(key));
          if (inQueue && fresh.some((f) => f.sessionId === t.sessionId && f.turnId === t.turnId))
            queuedFresh++;
          expect(
            spooled.has(key) || inQueue,
            `${seedNote}: turn ${t.turnId} neither spooled nor queued after ${JSON.stringify(k)}`,
          ).toBe(true);
        }
        const attempted = spoolEntries(w.paths).some(
          (n) =>
            (JSON.parse(readFileSync(join(w!.paths.spoolDir, n), 'utf8')) as { attempts: number }).attempts >
            0,
        );
        notePhase(
          'review worker',
          true,
          queuedFresh === 0 && !attempted ? 'before' : queuedFresh === fresh.length ? 'after' : 'mid',
        );
        expect(brokenJson(w.home), seedNote).toEqual([]);

        // The next drain takes over the dead worker's lock and finishes the work.
        const started = Date.now();
        const next = await cli(w, ['stop-review', '--drain', '--retry-now', '--cwd', w.repo]);
        typicalMs = Math.max(300, Date.now() - started);
        expect(next.status, next.stderr).toBe(0);
        expect(JSON.parse(next.stdout)).toMatchObject({ busy: false, dead: 0, retried: 0 });
        expect(spoolEntries(w.paths)).toEqual([]);
        expect(isLockLive(workerLockPath(w.paths))).toBe(false);
        expect(
          existsSync(join(w.paths.spoolDir, 'dead')) ? readdirSync(join(w.paths.spoolDir, 'dead')) : [],
        ).toEqual([]);
        const all = Object.values(queueIds(w.paths)).flat();
        expect(new Set(all).size, `${seedNote}: an envelope id in two states`).toBe(all.length);
        expect(queueIds(w.paths).pending.sort()).toEqual(
          turns.map((t) => suggestionIdFor(legacyTurnKey(t.sessionId, t.turnId))).sort(),
        );
      }, 120_000);
    }

    it('then one compile applies every suggestion of every round exactly once', async () => {
      expect(w).toBeDefined();
      const compiled = await cli(w!, ['compile', '--once', '--repo-root', w!.repo]);
      expect(compiled.status, compiled.stderr).toBe(0);
      expect(JSON.parse(compiled.stdout)).toMatchObject({ status: 'success', processed_count: turns.length });
      const { lost, duplicated } = accountSuggestions(
        turns.flatMap((t) => expectedKeys(t.sessionId, t.turnId, t.count)),
        accountedKeys(w!.paths),
      );
      expect(lost, seedNote).toEqual([]);
      expect(duplicated, seedNote).toEqual([]);
    }, 120_000);
  });

  describe(`kill -9 of the compiler at random points (${seedNote})`, () => {
    let w: World | undefined;
    const seeded: Array<{ threadId: string; turnId: string; count: number }> = [];
    let typicalMs = 1500;
    afterAll(() => {
      if (w) removeRoot(w.root);
    });

    for (let round = 1; round <= ROUNDS; round++) {
      const named = rand() < 0.4;
      const stage = CRASH_STAGES[Math.floor(rand() * CRASH_STAGES.length)]!;
      const batch = 1 + Math.floor(rand() * 4);
      const fraction = rand();
      const point = stage === 'after-lock' ? stage : `${stage}:${batch}`;
      // Used when a timed kill comes after the run ended: the round then kills a second run here.
      const fallbackStage = CRASH_STAGES[Math.floor(rand() * CRASH_STAGES.length)]!;
      const fallbackPoint =
        fallbackStage === 'after-lock' ? fallbackStage : `${fallbackStage}:${1 + Math.floor(rand() * 2)}`;
      it(`round ${round}: ${named ? `crash at ${point}` : `SIGKILL at ${Math.round(fraction * 100)}% of a normal compile`}`, async () => {
        if (!w) {
          w = world({ root: suiteRoot() });
          ensureRuntimeDirs(w.paths);
        }
        const queueWork = (attempt: number, count: number): string[] => {
          // New envelopes (two suggestions each, a skill every fourth), in batches of three.
          const ids: string[] = [];
          for (let i = 0; i < count; i++) {
            const tag = `c${round}-${attempt}-${i}`;
            const suggestions: Suggestion[] = [
              {
                family: 'memory_updates',
                summary: `lesson ${tag}`,
                details: {
                  action: 'add',
                  scope: 'global',
                  content: `Lesson ${tag}: ${distinctWords(`km${tag}`)}.`,
                },
                confidence: 0.9,
              },
              i % 4 === 0
                ? {
                    family: 'skill_action',
                    summary: `skill ${tag}`,
                    details: {
                      action: 'create',
                      skill_id: `skill-${tag}`,
                      description: `Use when ${distinctWords(`kd${tag}`, 3)}`,
                      content: `Steps: ${distinctWords(`ks${tag}`)}.`,
                    },
                    confidence: 1,
                  }
                : {
                    family: 'recall_candidate',
                    summary: `fact ${tag}`,
                    details: {
                      content: `Fact ${tag}: ${distinctWords(`kr${tag}`)}.`,
                      source_paths: ['deploy/staging.yml'],
                    },
                    confidence: 1,
                  },
            ];
            const threadId = `kc-thread-${round}`;
            const turnId = `kc-${round}-${attempt}-${i}`;
            enqueueReviewedTurn(w!.paths, {
              threadId,
              turnId,
              cwd: w!.paths.cwd,
              suggestions,
              reviewerProvider: 'dummy',
            });
            seeded.push({ threadId, turnId, count: suggestions.length });
            ids.push(suggestionIdFor(legacyTurnKey(threadId, turnId)));
          }
          return ids;
        };
        let roundIds = queueWork(0, 12);
        const args = ['compile', '--once', '--batch-size', '3', '--repo-root', w.repo];
        let k: Kill = named
          ? { kind: 'named', point }
          : { kind: 'timed', delayMs: Math.round(fraction * typicalMs) };
        let crashed = await runAndKill(w, args, k);
        if (!crashed.killed) {
          notePhase('compiler', false, 'after');
          roundIds = queueWork(1, 6);
          k = { kind: 'named', point: fallbackPoint };
          crashed = await runAndKill(w, args, k);
        }
        expect(crashed.killed, `${seedNote}: no kill landed in round ${round}`).toBe(true);
        countCase('kill -9 (compiler)');
        const ids = seeded.map((s) => suggestionIdFor(legacyTurnKey(s.threadId, s.turnId)));

        // Right after the kill: every envelope is still in some state; nothing half-written.
        const present = new Set(Object.values(queueIds(w.paths)).flat());
        expect(
          ids.filter((id) => !present.has(id)),
          `${seedNote}: envelopes missing after ${JSON.stringify(k)}`,
        ).toEqual([]);
        const afterKill = queueIds(w.paths);
        const doneNow = roundIds.filter((id) => afterKill.done.includes(id)).length;
        notePhase(
          'compiler',
          true,
          doneNow === 0 && afterKill.processing.length === 0
            ? 'before'
            : doneNow === roundIds.length
              ? 'after'
              : 'mid',
        );
        expect(brokenJson(w.home), seedNote).toEqual([]);
        // The dead owner's lock does not wedge the bucket.
        const preflight = await cli(w, ['compile-preflight', '--repo-root', w.repo]);
        expect(JSON.parse(preflight.stdout).status, seedNote).not.toBe('skip_locked');

        const started = Date.now();
        const next = await cli(w, ['compile', '--once', '--batch-size', '3', '--repo-root', w.repo]);
        typicalMs = Math.max(500, Date.now() - started);
        expect(next.status, next.stderr).toBe(0);
        expect(['success', 'skip_empty']).toContain(JSON.parse(next.stdout).status);
        const q = queueIds(w.paths);
        expect(q, seedNote).toMatchObject({ pending: [], processing: [], failed: [], discarded: [] });
        expect(q.done.sort()).toEqual([...ids].sort());
        expect(existsSync(w.paths.lockFile) || existsSync(lockDirOf(w.paths))).toBe(false);
        expect(existsSync(join(w.paths.compilerDir, 'apply-journal.json'))).toBe(false);
        const keys = accountedKeys(w.paths);
        expect(new Set(keys).size, `${seedNote}: a suggestion applied by two transactions`).toBe(keys.length);
        // Known, reported: a kill between the receipt history append and last_receipt.json makes
        // the journal recovery append the same receipt (same receipt_id) again.
        if (repeatedReceipts(w.paths) > 0)
          noteDefect(
            'a kill between the receipts.jsonl append and last_receipt.json makes recovery append the same receipt again',
          );
        expect(keys.length).toBe(seeded.reduce((n, s) => n + s.count, 0));
      }, 120_000);
    }

    it('accounts for every suggestion of every round exactly once', () => {
      expect(w).toBeDefined();
      const { lost, duplicated } = accountSuggestions(
        seeded.flatMap((s) => expectedKeys(s.threadId, s.turnId, s.count)),
        accountedKeys(w!.paths),
      );
      expect(lost, seedNote).toEqual([]);
      expect(duplicated, seedNote).toEqual([]);
    });
  });
}
