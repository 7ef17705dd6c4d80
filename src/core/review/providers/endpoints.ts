/**
 * Endpoint defaults of the HTTP reviewers and how a URL, model and key location are resolved
 * (settings, then the provider's environment variables, then the built-in default).
 */
import type { EnvSource } from '../../config/load.js';
import type { HttpProviderName } from '../../config/reviewers.js';
import { readEnv } from '../../env.js';
import type { ProviderSettings } from './settings.js';

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

/** The origin of a URL, or undefined when it is not one. */
export function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/** A non-empty environment value from `env` (default `process.env`). */
export function envOf(name: string, env: EnvSource | undefined): string | undefined {
  return readEnv(name, (env ?? process.env) as NodeJS.ProcessEnv);
}
