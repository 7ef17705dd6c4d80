import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCompileContext, parseCompiledRecall } from '../../../src/core/compiler/context.js';
import { PLUGIN_OWNER } from '../../../src/core/schemas.js';
import { bucket } from './helpers.js';

function asideFiles(file: string): string[] {
  return readdirSync(dirname(file)).filter((n) => n.startsWith(`${basename(file)}.corrupt-`));
}

describe('loadCompileContext', () => {
  it('loads a Python-written bucket, keeping unknown fields', () => {
    const paths = bucket();
    writeFileSync(
      paths.memoryJson,
      JSON.stringify({
        user: [
          {
            scope: 'user',
            summary: 'PM',
            content: 'Use pnpm.',
            source_paths: [],
            confidence: 0.8,
            provenance: [],
            future_field: 1,
          },
        ],
        global: [],
      }),
    );
    writeFileSync(
      paths.recallIndex,
      JSON.stringify({
        records: [
          { id: 'abc', summary: 's', content: 'c', source_paths: [''], repo_fingerprint: 'fp', cwd: '/r' },
        ],
      }),
    );
    writeFileSync(
      paths.skillsManifest,
      JSON.stringify({
        skills: [
          {
            skill_id: 'deploy',
            action: 'create',
            title: 'Deploy',
            path: '/x',
            status: 'active',
            owner: PLUGIN_OWNER,
            managed: true,
            created_by: PLUGIN_OWNER,
            updated_at: '2026-01-01T00:00:00Z',
            retired_at: null,
          },
        ],
      }),
    );
    const ctx = loadCompileContext(paths);
    expect(ctx.problems).toEqual([]);
    expect(ctx.memory.user[0]).toMatchObject({ summary: 'PM', future_field: 1 });
    expect(ctx.recall[0]).toMatchObject({ id: 'abc', source_paths: [] });
    expect(ctx.manifest.map((e) => e.skill_id)).toEqual(['deploy']);
    expect([ctx.memorySource, ctx.recallSource, ctx.manifestSource]).toEqual([
      'memory.json',
      'index.json',
      'manifest.json',
    ]);
  });

  it('keeps a corrupt memory.json aside and recovers the entries from USER.md / MEMORY.md', () => {
    const paths = bucket();
    writeFileSync(paths.memoryJson, '{"user": [');
    writeFileSync(paths.userMd, '# USER\n\n## Package manager\n\nUse pnpm.\n');
    writeFileSync(paths.memoryMd, '# MEMORY\n\n_No entries yet._\n');
    const ctx = loadCompileContext(paths);
    expect(existsSync(paths.memoryJson)).toBe(false);
    const aside = asideFiles(paths.memoryJson);
    expect(aside).toHaveLength(1);
    expect(readFileSync(`${dirname(paths.memoryJson)}/${aside[0]}`, 'utf8')).toBe('{"user": [');
    expect(ctx.problems).toEqual([
      expect.objectContaining({ file: paths.memoryJson, kept_aside: expect.stringContaining('.corrupt-') }),
    ]);
    expect(ctx.memorySource).toBe('markdown');
    expect(ctx.memory.user).toEqual([
      expect.objectContaining({ summary: 'Package manager', content: 'Use pnpm.' }),
    ]);
    expect(ctx.memory.global).toEqual([]);
  });

  it('keeps a corrupt recall index aside and recovers records from compiled.md', () => {
    const paths = bucket();
    writeFileSync(paths.recallIndex, 'garbage');
    writeFileSync(
      paths.recallCompiled,
      '# Compiled Recall\n\n## Retry policy\n\nBack off from 0.5 s.\n\nProvenance: src/http.ts, src/retry.ts\n\n## Empty paths\n\nSome fact.\n\nProvenance: \n',
    );
    const ctx = loadCompileContext(paths);
    expect(asideFiles(paths.recallIndex)).toHaveLength(1);
    expect(ctx.recallSource).toBe('compiled.md');
    expect(ctx.recall.map((r) => [r.summary, r.content, r.source_paths])).toEqual([
      ['Retry policy', 'Back off from 0.5 s.', ['src/http.ts', 'src/retry.ts']],
      ['Empty paths', 'Some fact.', []],
    ]);
  });

  it('keeps a corrupt manifest aside and rebuilds it from the managed skill files', () => {
    const paths = bucket();
    writeFileSync(paths.skillsManifest, '{"skills": 5}');
    writeFileSync(`${paths.skillsManagedDir}/deploy.md`, '# Deploy the service\n\nRun the script.\n');
    writeFileSync(`${paths.skillsManagedDir}/old.md`, '# Old\n\nStatus: retired\n');
    const ctx = loadCompileContext(paths);
    expect(asideFiles(paths.skillsManifest)).toHaveLength(1);
    expect(ctx.manifestSource).toBe('managed-files');
    expect(ctx.manifest.map((e) => [e.skill_id, e.title, e.status, e.owner])).toEqual([
      ['deploy', 'Deploy the service', 'active', PLUGIN_OWNER],
      ['old', 'Old', 'retired', PLUGIN_OWNER],
    ]);
  });

  it('drops single bad entries, keeps a copy of the file as it was, and reports them', () => {
    const paths = bucket();
    const manifest = JSON.stringify({
      skills: [
        {
          skill_id: '',
          action: 'create',
          title: 'x',
          path: '/p',
          status: 'active',
          owner: 'o',
          managed: true,
          updated_at: 't',
        },
      ],
    });
    writeFileSync(paths.skillsManifest, manifest);
    writeFileSync(
      paths.memoryJson,
      JSON.stringify({
        user: [{ summary: 'no content' }, { content: 'ok' }, { content: 'OK!' }],
        global: [],
      }),
    );
    const ctx = loadCompileContext(paths);
    expect(ctx.manifest).toEqual([]);
    expect(ctx.memory.user.map((r) => r.content)).toEqual(['ok']);
    expect(ctx.problems.map((p) => p.file)).toEqual([paths.memoryJson, paths.skillsManifest]);
    expect(ctx.problems[0]!.problem).toMatch(/dropped 2 entries/);
    // The original stays in place (it is rewritten by the apply) and a copy is kept aside.
    expect(readFileSync(paths.skillsManifest, 'utf8')).toBe(manifest);
    expect(asideFiles(paths.skillsManifest)).toHaveLength(1);
  });

  it('flags a damaged search index for rebuild and keeps it aside', () => {
    const paths = bucket();
    writeFileSync(paths.recallSearchIndex, '{nope');
    const ctx = loadCompileContext(paths);
    expect(ctx.searchIndexFresh).toBe(false);
    expect(asideFiles(paths.recallSearchIndex)).toHaveLength(1);
  });
});

describe('parseCompiledRecall', () => {
  it('skips blocks without content', () => {
    expect(
      parseCompiledRecall('# Compiled Recall\n\n## Only a title\n', { repoFingerprint: 'fp', cwd: '/r' }),
    ).toEqual([]);
  });
});
