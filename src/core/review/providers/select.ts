/**
 * Reviewer selection: which reviewer runs and with which settings. Light on purpose (no undici,
 * no zod): status, `config show` and the Stop hook's spooling ask it without loading a provider.
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
import type { EnvSource } from '../../config/load.js';
import { isAgentProviderName, isProviderName, type ProviderName } from '../../config/reviewers.js';
import type { ResolvedConfig } from '../../config/schema.js';
import { envOf, originOf } from './endpoints.js';
import type { ProviderSettings } from './settings.js';

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
