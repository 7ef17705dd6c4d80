/**
 * How shared and personal entries combine for one reader, and which local paths keep a
 * lesson from being shared.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MemoryRecord } from '../../../src/core/memory/schema.js';
import type { MemoryEntry } from '../../../src/core/memory/view.js';
import { mergeTeamMemory } from '../../../src/core/team/merge.js';
import { localizePaths } from '../../../src/core/team/share.js';
import type { TeamEntry } from '../../../src/core/team/store.js';
import { tempDir } from '../../helpers/tmp.js';

const team = (id: string, content: string, extra: Partial<TeamEntry> = {}): TeamEntry => ({
  id,
  kind: 'memory',
  title: content.slice(0, 30),
  content,
  created: '2026-06-01T00:00:00Z',
  updated: '2026-06-01T00:00:00Z',
  sourceCommit: undefined,
  sourcePaths: [],
  supersedes: [],
  confidence: 1,
  provenance: undefined,
  file: `${id}.md`,
  ...extra,
});
const mine = (
  id: string,
  content: string,
  extra: Partial<MemoryEntry> = {},
  raw: Partial<MemoryRecord> = {},
): MemoryEntry => ({
  scope: 'global',
  summary: content.slice(0, 30),
  content,
  confidence: 1,
  sourcePaths: [],
  position: 0,
  status: undefined,
  id,
  record: {
    scope: 'global',
    summary: content.slice(0, 30),
    content,
    source_paths: [],
    confidence: 1,
    provenance: [],
    updated_at: '2026-07-01T00:00:00Z',
    ...raw,
  },
  ...extra,
});

describe('mergeTeamMemory', () => {
  const root = '/nonexistent-root-for-merge';

  it('same text is one entry (the personal one); unrelated shared entries are offered', () => {
    const m = mergeTeamMemory(
      [mine('m-1111111111', 'Run  the tests with `npm test`.')],
      [team('m-2222222222', 'run the tests with npm test'), team('m-3333333333', 'Deploy only from main.')],
      root,
    );
    expect(m.hidden.map((h) => [h.team.id, h.reason])).toEqual([['m-2222222222', 'duplicate']]);
    expect(m.active.map((a) => a.team.id)).toEqual(['m-3333333333']);
  });

  it('a personal entry that supersedes a shared one wins for that reader (explicit link or a newer changed value)', () => {
    const explicit = mergeTeamMemory(
      [mine('m-1111111111', 'Use the staging cluster for load tests.', {}, { supersedes: ['m-2222222222'] })],
      [team('m-2222222222', 'Use the shared cluster for load tests.')],
      root,
    );
    expect(explicit.hidden[0]).toMatchObject({ reason: 'superseded_by_personal' });
    expect(explicit.conflicts[0]).toMatchObject({ teamId: 'm-2222222222', winner: 'personal' });

    const value = mergeTeamMemory(
      [mine('m-1111111111', 'Install dependencies with pnpm from now on.')],
      [team('m-2222222222', 'Install dependencies with npm.')],
      root,
    );
    expect(value.active).toEqual([]);
    expect(value.conflicts[0]).toMatchObject({ winner: 'personal', reason: 'value_changed:npm→pnpm' });
  });

  it('a newer shared entry replaces an older personal global entry, never a USER one', () => {
    const newer = { updated: '2026-09-01T00:00:00Z' };
    const g = mine('m-1111111111', 'Install dependencies with npm.');
    const m = mergeTeamMemory(
      [g],
      [team('m-2222222222', 'Install dependencies with pnpm from now on.', newer)],
      root,
    );
    expect(m.active.map((a) => a.team.id)).toEqual(['m-2222222222']);
    expect(m.hiddenPersonal.has(g)).toBe(true);
    const u = mine('m-4444444444', 'Install dependencies with npm.', { scope: 'user' });
    const mu = mergeTeamMemory(
      [u],
      [team('m-2222222222', 'Install dependencies with pnpm from now on.', newer)],
      root,
    );
    expect(mu.active).toEqual([]);
    expect(mu.hiddenPersonal.size).toBe(0);
  });

  it('same id: an edited shared copy wins; a personally forgotten one stays hidden', () => {
    const p = mine('m-1111111111', 'Run migrations before tests.');
    const edited = mergeTeamMemory(
      [p],
      [team('m-1111111111', 'Run migrations before the integration tests only.')],
      root,
    );
    expect(edited.active).toHaveLength(1);
    expect(edited.hiddenPersonal.has(p)).toBe(true);
    expect(edited.conflicts[0]).toMatchObject({ winner: 'team' });
    const forgotten = mergeTeamMemory(
      [mine('m-1111111111', 'Run migrations before tests.', { status: 'forgotten' })],
      [team('m-1111111111', 'Run migrations before tests.')],
      root,
    );
    expect(forgotten.hidden[0]).toMatchObject({ reason: 'personal_forgotten' });
  });

  it('a shared entry whose source path vanished from the checkout is stale; one replaced by another shared entry is hidden', () => {
    const dir = tempDir('csep-team-merge-');
    mkdirSync(join(dir, 'scripts'));
    writeFileSync(join(dir, 'scripts', 'deploy.sh'), '');
    const m = mergeTeamMemory(
      [],
      [
        team('m-1111111111', 'Deploy with scripts/deploy.sh.', { sourcePaths: ['scripts/deploy.sh'] }),
        team('m-2222222222', 'Release with scripts/release.sh.', { sourcePaths: ['scripts/release.sh'] }),
        team('m-3333333333', 'Old advice.'),
        team('m-4444444444', 'New advice.', { supersedes: ['m-3333333333'] }),
      ],
      dir,
    );
    expect(m.active.map((a) => a.team.id)).toEqual(['m-1111111111', 'm-4444444444']);
    expect(m.hidden.map((h) => [h.team.id, h.reason, h.detail])).toEqual([
      ['m-2222222222', 'stale', 'source_deleted: scripts/release.sh'],
      ['m-3333333333', 'superseded_by_team', undefined],
    ]);
  });
});

describe('localizePaths', () => {
  const root = '/home/alice/src/shop';
  it('makes paths inside the checkout relative and reports local paths outside it', () => {
    expect(localizePaths('Edit /home/alice/src/shop/scripts/deploy.sh first.', root)).toEqual({
      text: 'Edit scripts/deploy.sh first.',
      outside: [],
    });
    expect(localizePaths('Logs are in /home/alice/.cache/shop/log.txt', root).outside).toEqual([
      '/home/alice/.cache/shop/log.txt',
    ]);
    expect(localizePaths('Copy ~/notes/todo.md', root).outside).toEqual(['~/notes/todo.md']);
    expect(localizePaths('Temp files land in /tmp/shop-build', root).outside).toEqual(['/tmp/shop-build']);
    expect(localizePaths('Open C:\\Users\\alice\\shop', root).outside).toHaveLength(1);
  });
  it('leaves system paths, URLs and API routes alone', () => {
    for (const text of [
      'Run it with /usr/bin/env node.',
      'See https://example.com/home/docs for more.',
      'GET /api/users returns 200.',
      'Use npm run build/test.',
    ]) {
      expect(localizePaths(text, root)).toEqual({ text, outside: [] });
    }
  });
});
