/**
 * A copy of the CLI that stays where it is, for hooks and the scheduler to run.
 *
 * `npx codex-self-evolution install` runs from npm's npx cache (`~/.npm/_npx/<hash>/…`), which
 * npm prunes whenever it likes; hooks pointing there would one day fail open and nothing would be
 * learned again, silently. So when the running copy lives in such a place, `install` first
 * installs this exact version into a prefix it owns, `<home>/runtime/<version>/`, and points the
 * hooks there. No network is needed: the running package is packed (`npm pack`, scripts off) and
 * installed with `npm install --offline`, whose dependencies come from npm's cache, where npx has
 * just put them. The new prefix is built in a staging directory, checked by running its
 * `--version`, and only then renamed into place, so a failed attempt leaves the previous copy
 * (and the hooks pointing at it) as they were.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { z } from 'zod';
import { AppError } from '../errors.js';
import { parseJsonWith } from '../fs/atomic.js';
import { isRecord } from '../json.js';
import { runSync } from '../process/run.js';

/** The package name (the folder it has under `node_modules/`). */
export const PACKAGE_NAME = 'codex-self-evolution';

/** A stable copy cannot be made (unwritable home, npm missing or failing, a broken result). */
export class StableInstallError extends AppError {}

/** `<home>/runtime`: the prefixes `install` owns, one per version. */
export function runtimeDir(home: string): string {
  return join(home, 'runtime');
}

/** The npm prefix holding version `version`. */
export function stablePrefix(home: string, version: string): string {
  return join(runtimeDir(home), version);
}

/** The package root inside a prefix. */
export function packageRootIn(prefix: string): string {
  return join(prefix, 'node_modules', PACKAGE_NAME);
}

/** The bin a hook runs, for a package root. */
export function cliOf(packageRoot: string): string {
  return join(packageRoot, 'bin', 'codex-self-evolution.js');
}

function realOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

function inside(path: string, dir: string): boolean {
  const d = dir.endsWith(sep) ? dir : dir + sep;
  return path === dir || path.startsWith(d);
}

/**
 * Why `packageRoot` is not a place hooks can rely on, or undefined when it is. npm's npx cache
 * and the system temp directory are temporary; a git checkout never is (the user chose it, and
 * updating it is how they upgrade).
 */
export function temporaryReason(
  packageRoot: string,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const root = realOr(packageRoot);
  if (/[\\/]_npx[\\/]/.test(root) || /[\\/]_npx[\\/]/.test(packageRoot)) return "npm's npx cache";
  if (existsSync(join(root, '.git'))) return undefined;
  const cache = env.npm_config_cache;
  if (cache && inside(root, realOr(cache))) return "npm's cache";
  for (const tmp of new Set([realOr(tmpdir()), '/tmp']))
    if (inside(root, tmp)) return 'a temporary directory';
  return undefined;
}

