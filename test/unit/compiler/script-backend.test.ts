import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileWithScript } from '../../../src/core/compiler/backends/script.js';
import {
  DEFAULT_MEMORY_CAPS,
  type BackendInput,
  type ItemReceipt,
  type MemoryCaps,
} from '../../../src/core/compiler/backends/types.js';
import type { CompileContext } from '../../../src/core/compiler/context.js';
import { statePathsFor } from '../../../src/core/paths.js';
import {
  EnvelopeSchema,
  PLUGIN_OWNER,
  type Envelope,
  type SkillManifestEntry,
  type Suggestion,
} from '../../../src/core/schemas.js';
import type { MemoryRecord } from '../../../src/core/memory/schema.js';
import { at, mem, recall, skill } from './helpers.js';

const paths = statePathsFor('/state', { home: '/home', repoKey: '/repo', cwd: '/repo', explicit: true });

let n = 0;
function envelope(suggestions: Suggestion[], extra: Partial<Envelope> = {}): Envelope {
  n++;
  return EnvelopeSchema.parse({
    schema_version: 1,
    suggestion_id: `s${String(n).padStart(15, '0')}`,
    idempotency_key: `k${n}`,
    thread_id: 'thread-1',
    turn_id: `turn-${n}`,
    cwd: '/repo',
    repo_fingerprint: 'fp',
    reviewer_timestamp: at(n),
    suggestions,
    state: 'processing',
    ...extra,
  });
}

function context(partial: Partial<CompileContext> = {}): CompileContext {
  return {
    memory: { user: [], global: [] },
    recall: [],
    manifest: [],
    texts: new Map(),
    searchIndexFresh: false,
    memorySource: 'none',
    recallSource: 'none',
    manifestSource: 'none',
    problems: [],
    ...partial,
  };
}

function compile(
  envelopes: Envelope[],
  ctx: CompileContext = context(),
  caps: MemoryCaps = DEFAULT_MEMORY_CAPS,
) {
  const input: BackendInput = { envelopes, context: ctx, paths, now: '2026-11-26T00:00:00Z', caps };
  return compileWithScript(input);
}

const record = (summary: string, content: string, extra: Partial<MemoryRecord> = {}): MemoryRecord => ({
  scope: 'global',
  summary,
  content,
  source_paths: [],
  confidence: 1,
  provenance: [],
  ...extra,
});

const suggestionItems = (items: ItemReceipt[]) => items.filter((i) => i.suggestion_id !== undefined);

