/**
 * 50 Stop hooks fired at once on one repository (50 sessions, one turn each, real rollouts), each
 * starting or finding a detached review worker; then a drain and a compile. Every turn must be
 * reviewed exactly once and every suggestion applied exactly once.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { legacyTurnKey } from '../../src/core/agents/turn-key.js';
import { suggestionIdFor } from '../../src/core/queue/queue.js';
import {
  accountSuggestions,
  accountedKeys,
  cli,
  countCase,
  expectHookAnswer,
  expectedKeys,
  leftoverTemps,
  logLines,
  queueIds,
  reap,
  reviewFor,
  sessionIdFor,
  spoolEntries,
  stopPayload,
  waitForQuiet,
  world,
  writeRollout,
  type World,
} from './helpers.js';

const HOOKS = 50;

export function parallelStops(): void {
  describe('50 Stop hooks in parallel on one repository', () => {
    let w: World | undefined;
    afterEach(() => {
      if (w) reap(w);
    });

    it('reviews every turn exactly once and compiles every suggestion exactly once', async () => {
      w = world();
      const turns = Array.from({ length: HOOKS }, (_, i) => {
        const sessionId = sessionIdFor(i + 1, 'par');
        const rollout = writeRollout(w!, sessionId, {
          turns: [
            {
              user: `Turn ${i}: please fix the failing billing test and always run make check before pushing.`,
              steps: [
                { sh: 'make check', exit: 2, out: `FAIL billing_test.go:${40 + i}: expected 3, got 4` },
                {
                  patch: `*** Begin Patch\n*** Update File: billing.go\n@@\n-  return 4\n+  return 3\n*** End Patch`,
                },
                { sh: 'make check', exit: 0, out: 'ok  billing 0.41s' },
                { say: `Fixed the billing test (case ${i}); make check passes.` },
              ],
            },
          ],
        });
        const review = reviewFor(`p${i}`);
        return { sessionId, turnId: rollout.turnId, transcript: rollout.path, review };
      });

      const results = await Promise.all(
        turns.map((t) =>
          cli(w!, ['stop-review', '--from-stdin'], {
            input: stopPayload(w!, {
              sessionId: t.sessionId,
              turnId: t.turnId,
              transcriptPath: t.transcript,
              stub: t.review.text,
              lastAssistant: 'Fixed.',
            }),
          }),
        ),
      );
      for (const r of results) expect(expectHookAnswer(r)).toEqual({ continue: true });
      countCase('concurrent Stop hooks', HOOKS);

      // The detached workers alone must review everything: no turn is left waiting for a later Stop.
      const quiet = await waitForQuiet(w);
      expect(quiet).toEqual({ quiet: true, spooled: 0, running: 0 });
      const drained = await cli(w, ['stop-review', '--drain', '--retry-now', '--cwd', w.repo]);
      expect(drained.status).toBe(0);
      expect(JSON.parse(drained.stdout)).toMatchObject({ reviewed: 0, duplicates: 0, retried: 0, dead: 0 });

      // Exactly once: one idempotency marker and one envelope per turn, ids derived from the turns.
      const expectedIds = turns.map((t) => suggestionIdFor(legacyTurnKey(t.sessionId, t.turnId))).sort();
      const keys = readdirSync(join(w.paths.suggestionsDir, '.keys'));
      expect(keys.sort()).toEqual(turns.map((t) => legacyTurnKey(t.sessionId, t.turnId)).sort());
      expect(queueIds(w.paths).pending).toEqual(expectedIds);
      const reviewedLines = logLines(w.home).filter((l) => l.msg === 'stop-review reviewed a turn');
      expect(reviewedLines.filter((l) => l.queue_status === 'written')).toHaveLength(HOOKS);
      expect(reviewedLines.filter((l) => l.queue_status !== 'written')).toEqual([]);
      expect(new Set(reviewedLines.map((l) => l.suggestion_id)).size).toBe(HOOKS);

      const compiled = await cli(w, ['compile', '--once', '--repo-root', w.repo]);
      expect(compiled.status).toBe(0);
      expect(JSON.parse(compiled.stdout)).toMatchObject({ status: 'success', processed_count: HOOKS });
      const q = queueIds(w.paths);
      expect(q).toMatchObject({ pending: [], processing: [], failed: [], discarded: [] });
      expect(q.done).toEqual(expectedIds);

      const expected = turns.flatMap((t) => expectedKeys(t.sessionId, t.turnId, t.review.count));
      const { lost, duplicated } = accountSuggestions(expected, accountedKeys(w.paths));
      expect(lost).toEqual([]);
      expect(duplicated).toEqual([]);
      const memory = JSON.parse(readFileSync(w.paths.memoryJson, 'utf8')) as {
        global: Array<{ summary: string }>;
      };
      expect(memory.global.map((m) => m.summary).sort()).toEqual(turns.map((_, i) => `lesson p${i}`).sort());
      expect(spoolEntries(w.paths)).toEqual([]);
      expect(leftoverTemps(w.home)).toEqual([]);
    }, 240_000);
  });
}
