import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ATTACH_MAX_BYTES,
  buildPayload,
  joinParts,
  LINE_LIMIT,
  PART_LIMIT,
  RECALL_BUDGET_BYTES,
  serializePayload,
  splitString,
} from '../../../src/core/compiler/backends/opencode/payload.js';
import { DEFAULT_MEMORY_CAPS, type BackendInput } from '../../../src/core/compiler/backends/types.js';
import type { CompileContext } from '../../../src/core/compiler/context.js';
import { statePathsFor } from '../../../src/core/paths.js';
import type { Envelope, RecallRecord } from '../../../src/core/schemas.js';
import { tempDir } from '../../helpers/tmp.js';

function envelope(id: string, suggestions: Envelope['suggestions']): Envelope {
  return {
    schema_version: 1,
    suggestion_id: id,
    idempotency_key: id,
    thread_id: 'thread',
    turn_id: `turn-${id}`,
    cwd: '/repo',
    repo_fingerprint: 'fp',
    reviewer_timestamp: '2026-11-01T00:00:00Z',
    suggestions,
    source_authority: [],
    state: 'processing',
    attempt_count: 2,
    failure_reason: null,
    transition_log: [{ at: 'x', from: 'pending', to: 'processing' }],
    review_snapshot_path: '/home/me/.codex-self-evolution/snap.json',
  };
}

function input(
  overrides: Partial<CompileContext> = {},
  envelopes: Envelope[] = [
    envelope('e1', [{ family: 'memory_updates', summary: 's', details: { content: 'c' }, confidence: 1 }]),
  ],
): BackendInput {
  const dir = tempDir();
  const paths = statePathsFor(join(dir, 'state'), {
    home: dir,
    repoKey: '/repo',
    cwd: '/repo',
    explicit: true,
  });
  const context: CompileContext = {
    memory: { user: [], global: [] },
    recall: [],
    manifest: [],
    texts: new Map(),
    searchIndexFresh: false,
    memorySource: 'none',
    recallSource: 'none',
    manifestSource: 'none',
    problems: [],
    ...overrides,
  };
  return { envelopes, context, paths, now: '2026-11-02T00:00:00Z', caps: DEFAULT_MEMORY_CAPS };
}

describe('splitString', () => {
  it('cuts into pieces within the limit, never inside a code point, losslessly', () => {
    const text = `${'a'.repeat(25)}😀${'"'.repeat(10)}é`;
    const parts = splitString(text, 10);
    expect(parts.join('')).toBe(text);
    for (const p of parts) expect(JSON.stringify(p).length - 2).toBeLessThanOrEqual(10);
    expect(parts.some((p) => p.includes('😀'))).toBe(true);
    expect(splitString('')).toEqual(['']);
  });
});

describe('serializePayload', () => {
  it('writes valid JSON with short lines, long strings as <key>_parts, one record per line', () => {
    const long = 'word '.repeat(2000);
    const value = {
      a: 1,
      records: [
        { summary: 'x', content: long },
        { summary: 'y', content: 'short' },
      ],
      nested: { deep: { list: ['p', 'q'] } },
    };
    const out = serializePayload(value);
    const lines = out.text.split('\n');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(LINE_LIMIT);
    const parsed = JSON.parse(out.text) as { records: Array<Record<string, unknown>> };
    expect(parsed.records[0]!.content_parts).toEqual(expect.any(Array));
    expect(parsed.records[0]!.content).toBeUndefined();
    expect(joinParts(parsed)).toEqual(value);
    expect(lines).toContain('  "nested": {"deep":{"list":["p","q"]}}');
    expect(out.lines).toBe(lines.length - 1);
    expect(out.bytes).toBe(Buffer.byteLength(out.text));
    expect(out.attachedWhole).toBe(true);
  });

  it('flags a payload over the attach limit', () => {
    const big = {
      records: Array.from({ length: 80 }, (_, i) => ({ content: `${i} ${'x'.repeat(PART_LIMIT - 10)}` })),
    };
    const out = serializePayload(big);
    expect(out.bytes).toBeGreaterThan(ATTACH_MAX_BYTES);
    expect(out.attachedWhole).toBe(false);
  });

  it('clips an over-long string inside a list rather than write a long line', () => {
    const out = serializePayload({ source_paths: ['p'.repeat(5000)] });
    expect(Math.max(...out.text.split('\n').map((l) => l.length))).toBeLessThanOrEqual(LINE_LIMIT);
  });
});

