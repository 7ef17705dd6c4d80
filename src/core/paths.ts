/**
 * Where state lives: the home, one bucket per repository, and every path inside a bucket.
 *
 * Repository identity is the git common dir (all worktrees of a repo share one bucket; a
 * subdirectory maps to its repo root). It is found by walking up to the `.git` entry instead of
 * spawning `git rev-parse`, which keeps hooks fast; the result is the same for normal repos,
 * linked worktrees and submodules.
 *
 * Bucket names fix the Python package's lossy `/`→`-` mangling (`/a/my-repo` and `/a/my/repo` collided)
 * by appending a hash of the identity, while a bucket written by the Python 0.7.x for the same
 * repository is found and reused, so switching over loses nothing.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  realpathSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { QUEUE_STATES, type QueueState } from './constants.js';
import { UsageError } from './errors.js';
import { readEnv } from './env.js';
import { ensureRealDir } from './fs/safe.js';
import { reportMovedAside } from './log.js';

/** `sha1(s)` as hex. */
export function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

/** Expands a leading `~` and resolves to an absolute path. */
export function expandPath(path: string): string {
  if (path === '~') return homedir();
  if (path.startsWith('~/')) return join(homedir(), path.slice(2));
  return resolve(path);
}

/** Resolves symlinks when the path exists (as Python's `Path.resolve()` does), else just resolves it. */
export function realpathOrResolve(path: string): string {
  const abs = resolve(path);
  try {
    return realpathSync(abs);
  } catch {
    return abs;
  }
}

/**
 * The user's home when it is usable: `$HOME` set, absolute and an existing directory. Without it
 * Node's `homedir()` falls back to the passwd entry, and a missing directory would be created:
 * neither is where the user expects state. On Windows, `homedir()`.
 */
export function usableUserHome(env: NodeJS.ProcessEnv = process.env): { home: string } | { problem: string } {
  if (process.platform === 'win32') return { home: homedir() };
  const home = env.HOME;
  if (home === undefined || home === '') return { problem: 'HOME is not set' };
  if (!isAbsolute(home)) return { problem: `HOME is not an absolute path (${JSON.stringify(home)})` };
  try {
    if (statSync(home).isDirectory()) return { home };
    return { problem: `HOME (${home}) is not a directory` };
  } catch {
    return { problem: `HOME (${home}) does not exist` };
  }
}

/**
 * The home of all state: `--home`, `$CODEX_SELF_EVOLUTION_HOME`, else `~/.codex-self-evolution`.
 * @throws {UsageError} (exit 2) when none is given and `$HOME` is not usable: hooks then answer
 *   Codex and write nothing, commands print the reason.
 */
export function resolveHome(override?: string): string {
  const fromEnv = override ?? readEnv('CODEX_SELF_EVOLUTION_HOME');
  if (fromEnv) return realpathOrResolve(expandPath(fromEnv));
  const user = usableUserHome();
  if ('problem' in user) {
    throw new UsageError(`no usable home directory: ${user.problem}`, {
      hint: 'set HOME to an existing directory, or CODEX_SELF_EVOLUTION_HOME (or --home) to where state should live',
    });
  }
  return join(user.home, '.codex-self-evolution');
}

/**
 * The repository identity of `dir`: the directory holding `.git` for a normal repo, the main
 * repo's root for a linked worktree, the git dir itself for a bare repo or submodule (as
 * `git rev-parse --git-common-dir` reports it); `dir` itself when it is not inside a repository.
 */
export function repoIdentity(dir: string): string {
  const start = realpathOrResolve(dir);
  let current = start;
  for (;;) {
    const dotGit = join(current, '.git');
    let stat;
    try {
      stat = statSync(dotGit);
    } catch {
      stat = undefined;
    }
    if (stat?.isDirectory()) return current;
    if (stat?.isFile()) {
      const common = commonDirFromGitFile(dotGit, current);
      if (common) return common.endsWith(`${sep}.git`) ? dirname(common) : common;
      return current;
    }
    // A bare repository: HEAD, objects/ and refs/ side by side.
    if (
      existsSync(join(current, 'HEAD')) &&
      existsSync(join(current, 'objects')) &&
      existsSync(join(current, 'refs'))
    ) {
      return current;
    }
    const parent = dirname(current);
    if (parent === current) return start;
    current = parent;
  }
}

/** Follows a `.git` file (`gitdir: …`) and its `commondir` to the common git dir. */
function commonDirFromGitFile(dotGitFile: string, worktree: string): string | undefined {
  try {
    const match = /^gitdir:\s*(.+)$/m.exec(readFileSync(dotGitFile, 'utf8'));
    if (!match?.[1]) return undefined;
    const gitDir = realpathOrResolve(
      isAbsolute(match[1].trim()) ? match[1].trim() : join(worktree, match[1].trim()),
    );
    let common = gitDir;
    try {
      const rel = readFileSync(join(gitDir, 'commondir'), 'utf8').trim();
      if (rel) common = realpathOrResolve(isAbsolute(rel) ? rel : join(gitDir, rel));
    } catch {
      // No commondir file: a submodule's git dir is its own common dir.
    }
    return common;
  } catch {
    return undefined;
  }
}

