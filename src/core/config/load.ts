/**
 * Loading `<home>/config.toml`: TOML via smol-toml, types via zod, then a lint pass
 * that returns warnings (unknown keys, secret-looking keys, deprecated layout, bad active profile).
 *
 * Precedence, lowest first: built-in defaults < the file < environment variables. Reviewer
 * selection (payload and reviewer env vars on top of the active profile) lives in
 * `review/providers/index.ts` (`resolveReviewer`), because the payload is only known there.
 *
 * Errors are {@link ConfigFileError}s naming the file and the line (TOML syntax) or the key path
 * (types), e.g. `/h/config.toml: profiles.glm.timeout_seconds: Invalid input: expected number…`.
 * Messages never quote the file's text, so a secret pasted into it cannot leak through an error.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { ConfigError } from '../errors.js';
import { readEnv } from '../env.js';
import { formatZodIssues, writeFileAtomic } from '../fs/atomic.js';
import { AGENT_PROVIDER_NAMES } from './reviewers.js';
import {
  CONFIG_SCHEMA_VERSION,
  ConfigFileSchema,
  KNOWN_KEYS,
  PROFILE_PROVIDERS,
  SECRET_KEY_PATTERN,
} from './schema.js';
import type { ConfigFile, ProfileConfig, ResolvedConfig } from './schema.js';
import { CONFIG_TEMPLATE } from './template.js';

/** Environment variables as a plain record (`process.env` or a test object). */
export type EnvSource = Readonly<Record<string, string | undefined>>;

/** Reads `name` from `env` (default `process.env`): trimmed, empty means unset. */
export function envValue(name: string, env?: EnvSource): string | undefined {
  return readEnv(name, (env ?? process.env) as NodeJS.ProcessEnv);
}

/** A config file that cannot be used: TOML syntax error, wrong type, unsupported schema version. */
export class ConfigFileError extends ConfigError {
  readonly file: string;
  readonly line: number | undefined;
  readonly column: number | undefined;
  /** `key.path: message` strings (type errors) or the syntax error. */
  readonly issues: readonly string[];

  constructor(
    file: string,
    issues: readonly string[],
    options: { line?: number; column?: number; cause?: unknown } = {},
  ) {
    const where = options.line === undefined ? file : `${file}:${options.line}:${options.column ?? 1}`;
    const head = issues.slice(0, 3).join('; ');
    const more = issues.length > 3 ? ` (+${issues.length - 3} more)` : '';
    super(`${where}: ${head}${more}`, {
      cause: options.cause,
      hint: 'fix the file, or run `codex-self-evolution config validate` to see every problem',
    });
    this.file = file;
    this.line = options.line;
    this.column = options.column;
    this.issues = issues;
  }
}

/** The result of loading the config. */
export interface LoadedConfig {
  /** Absolute path of config.toml. */
  path: string;
  exists: boolean;
  /** `schema_version` as written (2 when absent or when there is no file). */
  schemaVersion: number;
  /** Defaults filled, legacy `[reviewer]` lifted, env overrides applied. */
  config: ResolvedConfig;
  /** Where the active profile came from: explicit `active_profile`, picked automatically, or none. */
  activeProfileSource: 'config.toml' | 'config.toml (auto)' | null;
  /** Label per dotted key of `config`: `default`, `config.toml`, `env:<VAR>`... */
  sources: Record<string, string>;
  /** Problems that do not stop loading, each `key.path: message`. Never contains values. */
  warnings: string[];
}

/** Environment overrides of non-reviewer settings: variable → dotted key. */
export const CONFIG_ENV_OVERRIDES: Readonly<Record<string, string>> = {
  CODEX_SELF_EVOLUTION_COMPILE_BACKEND: 'compile.backend',
  CODEX_SELF_EVOLUTION_OPENCODE_MODEL: 'compile.opencode.model',
  CODEX_SELF_EVOLUTION_OPENCODE_AGENT: 'compile.opencode.agent',
};

/** Path of the config file under a home. */
export function configPath(home: string): string {
  return join(home, 'config.toml');
}

