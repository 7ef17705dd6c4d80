/**
 * Reviewer selection: payload → CODEX_SELF_EVOLUTION_REVIEWER_PROVIDER → active profile → local,
 * and which settings apply (a profile only to its own provider).
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/core/config/load.js';
import type { ResolvedConfig } from '../../../src/core/config/schema.js';
import { resolveEndpoint, resolveReviewer } from '../../../src/core/review/providers/index.js';

function config(text: string): ResolvedConfig {
  return parseConfig(text, { path: '/h/config.toml', env: {} }).config;
}

const DEEPSEEK = config(`
active_profile = "deepseek"
[profiles.deepseek]
provider = "openai-compatible"
model = "deepseek-chat"
base_url = "https://api.deepseek.com/v1/chat/completions"
api_key_env = "DEEPSEEK_API_KEY"
timeout_seconds = 60
max_tokens = 2000
max_retries = 1
retry_backoff = [3.0]
[profiles.glm]
provider = "anthropic-style"
`);

describe('precedence table', () => {
  const ENV_PROVIDER = 'CODEX_SELF_EVOLUTION_REVIEWER_PROVIDER';
  const rows: {
    name: string;
    payload?: string;
    env?: string;
    config: ResolvedConfig | null;
    provider: string;
    source: string;
  }[] = [
    {
      name: 'payload wins over everything',
      payload: 'minimax',
      env: 'dummy',
      config: DEEPSEEK,
      provider: 'minimax',
      source: 'payload',
    },
    {
      name: 'env wins over the profile',
      env: 'dummy',
      config: DEEPSEEK,
      provider: 'dummy',
      source: `env:${ENV_PROVIDER}`,
    },
    {
      name: 'the active profile',
      config: DEEPSEEK,
      provider: 'openai-compatible',
      source: 'profile:deepseek',
    },
    { name: 'no config: local', config: null, provider: 'local', source: 'default' },
    {
      name: 'profile without provider: local',
      config: config('[profiles.p]\nmodel = "m"\n'),
      provider: 'local',
      source: 'default',
    },
    {
      name: 'unknown payload name is skipped',
      payload: 'codex-cli',
      config: DEEPSEEK,
      provider: 'openai-compatible',
      source: 'profile:deepseek',
    },
    { name: 'unknown env name is skipped', env: 'gpt', config: null, provider: 'local', source: 'default' },
    {
      name: 'blank payload is no payload',
      payload: '  ',
      env: 'minimax',
      config: null,
      provider: 'minimax',
      source: `env:${ENV_PROVIDER}`,
    },
    {
      name: 'profile naming an unknown provider: local',
      config: config('[profiles.c]\nprovider = "codex-cli"\n'),
      provider: 'local',
      source: 'default',
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const selection = resolveReviewer({
        ...(row.payload === undefined ? {} : { payloadProvider: row.payload }),
        env: row.env === undefined ? {} : { [ENV_PROVIDER]: row.env },
        config: row.config,
      });
      expect({ provider: selection.provider, source: selection.source }).toEqual({
        provider: row.provider,
        source: row.source,
      });
    });
  }

  it('the default stays local even when a provider key is set', () => {
    const selection = resolveReviewer({ env: { OPENAI_API_KEY: 'sk-x', MINIMAX_API_KEY: 'mm' } });
    expect(selection.provider).toBe('local');
  });

  it('skipped names are reported as warnings', () => {
    const selection = resolveReviewer({ payloadProvider: 'codex-cli', env: { [ENV_PROVIDER]: 'gpt' } });
    expect(selection.warnings).toEqual([
      'payload reviewer_provider "codex-cli" is not a known provider; ignored',
      `${ENV_PROVIDER}="gpt" is not a known provider; ignored`,
    ]);
  });
});

describe('settings', () => {
  it('the active profile applies to its own provider, every field labelled', () => {
    const selection = resolveReviewer({ config: DEEPSEEK, env: {} });
    expect(selection.profile).toBe('deepseek');
    expect(selection.settings).toEqual({
      model: 'deepseek-chat',
      baseUrl: 'https://api.deepseek.com/v1/chat/completions',
      apiKeyEnv: 'DEEPSEEK_API_KEY',
      timeoutSeconds: 60,
      maxTokens: 2000,
      maxRetries: 1,
      retryBackoff: [3],
      env: {},
    });
    expect(selection.sources).toEqual({
      model: 'profile:deepseek',
      base_url: 'profile:deepseek',
      api_key_env: 'profile:deepseek',
      timeout_seconds: 'profile:deepseek',
      max_tokens: 'profile:deepseek',
      max_retries: 'profile:deepseek',
      retry_backoff: 'profile:deepseek',
    });
  });

  it("a payload-selected provider does not inherit another provider's profile", () => {
    const env = { MINIMAX_API_KEY: 'mm-key' };
    const selection = resolveReviewer({ payloadProvider: 'minimax', config: DEEPSEEK, env });
    expect(selection.profile).toBeNull();
    expect(selection.settings).toEqual({ env });
    expect(selection.sources).toEqual({});
    const endpoint = resolveEndpoint('minimax', selection.settings);
    expect(endpoint.url).toBe('https://api.minimax.io/anthropic/v1/messages');
    expect(endpoint.model).toBe('MiniMax-M2.7');
    expect(endpoint.apiKeyVar).toBe('MINIMAX_API_KEY');
  });

  it("a payload naming the profile's own provider keeps the profile", () => {
    const selection = resolveReviewer({ payloadProvider: 'openai-compatible', config: DEEPSEEK, env: {} });
    expect(selection.profile).toBe('deepseek');
    expect(selection.settings.baseUrl).toBe('https://api.deepseek.com/v1/chat/completions');
  });

  it('reviewer env overrides apply on top of the profile', () => {
    const selection = resolveReviewer({
      config: DEEPSEEK,
      env: {
        CODEX_SELF_EVOLUTION_REVIEWER_MODEL: 'deepseek-reasoner',
        CODEX_SELF_EVOLUTION_REVIEWER_BASE_URL: 'https://proxy.example/v1/chat/completions',
        CODEX_SELF_EVOLUTION_REVIEWER_TIMEOUT: '12.5',
      },
    });
    expect(selection.settings.model).toBe('deepseek-reasoner');
    expect(selection.settings.baseUrl).toBe('https://proxy.example/v1/chat/completions');
    expect(selection.settings.timeoutSeconds).toBe(12.5);
    expect(selection.sources['model']).toBe('env:CODEX_SELF_EVOLUTION_REVIEWER_MODEL');
    expect(selection.sources['timeout_seconds']).toBe('env:CODEX_SELF_EVOLUTION_REVIEWER_TIMEOUT');
    expect(selection.settings.apiKeyEnv).toBe('DEEPSEEK_API_KEY');
  });

  it('invalid reviewer env values are ignored with a warning', () => {
    const selection = resolveReviewer({
      config: DEEPSEEK,
      env: {
        CODEX_SELF_EVOLUTION_REVIEWER_TIMEOUT: 'soon',
        CODEX_SELF_EVOLUTION_REVIEWER_BASE_URL: 'not a url',
      },
    });
    expect(selection.settings.timeoutSeconds).toBe(60);
    expect(selection.settings.baseUrl).toBe('https://api.deepseek.com/v1/chat/completions');
    expect(selection.warnings).toHaveLength(2);
  });
});

describe('endpoint defaults', () => {
  it('openai and anthropic defaults, and provider-scoped env vars', () => {
    expect(resolveEndpoint('openai-compatible', { env: {} })).toMatchObject({
      url: 'https://api.openai.com/v1/chat/completions',
      model: 'gpt-4.1-mini',
      apiKeyVar: 'OPENAI_API_KEY',
      apiKeySet: false,
    });
    expect(resolveEndpoint('anthropic-style', { env: { ANTHROPIC_API_KEY: 'k' } })).toMatchObject({
      url: 'https://api.anthropic.com/v1/messages',
      model: 'claude-3-5-haiku-latest',
      apiKeySet: true,
    });
    expect(
      resolveEndpoint('anthropic-style', {
        env: { ANTHROPIC_BASE_URL: 'http://127.0.0.1:9/v1/messages', ANTHROPIC_REVIEW_MODEL: 'c' },
      }),
    ).toMatchObject({
      url: 'http://127.0.0.1:9/v1/messages',
      urlSource: 'env:ANTHROPIC_BASE_URL',
      model: 'c',
      modelSource: 'env:ANTHROPIC_REVIEW_MODEL',
    });
  });

  it('MINIMAX_REGION=cn picks the China endpoint; MINIMAX_BASE_URL wins over it', () => {
    expect(resolveEndpoint('minimax', { env: { MINIMAX_REGION: 'cn' } }).url).toBe(
      'https://api.minimaxi.com/anthropic/v1/messages',
    );
    expect(resolveEndpoint('minimax', { env: { MINIMAX_REGION: 'CN ' } }).url).toBe(
      'https://api.minimaxi.com/anthropic/v1/messages',
    );
    expect(resolveEndpoint('minimax', { env: { MINIMAX_REGION: 'global' } }).url).toBe(
      'https://api.minimax.io/anthropic/v1/messages',
    );
    expect(
      resolveEndpoint('minimax', { env: { MINIMAX_REGION: 'cn', MINIMAX_BASE_URL: 'https://m.example/x/' } })
        .url,
    ).toBe('https://m.example/x');
  });

  it('profile values beat provider-scoped env vars; blank env values count as unset', () => {
    const endpoint = resolveEndpoint('openai-compatible', {
      baseUrl: 'https://api.deepseek.com/v1/chat/completions',
      model: 'deepseek-chat',
      env: { OPENAI_BASE_URL: 'https://elsewhere/v1/chat/completions', OPENAI_REVIEW_MODEL: '  ' },
    });
    expect(endpoint.url).toBe('https://api.deepseek.com/v1/chat/completions');
    expect(endpoint.model).toBe('deepseek-chat');
  });
});
