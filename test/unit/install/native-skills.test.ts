import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { PLUGIN_OWNER } from '../../../src/core/constants.js';
import {
  MAX_SKILLS_PER_REPO,
  countWords,
  ledgerPath,
  nativeSkillName,
  qualityGate,
  reconcileNativeSkills,
  repoPrefix,
  yamlQuote,
  type NativeSkillEntry,
} from '../../../src/core/skills/publish.js';
import { tempDir } from '../../helpers/tmp.js';

const GOOD_CONTENT =
  '# Deploy\n\nRun `pnpm build`, then `fly deploy --strategy rolling`; check the health endpoint and verify the release tag before announcing it.\n';

function entry(id: string, over: Partial<NativeSkillEntry> = {}): NativeSkillEntry {
  return {
    skill_id: id,
    title: `Skill ${id}`,
    description: `Use when you deploy ${id}.`,
    status: 'active',
    managed: true,
    owner: PLUGIN_OWNER,
    updated_at: '2026-11-01T00:00:00Z',
    ...over,
  };
}

function world() {
  const root = tempDir();
  const codexHome = join(root, 'codex');
  const home = join(root, 'csep');
  mkdirSync(codexHome);
  mkdirSync(home);
  return { codexHome, home, skills: join(codexHome, 'skills') };
}

/** Parses the frontmatter the way a YAML reader would for these simple scalars (JSON strings). */
function frontmatter(text: string): Record<string, string> {
  const m = /^---\n([\s\S]*?)\n---\n/.exec(text);
  if (!m) throw new Error('no frontmatter');
  const out: Record<string, string> = {};
  for (const line of m[1]!.split('\n')) {
    const kv = /^([a-z-]+): (.*)$/.exec(line);
    if (!kv) throw new Error(`not a single-line key: ${line}`);
    out[kv[1]!] = kv[2]!.startsWith('"') ? (JSON.parse(kv[2]!) as string) : kv[2]!;
  }
  return out;
}

const REPO = '/home/dev/src/My Shop';

