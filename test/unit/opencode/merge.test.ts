import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { guardArtifacts } from '../../../src/core/compiler/apply.js';
import {
  AgentAnswerError,
  AgentAnswerSchema,
  type AgentAnswer,
} from '../../../src/core/compiler/backends/opencode/answer.js';
import { mergeAnswer } from '../../../src/core/compiler/backends/opencode/merge.js';
import type { BackendInput, MemoryCaps } from '../../../src/core/compiler/backends/types.js';
import { DEFAULT_MEMORY_CAPS } from '../../../src/core/compiler/backends/types.js';
import type { CompileContext } from '../../../src/core/compiler/context.js';
import { statePathsFor } from '../../../src/core/paths.js';
import type { MemoryRecord } from '../../../src/core/memory/schema.js';
import type { Envelope, RecallRecord, SkillManifestEntry } from '../../../src/core/schemas.js';

const paths = statePathsFor('/state', { home: '/home', repoKey: '/repo', cwd: '/repo', explicit: true });

function envelope(id: string, n = 1): Envelope {
  return {
    schema_version: 1,
    suggestion_id: id,
    idempotency_key: id,
    thread_id: `thread-${id}`,
    turn_id: `turn-${id}`,
    cwd: `/repo/${id}`,
    repo_fingerprint: `fp-${id}`,
    reviewer_timestamp: `2026-11-01T00:00:0${n}Z`,
    suggestions: [
      {
        family: 'memory_updates',
        summary: `m ${id}`,
        details: { action: 'add', content: `memory ${id}` },
        confidence: 1,
      },
      { family: 'recall_candidate', summary: `r ${id}`, details: { content: `recall ${id}` }, confidence: 1 },
    ],
    source_authority: [],
    state: 'processing',
    attempt_count: 0,
    failure_reason: null,
    transition_log: [],
  };
}

const mem = (
  scope: 'user' | 'global',
  summary: string,
  content: string,
  extra: Record<string, unknown> = {},
): MemoryRecord => ({
  scope,
  summary,
  content,
  source_paths: [],
  confidence: 0.8,
  provenance: [{ thread_id: 'old' }],
  ...extra,
});

const rec = (id: string, content: string): RecallRecord => ({
  id,
  summary: `sum ${id}`,
  content,
  source_paths: ['a.ts'],
  repo_fingerprint: 'fp',
  cwd: '/repo',
  thread_id: 't',
  turn_id: 'u',
  source_updated_at: '',
});

const skill = (id: string, owner = 'codex-self-evolution-plugin', managed = true): SkillManifestEntry => ({
  skill_id: id,
  action: 'create',
  title: `Skill ${id}`,
  description: 'Use when x',
  path: `/state/skills/managed/${id}.md`,
  status: 'active',
  owner,
  managed,
  created_by: owner,
  updated_at: 't',
  retired_at: null,
});

function input(context: Partial<CompileContext> = {}, caps: MemoryCaps = DEFAULT_MEMORY_CAPS): BackendInput {
  return {
    envelopes: [envelope('e1', 1), envelope('e2', 2)],
    context: {
      memory: {
        user: [mem('user', 'Lang', 'Answer in English.')],
        global: [
          mem('global', 'Build', 'Run make.', { custom: 1 }),
          mem('global', 'Test', 'Run make test.'),
          mem('global', 'Lint', 'No linter.'),
        ],
      },
      recall: [rec('r1', 'Old recall one.'), rec('r2', 'Old recall two.')],
      manifest: [skill('ours'), skill('foreign', 'someone-else')],
      texts: new Map(),
      searchIndexFresh: false,
      memorySource: 'memory.json',
      recallSource: 'index.json',
      manifestSource: 'manifest.json',
      problems: [],
      ...context,
    },
    paths,
    now: '2026-11-02T00:00:00Z',
    caps,
  };
}

const answer = (value: unknown): AgentAnswer => AgentAnswerSchema.parse(value);
const share = { maxDeleteShare: 0.3 };

