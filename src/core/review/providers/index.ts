/**
 * Reviewer providers: the static registry, endpoint defaults, and reviewer selection.
 *
 * This module is light on purpose (no undici, no zod): provider modules are imported only when
 * `getProvider` asks for one, so code that only needs to know *which* reviewer would run (status,
 * `config show`, the Stop hook's spooling) pays nothing for the HTTP stack.
 *
 * Selection (`resolveReviewer`), first match wins:
 *   1. the Stop payload's `reviewer_provider`        → source `payload`
 *   2. `$CODEX_SELF_EVOLUTION_REVIEWER_PROVIDER`      → source `env:CODEX_SELF_EVOLUTION_REVIEWER_PROVIDER`
 *   3. the active profile of config.toml              → source `profile:<name>`
 *   4. `local`, the offline reviewer                  → source `default`
 * The default is always `local`, even when some API key happens to be set: a hosted reviewer
 * (which sends redacted transcripts to a third party) runs only when something asked for it.
 * Unknown names at any level are skipped with a warning.
 *
 * The active profile applies only when its provider is the one selected (the Python package applied
 * its base_url/model/api_key_env to whatever provider ran). The
 * `CODEX_SELF_EVOLUTION_REVIEWER_MODEL/_BASE_URL/_TIMEOUT` overrides apply to any provider.
 * Per field, HTTP providers then resolve: settings → provider-scoped env (`OPENAI_BASE_URL`,
 * `OPENAI_REVIEW_MODEL`, ...) → built-in default.
 */
import type { Dispatcher } from 'undici';
import type { EnvSource } from '../../config/load.js';
import type { ResolvedConfig } from '../../config/schema.js';
import { readEnv } from '../../env.js';
import type { ReviewerProvider } from '../types.js';
import type { RetryEvent, SleepFunction } from './http.js';
import { isAgentProviderName, isProviderName, PROVIDER_NAMES, type ProviderName } from './names.js';

export {
  PROVIDER_NAMES,
  isProviderName,
  isAgentProviderName,
  isPaidReviewer,
  REVIEWER_KINDS,
} from './names.js';
export type { ProviderName, AgentProviderName, ReviewerKind } from './names.js';

/** The providers that talk HTTP. */
export const HTTP_PROVIDER_NAMES = ['openai-compatible', 'anthropic-style', 'minimax'] as const;
export type HttpProviderName = (typeof HTTP_PROVIDER_NAMES)[number];

/** True when `name` is an HTTP provider. */
export function isHttpProviderName(name: string): name is HttpProviderName {
  return (HTTP_PROVIDER_NAMES as readonly string[]).includes(name);
}

/** Settings a provider is built with. Every field is optional; see each provider for defaults. */
export interface ProviderSettings {
  /** Model id (HTTP providers). */
  model?: string;
  /** Full endpoint URL, used verbatim (HTTP providers). */
  baseUrl?: string;
  /** The key itself (programmatic use; config files never hold keys). */
  apiKey?: string;
  /** Environment variable holding the key. When set it must be non-empty: no fallback. */
  apiKeyEnv?: string;
  /** Per-attempt timeout in seconds. Default 30 (HTTP), 180 (agent CLIs: the whole run). */
  timeoutSeconds?: number;
  /** Agent CLIs: the program (absolute path or a name on PATH); default the reviewer's name. */
  program?: string;
  /** Agent CLIs: our home (its `.env.provider` variables are kept from the agent). */
  home?: string;
  /** Codex reviewer: `model_reasoning_effort` for the review ("" or absent: the user's own). */
  reasoningEffort?: string;
  /** Agent CLIs: time between SIGTERM and SIGKILL of the process group (ms). Default 3000. */
  killGraceMs?: number;
  /** Output token budget. Default 4096. */
  maxTokens?: number;
  /** Extra attempts after the first. Default 2. */
  maxRetries?: number;
  /** Base delays in seconds between attempts (profile `retry_backoff`). */
  retryBackoff?: readonly number[];
  /** `anthropic-version` header of the anthropic dialect. Default `2023-06-01`. */
  anthropicVersion?: string;
  /** Dummy provider: canned answer (string as-is, anything else JSON-encoded). */
  stubResponse?: unknown;
  /** Where environment variables are read (default `process.env`). */
  env?: EnvSource;
  /** Response size cap in bytes (default 2 MiB). */
  maxResponseBytes?: number;
  /** undici dispatcher (tests, proxies). */
  dispatcher?: Dispatcher;
  /** Sleep between retries (tests inject one that returns at once). */
  sleep?: SleepFunction;
  /** Jitter source in [0, 1). */
  random?: () => number;
  /** Told about each retry; the CLI plugs its logger in. Never receives the key or a body. */
  onRetry?: (event: RetryEvent) => void;
}

