import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  bucketName,
  ensureRuntimeDirs,
  findBucketDir,
  legacyBucketName,
  listBuckets,
  repoIdentity,
  resolveStatePaths,
  safeFileComponent,
  sha1,
} from '../../../src/core/paths.js';
import { tempDir } from '../../helpers/tmp.js';

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: cwd },
  }).trim();
}

function initRepo(dir: string): void {
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '-q');
  git(dir, '-c', 'user.email=t@e', '-c', 'user.name=t', 'commit', '-q', '--allow-empty', '-m', 'init');
}

describe('repoIdentity', () => {
  it('is the repo root for the root and any subdirectory', () => {
    const root = join(tempDir(), 'repo');
    initRepo(root);
    mkdirSync(join(root, 'a', 'b'), { recursive: true });
    expect(repoIdentity(root)).toBe(root);
    expect(repoIdentity(join(root, 'a', 'b'))).toBe(root);
  });

  it('maps a linked worktree to the main repository, as git rev-parse --git-common-dir does', () => {
    const base = tempDir();
    const root = join(base, 'repo');
    initRepo(root);
    const wt = join(base, 'wt');
    git(root, 'worktree', 'add', '-q', wt);
    expect(repoIdentity(wt)).toBe(root);
    const common = git(wt, 'rev-parse', '--path-format=absolute', '--git-common-dir');
    expect(repoIdentity(wt)).toBe(join(common, '..'));
  });

  it('is the directory itself outside a repository', () => {
    const dir = tempDir();
    expect(repoIdentity(dir)).toBe(dir);
  });
});

describe('bucket names', () => {
  it('do not collide for /a/my-repo and /a/my/repo (the original did)', () => {
    expect(legacyBucketName('/a/my-repo')).toBe(legacyBucketName('/a/my/repo'));
    expect(bucketName('/a/my-repo')).not.toBe(bucketName('/a/my/repo'));
  });

  it('keep a readable prefix and a hash suffix', () => {
    expect(bucketName('/Users/a/code/repo')).toBe(
      `-Users-a-code-repo--${sha1('/Users/a/code/repo').slice(0, 10)}`,
    );
  });

  it('stay a valid file-name length for very long paths', () => {
    expect(bucketName(`/${'x'.repeat(400)}/repo`).length).toBeLessThanOrEqual(92);
  });
});

describe('findBucketDir', () => {
  it('reuses a Python 0.7.x bucket whose marker names this repository', () => {
    const projects = tempDir();
    const legacy = join(projects, legacyBucketName('/a/my-repo'));
    mkdirSync(legacy);
    writeFileSync(join(legacy, '.canonical_cwd'), '/a/my-repo\n');
    expect(findBucketDir(projects, '/a/my-repo')).toBe(legacy);
    // The other repository that mangles to the same name gets its own bucket.
    expect(findBucketDir(projects, '/a/my/repo')).toBe(join(projects, bucketName('/a/my/repo')));
  });

  it('reuses a marker-less legacy bucket only when the other reading of its name does not exist', () => {
    const root = tempDir();
    const projects = join(root, 'projects');
    const key = join(root, 'my-repo');
    mkdirSync(key, { recursive: true });
    const legacy = join(projects, legacyBucketName(key));
    mkdirSync(legacy, { recursive: true });
    // `<root>/my/repo` does not exist: the bucket can only be my-repo's.
    expect(findBucketDir(projects, key)).toBe(legacy);
    mkdirSync(join(root, 'my', 'repo'), { recursive: true });
    // Now it is ambiguous: do not guess.
    expect(findBucketDir(projects, key)).toBe(join(projects, bucketName(key)));
  });

  it('prefers our own bucket when both exist', () => {
    const projects = tempDir();
    mkdirSync(join(projects, legacyBucketName('/r')));
    mkdirSync(join(projects, bucketName('/r')));
    expect(findBucketDir(projects, '/r')).toBe(join(projects, bucketName('/r')));
  });
});

describe('resolveStatePaths', () => {
  it('creates nothing (read-only commands must not leave bucket trees behind)', () => {
    const home = tempDir();
    const cwd = tempDir();
    const paths = resolveStatePaths({ cwd, home });
    expect(paths.stateDir.startsWith(join(home, 'projects'))).toBe(true);
    expect(existsSync(join(home, 'projects'))).toBe(false);
  });

  it('honours --state-dir without bucket logic or marker', () => {
    const home = tempDir();
    const stateDir = join(tempDir(), 'state');
    const paths = resolveStatePaths({ cwd: tempDir(), home, stateDir });
    expect(paths.stateDir).toBe(stateDir);
    ensureRuntimeDirs(paths);
    expect(existsSync(join(stateDir, 'suggestions', 'pending'))).toBe(true);
    expect(existsSync(join(stateDir, '.canonical_cwd'))).toBe(false);
  });

  it('shares one bucket between worktrees and writes the identity marker', () => {
    const base = tempDir();
    const home = join(base, 'home');
    const root = join(base, 'repo');
    initRepo(root);
    git(root, 'worktree', 'add', '-q', join(base, 'wt'));
    const a = resolveStatePaths({ cwd: root, home });
    const b = resolveStatePaths({ cwd: join(base, 'wt'), home });
    expect(b.stateDir).toBe(a.stateDir);
    ensureRuntimeDirs(a);
    expect(readFileSync(join(a.stateDir, '.canonical_cwd'), 'utf8')).toBe(`${root}\n`);
    expect(listBuckets(home).map((x) => x.canonicalCwd)).toEqual([root]);
  });
});

describe('safeFileComponent', () => {
  it('never yields a path escape or an empty name', () => {
    expect(safeFileComponent('../../etc/passwd')).toBe('etc-passwd');
    expect(safeFileComponent('..')).toMatch(/^[0-9a-f]{16}$/);
    expect(safeFileComponent('中文')).toMatch(/^[0-9a-f]{16}$/);
    expect(safeFileComponent('01a2161a-5bab-7220')).toBe('01a2161a-5bab-7220');
  });
});