describe('script backend: memory', () => {
  it('adds by scope with provenance and dedupes on normalized content', () => {
    const e1 = envelope([
      mem('Package manager', {
        content: 'Use pnpm, never npm.',
        scope: 'user',
        evidence: { quote: 'we use pnpm here' },
      }),
    ]);
    const e2 = envelope([
      mem('PM', { content: 'use PNPM never npm', scope: 'user' }, 1),
      mem('Tests', { content: 'Run vitest.' }),
    ]);
    const out = compile([e1, e2]);
    expect(out.memory.user).toHaveLength(1);
    expect(out.memory.global.map((r) => r.summary)).toEqual(['Tests']);
    const user = out.memory.user[0]!;
    expect(user).toMatchObject({
      scope: 'user',
      summary: 'Package manager',
      content: 'Use pnpm, never npm.',
      confidence: 1,
      created_at: e1.reviewer_timestamp,
      updated_at: e2.reviewer_timestamp,
    });
    expect(user.provenance).toEqual([
      {
        thread_id: 'thread-1',
        turn_id: e1.turn_id,
        suggestion_id: e1.suggestion_id,
        index: 0,
        at: e1.reviewer_timestamp,
        quote: 'we use pnpm here',
      },
      {
        thread_id: 'thread-1',
        turn_id: e2.turn_id,
        suggestion_id: e2.suggestion_id,
        index: 0,
        at: e2.reviewer_timestamp,
      },
    ]);
    expect(suggestionItems(out.items).map((i) => i.state)).toEqual(['applied', 'duplicate', 'applied']);
  });

  it('replaces and removes by old_summary, in reviewer order, keeping unknown fields', () => {
    const ctx = context({
      memory: {
        user: [],
        global: [
          record('Deploy target', 'Deploy to staging first.', {
            status_note: 'kept',
            provenance: [{ thread_id: 'old' }],
          }),
        ],
      },
    });
    const out = compile(
      [
        envelope([
          mem(
            'Deploy target',
            { action: 'replace', old_summary: 'deploy TARGET', content: 'Deploy to canary first.' },
            0.7,
          ),
        ]),
        envelope([
          mem('CI', { content: 'CI runs on push.' }),
          mem('', { action: 'remove', old_summary: 'CI' }),
        ]),
      ],
      ctx,
    );
    // A replace supersedes (history kept) and a remove retires, instead of overwriting or deleting.
    const active = out.memory.global.filter((r) => r.status === undefined);
    expect(active).toHaveLength(1);
    expect(active[0]).toMatchObject({
      summary: 'Deploy target',
      content: 'Deploy to canary first.',
      confidence: 0.7,
    });
    const old = out.memory.global.find((r) => r.content === 'Deploy to staging first.')!;
    expect(old).toMatchObject({
      status: 'superseded',
      superseded_by: active[0]!.id,
      status_note: 'kept',
      valid_until: expect.any(String),
    });
    expect(active[0]).toMatchObject({ supersedes: [old.id] });
    expect((old.provenance as Array<{ thread_id: string }>).map((p) => p.thread_id)).toEqual(['old']);
    expect(out.memory.global.find((r) => r.summary === 'CI')).toMatchObject({ status: 'retired' });
    expect(suggestionItems(out.items).map((i) => [i.action, i.state])).toEqual([
      ['replace', 'applied'],
      ['add', 'applied'],
      ['remove', 'applied'],
    ]);
  });

  it('reports replace/remove that match nothing or several entries instead of dropping them silently', () => {
    const ctx = context({
      memory: { user: [], global: [record('Build cache A', 'a'), record('Build cache B', 'b')] },
    });
    const out = compile(
      [
        envelope([
          mem('x', { action: 'remove', old_summary: 'nothing like this' }),
          mem('y', { action: 'replace', old_summary: 'build cache', content: 'c' }),
        ]),
      ],
      ctx,
    );
    expect(out.memory.global.map((r) => r.content)).toEqual(['a', 'b']);
    const items = suggestionItems(out.items);
    expect(items.map((i) => [i.state, i.reason])).toEqual([
      ['discarded', 'no_match'],
      ['discarded', 'ambiguous_match'],
    ]);
    expect(items[1]!.detail).toContain('2 global entries');
  });

  it('is deterministic: the same batch gives the same output', () => {
    const batch = [
      envelope([mem('A', { content: 'alpha' }), recall('R1'), skill({ skill_id: 'deploy' })]),
      envelope([mem('B', { content: 'beta', scope: 'user' })]),
    ];
    expect(JSON.stringify(compile(batch))).toBe(JSON.stringify(compile(batch)));
  });

  it('evicts the least useful entries past the caps and records every eviction', () => {
    const caps: MemoryCaps = {
      user: { maxEntries: 2, maxChars: 10_000 },
      global: { maxEntries: 100, maxChars: 40 },
    };
    const ctx = context({
      memory: {
        user: [
          record('old low', 'u1', { scope: 'user', confidence: 0.2, updated_at: at(0) }),
          record('old high', 'u2', { scope: 'user', confidence: 0.9, updated_at: at(0) }),
        ],
        global: [record('g', 'x'.repeat(30), { confidence: 0.5 })],
      },
    });
    const out = compile(
      [
        envelope([
          mem('new user', { scope: 'user', content: 'u3' }, 0.8),
          mem('new global', { content: 'y'.repeat(20) }, 0.9),
        ]),
      ],
      ctx,
      caps,
    );
    expect(out.memory.user.map((r) => r.summary)).toEqual(['old high', 'new user']);
    expect(out.memory.global.map((r) => r.summary)).toEqual(['new global']);
    const evictions = out.items.filter((i) => i.state === 'evicted');
    expect(evictions.map((e) => [e.scope, e.summary, e.reason])).toEqual([
      ['user', 'old low', 'cap_entries'],
      ['global', 'g', 'cap_chars'],
    ]);
    expect(evictions[0]).toMatchObject({ content: 'u1', confidence: 0.2 });
  });

  it('marks a suggestion evicted when its own entry does not survive the caps, and refuses entries longer than the cap', () => {
    const caps: MemoryCaps = { user: { maxEntries: 1, maxChars: 50 }, global: DEFAULT_MEMORY_CAPS.global };
    const ctx = context({
      memory: { user: [record('keep', 'k', { scope: 'user', confidence: 1 })], global: [] },
    });
    const out = compile(
      [
        envelope([
          mem('weak', { scope: 'user', content: 'w' }, 0.1),
          mem('huge', { scope: 'user', content: 'z'.repeat(60) }),
        ]),
      ],
      ctx,
      caps,
    );
    expect(out.memory.user.map((r) => r.summary)).toEqual(['keep']);
    expect(suggestionItems(out.items).map((i) => [i.state, i.reason])).toEqual([
      ['evicted', 'cap_entries'],
      ['discarded', 'too_long'],
    ]);
  });
});

