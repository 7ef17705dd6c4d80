import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  commitApply,
  guardArtifacts,
  journalPath,
  planApply,
  recoverJournal,
  renderCompiledRecall,
} from '../../../src/core/compiler/apply.js';
import scriptBackend from '../../../src/core/compiler/backends/script.js';
import type { CompileArtifacts, CompileBackend } from '../../../src/core/compiler/backends/types.js';
import { runCompile } from '../../../src/core/compiler/compile.js';
import { loadCompileContext } from '../../../src/core/compiler/context.js';
import { readReceiptHistory } from '../../../src/core/compiler/receipts.js';
import { claimBatch, countQueue, readEnvelope } from '../../../src/core/queue/queue.js';
import { PLUGIN_OWNER, type SkillManifestEntry } from '../../../src/core/schemas.js';
import { bucket, mem, queue } from './helpers.js';

const entry = (id: string, owner = PLUGIN_OWNER): SkillManifestEntry => ({
  skill_id: id,
  action: 'create',
  title: id,
  path: `/elsewhere/${id}.md`,
  status: 'active',
  owner,
  managed: true,
  created_by: owner,
  updated_at: '2026-01-01T00:00:00Z',
  retired_at: null,
});

function artifacts(partial: Partial<CompileArtifacts> = {}): CompileArtifacts {
  return {
    memory: { user: [], global: [] },
    recall: [],
    skills: [],
    manifest: [],
    items: [],
    backend: 'script',
    fallback_backend: null,
    ...partial,
  };
}

describe('guardArtifacts (whatever the backend says)', () => {
  it('refuses unsafe skill ids and foreign skills, keeps foreign manifest entries verbatim', () => {
    const paths = bucket();
    const context = {
      ...loadCompileContext(paths),
      manifest: [entry('ours'), entry('theirs', 'another-tool')],
    };
    const rogue = artifacts({
      skills: [
        {
          skill_id: '../../x',
          action: 'create',
          title: 't',
          description: 'd',
          content: 'c c c',
          status: 'active',
        },
        {
          skill_id: 'theirs',
          action: 'edit',
          title: 't',
          description: 'd',
          content: 'c c c',
          status: 'active',
        },
        {
          skill_id: 'ghost',
          action: 'patch',
          title: 't',
          description: 'd',
          content: 'c c c',
          status: 'active',
        },
        {
          skill_id: 'ours',
          action: 'edit',
          title: 'Ours v2',
          description: 'd',
          content: 'c c c',
          status: 'active',
        },
      ],
      manifest: [
        { ...entry('theirs'), title: 'hijacked' },
        { ...entry('ours'), title: 'Ours v2' },
      ],
      recall: [
        { id: 'r1', summary: 's', content: 'c', source_paths: [''], repo_fingerprint: 'f', cwd: '/' },
        { id: '', summary: 's', content: 'c', source_paths: [], repo_fingerprint: 'f', cwd: '/' },
      ] as never,
    });
    const safe = guardArtifacts(rogue, context, paths);
    expect(safe.skills.map((s) => s.skill_id)).toEqual(['ours']);
    expect(safe.items.map((i) => [i.skill_id ?? i.record_id, i.reason])).toEqual([
      ['../../x', 'invalid_skill_id'],
      ['theirs', 'ownership_violation'],
      ['ghost', 'missing_managed_skill'],
      ['', 'invalid_record'],
    ]);
    expect(safe.manifest.find((e) => e.skill_id === 'theirs')).toEqual(entry('theirs', 'another-tool'));
    expect(safe.manifest.find((e) => e.skill_id === 'ours')).toMatchObject({
      title: 'Ours v2',
      path: join(paths.skillsManagedDir, 'ours.md'),
    });
    expect(safe.recall).toEqual([expect.objectContaining({ id: 'r1', source_paths: [] })]);
    const plan = planApply(paths, context, safe);
    for (const write of plan.writes) expect(write.target.startsWith(`${paths.stateDir}/`)).toBe(true);
  });
});

describe('planApply', () => {
  it('orders writes memory → recall → skills → manifest and skips unchanged files', () => {
    const paths = bucket();
    const context = loadCompileContext(paths);
    const plan = planApply(
      paths,
      context,
      artifacts({
        skills: [
          {
            skill_id: 'a',
            action: 'create',
            title: 'A',
            description: 'd',
            content: 'x y z',
            status: 'active',
          },
        ],
      }),
    );
    expect(plan.writes.map((w) => w.target.slice(paths.stateDir.length + 1))).toEqual([
      'memory/memory.json',
      'memory/USER.md',
      'memory/MEMORY.md',
      'recall/index.json',
      'recall/compiled.md',
      'recall/search-index.json',
      'skills/managed/a.md',
      'skills/manifest.json',
    ]);
    for (const w of plan.writes) writeFileSync(w.target, w.content);
    const again = planApply(
      paths,
      loadCompileContext(paths),
      artifacts({
        skills: [
          {
            skill_id: 'a',
            action: 'create',
            title: 'A',
            description: 'd',
            content: 'x y z',
            status: 'active',
          },
        ],
      }),
    );
    expect(again.writes).toEqual([]);
    expect(again.unchanged).toEqual(
      expect.arrayContaining([
        paths.memoryJson,
        paths.userMd,
        paths.memoryMd,
        paths.recallIndex,
        paths.recallCompiled,
        join(paths.skillsManagedDir, 'a.md'),
        paths.skillsManifest,
      ]),
    );
  });

  it('renders compiled recall as the original did', () => {
    expect(
      renderCompiledRecall([
        {
          id: 'i',
          summary: 'S',
          content: ' C ',
          source_paths: ['a', 'b'],
          repo_fingerprint: 'f',
          cwd: '/',
          thread_id: '',
          turn_id: '',
          source_updated_at: '',
        },
      ]),
    ).toBe('# Compiled Recall\n\n## S\n\nC\n\nProvenance: a, b\n');
  });
});

