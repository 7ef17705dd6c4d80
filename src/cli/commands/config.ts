/**
 * `config <sub>`: path, init, show, validate, use, list-profiles.
 *
 * Output is sorted 2-space JSON on stdout; exit codes 0 ok, 1 soft failure (file exists, unknown
 * profile, warnings on validate), 2 unreadable config (TOML syntax or type errors). Key values
 * are never printed: only which variable holds a key and whether it is set.
 *
 * Each `config<Sub>` function is pure apart from the file it reads or writes and returns
 * `{exitCode, output}` (tests call these); the `run<Sub>` wrappers print and fit program.ts's
 * `lazy(...)` action signature.
 */
import {
  describeEnvProvider,
  describeUrl,
  EXIT,
  initConfig,
  loadConfig,
  loadConfigFormat,
  loadReviewerNames,
  loadReviewerSettings,
  locateProgram,
  readConfigText,
  type EnvSource,
  type LoadedConfig,
} from '../../core/index.js';
import {
  configUseCommand,
  parseError,
  type ConfigCommandOptions,
  type ConfigCommandResult,
} from '../config-use.js';
import { printJson } from '../output.js';
import type { CommandContext } from '../context.js';

// Loaded with this module (as static imports were): the sync helpers below need them.
const { ConfigFileError, configPath, redactConfigText } = await loadConfigFormat();
const { isAgentProviderName, isHttpProviderName, resolveEndpoint, resolveReviewer } =
  await loadReviewerSettings();
const { DEFAULT_AGENT_TIMEOUT_SECONDS } = await loadReviewerNames();
/** The error `loadConfig` throws for an unreadable config.toml. */
type ConfigFileError = InstanceType<typeof ConfigFileError>;

/** Loads the config, turning a ConfigFileError into the `parse_error` result. */
async function loadOrError(
  home: string,
  env: EnvSource | undefined,
): Promise<LoadedConfig | ConfigCommandResult> {
  try {
    return await loadConfig({ home, ...(env === undefined ? {} : { env }) });
  } catch (error) {
    if (error instanceof ConfigFileError) return parseError(configPath(home), error);
    throw error;
  }
}

function isResult(value: LoadedConfig | ConfigCommandResult): value is ConfigCommandResult {
  return 'exitCode' in value;
}

/** `config path`. */
export function configPathCommand(home: string): ConfigCommandResult {
  return { exitCode: EXIT.ok, output: { config_path: configPath(home) } };
}

/** `config init [--force]`. */
export async function configInitCommand(
  home: string,
  options: { force?: boolean } = {},
): Promise<ConfigCommandResult> {
  const result = await initConfig(home, { force: Boolean(options.force) });
  if (result.status === 'exists') {
    return {
      exitCode: EXIT.failure,
      output: {
        status: 'exists',
        config_path: result.path,
        error: 'config.toml already exists; pass --force to overwrite it',
      },
    };
  }
  return { exitCode: EXIT.ok, output: { status: result.status, config_path: result.path } };
}

/** The reviewer that would run for a Stop hook without a payload provider, without secrets. */
export async function describeReviewer(
  loaded: LoadedConfig,
  env: EnvSource | undefined,
): Promise<{ reviewer: Record<string, unknown>; warnings: string[] }> {
  const selection = resolveReviewer({ config: loaded.config, ...(env === undefined ? {} : { env }) });
  const settings = selection.settings;
  const reviewer: Record<string, unknown> = {
    provider: selection.provider,
    source: selection.source,
    profile: selection.profile,
    sources: selection.sources,
  };
  if (isAgentProviderName(selection.provider)) {
    const program = settings.program ?? selection.provider;
    const found = await locateProgram(program, (env ?? process.env) as NodeJS.ProcessEnv);
    Object.assign(reviewer, {
      program: found ?? null,
      model: settings.model ?? null,
      timeout_seconds: settings.timeoutSeconds ?? DEFAULT_AGENT_TIMEOUT_SECONDS,
      max_per_day: loaded.config.review.max_per_day,
    });
    if (!found) {
      selection.warnings.push(
        `reviewer: ${program} was not found; reviews will wait until it is installed ` +
          `or [review.${selection.provider}] path is set`,
      );
    }
  }
  if (isHttpProviderName(selection.provider)) {
    const endpoint = resolveEndpoint(selection.provider, settings);
    Object.assign(reviewer, {
      base_url: await describeUrl(endpoint.url),
      base_url_source:
        endpoint.urlSource === 'settings'
          ? (selection.sources['base_url'] ?? 'settings')
          : endpoint.urlSource,
      model: endpoint.model,
      model_source:
        endpoint.modelSource === 'settings'
          ? (selection.sources['model'] ?? 'settings')
          : endpoint.modelSource,
      api_key_env: endpoint.apiKeyVar ?? null,
      api_key_set: endpoint.apiKeySet,
      api_key_usable: endpoint.apiKeySet && endpoint.keyRefusal === undefined,
      timeout_seconds: settings.timeoutSeconds ?? 30,
      max_tokens: settings.maxTokens ?? 4096,
      max_retries: settings.maxRetries ?? 2,
      retry_backoff: settings.retryBackoff ?? null,
    });
    if (endpoint.keyRefusal !== undefined) selection.warnings.push(`reviewer: ${endpoint.keyRefusal}`);
    else if (!endpoint.apiKeySet)
      selection.warnings.push(
        `reviewer: ${endpoint.apiKeyVar ?? 'the API key'} is not set; reviews will fail until it is`,
      );
  }
  return { reviewer, warnings: selection.warnings };
}