describe('names', () => {
  it('namespaces per repository and fits the Agent Skills rules', () => {
    const a = nativeSkillName(REPO, 'deploy-fly');
    const b = nativeSkillName('/home/dev/other/My Shop', 'deploy-fly');
    expect(a).toMatch(/^csep-my-shop-[0-9a-f]{6}-deploy-fly$/);
    expect(b).not.toBe(a);
    expect(repoPrefix(REPO)).toBe(a.replace(/deploy-fly$/, ''));
  });

  it.each([
    ['a very long id', 'x'.repeat(30) + '-' + 'y'.repeat(40)],
    ['an id of symbols only', '中文技能'],
    ['uppercase and underscores', 'Run_The_Tests'],
  ])('stays within 64 chars of [a-z0-9-] without double hyphens for %s', (_name, id) => {
    const name = nativeSkillName('/a/very-long-repository-name-indeed/that-goes-on', id);
    expect(name.length).toBeLessThanOrEqual(64);
    expect(name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  it('keeps distinct long ids distinct', () => {
    const long = 'a'.repeat(60);
    expect(nativeSkillName(REPO, `${long}-one`)).not.toBe(nativeSkillName(REPO, `${long}-two`));
  });
});

describe('quality gate', () => {
  it.each([
    ['passes a good skill', entry('a'), GOOD_CONTENT, undefined],
    ['retired', entry('a', { status: 'retired' }), GOOD_CONTENT, 'status:retired'],
    ['not managed', entry('a', { managed: false }), GOOD_CONTENT, 'not_managed'],
    ["someone else's", entry('a', { owner: 'other-tool' }), GOOD_CONTENT, 'not_managed'],
    ['no title', entry('a', { title: '  ' }), GOOD_CONTENT, 'missing_title'],
    ['no description', entry('a', { description: undefined }), GOOD_CONTENT, 'missing_description'],
    [
      'a description that does not say when',
      entry('a', { description: 'Deployment notes.' }),
      GOOD_CONTENT,
      'weak_description',
    ],
    [
      '"user" is not "use"',
      entry('a', { description: 'User deployment notes.' }),
      GOOD_CONTENT,
      'weak_description',
    ],
    [
      'a Chinese description saying when',
      entry('a', { description: '部署到 fly 时使用' }),
      GOOD_CONTENT,
      undefined,
    ],
    ['no content', entry('a'), undefined, 'missing_content'],
    ['a heading only', entry('a'), '# Title\n', 'missing_content'],
    ['too little content', entry('a'), '# T\n\nRun pnpm deploy.\n', 'low_signal'],
  ])('%s', (_name, e, content, reason) => {
    expect(qualityGate(e, content)).toBe(reason);
  });

  it('counts CJK characters as words', () => {
    expect(countWords('先运行测试再提交代码')).toBe(10);
    expect(countWords("don't stop—now")).toBe(3);
  });
});

describe('reconcileNativeSkills', () => {
  it('publishes SKILL.md files Codex can load, idempotently, with a ledger', () => {
    const w = world();
    const entries = [
      entry('deploy-fly', {
        description: 'Use when deploying: "fly" needs\nthe rolling strategy \\ always.',
      }),
    ];
    const first = reconcileNativeSkills({
      ...w,
      repoKey: REPO,
      entries,
      readSkillContent: () => GOOD_CONTENT,
    });
    const name = nativeSkillName(REPO, 'deploy-fly');
    expect(first.published).toEqual([
      { skill_id: 'deploy-fly', name, path: join(w.skills, name, 'SKILL.md'), action: 'created' },
    ]);
    expect(first.errors).toEqual([]);
    const text = readFileSync(join(w.skills, name, 'SKILL.md'), 'utf8');
    const fm = frontmatter(text);
    expect(fm.name).toBe(name);
    expect(fm.description).toBe(
      'For the My Shop repository: Use when deploying: "fly" needs the rolling strategy \\ always.',
    );
    expect(text).toContain('\n# Skill deploy-fly\n');
    expect(text).toContain('<!-- managed-by: codex-self-evolution; repo: ');
    expect(text).toContain('fly deploy --strategy rolling');
    expect(text).not.toContain('# Deploy\n');
    const ledger = JSON.parse(readFileSync(ledgerPath(w.home), 'utf8')) as {
      skills: Record<string, { skill_id: string }>;
    };
    expect(Object.keys(ledger.skills)).toEqual([name]);

    const again = reconcileNativeSkills({
      ...w,
      repoKey: REPO,
      entries,
      readSkillContent: () => GOOD_CONTENT,
    });
    expect(again.published[0]!.action).toBe('unchanged');
    expect(readFileSync(join(w.skills, name, 'SKILL.md'), 'utf8')).toBe(text);
  });

  it('removes retired, vanished and failing skills, and only its own', () => {
    const w = world();
    const read = () => GOOD_CONTENT;
    reconcileNativeSkills({
      ...w,
      repoKey: REPO,
      entries: [entry('a'), entry('b'), entry('c')],
      readSkillContent: read,
    });
    // Another repository's skill, a hand-made skill and the Python original's projection.
    reconcileNativeSkills({
      ...w,
      repoKey: '/elsewhere/repo',
      entries: [entry('a')],
      readSkillContent: read,
    });
    mkdirSync(join(w.skills, 'my-own-skill'), { recursive: true });
    writeFileSync(
      join(w.skills, 'my-own-skill', 'SKILL.md'),
      '---\nname: my-own-skill\ndescription: mine\n---\n',
    );
    mkdirSync(join(w.skills, 'csep-a'), { recursive: true });
    writeFileSync(
      join(w.skills, 'csep-a', 'SKILL.md'),
      '---\nname: "a"\n---\n<!-- managed-by: codex-self-evolution-plugin; source-skill-id: a; do not edit by hand -->\n',
    );

    const result = reconcileNativeSkills({
      ...w,
      repoKey: REPO,
      entries: [entry('a', { status: 'retired' }), entry('c', { description: 'Notes.' })],
      readSkillContent: read,
    });
    expect(result.removed.map((r) => `${r.skill_id}:${r.reason}`).sort()).toEqual([
      'a:retired',
      'c:weak_description',
      'null:vanished',
    ]);
    expect(result.legacy_projections).toEqual([join(w.skills, 'csep-a')]);
    const left = readdirSync(w.skills).sort();
    expect(left).toEqual(['csep-a', nativeSkillName('/elsewhere/repo', 'a'), 'my-own-skill'].sort());
  });

  it('leaves a SKILL.md edited by hand alone, and a folder it did not create', () => {
    const w = world();
    reconcileNativeSkills({
      ...w,
      repoKey: REPO,
      entries: [entry('a')],
      readSkillContent: () => GOOD_CONTENT,
    });
    const name = nativeSkillName(REPO, 'a');
    const file = join(w.skills, name, 'SKILL.md');
    const edited = `${readFileSync(file, 'utf8')}\nMy own note.\n`;
    writeFileSync(file, edited);
    const changed = reconcileNativeSkills({
      ...w,
      repoKey: REPO,
      entries: [entry('a', { description: 'Use when shipping.' })],
      readSkillContent: () => GOOD_CONTENT,
    });
    expect(changed.skipped).toEqual([{ skill_id: 'a', reason: 'edited_by_hand', name }]);
    expect(readFileSync(file, 'utf8')).toBe(edited);
    const retired = reconcileNativeSkills({
      ...w,
      repoKey: REPO,
      entries: [entry('a', { status: 'retired' })],
      readSkillContent: () => GOOD_CONTENT,
    });
    expect(retired.removed).toEqual([]);
    expect(existsSync(file)).toBe(true);

    // A same-named folder that is not ours (no marker) is never overwritten.
    const w2 = world();
    const name2 = nativeSkillName(REPO, 'b');
    mkdirSync(join(w2.skills, name2), { recursive: true });
    writeFileSync(join(w2.skills, name2, 'SKILL.md'), 'hand written\n');
    const r = reconcileNativeSkills({
      ...w2,
      repoKey: REPO,
      entries: [entry('b')],
      readSkillContent: () => GOOD_CONTENT,
    });
    expect(r.skipped).toEqual([{ skill_id: 'b', reason: 'folder_not_ours', name: name2 }]);
    expect(readFileSync(join(w2.skills, name2, 'SKILL.md'), 'utf8')).toBe('hand written\n');
  });

  it('keeps extra files someone put in our folder when retiring', () => {
    const w = world();
    reconcileNativeSkills({
      ...w,
      repoKey: REPO,
      entries: [entry('a')],
      readSkillContent: () => GOOD_CONTENT,
    });
    const dir = join(w.skills, nativeSkillName(REPO, 'a'));
    writeFileSync(join(dir, 'notes.txt'), 'keep me');
    reconcileNativeSkills({ ...w, repoKey: REPO, entries: [], readSkillContent: () => GOOD_CONTENT });
    expect(existsSync(join(dir, 'SKILL.md'))).toBe(false);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('keep me');
  });

  it('caps the number of skills per repository, newest first', () => {
    const w = world();
    const entries = Array.from({ length: MAX_SKILLS_PER_REPO + 2 }, (_, i) =>
      entry(`s${i}`, { updated_at: `2026-11-01T00:00:${String(i).padStart(2, '0')}Z` }),
    );
    const result = reconcileNativeSkills({
      ...w,
      repoKey: REPO,
      entries,
      readSkillContent: () => GOOD_CONTENT,
    });
    expect(result.published).toHaveLength(MAX_SKILLS_PER_REPO);
    expect(
      result.skipped
        .filter((s) => s.reason === 'over_limit')
        .map((s) => s.skill_id)
        .sort(),
    ).toEqual(['s0', 's1']);
  });

  it('removes everything of the repository when disabled', () => {
    const w = world();
    reconcileNativeSkills({
      ...w,
      repoKey: REPO,
      entries: [entry('a'), entry('b')],
      readSkillContent: () => GOOD_CONTENT,
    });
    const result = reconcileNativeSkills({
      ...w,
      repoKey: REPO,
      entries: [entry('a'), entry('b')],
      readSkillContent: () => GOOD_CONTENT,
      enabled: false,
    });
    expect(result.removed.map((r) => r.reason)).toEqual(['disabled', 'disabled']);
    expect(readdirSync(w.skills)).toEqual([]);
    expect((JSON.parse(readFileSync(ledgerPath(w.home), 'utf8')) as { skills: object }).skills).toEqual({});
  });

  it('takes CODEX_HOME and the CODEX_SELF_EVOLUTION_NATIVE_SKILLS switch from the environment', () => {
    const w = world();
    const base = { home: w.home, repoKey: REPO, entries: [entry('a')], readSkillContent: () => GOOD_CONTENT };
    const on = reconcileNativeSkills({ ...base, env: { CODEX_HOME: w.codexHome } });
    expect(on.published.map((p) => p.path)).toEqual([join(w.skills, nativeSkillName(REPO, 'a'), 'SKILL.md')]);
    const off = reconcileNativeSkills({
      ...base,
      env: { CODEX_HOME: w.codexHome, CODEX_SELF_EVOLUTION_NATIVE_SKILLS: 'off' },
    });
    expect(off.removed.map((r) => r.reason)).toEqual(['disabled']);
    expect(readdirSync(w.skills)).toEqual([]);
  });

  it('writes frontmatter a strict YAML/TOML-like reader gets back exactly', () => {
    const nasty = 'Use when "quotes", back\\slash, tab\there, line\u2028separator, DEL\u007f, emoji 🚀.';
    expect(JSON.parse(yamlQuote(nasty).replace(/\\u(2028|007f)/g, (_m, h: string) => `\\u${h}`))).toBe(nasty);
    expect(yamlQuote('a\u2028b')).toBe('"a\\u2028b"');
    // A TOML basic string has the same escapes as this subset: a second, independent parser agrees.
    expect((parseToml(`v = ${yamlQuote('x "y" \\ z')}`) as { v: string }).v).toBe('x "y" \\ z');
  });
});