/** The Python original's bucket name: every `/` replaced by `-` (lossy). */
export function legacyBucketName(key: string): string {
  return key.replaceAll('/', '-');
}

/**
 * Existing directories whose legacy bucket name is `name` (every `/`→`-` reading of it that is
 * on disk). Explores segment by segment, pruning at prefixes that are not directories.
 */
export function existingReadings(name: string, limit = 10_000): string[] {
  const tokens = name.split('-');
  if (tokens[0] !== '' || tokens.length < 2) return [];
  const found: string[] = [];
  let budget = limit;
  const isDir = (p: string) => {
    try {
      return statSync(p).isDirectory();
    } catch {
      return false;
    }
  };
  const walk = (index: number, path: string) => {
    if (budget-- <= 0) return;
    if (index === tokens.length) {
      if (isDir(path)) found.push(path);
      return;
    }
    const token = tokens[index]!;
    walk(index + 1, `${path}-${token}`);
    if (isDir(path)) walk(index + 1, `${path}/${token}`);
  };
  walk(2, `/${tokens[1]}`);
  return found;
}

/** Our bucket name: the readable legacy form (last 80 chars) plus 10 hex of sha1(identity). */
export function bucketName(key: string): string {
  const readable = legacyBucketName(key).slice(-80);
  return `${readable}--${sha1(key).slice(0, 10)}`;
}

/** True for tombstone buckets left by `migrate-worktrees`. */
export function isArchivedBucket(name: string): boolean {
  return name.endsWith('.archived') || name.includes('.archived.');
}

const MARKER = '.canonical_cwd';

/**
 * Picks the bucket directory for repository `key` under `projectsDir`: ours if it exists, else a
 * legacy Python bucket that provably belongs to this repository, else ours (not created here).
 */
export function findBucketDir(projectsDir: string, key: string): string {
  const ours = join(projectsDir, bucketName(key));
  if (existsSync(ours)) return ours;
  const legacyName = legacyBucketName(key);
  const legacy = join(projectsDir, legacyName);
  if (existsSync(legacy)) {
    let marker: string | undefined;
    try {
      marker = readFileSync(join(legacy, MARKER), 'utf8').trim();
    } catch {
      marker = undefined;
    }
    if (marker !== undefined && marker !== '') {
      if (marker === key) return legacy;
    } else {
      // No marker: the bucket is ours unless another existing directory mangles to the same name.
      const others = existingReadings(legacyName).filter((p) => p !== key);
      if (others.length === 0) return legacy;
    }
  }
  return ours;
}

/** Every path inside one state dir (bucket). Pure data: nothing is created by computing it. */
export interface StatePaths {
  home: string;
  stateDir: string;
  /** Repository identity (the bucket key), or the state dir itself under `--state-dir`. */
  repoKey: string;
  /** sha1 of the repository identity. */
  repoFingerprint: string;
  /** The directory the command was run for (resolved). */
  cwd: string;
  /** True when `--state-dir` chose the directory (no bucket logic, no marker). */
  explicitStateDir: boolean;
  suggestionsDir: string;
  queue: Record<QueueState, string>;
  memoryDir: string;
  userMd: string;
  memoryMd: string;
  memoryJson: string;
  recallDir: string;
  recallIndex: string;
  recallCompiled: string;
  recallSearchIndex: string;
  skillsDir: string;
  skillsManagedDir: string;
  skillsManifest: string;
  compilerDir: string;
  lockFile: string;
  lastReceipt: string;
  receiptsLog: string;
  reviewDir: string;
  snapshotsDir: string;
  reviewFailedDir: string;
  spoolDir: string;
  markerFile: string;
}

