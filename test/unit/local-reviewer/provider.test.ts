import { describe, expect, it } from 'vitest';
import { getProvider } from '../../../src/core/review/providers/index.js';
import { localProvider } from '../../../src/core/review/providers/local.js';
import { reviewLocally } from '../../../src/core/review/local/review.js';
import { parseReviewerOutput } from '../../../src/core/review/parse.js';
import { parseRollout } from '../../../src/core/agents/codex/rollout.js';
import type { ReviewRequest, Transcript } from '../../../src/core/review/types.js';
import { patchOf, rolloutText } from '../../fixtures/rollouts/rollout-builder.js';

const transcript: Transcript = parseRollout(
  rolloutText({
    cwd: '/home/dev/shop',
    turns: [
      {
        user: 'run the tests',
        steps: [
          { sh: 'npm test', exit: 1, out: 'npm error Unsupported URL Type "workspace:": workspace:*' },
          { sh: 'pnpm test', exit: 0, out: 'Test Files 3 passed' },
          { say: 'Tests pass with pnpm test.' },
        ],
      },
      {
        user: 'the migrations fail, fix it. and from now on keep answers short, I read the diff.',
        steps: [
          {
            sh: 'pnpm db:migrate',
            exit: 1,
            out: "Error: P1001: Can't reach database server at `localhost:5432`",
          },
          { sh: 'docker compose up -d db', exit: 0, out: 'Started' },
          { sh: 'pnpm db:migrate', exit: 0, out: 'applied' },
          { patch: patchOf('src/db.ts', 'a', 'b') },
          { say: 'Started the db container; migrations applied.' },
        ],
      },
    ],
  }),
);

function request(
  existing = { userMd: '# USER\n\n_No entries yet._\n', memoryMd: '# MEMORY\n\n_No entries yet._\n' },
): ReviewRequest {
  return { system: 'prompt', user: 'rendered', transcript, existing };
}

describe('localProvider', () => {
  it('answers a ReviewerOutput the pipeline parses without skipping anything', async () => {
    const response = await localProvider.review(request());
    expect(localProvider.name).toBe('local');
    expect(response.provider).toBe('local');
    const parsed = parseReviewerOutput(response.text);
    expect(parsed.skipped).toEqual([]);
    const families = parsed.suggestions.map((suggestion) => suggestion.family);
    // Only the latest turn is reviewed (turn 0 had its own review): its preference and its fix.
    expect(families).toEqual(['memory_updates', 'recall_candidate']);
    for (const suggestion of parsed.suggestions) {
      expect(suggestion.summary.trim()).not.toBe('');
      expect(suggestion.confidence).toBeGreaterThanOrEqual(0);
      expect(suggestion.confidence).toBeLessThanOrEqual(1);
      const details = suggestion.details as {
        content?: string;
        evidence?: { turn?: number; quote?: string; turn_id?: string };
      };
      expect(details.content).toBeTruthy();
      expect(details.evidence?.quote?.length).toBeLessThanOrEqual(200);
      expect(details.evidence?.turn_id).toBe(transcript.turns[details.evidence?.turn ?? -1]?.turnId);
    }
    const [preference] = parsed.suggestions;
    expect(preference?.details).toMatchObject({ action: 'add', scope: 'user', evidence: { turn: 1 } });
    const recall = parsed.suggestions[1]?.details as { content: string; source_paths: string[] };
    expect(recall.content).toContain("Can't reach database server");
    expect(recall.content).toContain('docker compose up -d db');
    expect(recall.source_paths).toEqual([]);
  });

  it('reviews each turn once: the first turn alone gives its command lesson, which the second review does not repeat', () => {
    const first = reviewLocally({ ...transcript, turns: transcript.turns.slice(0, 1) });
    expect(first.memory_updates).toEqual([]);
    expect(first.recall_candidate).toHaveLength(1);
    expect(first.recall_candidate[0]?.details).toMatchObject({ lesson: 'command', evidence: { turn: 0 } });
    expect((first.recall_candidate[0]?.details as { content: string }).content).toContain('`pnpm test`');
    const second = reviewLocally(transcript);
    expect(second.recall_candidate.map((item) => (item.details as { lesson: string }).lesson)).toEqual([
      'error_fix',
    ]);
  });

  it('is deterministic', async () => {
    const first = await localProvider.review(request());
    const second = await localProvider.review(request());
    expect(first.text).toBe(second.text);
  });

  it('skips lessons already in memory (normalized comparison)', () => {
    const fresh = reviewLocally(transcript, request().existing);
    expect(fresh.memory_updates).toHaveLength(1);
    const known = reviewLocally(transcript, {
      userMd: '# USER\n\n## Brevity\n\nFrom now on, keep answers SHORT; I read the diff!\n',
      memoryMd: '# MEMORY\n\n## Tests\n\nRun the tests with `pnpm test`.\n',
    });
    expect(known.memory_updates).toEqual([]);
    expect(known.recall_candidate).toHaveLength(1);
  });

  it('proposes nothing for a session with nothing to learn, and never a skill action', () => {
    const empty = reviewLocally(
      parseRollout(
        rolloutText({ turns: [{ user: 'what does this function do?', steps: [{ say: 'It sorts.' }] }] }),
      ),
    );
    expect(empty).toEqual({ memory_updates: [], recall_candidate: [], skill_action: [] });
    expect(reviewLocally({ turns: [], skippedLines: 0 })).toEqual({
      memory_updates: [],
      recall_candidate: [],
      skill_action: [],
    });
  });

  it('honours an aborted signal', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(localProvider.review({ ...request(), signal: controller.signal })).rejects.toThrow('stop');
  });

  it('is what the registry returns for "local"', async () => {
    const provider = await getProvider('local');
    expect(provider).toBe(localProvider);
  });
});