// ---------------------------------------------------------------------------------------------
// Registry
// ---------------------------------------------------------------------------------------------

/** How each reviewer is built. Typed over every name, so a new name cannot lack a factory. */
type ReviewerFactory = (settings: ProviderSettings) => Promise<ReviewerProvider>;
const REVIEWER_FACTORIES: Readonly<Record<ProviderName, ReviewerFactory>> = {
  local: () => loadLocalProvider(),
  dummy: async (settings) => (await import('./dummy.js')).createDummyProvider(settings),
  'openai-compatible': async (settings) =>
    (await import('./openai-compatible.js')).createOpenAICompatibleProvider(settings),
  'anthropic-style': async (settings) =>
    (await import('./anthropic-style.js')).createAnthropicStyleProvider(settings),
  minimax: async (settings) => (await import('./minimax.js')).createMinimaxProvider(settings),
  codex: async (settings) => (await import('./codex.js')).createCodexProvider(settings),
  claude: async (settings) => (await import('./claude.js')).createClaudeProvider(settings),
  opencode: async (settings) => (await import('./opencode.js')).createOpencodeProvider(settings),
};

/** Builds the provider `name` with `settings`. Unknown names throw a ProviderConfigError. */
export async function getProvider(name: string, settings: ProviderSettings = {}): Promise<ReviewerProvider> {
  if (isProviderName(name)) return REVIEWER_FACTORIES[name](settings);
  const { ProviderConfigError } = await import('./http.js');
  throw new ProviderConfigError(`unknown review provider: ${JSON.stringify(name.slice(0, 60))}`, {
    provider: name.slice(0, 60),
    hint: `known providers: ${PROVIDER_NAMES.join(', ')}`,
  });
}

/**
 * The offline reviewer lives in `local.ts` (another module's work). The specifier is a variable
 * so the type checker does not require the file, and its export is checked at run time.
 */
async function loadLocalProvider(): Promise<ReviewerProvider> {
  const specifier = './local.js';
  let module: { localProvider?: ReviewerProvider };
  try {
    module = (await import(specifier)) as { localProvider?: ReviewerProvider };
  } catch (cause) {
    const { ProviderConfigError } = await import('./http.js');
    throw new ProviderConfigError('the local reviewer is not available in this build', {
      provider: 'local',
      cause,
    });
  }
  const provider = module.localProvider;
  if (!provider || typeof provider.review !== 'function') {
    const { ProviderConfigError } = await import('./http.js');
    throw new ProviderConfigError('the local reviewer module does not export localProvider', {
      provider: 'local',
    });
  }
  return provider;
}

// ---------------------------------------------------------------------------------------------
// Endpoint defaults
// ---------------------------------------------------------------------------------------------

interface DialectDefaults {
  keyVar: string;
  baseUrlVar: string;
  modelVar: string;
  defaultModel: string;
  /** Default endpoint; minimax depends on MINIMAX_REGION. */
  defaultUrl(env: EnvSource | undefined): string;
  /** Origins the dialect's default key may be sent to without an explicit api_key_env. */
  knownOrigins: readonly string[];
}