describe('buildPayload', () => {
  it('has the Python package keys, redacts secrets and leaves out queue bookkeeping and state paths', () => {
    const secret = `sk-ant-api03-${'Ab1'.repeat(30)}`;
    const env = envelope('e1', [
      {
        family: 'memory_updates',
        summary: 'key',
        details: { content: `the key is ${secret}` },
        confidence: 1,
      },
    ]);
    const payload = buildPayload(
      input(
        {
          memory: {
            user: [],
            global: [
              {
                scope: 'global',
                summary: 'Old',
                content: `old ${secret}`,
                source_paths: [],
                confidence: 0.5,
                provenance: [{ quote: 'q' }],
              },
            ],
          },
        },
        [env],
      ),
      0.3,
    );
    expect(Object.keys(payload)).toEqual(['schema_version', 'repo', 'contract', 'batch', 'existing_assets']);
    const text = JSON.stringify(payload);
    expect(text).not.toContain(secret);
    expect(text).toContain('[REDACTED:anthropic_key]');
    expect(text).not.toContain('transition_log');
    expect(text).not.toContain('snap.json');
    expect(text).not.toContain('provenance');
    expect(text).not.toContain('/state/');
    const batch = payload.batch as Array<{ suggestions: Array<{ index: number }> }>;
    expect(batch[0]!.suggestions[0]!.index).toBe(0);
    expect(JSON.stringify(payload.contract)).toContain('30%');
  });

  it('sends the newest recall records within the budget and says how many were left out', () => {
    const recall: RecallRecord[] = Array.from({ length: 400 }, (_, i) => ({
      id: `id${i}`,
      summary: `s${i}`,
      content: `record ${i} ${'z'.repeat(200)}`,
      source_paths: [],
      repo_fingerprint: '',
      cwd: '',
      thread_id: '',
      turn_id: '',
      source_updated_at: '',
    }));
    const payload = buildPayload(input({ recall }), 0.3);
    const sent = (
      payload.existing_assets as {
        recall: { total: number; omitted: number; records: Array<{ id: string }> };
      }
    ).recall;
    expect(sent.total).toBe(400);
    expect(sent.omitted).toBeGreaterThan(0);
    expect(sent.records.length + sent.omitted).toBe(400);
    expect(sent.records.at(-1)!.id).toBe('id399');
    expect(JSON.stringify(sent.records).length).toBeLessThanOrEqual(RECALL_BUDGET_BYTES);
  });

  it('marks which skills may change and sends the text of owned active ones', () => {
    const base = input();
    mkdirSync(base.paths.skillsManagedDir, { recursive: true });
    writeFileSync(join(base.paths.skillsManagedDir, 'ours.md'), '# Ours\n\nRun the steps and check.\n');
    writeFileSync(join(base.paths.skillsManagedDir, 'theirs.md'), '# Theirs\n\nSecret sauce.\n');
    const common = {
      action: 'create' as const,
      path: 'x',
      status: 'active' as const,
      managed: true,
      created_by: 'x',
      updated_at: 't',
      retired_at: null,
    };
    base.context.manifest = [
      { ...common, skill_id: 'ours', title: 'Ours', owner: 'codex-self-evolution-plugin' },
      { ...common, skill_id: 'theirs', title: 'Theirs', owner: 'someone-else' },
    ];
    const skills = (buildPayload(base, 0.3).existing_assets as { skills: Array<Record<string, unknown>> })
      .skills;
    expect(skills).toEqual([
      {
        skill_id: 'ours',
        title: 'Ours',
        status: 'active',
        may_change: true,
        content: 'Run the steps and check.',
      },
      { skill_id: 'theirs', title: 'Theirs', status: 'active', may_change: false },
    ]);
  });
});
