/**
 * Transport behaviour through real providers against the fake server: retries and their delays
 * (recorded by an injected sleep, never timed), typed errors for every failure mode, the size cap,
 * and the API key never leaving its header.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  backoffDelay,
  describeUrl,
  parseRetryAfter,
  postJson,
} from '../../../src/core/review/providers/http.js';
import {
  ProviderAbortedError,
  ProviderAuthError,
  ProviderBadResponseError,
  ProviderConfigError,
  ProviderConnectionError,
  ProviderError,
  ProviderRateLimitError,
  ProviderRequestError,
  ProviderResponseTooLargeError,
  ProviderServerError,
  ProviderTimeoutError,
} from '../../../src/core/review/providers/errors.js';
import type { RetryEvent } from '../../../src/core/review/providers/settings.js';
import { getProvider } from '../../../src/core/review/providers/index.js';
import type { ProviderSettings } from '../../../src/core/review/providers/index.js';
import type { ReviewRequest } from '../../../src/core/review/types.js';
import {
  drop,
  errorStatus,
  hang,
  html,
  huge,
  overloaded,
  rateLimited,
  reply,
  serverError,
  startFakeProviderServer,
  truncatedJson,
} from '../../helpers/fake-provider-server.js';
import type { FakeProviderServer } from '../../helpers/fake-provider-server.js';

const KEY = 'sk-live-SECRET-9f8e7d6c5b4a3210';

const request: ReviewRequest = {
  system: 'SYSTEM PROMPT TEXT',
  user: 'USER TRANSCRIPT TEXT',
  transcript: { turns: [], skippedLines: 0 },
  existing: { userMd: '', memoryMd: '' },
};

let server: FakeProviderServer;
let delays: number[];
let retries: RetryEvent[];

beforeAll(async () => {
  server = await startFakeProviderServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.reset();
  delays = [];
  retries = [];
});

type Dialect = 'openai-compatible' | 'anthropic-style' | 'minimax';

function settings(
  extra: Partial<ProviderSettings> = {},
  dialect: Dialect = 'openai-compatible',
): ProviderSettings {
  const url =
    dialect === 'openai-compatible'
      ? server.urls.openai
      : dialect === 'minimax'
        ? server.urls.minimax
        : server.urls.anthropic;
  return {
    baseUrl: url,
    apiKeyEnv: 'TEST_PROVIDER_KEY',
    env: { TEST_PROVIDER_KEY: KEY },
    sleep: (ms) => {
      delays.push(ms);
      return Promise.resolve();
    },
    random: () => 0,
    onRetry: (event) => retries.push(event),
    ...extra,
  };
}

async function reviewError(
  extra: Partial<ProviderSettings> = {},
  dialect: Dialect = 'openai-compatible',
  req: ReviewRequest = request,
): Promise<ProviderError> {
  const provider = await getProvider(dialect, settings(extra, dialect));
  const error = await provider.review(req).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ProviderError);
  const providerError = error as ProviderError;
  // Whatever went wrong, the key is not in the message, the hint or the retry log.
  expect(providerError.message).not.toContain(KEY);
  expect(String(providerError.hint)).not.toContain(KEY);
  expect(JSON.stringify(retries)).not.toContain(KEY);
  expect(JSON.stringify(retries)).not.toContain('USER TRANSCRIPT TEXT');
  return providerError;
}

describe('retries', () => {
  it('retries a 429 after the Retry-After seconds, then succeeds', async () => {
    server.enqueue(rateLimited({ retryAfter: '3' }), reply('{"ok":1}'));
    const provider = await getProvider('openai-compatible', settings());
    const result = await provider.review(request);
    expect(result.text).toBe('{"ok":1}');
    expect(server.requests).toHaveLength(2);
    expect(delays).toEqual([3000]);
    expect(retries).toEqual([
      expect.objectContaining({
        provider: 'openai-compatible',
        attempt: 1,
        maxRetries: 2,
        delayMs: 3000,
        reason: 'HTTP 429',
        status: 429,
      }),
    ]);
  });

  it('prefers retry-after-ms and clamps absurd Retry-After values', async () => {
    server.enqueue(
      rateLimited({ retryAfterMs: '1500', retryAfter: '9' }),
      rateLimited({ retryAfter: '86400' }),
      reply(),
    );
    const provider = await getProvider('anthropic-style', settings({}, 'anthropic-style'));
    await provider.review(request);
    expect(delays).toEqual([1500, 60_000]);
  });

  it('gives up after maxRetries with a ProviderRateLimitError carrying the last hint', async () => {
    server.setFallback(rateLimited({ retryAfter: '2' }));
    try {
      const error = await reviewError({ maxRetries: 2 });
      expect(error).toBeInstanceOf(ProviderRateLimitError);
      expect((error as ProviderRateLimitError).retryAfterMs).toBe(2000);
      expect(error.retryable).toBe(true);
      expect(error.status).toBe(429);
      expect(server.requests).toHaveLength(3);
      expect(delays).toEqual([2000, 2000]);
    } finally {
      server.setFallback(reply());
    }
  });

  it('retries a 500 with exponential backoff when the server gives no hint', async () => {
    server.enqueue(serverError(), serverError(), reply('{"ok":2}'));
    const provider = await getProvider('minimax', settings({}, 'minimax'));
    expect((await provider.review(request)).text).toBe('{"ok":2}');
    expect(delays).toEqual([500, 1000]);
    expect(retries.map((r) => r.reason)).toEqual(['HTTP 500', 'HTTP 500']);
  });

  it('uses the profile retry_backoff table, padded with its last value', async () => {
    server.enqueue(serverError(), overloaded(), serverError(), reply());
    const provider = await getProvider(
      'openai-compatible',
      settings({ retryBackoff: [2, 5], maxRetries: 3 }),
    );
    await provider.review(request);
    expect(delays).toEqual([2000, 5000, 5000]);
  });

  it('reports a 529 that persists as a retryable ProviderServerError', async () => {
    server.enqueue(overloaded(), overloaded());
    const error = await reviewError({ maxRetries: 1 }, 'anthropic-style');
    expect(error).toBeInstanceOf(ProviderServerError);
    expect(error.status).toBe(529);
    expect(error.retryable).toBe(true);
    expect(server.requests).toHaveLength(2);
  });

  it('does not retry a 401, and names it an auth error', async () => {
    server.enqueue(errorStatus(401, 'invalid x-api-key'));
    const error = await reviewError({}, 'anthropic-style');
    expect(error).toBeInstanceOf(ProviderAuthError);
    expect(error.status).toBe(401);
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('invalid x-api-key');
    expect(server.requests).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it('does not retry a 400, but does retry a 408', async () => {
    server.enqueue(errorStatus(400, 'bad model'));
    const bad = await reviewError();
    expect(bad).toBeInstanceOf(ProviderRequestError);
    expect(bad.retryable).toBe(false);
    expect(server.requests).toHaveLength(1);

    server.reset();
    server.enqueue(errorStatus(408), reply());
    const provider = await getProvider('openai-compatible', settings());
    await provider.review(request);
    expect(server.requests).toHaveLength(2);
  });

  it('obeys x-should-retry: false on a 5xx', async () => {
    server.enqueue({
      kind: 'json',
      status: 503,
      body: { error: 'busy' },
      headers: { 'x-should-retry': 'false' },
    });
    const error = await reviewError();
    expect(error).toBeInstanceOf(ProviderServerError);
    expect(server.requests).toHaveLength(1);
  });
});

describe('bad answers', () => {
  it('turns an HTML page into ProviderBadResponseError without retrying', async () => {
    server.enqueue(html());
    const error = await reviewError();
    expect(error).toBeInstanceOf(ProviderBadResponseError);
    expect(error.message).toMatch(/HTML instead of JSON/);
    expect(error.retryable).toBe(false);
    expect(server.requests).toHaveLength(1);
  });

  it('retries an HTML 502 from a proxy as a server error', async () => {
    server.enqueue(html(502), reply('{"ok":3}'));
    const provider = await getProvider('openai-compatible', settings());
    expect((await provider.review(request)).text).toBe('{"ok":3}');
    expect(retries[0]?.status).toBe(502);
  });

  it('turns truncated JSON into ProviderBadResponseError', async () => {
    server.enqueue(truncatedJson());
    const error = await reviewError({}, 'anthropic-style');
    expect(error).toBeInstanceOf(ProviderBadResponseError);
    expect(error.message).toMatch(/not valid JSON/);
  });

  it('rejects JSON of the wrong shape for the dialect', async () => {
    server.enqueue({ kind: 'json', body: { choices: [] } });
    const openai = await reviewError();
    expect(openai).toBeInstanceOf(ProviderBadResponseError);
    expect(openai.message).toMatch(/choices\[0\]\.message/);

    server.enqueue({
      kind: 'json',
      body: { type: 'message', content: [{ type: 'thinking', thinking: 'x' }], stop_reason: 'max_tokens' },
    });
    const anthropic = await reviewError({}, 'anthropic-style');
    expect(anthropic).toBeInstanceOf(ProviderBadResponseError);
    expect(anthropic.message).toMatch(/no text \(stop_reason: max_tokens\)/);
  });

  it('stops reading a huge streamed body at the cap', async () => {
    server.enqueue(huge(3 * 1024 * 1024));
    const error = await reviewError({ maxResponseBytes: 1024 * 1024 });
    expect(error).toBeInstanceOf(ProviderResponseTooLargeError);
    expect(error).toBeInstanceOf(ProviderBadResponseError);
    expect(error.message).toMatch(/exceeds the 1048576-byte limit/);
    expect(server.requests).toHaveLength(1);
  });

  it('refuses a declared content-length above the cap before reading', async () => {
    server.enqueue(huge(5 * 1024 * 1024, true));
    const error = await reviewError();
    expect(error).toBeInstanceOf(ProviderResponseTooLargeError);
    expect(error.message).toMatch(/2097152-byte limit/);
  });
});

describe('transport failures', () => {
  it('times out a hanging server per attempt and retries', async () => {
    server.enqueue(hang(), hang());
    const error = await reviewError({ timeoutSeconds: 0.2, maxRetries: 1 });
    expect(error).toBeInstanceOf(ProviderTimeoutError);
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/timed out after 200 ms/);
    expect(server.requests).toHaveLength(2);
    expect(retries.map((r) => r.reason)).toEqual(['timeout']);
  });

  it('times out a body that starts and then stalls (the timeout covers the whole body)', async () => {
    server.enqueue({
      kind: 'custom',
      handle: (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"choices":');
      },
    });
    const error = await reviewError({ timeoutSeconds: 0.2, maxRetries: 0 });
    expect(error).toBeInstanceOf(ProviderTimeoutError);
  });

  it('a throwing onRetry callback does not break the retry', async () => {
    server.enqueue(serverError(), reply('{"ok":5}'));
    const provider = await getProvider(
      'openai-compatible',
      settings({
        onRetry: () => {
          throw new Error('logger down');
        },
      }),
    );
    expect((await provider.review(request)).text).toBe('{"ok":5}');
  });

  it('turns a dropped connection into a retryable ProviderConnectionError', async () => {
    server.enqueue(drop(), drop());
    const error = await reviewError({ maxRetries: 1 }, 'minimax');
    expect(error).toBeInstanceOf(ProviderConnectionError);
    expect(error.retryable).toBe(true);
    expect(server.requests).toHaveLength(2);
  });

  it('recovers when a dropped connection is followed by an answer', async () => {
    server.enqueue(drop(), reply('{"ok":4}'));
    const provider = await getProvider('anthropic-style', settings({}, 'anthropic-style'));
    expect((await provider.review(request)).text).toBe('{"ok":4}');
  });

  it('treats a connection cut mid-body as a connection error', async () => {
    server.enqueue({ kind: 'drop-mid-body' });
    const error = await reviewError({ maxRetries: 0 });
    expect(error).toBeInstanceOf(ProviderConnectionError);
  });

  it('reports a refused connection as a connection error', async () => {
    const closed = await startFakeProviderServer();
    const url = closed.urls.openai;
    await closed.close();
    const error = await reviewError({ baseUrl: url, maxRetries: 0 });
    expect(error).toBeInstanceOf(ProviderConnectionError);
    expect(error.message).toMatch(/ECONNREFUSED/);
  });

  it('stops at once when the caller aborts', async () => {
    server.enqueue(hang());
    const controller = new AbortController();
    const pending = reviewError({ timeoutSeconds: 30 }, 'openai-compatible', {
      ...request,
      signal: controller.signal,
    });
    while (server.requests.length === 0) await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    const error = await pending;
    expect(error).toBeInstanceOf(ProviderAbortedError);
    expect(server.requests).toHaveLength(1);
  });
});

describe('the API key', () => {
  let other: FakeProviderServer;
  beforeAll(async () => {
    other = await startFakeProviderServer();
  });
  afterEach(() => other.reset());
  afterAll(async () => {
    await other.close();
  });

  it('is scrubbed from an error body that echoes it', async () => {
    server.enqueue(errorStatus(401, `Incorrect API key provided: ${KEY}.`));
    const error = await reviewError();
    expect(error.message).toContain('[REDACTED]');
  });

  it('is not sent on to a redirect target', async () => {
    server.enqueue({ kind: 'redirect', location: other.urls.openai });
    const error = await reviewError();
    expect(error).toBeInstanceOf(ProviderRequestError);
    expect(error.message).toMatch(/redirects are not followed/);
    expect(other.requests).toHaveLength(0);
  });

  it('never appears in the request body, only in its header', async () => {
    const provider = await getProvider('anthropic-style', settings({}, 'anthropic-style'));
    await provider.review(request);
    const seen = server.requests[0];
    expect(seen?.rawBody).not.toContain(KEY);
    expect(seen?.path).not.toContain(KEY);
    expect(seen?.headers['x-api-key']).toBe(KEY);
  });

  it('is not in messages that describe the URL (query and credentials dropped)', () => {
    expect(describeUrl(`https://user:${KEY}@example.com/v1/x?key=${KEY}`)).toBe('https://example.com/v1/x');
  });

  it('missing: ProviderConfigError before any request', async () => {
    const error = await reviewError({ env: {} });
    expect(error).toBeInstanceOf(ProviderConfigError);
    expect(error.message).toBe(
      'openai-compatible provider requires TEST_PROVIDER_KEY (named by api_key_env), which is not set',
    );
    expect(error.exitCode).toBe(2);
    expect(server.requests).toHaveLength(0);
  });

  it('an unset api_key_env does not fall back to the dialect default key', async () => {
    const error = await reviewError({ env: { OPENAI_API_KEY: KEY } });
    expect(error).toBeInstanceOf(ProviderConfigError);
    expect(server.requests).toHaveLength(0);
  });

  it('the dialect default key is not sent to a foreign base_url unless api_key_env names it', async () => {
    const error = await reviewError({ apiKeyEnv: undefined, env: { OPENAI_API_KEY: KEY } });
    expect(error).toBeInstanceOf(ProviderConfigError);
    expect(error.message).toMatch(/refusing to send OPENAI_API_KEY there/);
    expect(server.requests).toHaveLength(0);
  });

  it('a default key is fine with a base URL from the provider-scoped variable', async () => {
    const provider = await getProvider('openai-compatible', {
      ...settings({ apiKeyEnv: undefined, baseUrl: undefined }),
      env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.urls.openai },
    });
    await provider.review(request);
    expect(server.requests[0]?.headers['authorization']).toBe(`Bearer ${KEY}`);
  });

  it('rejects a key with a line break (header injection) before any request', async () => {
    const error = await reviewError({ env: { TEST_PROVIDER_KEY: `${KEY}\r\nx-evil: 1` } });
    expect(error).toBeInstanceOf(ProviderConfigError);
    expect(server.requests).toHaveLength(0);
  });
});

describe('getProvider', () => {
  it('rejects unknown names with a typed error', async () => {
    await expect(getProvider('codex-cli')).rejects.toBeInstanceOf(ProviderConfigError);
    await expect(getProvider('codex-cli')).rejects.toThrow('unknown review provider: "codex-cli"');
  });
});

describe('retry policy helpers', () => {
  it('backs off exponentially from 0.5 s, capped at 8 s, with up to 25% jitter', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, { random: () => 0 }))).toEqual([
      500, 1000, 2000, 4000, 8000, 8000,
    ]);
    expect(backoffDelay(1, { random: () => 0.999999 })).toBe(375);
    expect(backoffDelay(3, { retryBackoffSeconds: [1, 3], random: () => 0 })).toBe(3000);
  });

  it('parses Retry-After as seconds or an HTTP date, ignoring junk', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter({ 'retry-after': '2.5' }, 60_000, now)).toBe(2500);
    expect(parseRetryAfter({ 'retry-after': 'Thu, 01 Jan 2026 00:00:10 GMT' }, 60_000, now)).toBe(10_000);
    expect(parseRetryAfter({ 'retry-after': 'Wed, 31 Dec 2025 23:00:00 GMT' }, 60_000, now)).toBe(0);
    expect(parseRetryAfter({ 'retry-after': 'soon' }, 60_000, now)).toBeUndefined();
    expect(parseRetryAfter({ 'retry-after': '-4' }, 60_000, now)).toBeUndefined();
    expect(parseRetryAfter({ 'retry-after-ms': '250', 'retry-after': '9' }, 60_000, now)).toBe(250);
    expect(parseRetryAfter({ 'retry-after': '7200' }, 60_000, now)).toBe(60_000);
  });

  it('postJson returns parsed JSON and the attempt count', async () => {
    server.enqueue(serverError(), { kind: 'json', body: { hello: 'world' } });
    const result = await postJson({
      provider: 'test',
      url: `${server.origin}/anything`,
      headers: { 'content-type': 'application/json' },
      body: { a: 1 },
      sleep: () => Promise.resolve(),
    });
    expect(result.json).toEqual({ hello: 'world' });
    expect(result.attempts).toBe(2);
    expect(server.requests[1]?.json).toEqual({ a: 1 });
  });
});