/** `config show [--raw]`. */
export async function configShowCommand(
  home: string,
  options: ConfigCommandOptions & { raw?: boolean } = {},
): Promise<ConfigCommandResult> {
  const path = configPath(home);
  if (options.raw) {
    let text: string | undefined;
    try {
      text = await readConfigText(path);
    } catch (error) {
      if (error instanceof ConfigFileError) return parseError(path, error);
      throw error;
    }
    return {
      exitCode: EXIT.ok,
      output: {
        config_path: path,
        config_exists: text !== undefined,
        raw: text === undefined ? '' : redactConfigText(text),
      },
    };
  }
  const loaded = await loadOrError(home, options.env);
  if (isResult(loaded)) return loaded;
  const { reviewer, warnings } = await describeReviewer(loaded, options.env);
  const envProvider: Record<string, unknown> = { ...describeEnvProvider(home) };
  if (envProvider['error'] === null) delete envProvider['error'];
  return {
    exitCode: EXIT.ok,
    output: {
      config_path: loaded.path,
      config_exists: loaded.exists,
      schema_version: loaded.schemaVersion,
      resolved: loaded.config,
      sources: loaded.sources,
      warnings: [...loaded.warnings, ...warnings],
      reviewer,
      env_provider: envProvider,
    },
  };
}

/** `config validate`: 0 clean, 1 warnings, 2 unreadable. */
export async function configValidateCommand(
  home: string,
  options: ConfigCommandOptions = {},
): Promise<ConfigCommandResult> {
  const loaded = await loadOrError(home, options.env);
  if (isResult(loaded)) return loaded;
  const warnings = loaded.warnings;
  return {
    exitCode: warnings.length === 0 ? EXIT.ok : EXIT.failure,
    output: {
      status: warnings.length === 0 ? 'ok' : 'warnings',
      config_path: loaded.path,
      config_exists: loaded.exists,
      warnings,
    },
  };
}

/** `config list-profiles`. */
export async function configListProfilesCommand(
  home: string,
  options: ConfigCommandOptions = {},
): Promise<ConfigCommandResult> {
  const loaded = await loadOrError(home, options.env);
  if (isResult(loaded)) return loaded;
  const details: Record<string, unknown> = {};
  for (const [name, profile] of Object.entries(loaded.config.profiles)) {
    const entry: Record<string, unknown> = {
      provider: profile.provider ?? null,
      model: profile.model ?? null,
      base_url: profile.base_url === undefined ? null : await describeUrl(profile.base_url),
      api_key_env: profile.api_key_env ?? null,
    };
    if (profile.provider !== undefined && isHttpProviderName(profile.provider)) {
      const endpoint = resolveEndpoint(profile.provider, {
        ...(profile.base_url === undefined ? {} : { baseUrl: profile.base_url }),
        ...(profile.api_key_env === undefined ? {} : { apiKeyEnv: profile.api_key_env }),
        ...(options.env === undefined ? {} : { env: options.env }),
      });
      entry['api_key_env'] = endpoint.apiKeyVar ?? null;
      entry['api_key_set'] = endpoint.apiKeySet;
    }
    details[name] = entry;
  }
  return {
    exitCode: EXIT.ok,
    output: {
      active_profile: loaded.config.active_profile,
      profiles: Object.keys(loaded.config.profiles).sort(),
      details,
      config_path: loaded.path,
      config_exists: loaded.exists,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Actions for program.ts (`lazy(kind, load)` signature: (options, ctx, args) → exit code)
// ---------------------------------------------------------------------------------------------

function emit(result: ConfigCommandResult): number {
  printJson(result.output);
  return result.exitCode;
}

/** `config path`. */
export async function runPath(_options: { home?: string }, ctx: CommandContext): Promise<number> {
  return emit(configPathCommand(ctx.invocation.home));
}

/** `config init [--force]`. */
export async function runInit(
  options: { home?: string; force?: boolean },
  ctx: CommandContext,
): Promise<number> {
  return emit(await configInitCommand(ctx.invocation.home, { force: Boolean(options.force) }));
}

/** `config show [--raw]`. */
export async function runShow(
  options: { home?: string; raw?: boolean },
  ctx: CommandContext,
): Promise<number> {
  return emit(await configShowCommand(ctx.invocation.home, { raw: Boolean(options.raw) }));
}

/** `config validate`. */
export async function runValidate(_options: { home?: string }, ctx: CommandContext): Promise<number> {
  return emit(await configValidateCommand(ctx.invocation.home));
}

/** `config use <profile>`; `args[0]` is the profile. */
export async function runUse(
  _options: { home?: string },
  ctx: CommandContext,
  args: string[],
): Promise<number> {
  return emit(await configUseCommand(ctx.invocation.home, args[0]));
}

/** `config list-profiles`. */
export async function runListProfiles(_options: { home?: string }, ctx: CommandContext): Promise<number> {
  return emit(await configListProfilesCommand(ctx.invocation.home));
}