/** Loads `<home>/config.toml`; a missing file gives the built-in defaults (`exists: false`). */
export async function loadConfig(options: { home: string; env?: EnvSource }): Promise<LoadedConfig> {
  const path = configPath(options.home);
  const text = await readConfigText(path);
  return parseConfig(text, { path, ...(options.env === undefined ? {} : { env: options.env }) });
}

/** Reads the file text, or undefined when it does not exist. Other failures are ConfigFileErrors. */
export async function readConfigText(path: string): Promise<string | undefined> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new ConfigFileError(path, ['not a regular file']);
    return await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof ConfigFileError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigFileError(
      path,
      [`cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`],
      { cause: error },
    );
  }
}

/**
 * Parses config text (undefined = no file). Pure apart from reading `env`; throws a
 * {@link ConfigFileError} for TOML syntax errors and wrong types.
 */
export function parseConfig(
  text: string | undefined,
  options: { path: string; env?: EnvSource },
): LoadedConfig {
  const { path } = options;
  const tree = text === undefined ? {} : parseTomlText(text, path);
  const parsed = ConfigFileSchema.safeParse(tree);
  if (!parsed.success) throw new ConfigFileError(path, formatZodIssues(parsed.error));
  const file = parsed.data;
  const warnings = lintConfigTree(tree);
  const sources: Record<string, string> = {};

  const schemaVersion = file.schema_version ?? CONFIG_SCHEMA_VERSION;
  const { profiles, liftedLegacy } = liftProfiles(file, schemaVersion, warnings);
  const active = pickActiveProfile(file, profiles, warnings);

  const config: ResolvedConfig = {
    schema_version: schemaVersion,
    active_profile: active.name,
    profiles,
    compile: file.compile,
    scheduler: file.scheduler,
    recall: file.recall,
    session_start: file.session_start,
    log: file.log,
    review: file.review,
    team: file.team,
  };

  // Sources: every leaf starts as default or config.toml, then env overrides relabel theirs.
  labelLeaves(config, tree, '', sources, liftedLegacy);
  sources['active_profile'] = active.source ?? 'default';
  for (const [variable, key] of Object.entries(CONFIG_ENV_OVERRIDES)) {
    const value = envValue(variable, options.env);
    if (value === undefined) continue;
    setDotted(config, key, value);
    sources[key] = `env:${variable}`;
  }

  return {
    path,
    exists: text !== undefined,
    schemaVersion,
    config,
    activeProfileSource: active.source,
    sources,
    warnings,
  };
}

/** TOML text → plain tree. Syntax errors name file, line and column (never the text itself). */
export function parseTomlText(text: string, path: string): Record<string, unknown> {
  try {
    return toPlain(parseToml(text)) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof TomlError) {
      const reason = (error.message.split('\n')[0] ?? 'invalid TOML').replace(
        /^Invalid TOML document:\s*/,
        '',
      );
      throw new ConfigFileError(path, [`invalid TOML: ${reason}`], {
        line: error.line,
        column: error.column,
        cause: error,
      });
    }
    throw error;
  }
}

/** smol-toml returns null-prototype objects and TomlDate instances; zod wants plain data. */
function toPlain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toPlain);
  if (value instanceof Date) return value;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) out[key] = toPlain(inner);
    return out;
  }
  return value;
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** Empty strings mean unset: drop them so consumers only see real values. */
function cleanProfile(profile: ProfileConfig): ProfileConfig {
  const out: ProfileConfig = {};
  for (const [key, value] of Object.entries(profile) as [keyof ProfileConfig, unknown][]) {
    if (typeof value === 'string') {
      if (value.trim() !== '') (out as Record<string, unknown>)[key] = value.trim();
    } else if (value !== undefined) {
      (out as Record<string, unknown>)[key] = value;
    }
  }
  return out;
}