/** Version in `<packageRoot>/package.json` (undefined when unreadable). */
export function packageVersion(packageRoot: string): string | undefined {
  try {
    const data: unknown = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8'));
    return isRecord(data) && typeof data.version === 'string' ? data.version : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The tarball `npm pack --json` reports (`[{filename, ...}]`), when its output says so and names
 * a plain file in the pack destination.
 */
function packedFilename(output: string): string | undefined {
  let data: unknown;
  try {
    data = JSON.parse(output);
  } catch {
    return undefined;
  }
  const first: unknown = Array.isArray(data) ? data[0] : undefined;
  const name = isRecord(first) ? first.filename : undefined;
  return typeof name === 'string' && name !== '' && basename(name) === name ? name : undefined;
}

/** How to start npm: the npm running us (`npm exec`), else `npm` on PATH. */
export function npmCommand(env: NodeJS.ProcessEnv = process.env): { file: string; args: string[] } {
  const execPath = env.npm_execpath;
  if (
    execPath &&
    /\.c?js$/.test(execPath) &&
    existsSync(execPath) &&
    /npm-cli\.c?js$/.test(basename(execPath))
  ) {
    return { file: process.execPath, args: [execPath] };
  }
  return { file: 'npm', args: [] };
}

/** True when `<prefix>` holds a working copy of `version` (its `--version` answers it). */
export function checkCopy(prefix: string, version: string): { ok: boolean; problem?: string } {
  const root = packageRootIn(prefix);
  const found = packageVersion(root);
  if (found === undefined) return { ok: false, problem: `${root}/package.json is missing or unreadable` };
  if (found !== version) return { ok: false, problem: `${root} holds version ${found}, not ${version}` };
  const run = runSync([process.execPath, cliOf(root), '--version'], {
    timeoutMs: 30_000,
    maxOutputBytes: 1024 * 1024,
  });
  if (run.exitCode !== 0 || run.stdout.trim() !== version) {
    const why = run.systemError ?? (run.stderr || run.stdout).trim().split('\n').pop() ?? '';
    return { ok: false, problem: `${cliOf(root)} --version failed${why ? `: ${why.slice(0, 200)}` : ''}` };
  }
  return { ok: true };
}

function lastLines(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^npm (notice|warn)/i.test(l));
  return lines.slice(-3).join(' | ').slice(0, 400);
}

function runNpm(
  npm: { file: string; args: string[] },
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): string {
  const result = runSync([npm.file, ...npm.args, ...args], {
    cwd,
    env,
    timeoutMs: 300_000,
    maxOutputBytes: 1024 * 1024,
  });
  const shown = `npm ${args[0]}`;
  if (result.systemError !== undefined) {
    throw new StableInstallError(
      result.spawnErrorCode === 'ENOENT'
        ? `cannot make a stable copy: npm was not found on PATH`
        : `cannot make a stable copy: ${shown} could not run (${result.systemError})`,
      {
        hint: 'install npm (it comes with Node.js), or install the package yourself (npm install -g codex-self-evolution) and run install from it',
      },
    );
  }
  if (result.exitCode !== 0) {
    throw new StableInstallError(
      `cannot make a stable copy: ${shown} failed (exit ${result.exitCode ?? 'signal'}): ${lastLines(`${result.stderr}\n${result.stdout}`) || 'no output'}`,
      {
        hint: 'install the package yourself (npm install -g codex-self-evolution) and run install from it, or use --via-npx',
      },
    );
  }
  return result.stdout;
}

/** The result of `ensureStableCopy`. */
export interface StableCopy {
  prefix: string;
  packageRoot: string;
  cli: string;
  /** `installed` (new), `reused` (already there and working), `replaced` (a broken one was there). */
  action: 'installed' | 'reused' | 'replaced';
}

/**
 * Makes `<home>/runtime/<version>/` hold a working copy of the package at `packageRoot`.
 * Throws StableInstallError with one clear message; never leaves a half-made prefix behind.
 */
export function ensureStableCopy(options: {
  home: string;
  packageRoot: string;
  version: string;
  env?: NodeJS.ProcessEnv;
}): StableCopy {
  const env = options.env ?? process.env;
  const prefix = stablePrefix(options.home, options.version);
  const done = (action: StableCopy['action']): StableCopy => ({
    prefix,
    packageRoot: packageRootIn(prefix),
    cli: cliOf(packageRootIn(prefix)),
    action,
  });
  const existing = existsSync(prefix) ? checkCopy(prefix, options.version) : undefined;
  if (existing?.ok) return done('reused');

  const runtime = runtimeDir(options.home);
  let staging: string;
  try {
    mkdirSync(runtime, { recursive: true, mode: 0o700 });
    staging = mkdtempSync(join(runtime, `.staging-${options.version}-`));
  } catch (error) {
    throw new StableInstallError(
      `cannot make a stable copy: ${runtime} cannot be written (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      {
        hint: 'make the state home writable, or point CODEX_SELF_EVOLUTION_HOME at a directory you own',
      },
    );
  }
  try {
    const npm = npmCommand(env);
    // No lifecycle script runs: the package is already built, and a prepare script would need
    // the dev dependencies an installed package does not have.
    const packed = runNpm(
      npm,
      [
        'pack',
        options.packageRoot,
        '--pack-destination',
        staging,
        '--ignore-scripts',
        '--json',
        '--loglevel=error',
      ],
      staging,
      env,
    );
    let tarball = packedFilename(packed);
    if (tarball !== undefined) tarball = join(staging, tarball);
    else {
      tarball = readdirSync(staging).find((n) => n.endsWith('.tgz')) ?? '';
      if (!tarball) throw new StableInstallError('cannot make a stable copy: npm pack wrote no tarball');
      tarball = join(staging, tarball);
    }
    runNpm(
      npm,
      [
        'install',
        '--prefix',
        staging,
        '--offline',
        '--no-global',
        '--omit=dev',
        '--ignore-scripts',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        tarball,
      ],
      staging,
      { ...env, npm_config_global: 'false', npm_config_location: 'project' },
    );
    rmSync(tarball, { force: true });
    const check = checkCopy(staging, options.version);
    if (!check.ok)
      throw new StableInstallError(
        `cannot make a stable copy: the installed copy does not work (${check.problem})`,
      );
    if (existsSync(prefix)) rmSync(prefix, { recursive: true, force: true });
    renameSync(staging, prefix);
    // npm wrote `file:<absolute staging path>` into the prefix's package.json; it no longer
    // points anywhere, and nothing reinstalls from it.
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    if (error instanceof StableInstallError) throw error;
    throw new StableInstallError(
      `cannot make a stable copy in ${prefix}: ${(error as NodeJS.ErrnoException).code ?? ''} ${error instanceof Error ? error.message : String(error)}`.trim(),
    );
  }
  return done(existing ? 'replaced' : 'installed');
}

/**
 * Removes every copy under `<home>/runtime` except those in `keep` (prefixes: the copy this install
 * runs, and the copies other agents' hooks still run); returns what it removed.
 */
export function pruneCopies(home: string, keep: string | readonly string[] = []): string[] {
  const runtime = runtimeDir(home);
  const kept = new Set((typeof keep === 'string' ? [keep] : keep).map((k) => resolve(k)));
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(runtime);
  } catch {
    return removed;
  }
  for (const name of names) {
    const path = join(runtime, name);
    if (kept.has(resolve(path))) continue;
    rmSync(path, { recursive: true, force: true });
    removed.push(path);
  }
  try {
    if (readdirSync(runtime).length === 0) rmSync(runtime, { recursive: true, force: true });
  } catch {
    // Gone already.
  }
  return removed;
}

/** The package root of a hook's cli path (`<root>/bin/codex-self-evolution.js`). */
export function packageRootOfCli(cli: string): string {
  return dirname(dirname(cli));
}

/** Which copy hooks and the scheduler run, and how it came to be. */
export interface HookCopy {
  /** The package root the hooks run. */
  packageRoot: string;
  cli: string;
  /** Why the running copy was not used (it lives somewhere temporary), when it was not. */
  temporary?: string;
  /** What `ensureStableCopy` did (absent on a dry run or when the running copy is used). */
  action?: StableCopy['action'];
}

/**
 * The copy hooks should run: the running one when it stays where it is, else the stable copy
 * under `<home>/runtime/<version>/` (made now unless `dryRun`). Throws StableInstallError.
 */
export function chooseHookCopy(options: {
  home: string;
  packageRoot: string;
  version: string;
  dryRun?: boolean;
  env?: NodeJS.ProcessEnv;
}): HookCopy {
  const temporary = temporaryReason(options.packageRoot, options.env);
  if (temporary === undefined) return { packageRoot: options.packageRoot, cli: cliOf(options.packageRoot) };
  if (options.dryRun) {
    const root = packageRootIn(stablePrefix(options.home, options.version));
    return { packageRoot: root, cli: cliOf(root), temporary };
  }
  const copy = ensureStableCopy(options);
  return { packageRoot: copy.packageRoot, cli: copy.cli, temporary, action: copy.action };
}

/** `<home>/install.json`: what the last `install` pointed the hooks at (only `version` is required). */
export const InstallRecordSchema = z.looseObject({
  version: z.string(),
  /** `node` (node + cli) or `npx`. */
  launcher: z.enum(['node', 'npx']).default('node'),
  node: z.string().nullable().default(null),
  cli: z.string().nullable().default(null),
  /** Why a stable copy was made (the running copy's temporary location), or null. */
  copied_from: z.string().nullable().default(null),
  /** Codex's config directory, when the hooks were installed for Codex. */
  codex_home: z.string().optional(),
  /** The config directory of each other agent the hooks were installed for. */
  config_dirs: z.record(z.string(), z.string()).optional(),
  installed_at: z.string().default(''),
});
export type InstallRecord = z.infer<typeof InstallRecordSchema>;

/** Path of the install record. */
export function installRecordPath(home: string): string {
  return join(home, 'install.json');
}

/** The install record, or null when there is none (or it is unreadable or not a record). */
export function readInstallRecord(home: string): InstallRecord | null {
  try {
    return parseJsonWith(InstallRecordSchema, readFileSync(installRecordPath(home), 'utf8'));
  } catch {
    return null;
  }
}
