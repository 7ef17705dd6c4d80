/** The memory lifecycle of the script backend: confirm, merge, supersede, reverse, forget. */
import { describe, expect, it } from 'vitest';
import { visits } from '../../../src/core/compiler/backends/common.js';
import { compileMemory } from '../../../src/core/compiler/backends/script.js';
import { DEFAULT_MEMORY_CAPS } from '../../../src/core/compiler/backends/types.js';
import { EnvelopeSchema, type Envelope, type Suggestion } from '../../../src/core/schemas.js';
import type { MemoryRecord } from '../../../src/core/memory/schema.js';
import { at, mem } from '../compiler/helpers.js';

let n = 0;
function envelope(suggestions: Suggestion[], thread = `session-${n}`): Envelope {
  n++;
  return EnvelopeSchema.parse({
    schema_version: 1,
    suggestion_id: `s${String(n).padStart(15, '0')}`,
    idempotency_key: `k${n}`,
    thread_id: thread,
    turn_id: `turn-${n}`,
    cwd: '/repo',
    repo_fingerprint: 'fp',
    reviewer_timestamp: at(n),
    suggestions,
    state: 'processing',
  });
}

/** Compiles lessons one batch at a time, carrying memory over, like successive compiles. */
function learn(
  batches: Suggestion[][],
  start: Record<'user' | 'global', MemoryRecord[]> = { user: [], global: [] },
  commit?: string,
) {
  let memory = start;
  const items = [];
  for (const batch of batches) {
    const out = compileMemory(
      visits([envelope(batch)]),
      memory,
      DEFAULT_MEMORY_CAPS,
      commit ? { sourceCommit: commit } : {},
    );
    memory = out.memory;
    items.push(...out.items.map((o) => o.item));
  }
  return { memory, items };
}

const active = (records: MemoryRecord[]) => records.filter((r) => r.status === undefined);

describe('memory lifecycle', () => {
  it('"use npm" then "use pnpm from now on" leaves one active lesson that supersedes the old one', () => {
    const { memory, items } = learn([
      [mem('Package manager', { content: 'Use npm' })],
      [mem('Package manager', { content: 'Use pnpm from now on' })],
    ]);
    expect(active(memory.global).map((r) => r.content)).toEqual(['Use pnpm from now on']);
    const [old, next] = memory.global;
    expect(old).toMatchObject({ status: 'superseded', superseded_by: next!.id, valid_until: at(n) });
    expect(next).toMatchObject({ supersedes: [old!.id], valid_from: at(n) });
    expect((old!.history as Array<{ event: string }>).map((h) => h.event)).toEqual(['superseded']);
    expect(items.at(-1)).toMatchObject({
      state: 'applied',
      supersedes: old!.id,
      detail: 'value_changed:npm→pnpm',
    });
  });

  it('the same preference learned in five sessions is one entry confirmed five times', () => {
    const phrasings = [
      'Use pnpm for installs.',
      'Use pnpm for installs.',
      'use PNPM for installs',
      'Always use pnpm for installs',
      'Use pnpm for all installs.',
    ];
    const { memory, items } = learn(
      phrasings.map((content) => [
        mem('Package manager', { content, evidence: { quote: `we use pnpm (${content})` } }),
      ]),
    );
    expect(memory.global).toHaveLength(1);
    expect(memory.global[0]).toMatchObject({
      confirmations: 5,
      content: 'Use pnpm for installs.',
      last_confirmed_at: at(n),
    });
    expect(memory.global[0]!.provenance).toHaveLength(5);
    expect(items.map((i) => i.state)).toEqual([
      'applied',
      'duplicate',
      'duplicate',
      'duplicate',
      'duplicate',
    ]);
    expect(items.map((i) => i.reason)).toEqual([
      undefined,
      undefined,
      undefined,
      'near_duplicate',
      'near_duplicate',
    ]);
  });

  it('a reversal back reactivates the old lesson and supersedes its successor', () => {
    const { memory } = learn([
      [mem('PM', { content: 'Use npm' })],
      [mem('PM', { content: 'Use pnpm from now on' })],
      [mem('PM', { content: 'Use npm' })],
    ]);
    expect(active(memory.global).map((r) => r.content)).toEqual(['Use npm']);
    expect(memory.global.find((r) => r.content === 'Use pnpm from now on')).toMatchObject({
      status: 'superseded',
    });
    expect((memory.global[0]!.history as Array<{ event: string }>).map((h) => h.event)).toEqual([
      'superseded',
      'reactivated',
    ]);
  });

  it('a forgotten entry is not brought back by a session restating it', () => {
    const forgotten = {
      id: 'm-0000000001',
      scope: 'global' as const,
      summary: 'PM',
      content: 'Use yarn',
      source_paths: [],
      confidence: 1,
      provenance: [],
      status: 'forgotten',
    };
    const { memory, items } = learn([[mem('PM', { content: 'Use yarn' })]], {
      user: [],
      global: [forgotten],
    });
    expect(memory.global).toEqual([forgotten]);
    expect(items[0]).toMatchObject({ state: 'discarded', reason: 'forgotten_by_user' });
  });

  it('gives every entry a stable id, stamps the commit, and a stale entry restated is active again', () => {
    const stale = {
      id: 'm-abc',
      scope: 'global' as const,
      summary: 'Deploy',
      content: 'Deploy with scripts/deploy.sh',
      source_paths: [],
      confidence: 0.8,
      provenance: [],
      status: 'stale',
      stale_reason: 'source_deleted: scripts/deploy.sh',
      source_commit: 'old',
    };
    const legacy = {
      scope: 'global' as const,
      summary: 'Legacy',
      content: 'An entry from the Python version',
      source_paths: [],
      confidence: 1,
      provenance: [],
    };
    const { memory } = learn(
      [[mem('Deploy', { content: 'Deploy with scripts/deploy.sh' })]],
      { user: [], global: [stale, legacy] },
      'c0ffee',
    );
    expect(memory.global[0]).toMatchObject({ id: 'm-abc', source_commit: 'c0ffee', confirmations: 2 });
    expect(memory.global[0]!.status).toBeUndefined();
    expect(memory.global[0]!.stale_reason).toBeUndefined();
    expect(memory.global[1]!.id).toMatch(/^m-[0-9a-f]{10}$/);
    const again = learn([], { user: [], global: [legacy] });
    expect(again.memory.global).toEqual([legacy]); // nothing compiled: the caller's objects are untouched
  });

  it('caps count active entries only; superseded history survives the caps', () => {
    const caps = { user: DEFAULT_MEMORY_CAPS.user, global: { maxEntries: 2, maxChars: 10_000 } };
    let memory: Record<'user' | 'global', MemoryRecord[]> = { user: [], global: [] };
    for (const content of [
      'Use npm',
      'Use pnpm from now on',
      'Run tests with vitest',
      'Format with prettier',
    ]) {
      memory = compileMemory(visits([envelope([mem('x', { content })])]), memory, caps).memory;
    }
    expect(active(memory.global).map((r) => r.content)).toEqual([
      'Run tests with vitest',
      'Format with prettier',
    ]);
    expect(memory.global.filter((r) => r.status === 'superseded').map((r) => r.content)).toEqual(['Use npm']);
  });
});