/** `[profiles.*]` plus a schema-1 `[reviewer]` lifted into `default` (with a deprecation warning). */
function liftProfiles(
  file: ConfigFile,
  schemaVersion: number,
  warnings: string[],
): { profiles: Record<string, ProfileConfig>; liftedLegacy: boolean } {
  const profiles: Record<string, ProfileConfig> = {};
  let liftedLegacy = false;
  for (const [name, profile] of Object.entries(file.profiles ?? {})) profiles[name] = cleanProfile(profile);
  if (file.reviewer !== undefined) {
    const layout = schemaVersion < 2 ? 'the deprecated schema-1 layout' : 'deprecated in schema 2';
    if (profiles['default'] === undefined) {
      profiles['default'] = cleanProfile(file.reviewer);
      liftedLegacy = true;
      warnings.push(
        `reviewer: [reviewer] is ${layout}; it is used as profile "default" (move it to [profiles.default])`,
      );
    } else {
      warnings.push(`reviewer: [reviewer] is ${layout} and is ignored because [profiles.default] exists`);
    }
  }
  for (const [name, profile] of Object.entries(profiles)) {
    if (
      profile.provider !== undefined &&
      !(PROFILE_PROVIDERS as readonly string[]).includes(profile.provider)
    ) {
      warnings.push(
        `profiles.${name}.provider: unknown provider "${profile.provider}" (known: ${PROFILE_PROVIDERS.join(', ')}); this profile cannot select a reviewer`,
      );
    }
    if (profile.subprocess !== undefined) {
      warnings.push(
        `profiles.${name}.subprocess: subprocess reviewers are not supported by this version; ignored`,
      );
    }
  }
  return { profiles, liftedLegacy };
}

/** explicit `active_profile`; else the only profile; else `default`; else none. */
function pickActiveProfile(
  file: ConfigFile,
  profiles: Record<string, ProfileConfig>,
  warnings: string[],
): { name: string | null; source: LoadedConfig['activeProfileSource'] } {
  const names = Object.keys(profiles).sort();
  const wanted = file.active_profile?.trim();
  if (wanted) {
    if (profiles[wanted] !== undefined) return { name: wanted, source: 'config.toml' };
    warnings.push(
      `active_profile: no profile named "${wanted}" (available: ${names.length > 0 ? names.join(', ') : 'none'}); using the built-in reviewer defaults`,
    );
    return { name: null, source: null };
  }
  if (names.length === 1) return { name: names[0] ?? null, source: 'config.toml (auto)' };
  if (profiles['default'] !== undefined) return { name: 'default', source: 'config.toml (auto)' };
  return { name: null, source: null };
}

/**
 * Warnings for unknown keys (typos) and keys that look like a pasted secret. Only key names are
 * reported, never values.
 */
export function lintConfigTree(tree: Record<string, unknown>): string[] {
  const warnings: string[] = [];
  const checkKnown = (table: Record<string, unknown>, prefix: string, known: readonly string[]): void => {
    for (const key of Object.keys(table)) {
      if (!known.includes(key)) warnings.push(`${prefix}${key}: unknown key (typo?); ignored`);
    }
  };
  checkKnown(tree, '', KNOWN_KEYS[''] ?? []);
  const profiles = tree['profiles'];
  if (isTable(profiles)) {
    for (const [name, profile] of Object.entries(profiles)) {
      if (isTable(profile)) checkKnown(profile, `profiles.${name}.`, KNOWN_KEYS['profile'] ?? []);
    }
  }
  const reviewer = tree['reviewer'];
  if (isTable(reviewer)) checkKnown(reviewer, 'reviewer.', KNOWN_KEYS['profile'] ?? []);
  for (const section of ['compile', 'scheduler', 'recall', 'session_start', 'log', 'review', 'team']) {
    const table = tree[section];
    if (isTable(table)) checkKnown(table, `${section}.`, KNOWN_KEYS[section] ?? []);
  }
  const compile = tree['compile'];
  if (isTable(compile) && isTable(compile['memory'])) {
    checkKnown(compile['memory'], 'compile.memory.', KNOWN_KEYS['compile.memory'] ?? []);
  }
  if (isTable(compile) && isTable(compile['opencode'])) {
    checkKnown(compile['opencode'], 'compile.opencode.', KNOWN_KEYS['compile.opencode'] ?? []);
  }
  const review = tree['review'];
  for (const agent of AGENT_PROVIDER_NAMES) {
    const table = isTable(review) ? review[agent] : undefined;
    if (isTable(table)) checkKnown(table, `review.${agent}.`, KNOWN_KEYS['review.agent'] ?? []);
  }
  walkKeys(tree, '', (dotted, key) => {
    if (SECRET_KEY_PATTERN.test(key)) {
      warnings.push(
        `${dotted}: looks like an API key; keep keys out of config.toml (put them in the environment or <home>/.env.provider and name the variable in api_key_env)`,
      );
    }
  });
  return warnings;
}

