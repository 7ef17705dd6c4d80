/** The zod-free readers of the hook path agree with their schemas on valid and invalid entries. */
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MEMORY_RECORD_FIELDS,
  readMemoryRecord,
  readSkillManifestEntry,
} from '../../../src/core/memory/read.js';
import { MemoryRecordSchema } from '../../../src/core/memory/schema.js';
import { loadActiveSkills } from '../../../src/core/memory/view.js';
import { resolveStatePaths } from '../../../src/core/paths.js';
import { SkillManifestEntrySchema } from '../../../src/core/schemas.js';

function schemaRead(raw: unknown) {
  const parsed = MemoryRecordSchema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

function agree(raw: unknown): void {
  const expected = schemaRead(raw);
  const actual = readMemoryRecord(raw);
  expect(actual === undefined, JSON.stringify(raw)).toBe(expected === undefined);
  expect(actual, JSON.stringify(raw)).toEqual(expected);
}

const full = {
  id: 'm-0123456789',
  scope: 'user',
  summary: 'Use pnpm',
  content: 'Use pnpm, not npm.',
  source_paths: ['package.json'],
  confidence: 0.8,
  provenance: [{ thread_id: 't', at: '2026-01-01T00:00:00Z' }],
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-02T00:00:00Z',
  last_confirmed_at: '2026-01-02T00:00:00Z',
  confirmations: 3,
  source_commit: 'abc1234',
  status: 'superseded',
  status_reason: 'replaced',
  superseded_by: 'm-9876543210',
  supersedes: ['m-1111111111'],
  valid_from: '2026-01-01T00:00:00Z',
  valid_until: '2026-01-03T00:00:00Z',
  history: [{ at: '2026-01-03T00:00:00Z', event: 'superseded', by: 'm-9876543210', detail: 'replaced' }],
  unknown_field: { kept: true },
};

describe('readMemoryRecord', () => {
  it('knows every field of the schema, and no other', () => {
    expect([...MEMORY_RECORD_FIELDS].sort()).toEqual(Object.keys(MemoryRecordSchema.shape).sort());
  });

  it('reads valid entries as the schema does (defaults, unknown fields kept)', () => {
    agree(full);
    agree({ content: 'only content' });
    agree({ content: '', summary: 'empty content is the loader’s business' });
    agree({ scope: 'global', summary: 's', content: 'c', source_paths: [], provenance: [] });
    const read = readMemoryRecord({ content: 'x', extra: 1 });
    expect(read).toMatchObject({ scope: 'global', summary: '', source_paths: [], confidence: 1, extra: 1 });
  });

  it('rejects what the schema rejects', () => {
    for (const raw of [
      null,
      'text',
      42,
      [],
      [{ content: 'x' }],
      {},
      { content: 5 },
      { content: null },
      { content: 'x', scope: 'team' },
      { content: 'x', scope: null },
      { content: 'x', summary: 3 },
      { content: 'x', summary: null },
      { content: 'x', source_paths: 'a.ts' },
      { content: 'x', source_paths: ['a.ts', 2] },
      { content: 'x', provenance: 'p' },
      { content: 'x', provenance: null },
    ]) {
      agree(raw);
      expect(readMemoryRecord(raw)).toBeUndefined();
    }
  });

  it('coerces confidence the same way (out of range or not a number: 1)', () => {
    for (const confidence of [
      0,
      0.5,
      1,
      -0.1,
      1.5,
      '0.3',
      '',
      '  ',
      null,
      true,
      false,
      [],
      [0.4],
      {},
      NaN,
      'x',
    ])
      agree({ content: 'x', confidence });
  });

  it('drops a malformed lifecycle field and keeps the entry, as the schema does', () => {
    const bad: Record<string, unknown> = {
      id: 7,
      status: ['stale'],
      superseded_by: 1,
      supersedes: 'm-1',
      confirmations: '3',
      valid_until: null,
      history: [{ at: 1, event: 'x' }],
      stale_reason: {},
    };
    for (const [field, value] of Object.entries(bad)) {
      agree({ content: 'x', [field]: value });
      expect(readMemoryRecord({ content: 'x', [field]: value })?.[field]).toBeUndefined();
    }
    agree({ content: 'x', confirmations: Infinity });
    agree({ content: 'x', history: [{ at: 'a', event: 'e', by: 3 }] });
    agree({ content: 'x', history: [{ at: 'a', event: 'e', extra: 3 }] });
    agree({ content: 'x', history: ['not an event'] });
  });

  it('agrees on every field given each kind of value', () => {
    const values: unknown[] = [undefined, null, '', 'text', 0, 0.5, 2, true, [], ['a'], [1], {}, { at: 'a' }];
    for (const field of MEMORY_RECORD_FIELDS) {
      for (const value of values) {
        const raw: Record<string, unknown> = { content: 'base', [field]: value };
        agree(raw);
      }
    }
  });
});

describe('readSkillManifestEntry', () => {
  function agreeSkill(raw: unknown): void {
    const parsed = SkillManifestEntrySchema.safeParse(raw);
    const expected = parsed.success ? parsed.data : undefined;
    expect(readSkillManifestEntry(raw), JSON.stringify(raw)).toEqual(expected);
  }
  const skill = {
    skill_id: 'deploy-fly',
    action: 'create',
    title: 'Deploy to Fly',
    path: 'skills/managed/deploy-fly.md',
    status: 'active',
    owner: 'codex-self-evolution-plugin',
    managed: true,
    created_by: 'codex-self-evolution-plugin',
    updated_at: '2026-11-01T00:00:00Z',
    retired_at: null,
    description: 'Use when deploying.',
    extra: { kept: true },
  };

  it('reads valid entries as the schema does (defaults filled, strings trimmed, unknown kept)', () => {
    agreeSkill(skill);
    const { created_by: _c, retired_at: _r, description: _d, ...minimal } = skill;
    agreeSkill(minimal);
    agreeSkill({ ...skill, title: '  Deploy  ', status: 'retired', retired_at: '2026-11-02T00:00:00Z' });
    expect(readSkillManifestEntry({ ...minimal, title: ' T ' })).toMatchObject({
      title: 'T',
      created_by: 'codex-self-evolution-plugin',
      retired_at: null,
    });
  });

  it('agrees on every field given each kind of value', () => {
    const values: unknown[] = [
      undefined,
      null,
      '',
      '  ',
      'text',
      'Bad_Id',
      'create',
      'active',
      0,
      true,
      [],
      {},
    ];
    for (const field of Object.keys(SkillManifestEntrySchema.shape))
      for (const value of values) agreeSkill({ ...skill, [field]: value });
    for (const raw of [null, 'skill', 3, [], [skill], {}]) {
      agreeSkill(raw);
      expect(readSkillManifestEntry(raw)).toBeUndefined();
    }
  });

  it('session start lists only the active managed entries that read, whatever else the file holds', () => {
    const root = mkdtempSync(join(tmpdir(), 'csep-skill-read-'));
    mkdirSync(join(root, 'repo', '.git'), { recursive: true });
    const paths = resolveStatePaths({ cwd: join(root, 'repo'), home: join(root, 'home') });
    mkdirSync(join(paths.skillsManifest, '..'), { recursive: true });
    const write = (data: unknown) => writeFileSync(paths.skillsManifest, JSON.stringify(data));
    write({
      skills: [
        skill,
        { ...skill, skill_id: 'retired-one', status: 'retired' },
        { ...skill, skill_id: 'not-ours', managed: false },
        { ...skill, skill_id: 'No Such Id' },
        { ...skill, skill_id: 'no-title', title: '' },
        'garbage',
      ],
    });
    expect(loadActiveSkills(paths)).toEqual({
      skills: [{ skillId: 'deploy-fly', title: 'Deploy to Fly', description: 'Use when deploying.' }],
      problems: [],
    });
    for (const foreign of [null, [], 'text', { skills: 'all' }, { other: [skill] }]) {
      write(foreign);
      expect(loadActiveSkills(paths)).toEqual({ skills: [], problems: [] });
    }
    writeFileSync(paths.skillsManifest, '{"skills": [');
    const torn = loadActiveSkills(paths);
    expect(torn.skills).toEqual([]);
    expect(torn.problems[0]).toContain(paths.skillsManifest);
  });
});