/** Built-in per-provider defaults. */
export const DIALECT_DEFAULTS: Readonly<Record<HttpProviderName, DialectDefaults>> = {
  'openai-compatible': {
    keyVar: 'OPENAI_API_KEY',
    baseUrlVar: 'OPENAI_BASE_URL',
    modelVar: 'OPENAI_REVIEW_MODEL',
    defaultModel: 'gpt-4.1-mini',
    defaultUrl: () => 'https://api.openai.com/v1/chat/completions',
    knownOrigins: ['https://api.openai.com'],
  },
  'anthropic-style': {
    keyVar: 'ANTHROPIC_API_KEY',
    baseUrlVar: 'ANTHROPIC_BASE_URL',
    modelVar: 'ANTHROPIC_REVIEW_MODEL',
    defaultModel: 'claude-3-5-haiku-latest',
    defaultUrl: () => 'https://api.anthropic.com/v1/messages',
    knownOrigins: ['https://api.anthropic.com'],
  },
  minimax: {
    keyVar: 'MINIMAX_API_KEY',
    baseUrlVar: 'MINIMAX_BASE_URL',
    modelVar: 'MINIMAX_REVIEW_MODEL',
    defaultModel: 'MiniMax-M2.7',
    defaultUrl: (env) =>
      `${envOf('MINIMAX_REGION', env)?.toLowerCase() === 'cn' ? 'https://api.minimaxi.com' : 'https://api.minimax.io'}/anthropic/v1/messages`,
    knownOrigins: ['https://api.minimax.io', 'https://api.minimaxi.com'],
  },
};

/** Everything about an HTTP provider's endpoint except the key's value. */
export interface ResolvedEndpoint {
  provider: HttpProviderName;
  url: string;
  /** `settings`, `env:<VAR>` or `default`. */
  urlSource: string;
  model: string;
  modelSource: string;
  /** The variable the key is read from (undefined when `settings.apiKey` is given). */
  apiKeyVar: string | undefined;
  /** `settings`, `api_key_env`, or `default`. */
  apiKeySource: 'settings' | 'api_key_env' | 'default';
  apiKeySet: boolean;
  /**
   * Why the dialect's default key would not be sent to this URL, if so: a custom base_url on a
   * host other than the provider's own needs an explicit api_key_env (see `readApiKey`).
   */
  keyRefusal: string | undefined;
}

/** Resolves URL, model and key location for an HTTP provider (pure apart from reading `env`). */
export function resolveEndpoint(
  provider: HttpProviderName,
  settings: ProviderSettings = {},
): ResolvedEndpoint {
  const defaults = DIALECT_DEFAULTS[provider];
  const env = settings.env;
  let url: string;
  let urlSource: string;
  const settingsUrl = settings.baseUrl?.trim();
  const envUrl = envOf(defaults.baseUrlVar, env);
  if (settingsUrl) {
    url = settingsUrl;
    urlSource = 'settings';
  } else if (envUrl) {
    // MiniMax's variable historically held a base without a trailing slash requirement.
    url = provider === 'minimax' ? envUrl.replace(/\/+$/, '') : envUrl;
    urlSource = `env:${defaults.baseUrlVar}`;
  } else {
    url = defaults.defaultUrl(env);
    urlSource = 'default';
  }

  const settingsModel = settings.model?.trim();
  const envModel = envOf(defaults.modelVar, env);
  const model = settingsModel || envModel || defaults.defaultModel;
  const modelSource = settingsModel ? 'settings' : envModel ? `env:${defaults.modelVar}` : 'default';

  let apiKeyVar: string | undefined;
  let apiKeySource: ResolvedEndpoint['apiKeySource'];
  let apiKeySet: boolean;
  if (settings.apiKey?.trim()) {
    apiKeyVar = undefined;
    apiKeySource = 'settings';
    apiKeySet = true;
  } else if (settings.apiKeyEnv?.trim()) {
    apiKeyVar = settings.apiKeyEnv.trim();
    apiKeySource = 'api_key_env';
    apiKeySet = envOf(apiKeyVar, env) !== undefined;
  } else {
    apiKeyVar = defaults.keyVar;
    apiKeySource = 'default';
    apiKeySet = envOf(apiKeyVar, env) !== undefined;
  }

  let keyRefusal: string | undefined;
  if (apiKeySource === 'default' && urlSource === 'settings') {
    const allowed = new Set(defaults.knownOrigins);
    const envOrigin = envUrl ? originOf(envUrl) : undefined;
    if (envOrigin) allowed.add(envOrigin);
    const origin = originOf(url);
    if (!origin || !allowed.has(origin)) {
      keyRefusal = `base_url points to ${origin ?? 'an invalid URL'}, not ${provider}'s own host; refusing to send ${defaults.keyVar} there`;
    }
  }

  return { provider, url, urlSource, model, modelSource, apiKeyVar, apiKeySource, apiKeySet, keyRefusal };
}

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