function walkKeys(value: unknown, prefix: string, visit: (dotted: string, key: string) => void): void {
  if (Array.isArray(value)) {
    value.forEach((item, index) => walkKeys(item, `${prefix}[${index}]`, visit));
    return;
  }
  if (!isTable(value)) return;
  for (const [key, inner] of Object.entries(value)) {
    const dotted = prefix === '' ? key : `${prefix}.${key}`;
    visit(dotted, key);
    walkKeys(inner, dotted, visit);
  }
}

/**
 * Labels every leaf of the resolved tree `config.toml` when the file set it, else `default`.
 * A lifted legacy `[reviewer]` labels `profiles.default.*` as such.
 */
function labelLeaves(
  value: unknown,
  fileTree: unknown,
  prefix: string,
  sources: Record<string, string>,
  liftedLegacy: boolean,
): void {
  if (!isTable(value)) {
    if (prefix !== '') sources[prefix] = fileTree === undefined ? 'default' : 'config.toml';
    return;
  }
  for (const [key, inner] of Object.entries(value)) {
    const dotted = prefix === '' ? key : `${prefix}.${key}`;
    if (liftedLegacy && dotted === 'profiles.default') {
      labelLeavesAs(inner, dotted, sources, 'config.toml [reviewer] (legacy)');
      continue;
    }
    labelLeaves(inner, isTable(fileTree) ? fileTree[key] : undefined, dotted, sources, liftedLegacy);
  }
}

function labelLeavesAs(value: unknown, prefix: string, sources: Record<string, string>, label: string): void {
  if (isTable(value)) {
    for (const [key, inner] of Object.entries(value))
      labelLeavesAs(inner, `${prefix}.${key}`, sources, label);
    return;
  }
  sources[prefix] = label;
}

function setDotted(target: object, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let cursor = target as Record<string, unknown>;
  for (const part of parts.slice(0, -1)) cursor = cursor[part] as Record<string, unknown>;
  cursor[parts[parts.length - 1] ?? ''] = value;
}

// ---------------------------------------------------------------------------------------------
// Writers: `config init` and `config use`
// ---------------------------------------------------------------------------------------------

/** Result of {@link initConfig}. */
export type InitConfigResult = { status: 'created' | 'overwritten' | 'exists'; path: string };

/** Writes the built-in template (atomically). An existing file is kept unless `force`. */
export async function initConfig(home: string, options: { force?: boolean } = {}): Promise<InitConfigResult> {
  const path = configPath(home);
  const existing = await readConfigText(path);
  if (existing !== undefined && !options.force) return { status: 'exists', path };
  writeFileAtomic(path, CONFIG_TEMPLATE, { mode: 0o644 });
  return { status: existing === undefined ? 'created' : 'overwritten', path };
}

/**
 * Adds `[profiles.<provider>]` naming that reviewer (so `config use codex` works on any config),
 * creating the file from the template first when there is none. Appends only: the rest of the
 * file is kept byte for byte. Returns false when a profile of that name already exists.
 */
