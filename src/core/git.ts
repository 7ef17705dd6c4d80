/**
 * The few git facts the compiler needs for provenance and staleness, each one spawn
 * per compile and repository (or per distinct source commit, bounded by the caller), never one
 * per entry. Compiler-only: hooks must not load this module (it spawns processes).
 */
import { runSync } from './process/run.js';

/** A repository at this compile. */
export interface GitInfo {
  /** `git rev-parse --show-toplevel`. */
  root: string;
  /** `git rev-parse HEAD`. */
  head: string;
}

/** Churn of one file between a commit and HEAD (`binary`: numstat printed `-`). */
export interface FileChange {
  added: number;
  deleted: number;
  binary: boolean;
}

function git(cwd: string, args: string[], maxBuffer = 64 * 1024 * 1024): string | undefined {
  const run = runSync(['git', ...args], {
    cwd,
    timeoutMs: 20_000,
    maxOutputBytes: maxBuffer,
    // Never take locks or prompt: the compile may run next to the user's own git commands.
    env: { ...process.env, GIT_OPTIONAL_LOCKS: '0', GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' },
  });
  return run.exitCode === 0 && !run.outputTooLarge && !run.timedOut ? run.stdout : undefined;
}

/** The repository containing `dir` and its HEAD, or undefined (not a repository, no commit yet, no git). */
export function gitInfo(dir: string): GitInfo | undefined {
  const out = git(dir, ['rev-parse', '--show-toplevel', 'HEAD']);
  const [root, head] = (out ?? '').split('\n');
  if (!root || !head || !/^[0-9a-f]{40,64}$/.test(head)) return undefined;
  return { root, head };
}

/** Tracked files at the index (`git ls-files -z`), as repository-relative paths. */
export function trackedFiles(root: string): Set<string> | undefined {
  const out = git(root, ['ls-files', '-z']);
  return out === undefined ? undefined : new Set(out.split('\0').filter(Boolean));
}

/** Files changed between `commit` and HEAD with their churn, or undefined when the commit is unknown. */
export function changesSince(root: string, commit: string): Map<string, FileChange> | undefined {
  if (!/^[0-9a-f]{7,64}$/.test(commit)) return undefined;
  const out = git(root, ['diff', '--numstat', '--no-renames', '-z', commit, 'HEAD', '--']);
  if (out === undefined) return undefined;
  const changes = new Map<string, FileChange>();
  for (const record of out.split('\0')) {
    const match = /^(-|\d+)\t(-|\d+)\t(.+)$/s.exec(record.replace(/^\n/, ''));
    if (!match) continue;
    const binary = match[1] === '-' || match[2] === '-';
    changes.set(match[3]!, {
      added: binary ? 0 : Number(match[1]),
      deleted: binary ? 0 : Number(match[2]),
      binary,
    });
  }
  return changes;
}

/** A file's text at a commit (`git show <commit>:<path>`), or undefined. */
export function fileAt(root: string, commit: string, path: string): string | undefined {
  if (!/^[0-9a-f]{7,64}$/.test(commit) || path.startsWith('-')) return undefined;
  return git(root, ['show', `${commit}:${path}`], 8 * 1024 * 1024);
}