/** Builds the paths of a state dir. */
export function statePathsFor(
  stateDir: string,
  info: { home: string; repoKey: string; cwd: string; explicit: boolean },
): StatePaths {
  const suggestionsDir = join(stateDir, 'suggestions');
  const queue = Object.fromEntries(QUEUE_STATES.map((s) => [s, join(suggestionsDir, s)])) as Record<
    QueueState,
    string
  >;
  return {
    home: info.home,
    stateDir,
    repoKey: info.repoKey,
    repoFingerprint: sha1(info.repoKey),
    cwd: info.cwd,
    explicitStateDir: info.explicit,
    suggestionsDir,
    queue,
    memoryDir: join(stateDir, 'memory'),
    userMd: join(stateDir, 'memory', 'USER.md'),
    memoryMd: join(stateDir, 'memory', 'MEMORY.md'),
    memoryJson: join(stateDir, 'memory', 'memory.json'),
    recallDir: join(stateDir, 'recall'),
    recallIndex: join(stateDir, 'recall', 'index.json'),
    recallCompiled: join(stateDir, 'recall', 'compiled.md'),
    recallSearchIndex: join(stateDir, 'recall', 'search-index.json'),
    skillsDir: join(stateDir, 'skills'),
    skillsManagedDir: join(stateDir, 'skills', 'managed'),
    skillsManifest: join(stateDir, 'skills', 'manifest.json'),
    compilerDir: join(stateDir, 'compiler'),
    lockFile: join(stateDir, 'compiler', 'compile.lock'),
    lastReceipt: join(stateDir, 'compiler', 'last_receipt.json'),
    receiptsLog: join(stateDir, 'compiler', 'receipts.jsonl'),
    reviewDir: join(stateDir, 'review'),
    snapshotsDir: join(stateDir, 'review', 'snapshots'),
    reviewFailedDir: join(stateDir, 'review', 'failed'),
    spoolDir: join(stateDir, 'review', 'spool'),
    markerFile: join(stateDir, MARKER),
  };
}

export interface ResolveStateOptions {
  /** The directory the command is about (default: process cwd). */
  cwd?: string;
  /** `--state-dir`: use this directory, no bucket logic. */
  stateDir?: string;
  /** `--home` or an explicit home. */
  home?: string;
}

/**
 * Resolves the state paths for a cwd without creating anything:
 * read-only commands must not leave bucket trees behind for arbitrary directories.
 */
export function resolveStatePaths(options: ResolveStateOptions = {}): StatePaths {
  const home = resolveHome(options.home);
  const cwd = realpathOrResolve(options.cwd ?? process.cwd());
  if (options.stateDir) {
    const stateDir = realpathOrResolve(expandPath(options.stateDir));
    // Under --state-dir the repository is still the cwd's, for fingerprints and ranking.
    return statePathsFor(stateDir, { home, repoKey: repoIdentity(cwd), cwd, explicit: true });
  }
  const repoKey = repoIdentity(cwd);
  const stateDir = findBucketDir(join(home, 'projects'), repoKey);
  return statePathsFor(stateDir, { home, repoKey, cwd, explicit: false });
}

/** Creates the runtime tree of a state dir (writers only) and the identity marker of a bucket. */
export function ensureRuntimeDirs(paths: StatePaths): void {
  mkdirSync(paths.stateDir, { recursive: true });
  // Parents first. Each is checked with lstat: a symlink planted in the state dir is moved aside
  // and logged, never written through.
  for (const dir of [
    paths.suggestionsDir,
    ...Object.values(paths.queue),
    join(paths.suggestionsDir, '.keys'),
    paths.memoryDir,
    paths.recallDir,
    paths.skillsDir,
    paths.skillsManagedDir,
    paths.compilerDir,
    join(paths.compilerDir, 'undo'),
    paths.reviewDir,
    paths.snapshotsDir,
    paths.spoolDir,
    join(paths.spoolDir, 'dead'),
    join(paths.reviewDir, 'staged'),
  ]) {
    ensureRealDir(dir, reportMovedAside);
  }
  if (!paths.explicitStateDir && !existsSync(paths.markerFile)) {
    try {
      writeFileSync(paths.markerFile, `${paths.repoKey}\n`, { mode: 0o600 });
    } catch {
      // Best effort, as in the Python package: the marker only helps find legacy buckets.
    }
  }
}

/** A bucket directory under `<home>/projects`. */
export interface BucketInfo {
  name: string;
  stateDir: string;
  archived: boolean;
  /** Repository identity from the marker, when present. */
  canonicalCwd: string | undefined;
}

/** Lists the buckets under `<home>/projects`, sorted by name (files and dot-entries ignored). */
export function listBuckets(home: string): BucketInfo[] {
  const projects = join(home, 'projects');
  let names: string[];
  try {
    names = readdirSync(projects, { withFileTypes: true })
      .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
  return names.map((name) => {
    const stateDir = join(projects, name);
    let canonicalCwd: string | undefined;
    try {
      canonicalCwd = readFileSync(join(stateDir, MARKER), 'utf8').trim() || undefined;
    } catch {
      canonicalCwd = undefined;
    }
    return { name, stateDir, archived: isArchivedBucket(name), canonicalCwd };
  });
}

/** State paths of an existing bucket directory (for scan and status). */
export function statePathsForBucket(home: string, bucket: BucketInfo): StatePaths {
  const key = bucket.canonicalCwd ?? bucket.stateDir;
  return statePathsFor(bucket.stateDir, { home, repoKey: key, cwd: key, explicit: false });
}

/** Makes an untrusted id safe as one file-name component: `[A-Za-z0-9._-]`, bounded, never `.`/`..`. */
export function safeFileComponent(raw: string, maxLength = 64): string {
  const cleaned = raw
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, maxLength);
  return cleaned === '' ? sha1(raw).slice(0, 16) : cleaned;
}