export async function addReviewerProfile(home: string, provider: string): Promise<boolean> {
  if (!/^[A-Za-z0-9_-]+$/.test(provider)) {
    throw new ConfigError(`not a reviewer name: ${JSON.stringify(provider.slice(0, 60))}`);
  }
  const path = configPath(home);
  if ((await readConfigText(path)) === undefined) await initConfig(home);
  const text = (await readConfigText(path)) ?? '';
  if (Object.keys(parseConfig(text, { path }).config.profiles).includes(provider)) return false;
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const base = text.endsWith('\n') || text === '' ? text : `${text}${eol}`;
  const next = `${base}${eol}[profiles.${provider}]${eol}provider = "${provider}"${eol}`;
  parseConfig(next, { path });
  const mode = (await stat(path)).mode & 0o777;
  writeFileAtomic(path, next, { mode });
  return true;
}

/** Result of {@link useProfile}. */
export type UseProfileResult =
  | { status: 'switched'; path: string; activeProfile: string }
  | { status: 'no_config'; path: string }
  | { status: 'unknown_profile'; path: string; requested: string; available: string[] };

/**
 * Makes `name` the active profile by rewriting only the `active_profile` line (comments and the
 * rest of the file are kept byte for byte), atomically. The new text is parsed before it is written.
 */
export async function useProfile(
  home: string,
  name: string,
  options: { env?: EnvSource } = {},
): Promise<UseProfileResult> {
  const path = configPath(home);
  const text = await readConfigText(path);
  if (text === undefined) return { status: 'no_config', path };
  const loaded = parseConfig(text, { path, ...(options.env === undefined ? {} : { env: options.env }) });
  const available = Object.keys(loaded.config.profiles).sort();
  if (!available.includes(name)) return { status: 'unknown_profile', path, requested: name, available };
  const next = rewriteActiveProfile(text, name);
  parseConfig(next, { path });
  if (next !== text) {
    const mode = (await stat(path)).mode & 0o777;
    writeFileAtomic(path, next, { mode });
  }
  return { status: 'switched', path, activeProfile: name };
}

/**
 * Pure text rewrite behind `config use`: replaces the value of the top-level `active_profile = …`
 * line, keeping its indentation and trailing comment; if absent, inserts it after the top-level
 * `schema_version = N` line; if neither exists, prepends both.
 */
export function rewriteActiveProfile(text: string, name: string): string {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split(/\r?\n/);
  // Only the root table (before the first [table] header) holds active_profile.
  let rootEnd = lines.findIndex((line) => /^\s*\[/.test(line));
  if (rootEnd === -1) rootEnd = lines.length;
  const quoted = tomlString(name);
  const valuePattern = /^(\s*active_profile\s*=\s*)("(?:[^"\\]|\\.)*"|'[^']*'|[^\s#]*)(.*)$/;
  for (let i = 0; i < rootEnd; i += 1) {
    const match = valuePattern.exec(lines[i] ?? '');
    if (match) {
      lines[i] = `${match[1]}${quoted}${match[3]}`;
      return lines.join(eol);
    }
  }
  const line = `active_profile = ${quoted}`;
  for (let i = 0; i < rootEnd; i += 1) {
    if (/^\s*schema_version\s*=/.test(lines[i] ?? '')) {
      lines.splice(i + 1, 0, line);
      return lines.join(eol);
    }
  }
  return `schema_version = ${CONFIG_SCHEMA_VERSION}${eol}${line}${eol}${text}`;
}

/** A TOML basic string. JSON escapes (`\"`, `\\`, `\n`, `\uXXXX`) are valid TOML escapes. */
function tomlString(value: string): string {
  return JSON.stringify(value);
}

/**
 * The file text with the values of secret-looking keys replaced, for `config show --raw`.
 * Handles `key = value` lines (bare, quoted and dotted keys); comments are kept.
 */
export function redactConfigText(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      const match =
        /^(\s*)((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)(\s*=\s*)(.*)$/.exec(
          line,
        );
      if (!match) return line;
      const key =
        (match[2] ?? '')
          .split('.')
          .pop()
          ?.trim()
          .replace(/^["']|["']$/g, '') ?? '';
      if (!SECRET_KEY_PATTERN.test(key)) return line;
      return `${match[1]}${match[2]}${match[3]}"<redacted>"`;
    })
    .join('\n');
}