function envOf(name: string, env: EnvSource | undefined): string | undefined {
  return readEnv(name, (env ?? process.env) as NodeJS.ProcessEnv);
}

// ---------------------------------------------------------------------------------------------
// Selection
// ---------------------------------------------------------------------------------------------

/** What `resolveReviewer` is given. */
export interface ResolveReviewerInput {
  /** The Stop payload's `reviewer_provider`, if any. */
  payloadProvider?: string | null;
  /** Environment (default `process.env`). */
  env?: EnvSource;
  /** The loaded config (`loadConfig(...).config`); null/undefined = no config file. */
  config?: ResolvedConfig | null;
}

/** The selected reviewer. */
export interface ReviewerSelection {
  provider: ProviderName;
  /** Why: `payload`, `env:CODEX_SELF_EVOLUTION_REVIEWER_PROVIDER`, `profile:<name>` or `default`. */
  source: string;
  /** The profile whose settings were applied (its provider is `provider`), or null. */
  profile: string | null;
  /** Settings for `getProvider(provider, settings)`; `env` is the input's env. */
  settings: ProviderSettings;
  /**
   * Where each applied setting came from (`profile:<name>` or `env:<VAR>`), keyed by the config
   * field name (`model`, `base_url`, `api_key_env`, `timeout_seconds`, `max_tokens`,
   * `max_retries`, `retry_backoff`). Unset fields are absent (the provider's default applies).
   */
  sources: Record<string, string>;
  /** Skipped invalid values (names only, never secrets). */
  warnings: string[];
}

/** Reviewer override variables. */
export const REVIEWER_ENV = {
  provider: 'CODEX_SELF_EVOLUTION_REVIEWER_PROVIDER',
  model: 'CODEX_SELF_EVOLUTION_REVIEWER_MODEL',
  baseUrl: 'CODEX_SELF_EVOLUTION_REVIEWER_BASE_URL',
  timeout: 'CODEX_SELF_EVOLUTION_REVIEWER_TIMEOUT',
} as const;

