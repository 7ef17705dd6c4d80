/**
 * The shared store's file format: the hand-written front-matter parser the hooks use
 * agrees with the zod schema, entries round-trip, and reading skips what it cannot trust.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TeamFrontMatterSchema } from '../../../src/core/team/schema.js';
import {
  MAX_TEAM_FILE_BYTES,
  checkFrontMatter,
  loadTeamStore,
  parseTeamEntry,
  renderTeamEntry,
  splitFrontMatter,
  teamStaleReason,
  worktreeRoot,
} from '../../../src/core/team/store.js';
import { tempDir } from '../../helpers/tmp.js';

const HEAD = ['---', 'id: m-0123456789', 'kind: memory', 'title: "Migrations"'];
const doc = (...lines: string[]) =>
  [...lines, '---', '', 'Run npm run db:migrate before the tests.', ''].join('\n');

describe('front matter: hand parser and zod schema agree', () => {
  const cases: Array<[string, string]> = [
    ['minimal', doc(...HEAD)],
    [
      'all fields',
      doc(
        ...HEAD,
        'created: "2026-12-01T10:00:00Z"',
        'updated: 2026-12-02T10:00:00Z',
        'source_commit: 4b825dc642cb6eb9a060e54bf8d69288fbee4904',
        'source_paths: ["db/migrate.js"]',
        'supersedes: ["m-aaaaaaaaaa"]',
        'confidence: 0.8',
        'provenance: "x"',
      ),
    ],
    ['unknown keys kept', doc(...HEAD, 'owner: platform-team')],
    ['bare title', doc('---', 'id: m-0123456789', 'kind: recall', 'title: Deploying the shop')],
    ['single-quoted title', doc('---', 'id: abc123', 'kind: recall', "title: 'it''s fine'")],
    ['comment and blank lines', doc(...HEAD, '', '# a note by a reviewer')],
    ['bad kind', doc('---', 'id: m-0123456789', 'kind: skill', 'title: "x"')],
    ['id with a slash', doc('---', 'id: ../../etc/passwd', 'kind: memory', 'title: "x"')],
    ['id starting with a dot', doc('---', 'id: .hidden', 'kind: memory', 'title: "x"')],
    ['empty title', doc('---', 'id: m-0123456789', 'kind: memory', 'title: ""')],
    ['blank title', doc('---', 'id: m-0123456789', 'kind: memory', 'title: "   "')],
    ['numeric title', doc('---', 'id: m-0123456789', 'kind: memory', 'title: 42')],
    ['missing id', doc('---', 'kind: memory', 'title: "x"')],
    ['numeric id', doc('---', 'id: 12345', 'kind: memory', 'title: "x"')],
    ['bad commit', doc(...HEAD, 'source_commit: main')],
    ['empty commit', doc(...HEAD, 'source_commit: ""')],
    ['confidence too high', doc(...HEAD, 'confidence: 3')],
    ['confidence as text', doc(...HEAD, 'confidence: high')],
    ['created as number', doc(...HEAD, 'created: 2026')],
    ['source_paths as text', doc(...HEAD, 'source_paths: db/migrate.js')],
    ['boolean provenance', doc(...HEAD, 'provenance: true')],
    ['title too long', doc('---', 'id: m-0123456789', 'kind: memory', `title: "${'x'.repeat(301)}"`)],
  ];
  for (const [name, text] of cases) {
    it(name, () => {
      const split = splitFrontMatter(text);
      expect(split.ok).toBe(true);
      if (!split.ok) return;
      const hand = checkFrontMatter(split.data) === undefined;
      const zod = TeamFrontMatterSchema.safeParse({ ...split.data }).success;
      expect(hand).toBe(zod);
    });
  }

  it('the table has both valid and invalid cases', () => {
    const valid = cases.filter(([, t]) => {
      const s = splitFrontMatter(t);
      return s.ok && checkFrontMatter(s.data) === undefined;
    });
    expect(valid.length).toBeGreaterThan(4);
    expect(valid.length).toBeLessThan(cases.length - 10);
  });
});

describe('front matter: structure errors', () => {
  const bad: Array<[string, string, RegExp]> = [
    ['no front matter', 'just text\n', /no front matter/],
    ['unclosed', '---\nid: m-1\nkind: memory\n', /no closing/],
    ['not key: value', '---\nid m-1\n---\nbody', /expected "key: value"/],
    ['duplicate key', '---\nid: m-1\nid: m-2\n---\nbody', /given twice/],
    ['bad list', '---\nsource_paths: [a, b]\n---\nbody', /list must be/],
    ['broken quote', '---\ntitle: "abc\n---\nbody', /quoted string/],
  ];
  for (const [name, text, reason] of bad) {
    it(name, () => {
      const r = parseTeamEntry(text, 'x.md');
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(reason);
    });
  }

  it('an empty body is malformed', () => {
    const r = parseTeamEntry(
      ['---', 'id: m-0123456789', 'kind: memory', 'title: "x"', '---', '', '  '].join('\n'),
      'x.md',
    );
    expect(r).toEqual({ ok: false, reason: expect.stringMatching(/body/) });
  });

  it('__proto__ as a key is plain data', () => {
    const split = splitFrontMatter(doc(...HEAD, '__proto__: "x"'));
    expect(split.ok).toBe(true);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});

describe('render and parse', () => {
  it('round-trips every field, with awkward text', () => {
    const text = renderTeamEntry({
      id: 'm-0123456789',
      kind: 'memory',
      title: 'Quotes " and \\ and\nnewlines \u2028 too',
      content: 'Line one\n\n---\nline after a rule',
      created: '2026-12-01T10:00:00Z',
      updated: '2026-12-02T10:00:00Z',
      sourceCommit: '4b825dc642cb6eb9a060e54bf8d69288fbee4904',
      sourcePaths: ['db/migrate.js'],
      supersedes: ['m-aaaaaaaaaa'],
      confidence: 0.8,
      provenance: 'codex-self-evolution: lesson learned from 1 reviewed session',
    });
    const r = parseTeamEntry(text, 'm-0123456789.md');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.entry).toMatchObject({
      id: 'm-0123456789',
      kind: 'memory',
      title: 'Quotes " and \\ and newlines too',
      content: 'Line one\n\n---\nline after a rule',
      sourcePaths: ['db/migrate.js'],
      supersedes: ['m-aaaaaaaaaa'],
      confidence: 0.8,
      sourceCommit: '4b825dc642cb6eb9a060e54bf8d69288fbee4904',
    });
    expect(
      TeamFrontMatterSchema.safeParse(
        splitFrontMatter(text).ok ? (splitFrontMatter(text) as { data: object }).data : {},
      ).success,
    ).toBe(true);
  });
});

describe('loadTeamStore', () => {
  function repo() {
    const root = tempDir('csep-team-store-');
    mkdirSync(join(root, '.git'));
    mkdirSync(join(root, '.codex-self-evolution'));
    return root;
  }
  const entry = (id: string, body = `Lesson ${id} text.`) =>
    doc('---', `id: ${id}`, 'kind: memory', `title: "T ${id}"`).replace(
      'Run npm run db:migrate before the tests.',
      body,
    );

  it('reads entries, ignores the README and reports each skipped file once', () => {
    const root = repo();
    const dir = join(root, '.codex-self-evolution');
    writeFileSync(join(dir, 'README.md'), '# what this is\n');
    writeFileSync(join(dir, 'm-aaaaaaaaaa.md'), entry('m-aaaaaaaaaa'));
    writeFileSync(join(dir, 'm-bbbbbbbbbb.md'), 'not front matter\n');
    writeFileSync(join(dir, 'm-cccccccccc.md'), entry('m-aaaaaaaaaa'));
    writeFileSync(join(dir, 'big.md'), entry('big', 'x'.repeat(MAX_TEAM_FILE_BYTES + 1)));
    writeFileSync(join(root, 'secret.txt'), entry('m-dddddddddd'));
    symlinkSync(join(root, 'secret.txt'), join(dir, 'm-dddddddddd.md'));
    writeFileSync(join(dir, 'notes.txt'), 'ignored');
    const store = loadTeamStore(root);
    expect(store.entries.map((e) => e.id)).toEqual(['m-aaaaaaaaaa']);
    expect(store.problems).toHaveLength(4);
    expect(store.problems.join('\n')).toMatch(/m-bbbbbbbbbb\.md skipped \(malformed\)/);
    expect(store.problems.join('\n')).toMatch(/m-cccccccccc\.md skipped: id m-aaaaaaaaaa is also used/);
    expect(store.problems.join('\n')).toMatch(/big\.md skipped: larger than/);
    expect(store.problems.join('\n')).toMatch(/m-dddddddddd\.md skipped: a symlink/);
  });

  it('a symlinked store folder is not read', () => {
    const root = tempDir('csep-team-store-');
    mkdirSync(join(root, '.git'));
    const elsewhere = tempDir('csep-team-elsewhere-');
    writeFileSync(join(elsewhere, 'm-aaaaaaaaaa.md'), entry('m-aaaaaaaaaa'));
    symlinkSync(elsewhere, join(root, '.codex-self-evolution'));
    const store = loadTeamStore(root);
    expect(store.exists).toBe(false);
    expect(store.entries).toEqual([]);
    expect(store.problems[0]).toMatch(/symlink/);
  });

  it('reads at most maxFiles files', () => {
    const root = repo();
    for (const c of 'abc')
      writeFileSync(join(root, '.codex-self-evolution', `m-${c.repeat(10)}.md`), entry(`m-${c.repeat(10)}`));
    const store = loadTeamStore(root, { maxFiles: 2 });
    expect(store.entries).toHaveLength(2);
    expect(store.problems[0]).toMatch(/3 entry files; only the first 2/);
  });

  it('worktreeRoot finds the nearest .git (dir or file) and staleness checks source paths there', () => {
    const root = repo();
    mkdirSync(join(root, 'src', 'deep'), { recursive: true });
    expect(worktreeRoot(join(root, 'src', 'deep'))).toBe(root);
    const wt = join(root, 'src', 'wt');
    mkdirSync(wt);
    writeFileSync(join(wt, '.git'), 'gitdir: /nowhere\n');
    expect(worktreeRoot(wt)).toBe(wt);
    writeFileSync(join(root, 'src', 'a.ts'), '');
    const parsed = parseTeamEntry(doc(...HEAD, 'source_paths: ["src/a.ts", "../outside.ts"]'), 'x.md');
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(teamStaleReason(parsed.entry, root)).toBeUndefined();
    const gone = { ...parsed.entry, sourcePaths: ['src/a.ts', 'scripts/gone.sh'] };
    expect(teamStaleReason(gone, root)).toBe('source_deleted: scripts/gone.sh');
  });
});
