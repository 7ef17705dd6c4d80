/** Forgetting, usage folding and the injected budget with 500 learned entries. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { maintainMemory } from '../../../src/core/memory/maintain.js';
import { addUsageTotals, readUsageTotals, recordUsage, takeUsage } from '../../../src/core/memory/usage.js';
import type { MemoryRecord } from '../../../src/core/memory/schema.js';
import { buildSessionContext } from '../../../src/core/session-start.js';
import { bucket } from '../compiler/helpers.js';

const entry = (i: number, extra: Record<string, unknown> = {}): MemoryRecord =>
  ({
    id: `m-${String(i).padStart(10, '0')}`,
    scope: i % 10 === 0 ? 'user' : 'global',
    summary: `Lesson ${i}`,
    content: `Fact number ${i} about module${i} and its quirk q${i * 7}.`,
    source_paths: [],
    confidence: 0.5 + (i % 5) / 10,
    provenance: [],
    created_at: '2026-01-01T00:00:00Z',
    ...extra,
  }) as MemoryRecord;

describe('500 learned entries', () => {
  it('the injected context stays within budget with the stale and superseded ones left out', () => {
    const paths = bucket();
    const records = Array.from({ length: 500 }, (_, i) =>
      entry(
        i,
        i % 7 === 0
          ? { status: 'stale', stale_reason: 'source_deleted: x', content: `STALE-${i} fact` }
          : i % 11 === 0
            ? { status: 'superseded', superseded_by: 'm-x', content: `SUPERSEDED-${i} fact` }
            : {},
      ),
    );
    mkdirSync(paths.memoryDir, { recursive: true });
    writeFileSync(
      paths.memoryJson,
      JSON.stringify({
        user: records.filter((r) => r.scope === 'user'),
        global: records.filter((r) => r.scope === 'global'),
      }),
    );
    for (const budget of [4000, 8000, 20000]) {
      const context = buildSessionContext(paths, { budgetChars: budget });
      expect(context.text.length).toBeLessThanOrEqual(budget);
      expect(context.text).not.toMatch(/STALE-|SUPERSEDED-/);
      const injected = context.decisions.filter((d) => d.outcome === 'injected');
      expect(injected.length).toBeGreaterThan(10);
      expect(injected.length).toBe(context.injectedIds.length);
      expect(context.decisions.filter((d) => d.outcome === 'budget').length).toBe(
        context.omitted.user + context.omitted.global,
      );
      // The best entries win: every injected global entry is at least as confident as every one left out for
      // budget.
      const minIn = Math.min(
        ...injected.filter((d) => d.entry.scope === 'global').map((d) => d.entry.confidence),
      );
      const maxOut = Math.max(
        ...context.decisions
          .filter((d) => d.outcome === 'budget' && d.entry.scope === 'global')
          .map((d) => d.entry.confidence),
      );
      if (maxOut > -Infinity) expect(minIn).toBeGreaterThanOrEqual(maxOut);
    }
  });
});

describe('forgetting and usage', () => {
  const policy = { archiveAfterDays: 90, archiveBelowConfidence: 0.6, maxDiffs: 16 };
  it.each([
    // [confidence, last use, injected recently, archived?]
    [0.5, '2026-01-01T00:00:00Z', false, true],
    [0.5, '2026-01-01T00:00:00Z', true, false],
    [0.9, '2026-01-01T00:00:00Z', false, false],
    [0.5, '2026-05-01T00:00:00Z', false, false],
  ] as const)(
    'confidence %s, last confirmed %s, injected recently %s → archived %s',
    (confidence, at, injected, archived) => {
      const record = entry(1, { confidence, created_at: at, last_confirmed_at: at });
      const usage = new Map(
        injected
          ? [[String(record.id), { injected_count: 3, last_injected_at: '2026-05-30T00:00:00Z' }]]
          : [],
      );
      const out = maintainMemory({
        memory: { user: [], global: [record] },
        now: '2026-06-01T00:00:00Z',
        policy,
        usage,
        archive: true,
      });
      expect(out.memory.global[0]!.status === 'archived').toBe(archived);
      expect(out.events.length).toBe(archived ? 1 : 0);
    },
  );

  it('the hook appends one line; the compiler folds and totals it', () => {
    const paths = bucket();
    mkdirSync(paths.memoryDir, { recursive: true });
    expect(
      recordUsage(paths.memoryDir, 'i', ['m-a', 'm-b', '../evil'], new Date('2026-01-01T00:00:00Z')),
    ).toBe(true);
    expect(recordUsage(paths.memoryDir, 'i', ['m-a'], new Date('2026-01-02T00:00:00Z'))).toBe(true);
    expect(recordUsage(`${paths.memoryDir}-missing`, 'i', ['m-a'])).toBe(false);
    const counts = takeUsage(paths.memoryDir, 'tx1');
    expect([...counts.injected.entries()]).toEqual([
      ['m-a', { count: 2, last: '2026-01-02T00:00:00Z' }],
      ['m-b', { count: 1, last: '2026-01-01T00:00:00Z' }],
    ]);
    addUsageTotals(paths.memoryDir, counts, new Set(['m-a']));
    expect(Object.fromEntries(readUsageTotals(paths.memoryDir))).toEqual({
      'm-a': { injected_count: 2, last_injected_at: '2026-01-02T00:00:00Z' },
    });
  });
});