/** Picks the reviewer and its settings. Pure apart from reading `env`. */
export function resolveReviewer(input: ResolveReviewerInput = {}): ReviewerSelection {
  const env = input.env;
  const warnings: string[] = [];
  const config = input.config ?? null;
  const activeName = config?.active_profile ?? null;
  const activeProfile = activeName === null ? undefined : config?.profiles[activeName];

  let provider: ProviderName | undefined;
  let source = 'default';
  const payload = input.payloadProvider?.trim();
  if (payload) {
    if (isProviderName(payload)) {
      provider = payload;
      source = 'payload';
    } else {
      warnings.push(
        `payload reviewer_provider ${JSON.stringify(payload.slice(0, 60))} is not a known provider; ignored`,
      );
    }
  }
  const fromEnv = envOf(REVIEWER_ENV.provider, env);
  if (provider === undefined && fromEnv !== undefined) {
    if (isProviderName(fromEnv)) {
      provider = fromEnv;
      source = `env:${REVIEWER_ENV.provider}`;
    } else {
      warnings.push(
        `${REVIEWER_ENV.provider}=${JSON.stringify(fromEnv.slice(0, 60))} is not a known provider; ignored`,
      );
    }
  }
  if (provider === undefined && activeName !== null && activeProfile !== undefined) {
    const named = activeProfile.provider;
    if (named !== undefined && isProviderName(named)) {
      provider = named;
      source = `profile:${activeName}`;
    } else if (named === undefined) {
      warnings.push(`profiles.${activeName}: sets no provider; it cannot select a reviewer`);
    }
  }
  provider ??= 'local';

  const settings: ProviderSettings = {};
  const sources: Record<string, string> = {};
  let profile: string | null = null;
  if (activeName !== null && activeProfile !== undefined && activeProfile.provider === provider) {
    profile = activeName;
    const label = `profile:${activeName}`;
    const apply = <K extends keyof ProviderSettings>(
      key: K,
      field: string,
      value: ProviderSettings[K] | undefined,
    ): void => {
      if (value === undefined) return;
      settings[key] = value;
      sources[field] = label;
    };
    apply('model', 'model', activeProfile.model);
    apply('baseUrl', 'base_url', activeProfile.base_url);
    apply('apiKeyEnv', 'api_key_env', activeProfile.api_key_env);
    apply('timeoutSeconds', 'timeout_seconds', activeProfile.timeout_seconds);
    apply('maxTokens', 'max_tokens', activeProfile.max_tokens);
    apply('maxRetries', 'max_retries', activeProfile.max_retries);
    apply('retryBackoff', 'retry_backoff', activeProfile.retry_backoff);
  }

  if (isAgentProviderName(provider) && config) {
    // `[review.<agent>]` first; a profile naming the agent overrides model and timeout.
    const agent = config.review[provider];
    if (agent.path.trim() !== '') {
      settings.program = agent.path.trim();
      sources['path'] = `review.${provider}`;
    }
    if (agent.model.trim() !== '' && settings.model === undefined) {
      settings.model = agent.model.trim();
      sources['model'] = `review.${provider}`;
    }
    if (settings.timeoutSeconds === undefined) {
      settings.timeoutSeconds = agent.timeout_seconds;
      sources['timeout_seconds'] = `review.${provider}`;
    }
    const effort = agent.reasoning_effort.trim();
    if (provider === 'codex' && effort !== '') settings.reasoningEffort = effort;
  }

  const model = envOf(REVIEWER_ENV.model, env);
  if (model !== undefined) {
    settings.model = model;
    sources['model'] = `env:${REVIEWER_ENV.model}`;
  }
  const baseUrl = envOf(REVIEWER_ENV.baseUrl, env);
  if (baseUrl !== undefined) {
    if (originOf(baseUrl) && /^https?:$/.test(new URL(baseUrl).protocol)) {
      settings.baseUrl = baseUrl;
      sources['base_url'] = `env:${REVIEWER_ENV.baseUrl}`;
    } else {
      warnings.push(`${REVIEWER_ENV.baseUrl} is not an http(s) URL; ignored`);
    }
  }
  const timeout = envOf(REVIEWER_ENV.timeout, env);
  if (timeout !== undefined) {
    const seconds = Number(timeout);
    if (Number.isFinite(seconds) && seconds > 0) {
      settings.timeoutSeconds = seconds;
      sources['timeout_seconds'] = `env:${REVIEWER_ENV.timeout}`;
    } else {
      warnings.push(
        `${REVIEWER_ENV.timeout}=${JSON.stringify(timeout.slice(0, 30))} is not a positive number of seconds; ignored`,
      );
    }
  }
  if (env !== undefined) settings.env = env;

  return { provider, source, profile, settings, sources, warnings };
}