describe('mergeAnswer', () => {
  it('keeps everything the answer leaves out (an omitted section is no change)', () => {
    const base = input();
    const out = mergeAnswer(answer({ discarded_items: [] }), base, share);
    expect(out.memory.user).toBe(base.context.memory.user);
    expect(out.memory.global).toBe(base.context.memory.global);
    expect(out.recall).toEqual(base.context.recall);
    expect(out.recall[0]).toBe(base.context.recall[0]);
    // Sorted by id, unchanged.
    expect(out.manifest).toEqual([base.context.manifest[1], base.context.manifest[0]]);
    expect(out.skills).toEqual([]);
    expect(mergeAnswer(answer({ memory_records: null }), base, share).memory.global).toBe(
      base.context.memory.global,
    );
    expect(mergeAnswer(answer({ memory_records: { user: null } }), base, share).memory.user).toBe(
      base.context.memory.user,
    );
  });

  it('merges a listed scope: matched entries keep provenance and unknown fields, new ones cite the batch', () => {
    const base = input();
    const out = mergeAnswer(
      answer({
        memory_records: {
          global: [
            { summary: 'Build', content: 'Run make all.', confidence: 0.9 },
            { summary: 'Test', content: 'Run make test.' },
            { summary: 'Lint', content: 'No linter.' },
            { summary: 'New', content: 'memory e2', suggestion_ids: ['e2', 'unknown'] },
            { summary: 'Dup', content: 'memory  E2!' },
          ],
        },
      }),
      base,
      share,
    );
    expect(out.memory.global.map((r) => r.content)).toEqual([
      'Run make all.',
      'Run make test.',
      'No linter.',
      'memory e2',
    ]);
    expect(out.memory.global[0]).toMatchObject({
      summary: 'Build',
      custom: 1,
      confidence: 0.9,
      updated_at: '2026-11-02T00:00:00Z',
    });
    expect(out.memory.global[0]!.provenance).toEqual([
      { thread_id: 'old' },
      { at: '2026-11-02T00:00:00Z', compiled_by: 'agent:opencode' },
    ]);
    expect(out.memory.global[1]).toBe(base.context.memory.global[1]); // unchanged: same object
    expect(out.memory.global[3]!.provenance).toEqual([
      {
        thread_id: 'thread-e2',
        turn_id: 'turn-e2',
        suggestion_id: 'e2',
        at: '2026-11-01T00:00:02Z',
        compiled_by: 'agent:opencode',
      },
    ]);
    expect(out.memory.user).toBe(base.context.memory.user);
    expect(out.items.at(-1)).toMatchObject({
      kind: 'backend',
      reason: 'agent_changes',
      detail: 'global memory +1 ~1 -0; recall +0 ~0; skills 0',
    });
  });

  it('allows deletions with a reason, and a few without one, reporting each with its content', () => {
    const out = mergeAnswer(
      answer({
        memory_records: { global: [{ summary: 'Build', content: 'Run make.' }] },
        discarded_items: [
          { scope: 'global', summary: 'Test', reason: 'merged into Build' },
          { summary: 'no linter.', reason: 'obsolete' },
        ],
      }),
      input(),
      share,
    );
    expect(out.memory.global.map((r) => r.summary)).toEqual(['Build']);
    const removed = out.items.filter((i) => i.reason === 'agent_removed');
    expect(removed).toEqual([
      expect.objectContaining({
        state: 'evicted',
        kind: 'eviction',
        scope: 'global',
        summary: 'Test',
        content: 'Run make test.',
        detail: 'merged into Build',
      }),
      expect.objectContaining({ summary: 'Lint', content: 'No linter.', detail: 'obsolete' }),
    ]);
    const one = mergeAnswer(
      answer({
        memory_records: {
          global: [
            { summary: 'Build', content: 'Run make.' },
            { summary: 'Test', content: 'Run make test.' },
          ],
        },
      }),
      input(),
      { maxDeleteShare: 0.34 },
    );
    expect(one.items.find((i) => i.reason === 'agent_removed')).toMatchObject({
      summary: 'Lint',
      detail: 'no reason given',
    });
  });

  it('rejects an answer that drops more than the share without reasons', () => {
    expect(() => mergeAnswer(answer({ memory_records: { global: [] } }), input(), share)).toThrow(
      AgentAnswerError,
    );
    expect(() =>
      mergeAnswer(
        answer({
          memory_records: {
            global: [
              { summary: 'Build', content: 'Run make.' },
              { summary: 'Test', content: 'Run make test.' },
            ],
          },
        }),
        input(),
        share,
      ),
    ).toThrow(/drop 1 of 3 global memory entries without a reason \(limit 30%\)/);
    expect(() =>
      mergeAnswer(answer({ memory_records: { user: [] } }), input(), { maxDeleteShare: 0 }),
    ).toThrow(/1 of 1 user/);
    // Reasons for every deletion make even a full wipe of a scope acceptable.
    const wiped = mergeAnswer(
      answer({
        memory_records: { user: [] },
        discarded_items: [{ scope: 'user', summary: 'Lang', reason: 'the user asked to forget it' }],
      }),
      input(),
      share,
    );
    expect(wiped.memory.user).toEqual([]);
  });

  it('enforces the memory caps and refuses an entry longer than its scope allows', () => {
    const caps: MemoryCaps = { user: { maxEntries: 1, maxChars: 40 }, global: DEFAULT_MEMORY_CAPS.global };
    const out = mergeAnswer(
      answer({
        memory_records: {
          user: [
            { summary: 'Lang', content: 'Answer in English.' },
            { summary: 'New', content: 'Prefers tabs.', confidence: 0.2 },
            { summary: 'Huge', content: 'x'.repeat(100) },
          ],
        },
      }),
      input({}, caps),
      share,
    );
    expect(out.memory.user.map((r) => r.summary)).toEqual(['Lang']);
    expect(out.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ reason: 'too_long', scope: 'user' }),
        expect.objectContaining({ state: 'evicted', reason: 'cap_entries', summary: 'New' }),
      ]),
    );
  });

  it('upserts recall: updates by id, merges duplicates, adds new records from their envelope', () => {
    const base = input();
    const out = mergeAnswer(
      answer({
        recall_records: [
          { id: 'r1', summary: 'sum r1', content: 'Old recall one, corrected.' },
          { summary: 'again', content: 'old recall TWO', source_paths: ['b.ts', ''] },
          { summary: 'fresh', content: 'A new note.', suggestion_id: 'e2', source_paths: ['c.ts'] },
          { id: 'nope', summary: 'unknown id', content: 'Another new note.' },
        ],
      }),
      base,
      share,
    );
    expect(out.recall.map((r) => r.content)).toEqual([
      'Old recall one, corrected.',
      'Old recall two.',
      'A new note.',
      'Another new note.',
    ]);
    expect(out.recall[0]).toMatchObject({ id: 'r1', thread_id: 't' });
    expect(out.recall[1]).toMatchObject({ id: 'r2', source_paths: ['a.ts', 'b.ts'] });
    expect(out.recall[2]).toMatchObject({
      thread_id: 'thread-e2',
      turn_id: 'turn-e2',
      cwd: '/repo/e2',
      repo_fingerprint: 'fp-e2',
      source_paths: ['c.ts'],
    });
    expect(out.recall[3]).toMatchObject({ thread_id: 'thread-e1' });
    expect(out.recall[3]!.id).not.toBe('nope');
  });

  it('compiles skills like the script backend: safe ids, only our managed entries, retire keeps the entry', () => {
    const base = input();
    const out = mergeAnswer(
      answer({
        compiled_skills: [
          {
            skill_id: '../../etc/passwd',
            action: 'create',
            title: 'Escape',
            description: 'Use when testing',
            content: 'Write the file and check it.',
          },
          {
            skill_id: 'foreign',
            action: 'edit',
            title: 'Take over',
            description: 'Use when',
            content: 'Some long enough content.',
          },
          {
            skill_id: 'foreign',
            action: 'create',
            title: 'Take over',
            description: 'Use when',
            content: 'Some long enough content.',
          },
          { skill_id: 'missing', action: 'patch', title: 'X', description: 'd', content: 'a b c' },
          { skill_id: 'thin', action: 'create', title: 'Thin', description: 'd', content: 'too short' },
          { skill_id: 'ours', action: 'retire' },
        ],
        manifest_entries: [{ skill_id: 'foreign', owner: 'codex-self-evolution-plugin', managed: true }],
      }),
      base,
      share,
    );
    expect(out.skills.map((s) => [s.skill_id, s.status])).toEqual([
      ['etc-passwd', 'active'],
      ['ours', 'retired'],
    ]);
    const reasons = out.items
      .filter((i) => i.family === 'skill_action')
      .map((i) => [i.skill_id, i.state, i.reason]);
    expect(reasons).toEqual([
      ['etc-passwd', 'applied', undefined],
      ['foreign', 'discarded', 'ownership_violation'],
      ['foreign', 'discarded', 'ownership_violation'],
      ['missing', 'discarded', 'missing_managed_skill'],
      ['thin', 'discarded', 'low_signal'],
      ['ours', 'applied', undefined],
    ]);
    const manifest = new Map(out.manifest.map((e) => [e.skill_id, e]));
    expect(manifest.get('foreign')).toEqual(base.context.manifest[1]);
    expect(manifest.get('ours')).toMatchObject({
      status: 'retired',
      retired_at: '2026-11-02T00:00:00Z',
      title: 'Skill ours',
    });
    expect(manifest.get('etc-passwd')).toMatchObject({
      path: join(paths.skillsManagedDir, 'etc-passwd.md'),
      owner: 'codex-self-evolution-plugin',
      managed: true,
    });
    // The guard has nothing left to refuse.
    const guarded = guardArtifacts(out, base.context, paths);
    expect(guarded.skills).toEqual(out.skills);
    expect(guarded.items.filter((i) => i.kind === 'guard')).toEqual([]);
  });

  it('reports one item per suggestion: merged, or discarded with the agent reason', () => {
    const out = mergeAnswer(
      answer({
        discarded_items: [
          { suggestion_id: 'e1', index: 1, reason: 'too vague' },
          { suggestion_id: 'e2', reason: 'duplicate turn' },
        ],
      }),
      input(),
      share,
    );
    const items = out.items.filter((i) => i.suggestion_id);
    expect(items.map((i) => [i.suggestion_id, i.index, i.state, i.reason, i.detail])).toEqual([
      ['e1', 0, 'applied', 'agent_merged', undefined],
      ['e1', 1, 'discarded', 'agent_discarded', 'too vague'],
      ['e2', 0, 'discarded', 'agent_discarded', 'duplicate turn'],
      ['e2', 1, 'discarded', 'agent_discarded', 'duplicate turn'],
    ]);
  });

  it('does not apply sections whose kind waits for human review', () => {
    const base = input();
    const out = mergeAnswer(
      answer({
        memory_records: { global: [] },
        recall_records: [{ summary: 's', content: 'A note.' }],
        compiled_skills: [
          {
            skill_id: 'new-skill',
            action: 'create',
            title: 'T',
            description: 'Use when x',
            content: 'Do the three steps.',
          },
        ],
      }),
      base,
      { maxDeleteShare: 0.3, review: { memory: true, skills: true } },
    );
    expect(out.memory.global).toBe(base.context.memory.global);
    expect(out.skills).toEqual([]);
    expect(out.recall.map((r) => r.content)).toContain('A note.');
    expect(out.items.filter((i) => i.reason === 'awaiting_review').map((i) => i.detail)).toEqual([
      "memory changes wait for review; the agent's memory section was not applied",
      "skills changes wait for review; the agent's skills section was not applied",
    ]);
  });
});
