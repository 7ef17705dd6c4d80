/**
 * Each HTTP provider against the fake server: request path, headers and body shape,
 * and text extraction from real-looking answers.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { getProvider } from '../../../src/core/review/providers/index.js';
import type { ProviderSettings } from '../../../src/core/review/providers/index.js';
import type { ReviewRequest } from '../../../src/core/review/types.js';
import { reply, startFakeProviderServer } from '../../helpers/fake-provider-server.js';
import type { FakeProviderServer } from '../../helpers/fake-provider-server.js';

const KEY = 'sk-test-key-0123456789abcdef';

const request: ReviewRequest = {
  system: 'You are the reviewer.',
  user: '{"turns":[]}',
  transcript: { turns: [], skippedLines: 0 },
  existing: { userMd: '', memoryMd: '' },
};

let server: FakeProviderServer;
beforeAll(async () => {
  server = await startFakeProviderServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => server.reset());

function only<T>(items: readonly T[]): T {
  expect(items).toHaveLength(1);
  return items[0] as T;
}

describe('openai-compatible', () => {
  it('posts the chat-completions body with a Bearer key to the URL verbatim', async () => {
    server.enqueue(reply('{"memory_updates":[1]}'));
    const provider = await getProvider('openai-compatible', {
      baseUrl: server.urls.openai,
      // A base_url off api.openai.com gets OPENAI_API_KEY only when the profile names it.
      apiKeyEnv: 'OPENAI_API_KEY',
      env: { OPENAI_API_KEY: KEY },
      model: 'gpt-test',
      maxTokens: 1234,
    });
    const result = await provider.review(request);
    expect(result).toEqual({
      text: '{"memory_updates":[1]}',
      provider: 'openai-compatible',
      model: 'gpt-test',
    });

    const seen = only(server.requests);
    expect(seen.method).toBe('POST');
    expect(seen.path).toBe('/v1/chat/completions');
    expect(seen.headers['authorization']).toBe(`Bearer ${KEY}`);
    expect(seen.headers['content-type']).toBe('application/json');
    expect(seen.headers['x-api-key']).toBeUndefined();
    expect(seen.json).toEqual({
      model: 'gpt-test',
      messages: [
        { role: 'system', content: request.system },
        { role: 'user', content: request.user },
      ],
      temperature: 0,
      max_tokens: 1234,
      response_format: { type: 'json_object' },
    });
  });

  it('takes URL, model and key from OPENAI_* when settings leave them unset', async () => {
    const provider = await getProvider('openai-compatible', {
      env: {
        OPENAI_API_KEY: KEY,
        OPENAI_BASE_URL: `${server.origin}/proxy/chat/completions?x=1`,
        OPENAI_REVIEW_MODEL: 'env-model',
      },
    });
    const result = await provider.review(request);
    const seen = only(server.requests);
    expect(seen.path).toBe('/proxy/chat/completions?x=1');
    expect((seen.json as { model: string; max_tokens: number }).model).toBe('env-model');
    expect((seen.json as { max_tokens: number }).max_tokens).toBe(4096);
    expect(result.model).toBe('env-model');
  });

  it('uses the profile key variable named by apiKeyEnv, not OPENAI_API_KEY', async () => {
    const provider = await getProvider('openai-compatible', {
      baseUrl: server.urls.openai,
      apiKeyEnv: 'DEEPSEEK_API_KEY',
      env: { OPENAI_API_KEY: 'sk-wrong-key-should-not-be-sent', DEEPSEEK_API_KEY: KEY },
    });
    await provider.review(request);
    expect(only(server.requests).headers['authorization']).toBe(`Bearer ${KEY}`);
  });
});

describe('anthropic-style', () => {
  it('posts the messages body with x-api-key and anthropic-version', async () => {
    server.enqueue(reply('{"skill_action":[]}'));
    const provider = await getProvider('anthropic-style', {
      baseUrl: server.urls.anthropic,
      apiKeyEnv: 'ANTHROPIC_API_KEY',
      env: { ANTHROPIC_API_KEY: KEY },
      model: 'claude-test',
    });
    const result = await provider.review(request);
    expect(result).toEqual({
      text: '{"skill_action":[]}',
      provider: 'anthropic-style',
      model: 'claude-test',
    });

    const seen = only(server.requests);
    expect(seen.path).toBe('/v1/messages');
    expect(seen.headers['x-api-key']).toBe(KEY);
    expect(seen.headers['anthropic-version']).toBe('2023-06-01');
    expect(seen.headers['authorization']).toBeUndefined();
    expect(seen.headers['content-type']).toBe('application/json');
    expect(seen.json).toEqual({
      model: 'claude-test',
      system: request.system,
      messages: [{ role: 'user', content: request.user }],
      temperature: 0,
      max_tokens: 4096,
    });
  });

  it('ignores thinking blocks and joins text blocks with newlines', async () => {
    server.enqueue({
      kind: 'json',
      body: {
        type: 'message',
        model: 'claude-test',
        content: [
          { type: 'thinking', thinking: 'secret chain of thought', signature: 'x' },
          { type: 'text', text: '{"a":' },
          { type: 'redacted_thinking', data: 'zzz' },
          { type: 'text', text: '1}' },
        ],
        stop_reason: 'end_turn',
      },
    });
    const provider = await getProvider('anthropic-style', { baseUrl: server.urls.anthropic, apiKey: KEY });
    const result = await provider.review(request);
    expect(result.text).toBe('{"a":\n1}');
  });

  it('honours a custom anthropic-version', async () => {
    const provider = await getProvider('anthropic-style', {
      baseUrl: server.urls.anthropic,
      apiKey: KEY,
      anthropicVersion: '2099-01-01',
    });
    await provider.review(request);
    expect(only(server.requests).headers['anthropic-version']).toBe('2099-01-01');
  });
});

describe('minimax', () => {
  it('posts the messages body with a Bearer key to MINIMAX_BASE_URL (trailing slash stripped)', async () => {
    server.enqueue(reply('{"recall_candidate":[]}', { thinking: 'hmm' }));
    const provider = await getProvider('minimax', {
      env: { MINIMAX_API_KEY: KEY, MINIMAX_BASE_URL: `${server.urls.minimax}/` },
    });
    const result = await provider.review(request);
    expect(result).toEqual({ text: '{"recall_candidate":[]}', provider: 'minimax', model: 'MiniMax-M2.7' });

    const seen = only(server.requests);
    expect(seen.path).toBe('/anthropic/v1/messages');
    expect(seen.headers['authorization']).toBe(`Bearer ${KEY}`);
    expect(seen.headers['x-api-key']).toBeUndefined();
    expect(seen.json).toEqual({
      model: 'MiniMax-M2.7',
      system: request.system,
      messages: [{ role: 'user', content: request.user }],
      temperature: 0,
      max_tokens: 4096,
    });
  });
});

describe('dummy', () => {
  it('answers an empty ReviewerOutput by default, a string stub as-is, an object stub as JSON', async () => {
    const plain = await getProvider('dummy');
    expect(JSON.parse((await plain.review(request)).text)).toEqual({
      memory_updates: [],
      recall_candidate: [],
      skill_action: [],
    });
    const text = await getProvider('dummy', { stubResponse: 'not json' });
    expect((await text.review(request)).text).toBe('not json');
    const object = await getProvider('dummy', {
      stubResponse: { memory_updates: [{ summary: 's' }] },
    } satisfies ProviderSettings);
    expect(JSON.parse((await object.review(request)).text)).toEqual({ memory_updates: [{ summary: 's' }] });
    expect((await object.review(request)).provider).toBe('dummy');
  });
});