describe('script backend: recall', () => {
  it('gives stable ids, per-envelope provenance, and drops empty source paths', () => {
    const e1 = envelope(
      [
        recall('Retry policy', {
          content: 'Retries back off from 0.5 s.',
          source_paths: ['src/http.ts', '', '  '],
        }),
      ],
      { thread_id: 'A', cwd: '/repo/a' },
    );
    const e2 = envelope(
      [
        recall('Retry policy again', {
          content: 'retries back off from 0.5 s',
          source_paths: ['src/retry.ts'],
        }),
        recall('Lock', { content: 'The lock heartbeats.' }),
      ],
      { thread_id: 'B', cwd: '/repo/b' },
    );
    const out = compile([e1, e2]);
    expect(out.recall).toHaveLength(2);
    expect(out.recall[0]).toMatchObject({
      summary: 'Retry policy',
      source_paths: ['src/http.ts', 'src/retry.ts'],
      thread_id: 'A',
      cwd: '/repo/a',
      turn_id: e1.turn_id,
    });
    expect(out.recall[1]).toMatchObject({ thread_id: 'B', cwd: '/repo/b', turn_id: e2.turn_id });
    expect(out.recall[0]!.id).toMatch(/^[0-9a-f]{12}$/);
    expect(
      compile([envelope([recall('Other summary', { content: 'Retries back off from 0.5 s.' })])]).recall[0]!
        .id,
    ).toBe(out.recall[0]!.id);
    expect(suggestionItems(out.items).map((i) => i.state)).toEqual(['applied', 'duplicate', 'applied']);
  });
});

describe('script backend: skills', () => {
  const owned = (id: string, extra: Partial<SkillManifestEntry> = {}): SkillManifestEntry => ({
    skill_id: id,
    action: 'create',
    title: id,
    path: join(paths.skillsManagedDir, `${id}.md`),
    status: 'active',
    owner: PLUGIN_OWNER,
    managed: true,
    created_by: PLUGIN_OWNER,
    updated_at: '2026-01-01T00:00:00Z',
    retired_at: null,
    ...extra,
  });

  it('normalizes ids so none is empty or escapes the managed dir', () => {
    const out = compile([
      envelope([skill({ skill_id: '../../x' }), skill({ title: '部署流程' }, '部署流程')]),
    ]);
    const ids = out.skills.map((s) => s.skill_id);
    expect(ids[0]).toBe('x');
    expect(ids[1]).toMatch(/^skill-[0-9a-f]{8}$/);
    for (const entry of out.manifest)
      expect(entry.path).toBe(join(paths.skillsManagedDir, `${entry.skill_id}.md`));
  });

  it('changes only skills this tool owns and reports every refusal', () => {
    const ctx = context({
      manifest: [
        owned('ours'),
        owned('theirs', { owner: 'someone-else' }),
        owned('unmanaged', { managed: false }),
      ],
    });
    const out = compile(
      [
        envelope([
          skill({ action: 'patch', skill_id: 'ours', content: 'Run the new deploy steps carefully' }),
          skill({ action: 'edit', skill_id: 'theirs' }),
          skill({ action: 'create', skill_id: 'unmanaged' }),
          skill({ action: 'retire', skill_id: 'missing' }),
          skill({ action: 'create', skill_id: 'thin', content: 'too short' }),
          skill({ action: 'create', skill_id: 'nodesc', description: '' }),
        ]),
      ],
      ctx,
    );
    expect(suggestionItems(out.items).map((i) => [i.skill_id, i.state, i.reason])).toEqual([
      ['ours', 'applied', undefined],
      ['theirs', 'discarded', 'ownership_violation'],
      ['unmanaged', 'discarded', 'ownership_violation'],
      ['missing', 'discarded', 'missing_managed_skill'],
      ['thin', 'discarded', 'low_signal'],
      ['nodesc', 'discarded', 'missing_description'],
    ]);
    expect(out.manifest.find((e) => e.skill_id === 'theirs')).toEqual(ctx.manifest[1]);
    expect(out.manifest.find((e) => e.skill_id === 'ours')).toMatchObject({
      action: 'patch',
      updated_at: '2026-11-26T00:00:00Z',
      owner: PLUGIN_OWNER,
    });
  });

  it('takes skill candidates from memory suggestions and lets the last action of a batch win', () => {
    const out = compile([
      envelope([
        mem('Deploy', {
          skill_candidate: {
            skill_id: 'deploy',
            title: 'Deploy',
            description: 'Use when shipping',
            content: 'Run the deploy script and check it',
          },
        }),
      ]),
      envelope([skill({ action: 'retire', skill_id: 'deploy' })]),
    ]);
    expect(out.skills).toEqual([
      expect.objectContaining({ skill_id: 'deploy', status: 'retired', title: 'Deploy' }),
    ]);
    expect(out.manifest).toEqual([
      expect.objectContaining({ skill_id: 'deploy', status: 'retired', retired_at: '2026-11-26T00:00:00Z' }),
    ]);
    expect(suggestionItems(out.items).map((i) => [i.family, i.part, i.state])).toEqual([
      ['memory_updates', undefined, 'applied'],
      ['memory_updates', 'skill_candidate', 'superseded'],
      ['skill_action', undefined, 'applied'],
    ]);
  });

  it('accounts for every suggestion of a large batch exactly once (plus skill candidates)', () => {
    const envelopes = Array.from({ length: 300 }, (_, i) =>
      envelope([mem(`m${i % 40}`, { content: `c${i % 40}` }), recall(`r${i}`)]),
    );
    const out = compile(envelopes);
    const keys = suggestionItems(out.items).map((i) => `${i.suggestion_id}:${i.index}`);
    expect(new Set(keys).size).toBe(600);
    expect(keys).toHaveLength(600);
  });
});
