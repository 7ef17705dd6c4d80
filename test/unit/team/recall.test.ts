/** Shared recall notes merged into personal results: labelled, deduplicated, edits win. */
import { describe, expect, it } from 'vitest';
import type { RecallQueryOutcome } from '../../../src/core/recall/query.js';
import { mergeTeamRecall } from '../../../src/core/team/recall.js';

const personal = (id: string, content: string): RecallQueryOutcome['results'][number] => ({
  id,
  summary: `Personal ${id}`,
  content,
  source_paths: [],
  repo_fingerprint: 'fp',
  cwd: '/r',
  thread_id: 't',
  turn_id: 'u',
  score: 50, // above any team score: recall scores are smoothed-IDF sums (docs/recall.md)
});
const rec = (id: string, summary: string, content: string) => ({
  id,
  summary,
  content,
  source_paths: [],
  repo_fingerprint: 'fp',
  cwd: '/r',
  thread_id: `.codex-self-evolution/${id}.md`,
  turn_id: '',
});

describe('mergeTeamRecall', () => {
  const base: RecallQueryOutcome = {
    results: [personal('aaaaaaaaaaaa', 'Redis cache eviction uses allkeys-lru in staging.')],
    mode: 'indexed',
    skipped: 0,
    problems: [],
  };
  const opts = { query: 'redis cache eviction policy', repoFingerprint: 'fp', topK: 5 };

  it('labels new shared notes, drops same-text ones, and lets an edited shared copy replace the personal one', () => {
    const team = {
      problems: [],
      records: [
        rec('bbbbbbbbbbbb', 'Eviction', 'Redis cache eviction uses allkeys-lru in staging.'),
        rec('cccccccccccc', 'Redis cache keys', 'Redis cache keys expire after one hour; eviction is rare.'),
        rec('dddddddddddd', 'Unrelated', 'The billing service retries webhooks three times.'),
      ],
    };
    const merged = mergeTeamRecall(base, team, opts);
    expect(merged.results.map((r) => [r.id, r.summary])).toEqual([
      ['aaaaaaaaaaaa', 'Personal aaaaaaaaaaaa'],
      ['cccccccccccc', '[team] Redis cache keys'],
    ]);
    expect(merged.results[1]).toMatchObject({
      origin: 'team',
      shared_path: '.codex-self-evolution/cccccccccccc.md',
    });

    const edited = mergeTeamRecall(
      base,
      {
        problems: [],
        records: [
          rec(
            'aaaaaaaaaaaa',
            'Eviction',
            'Redis cache eviction uses volatile-lru in staging since December.',
          ),
        ],
      },
      opts,
    );
    expect(edited.results.map((r) => [r.id, r.summary])).toEqual([['aaaaaaaaaaaa', '[team] Eviction']]);
  });

  it('no store or no match leaves the outcome as it was', () => {
    expect(mergeTeamRecall(base, undefined, opts)).toBe(base);
    expect(
      mergeTeamRecall(
        base,
        { problems: [], records: [rec('dddddddddddd', 'Unrelated', 'Billing retries webhooks.')] },
        opts,
      ),
    ).toBe(base);
  });
});