describe('commitApply and recoverJournal', () => {
  it('leaves nothing behind when aborted before the commit point', () => {
    const paths = bucket();
    writeFileSync(paths.memoryJson, 'old');
    const plan = {
      writes: [
        { target: paths.memoryJson, content: 'new' },
        { target: paths.userMd, content: 'u' },
      ],
      unchanged: [],
    };
    expect(() =>
      commitApply(paths, {
        txid: 't1',
        plan,
        envelopes: [],
        receipt: {},
        beforeCommit: () => {
          throw new Error('lock lost');
        },
      }),
    ).toThrow('lock lost');
    expect(readFileSync(paths.memoryJson, 'utf8')).toBe('old');
    expect(existsSync(paths.userMd)).toBe(false);
    expect(existsSync(journalPath(paths))).toBe(false);
    expect(readdirSync(paths.memoryDir)).toEqual(['memory.json']);
  });

  it('rolls an interrupted commit forward: remaining renames, envelopes to done, the receipt once', () => {
    const paths = bucket();
    const id = queue(paths, [mem('x')]);
    const claimed = claimBatch(paths, 10).claimed;
    // The state a crash right after the first rename leaves behind.
    writeFileSync(paths.memoryJson, 'new memory');
    writeFileSync(join(paths.memoryDir, '.USER.md.stage-tx1'), 'new user');
    writeFileSync(join(paths.recallDir, '.index.json.stage-tx0'), 'orphan of an older crash');
    const receipt = { receipt_id: 'tx1', run_status: 'success', processed_count: 1 };
    writeFileSync(
      journalPath(paths),
      JSON.stringify({
        version: 1,
        txid: 'tx1',
        state: 'committing',
        created_at: '2026-11-26T00:00:00Z',
        pid: 1,
        files: [
          { target: paths.memoryJson, staged: join(paths.memoryDir, '.memory.json.stage-tx1') },
          { target: paths.userMd, staged: join(paths.memoryDir, '.USER.md.stage-tx1') },
        ],
        envelopes: [id],
        receipt,
      }),
    );
    const result = recoverJournal(paths);
    expect(result).toMatchObject({
      status: 'rolled_forward',
      txid: 'tx1',
      files_renamed: 1,
      envelopes: 1,
      stage_files_removed: 1,
    });
    expect(readFileSync(paths.userMd, 'utf8')).toBe('new user');
    expect(readFileSync(paths.memoryJson, 'utf8')).toBe('new memory');
    expect(claimed).toHaveLength(1);
    expect(readEnvelope(join(paths.queue.done, `${id}.json`)).state).toBe('done');
    expect(countQueue(paths)).toMatchObject({ processing: 0, done: 1 });
    expect(readReceiptHistory(paths)).toEqual([{ ...receipt, recovered: true }]);
    expect(existsSync(journalPath(paths))).toBe(false);
    // Running recovery again changes nothing (and writes no second receipt).
    expect(recoverJournal(paths).status).toBe('none');
    expect(readReceiptHistory(paths)).toHaveLength(1);
  });

  it('keeps a damaged journal aside instead of wedging', () => {
    const paths = bucket();
    writeFileSync(journalPath(paths), '{"version": 1, "txid"');
    const result = recoverJournal(paths);
    expect(result.status).toBe('quarantined');
    expect(existsSync(result.kept_aside!)).toBe(true);
    expect(existsSync(journalPath(paths))).toBe(false);
  });
});

describe('runCompile apply failures', () => {
  it('returns the batch to pending without spending an attempt when writing fails, and stops', async () => {
    const paths = bucket();
    const ids = [queue(paths, [mem('a')], 1), queue(paths, [mem('b')], 2)];
    let calls = 0;
    const sabotage: CompileBackend = {
      ...scriptBackend,
      async compile(input, options) {
        calls++;
        // The environment breaks mid-run: the memory directory becomes unusable.
        rmSync(paths.memoryDir, { recursive: true, force: true });
        writeFileSync(paths.memoryDir, 'not a directory');
        return scriptBackend.compile(input, options);
      },
    };
    const result = await runCompile(paths, { backendImpl: sabotage });
    expect(result).toMatchObject({ status: 'failed', processed_count: 0, failed_count: 2 });
    expect(result.error).toMatch(/^apply: /);
    expect(calls).toBe(1);
    for (const id of ids)
      expect(readEnvelope(join(paths.queue.pending, `${id}.json`))).toMatchObject({
        attempt_count: 0,
        failure_reason: null,
      });
    expect(readReceiptHistory(paths).at(-1)).toMatchObject({ run_status: 'failed' });
    // Repaired, the next run compiles both.
    rmSync(paths.memoryDir);
    mkdirSync(paths.memoryDir);
    expect(await runCompile(paths)).toMatchObject({ status: 'success', processed_count: 2 });
  });
});
