/**
 * The one HTTP transport of the reviewer providers: `postJson` over undici.
 *
 * - A per-attempt timeout covers connect, headers and the whole body (undici's own timeouts only
 *   watch idle gaps, so a server trickling bytes could hold an attempt forever).
 * - Retries with exponential backoff and jitter on 408/409/425/429/5xx and on connection errors or
 *   timeouts; the server's `retry-after-ms` / `Retry-After` wins (capped), `x-should-retry` is obeyed.
 * - The response body is read up to a size cap, so a runaway answer is an error, not an OOM.
 * - Every failure is a typed {@link ProviderError}. Messages never contain the API key (every secret
 *   passed in `secrets` is scrubbed), the request body, or the URL's query string or credentials.
 * - Redirects are never followed: the key must only ever reach the configured endpoint.
 */
import { setTimeout as sleepTimer } from 'node:timers/promises';
import { request } from 'undici';
import type { Dispatcher } from 'undici';
import { readEnv } from '../../env.js';
import { DIALECT_DEFAULTS, resolveEndpoint, type ResolvedEndpoint } from './endpoints.js';
import type { HttpProviderName } from '../../config/reviewers.js';
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
} from './errors.js';
import type { ProviderSettings, RetryEvent, SleepFunction } from './settings.js';

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

/** Transport knobs a provider passes through from its settings (all optional). */
export interface TransportOptions {
  /** Per-attempt timeout in milliseconds (connect + headers + body). Default 30 000. */
  timeoutMs?: number;
  /** Extra attempts after the first. Default 2. */
  maxRetries?: number;
  /**
   * Base delays in seconds for retry 1, 2, ... (padded with the last value), from the profile's
   * `retry_backoff`. Default: exponential from 0.5 s, doubling, capped at 8 s.
   */
  retryBackoffSeconds?: readonly number[];
  /** Longest server-requested wait we honour, in ms. Longer hints are clamped. Default 60 000. */
  maxRetryAfterMs?: number;
  /** Response size cap in bytes. Default 2 MiB. */
  maxResponseBytes?: number;
  /** undici dispatcher (tests, proxies). Default: undici's global dispatcher. */
  dispatcher?: Dispatcher;
  /** Sleep between retries. Default: an abortable timer. */
  sleep?: SleepFunction;
  /** Random source in [0, 1) for jitter. Default `Math.random`. */
  random?: () => number;
  /** Called before each retry (the lead's logger plugs in here). Exceptions from it are ignored. */
  onRetry?: (event: RetryEvent) => void;
}

/** One JSON POST. */
export interface PostJsonOptions extends TransportOptions {
  /** Provider name, used in messages and errors. */
  provider: string;
  /** Full endpoint URL, used verbatim. */
  url: string;
  headers: Readonly<Record<string, string>>;
  /** Serialized with `JSON.stringify`. */
  body: unknown;
  /** Overall cancellation (covers every attempt and the sleeps between them). */
  signal?: AbortSignal;
  /** Values that must never appear in an error message (the API key). */
  secrets?: readonly string[];
}

/** A successful (2xx) JSON answer. */
export interface PostJsonResult {
  status: number;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The parsed body. */
  json: unknown;
  /** How many attempts it took (1 = no retry). */
  attempts: number;
}

/** Defaults, exported so tests and docs can refer to them. */
export const HTTP_DEFAULTS = {
  timeoutMs: 30_000,
  maxRetries: 2,
  maxRetryAfterMs: 60_000,
  maxResponseBytes: 2 * 1024 * 1024,
  initialBackoffMs: 500,
  maxBackoffMs: 8_000,
} as const;

// ---------------------------------------------------------------------------------------------
// postJson
// ---------------------------------------------------------------------------------------------

/** Statuses worth another attempt besides 5xx. */
const RETRYABLE_STATUS = new Set([408, 409, 425, 429]);

/**
 * POST `body` as JSON to `url` and return the parsed JSON answer, retrying transient failures.
 * Throws a {@link ProviderError} subclass on every failure.
 */
export async function postJson(options: PostJsonOptions): Promise<PostJsonResult> {
  const maxRetries = Math.max(0, Math.floor(options.maxRetries ?? HTTP_DEFAULTS.maxRetries));
  const scrub = makeScrubber(options.secrets ?? []);
  const safeUrl = describeUrl(options.url);
  const sleep = options.sleep ?? defaultSleep;
  const payload = JSON.stringify(options.body);

  for (let attempt = 1; ; attempt += 1) {
    let error: ProviderError;
    let retryAfterMs: number | undefined;
    let shouldRetryHeader: boolean | undefined;
    try {
      const answer = await attemptOnce(options, payload, scrub, safeUrl);
      if (answer.status >= 200 && answer.status < 300) {
        const json = parseJsonBody(answer, options.provider, safeUrl, scrub);
        return { status: answer.status, headers: answer.headers, json, attempts: attempt };
      }
      // The wait inside this call is capped; the error keeps the server's own hint (up to a day)
      // so a caller that reschedules (the review spool) honours a long Retry-After.
      const hintMs = parseRetryAfter(answer.headers, 86_400_000);
      const capMs = options.maxRetryAfterMs ?? HTTP_DEFAULTS.maxRetryAfterMs;
      retryAfterMs = hintMs === undefined ? undefined : Math.min(hintMs, capMs);
      shouldRetryHeader = parseShouldRetry(answer.headers);
      error = errorFromStatus(answer, options.provider, safeUrl, scrub, hintMs);
    } catch (caught) {
      if (!(caught instanceof ProviderError)) throw caught;
      error = caught;
    }

    const retry = shouldRetryHeader ?? error.retryable;
    if (
      !retry ||
      attempt > maxRetries ||
      error instanceof ProviderAbortedError ||
      error instanceof ProviderBadResponseError
    ) {
      throw error;
    }
    const delayMs = retryAfterMs ?? backoffDelay(attempt, options);
    try {
      options.onRetry?.({
        provider: options.provider,
        url: safeUrl,
        attempt,
        maxRetries,
        delayMs,
        reason: retryReason(error),
        ...(error.status === undefined ? {} : { status: error.status }),
      });
    } catch {
      // A broken logger must not turn a recoverable failure into a lost review.
    }
    try {
      await sleep(delayMs, options.signal);
    } catch (cause) {
      throw new ProviderAbortedError(`${options.provider} request to ${safeUrl} was cancelled`, {
        provider: options.provider,
        cause,
      });
    }
    if (options.signal?.aborted) {
      throw new ProviderAbortedError(`${options.provider} request to ${safeUrl} was cancelled`, {
        provider: options.provider,
      });
    }
  }
}

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One attempt: send, then read the whole body under the timeout and the size cap. */
async function attemptOnce(
  options: PostJsonOptions,
  payload: string,
  scrub: (text: string) => string,
  safeUrl: string,
): Promise<RawAnswer> {
  const provider = options.provider;
  const timeoutMs = options.timeoutMs ?? HTTP_DEFAULTS.timeoutMs;
  const cap = options.maxResponseBytes ?? HTTP_DEFAULTS.maxResponseBytes;
  if (options.signal?.aborted) {
    throw new ProviderAbortedError(`${provider} request to ${safeUrl} was cancelled`, { provider });
  }

  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const onOuterAbort = (): void => controller.abort();
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });

  try {
    const response = await request(options.url, {
      method: 'POST',
      headers: options.headers,
      body: payload,
      signal: controller.signal,
      // Our timer is the real limit; these only stop undici from waiting longer than it.
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
    });
    const declared = Number(firstHeader(response.headers, 'content-length'));
    if (Number.isFinite(declared) && declared > cap) {
      response.body.destroy();
      throw tooLarge(provider, safeUrl, cap, response.statusCode);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      const buffer = chunk as Buffer;
      size += buffer.length;
      if (size > cap) {
        response.body.destroy();
        throw tooLarge(provider, safeUrl, cap, response.statusCode);
      }
      chunks.push(buffer);
    }
    return {
      status: response.statusCode,
      headers: response.headers,
      text: Buffer.concat(chunks).toString('utf8'),
    };
  } catch (caught) {
    if (caught instanceof ProviderError) throw caught;
    if (options.signal?.aborted) {
      throw new ProviderAbortedError(`${provider} request to ${safeUrl} was cancelled`, {
        provider,
        cause: caught,
      });
    }
    if (timedOut || isTimeoutCode(caught)) {
      throw new ProviderTimeoutError(`${provider} request to ${safeUrl} timed out after ${timeoutMs} ms`, {
        provider,
        cause: caught,
      });
    }
    if (isTransportError(caught)) {
      throw new ProviderConnectionError(
        `${provider} request to ${safeUrl} failed: ${scrub(describeTransportError(caught))}`,
        {
          provider,
          cause: caught,
        },
      );
    }
    throw caught;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onOuterAbort);
  }
}

function tooLarge(
  provider: string,
  safeUrl: string,
  cap: number,
  status: number,
): ProviderResponseTooLargeError {
  return new ProviderResponseTooLargeError(
    `${provider} response from ${safeUrl} exceeds the ${cap}-byte limit (HTTP ${status}); reading stopped`,
    { provider, status },
  );
}

/** Parse a 2xx body as JSON, naming HTML and other non-JSON answers precisely. */
function parseJsonBody(
  answer: RawAnswer,
  provider: string,
  safeUrl: string,
  scrub: (text: string) => string,
): unknown {
  const trimmed = answer.text.trim();
  if (looksLikeHtml(answer)) {
    throw new ProviderBadResponseError(
      `${provider} answered HTML instead of JSON (HTTP ${answer.status}) from ${safeUrl}; is base_url the API endpoint?`,
      { provider, status: answer.status },
    );
  }
  if (trimmed === '') {
    throw new ProviderBadResponseError(
      `${provider} answered an empty body (HTTP ${answer.status}) from ${safeUrl}`,
      {
        provider,
        status: answer.status,
      },
    );
  }
  try {
    return JSON.parse(trimmed) as unknown;
  } catch (cause) {
    throw new ProviderBadResponseError(
      `${provider} answered a body that is not valid JSON (HTTP ${answer.status}, ${answer.text.length} chars) from ${safeUrl}: ${scrub(describeJsonError(cause))}`,
      { provider, status: answer.status, cause },
    );
  }
}

/** Habit 3: one factory picks the error class from the status. */
function errorFromStatus(
  answer: RawAnswer,
  provider: string,
  safeUrl: string,
  scrub: (text: string) => string,
  retryAfterMs: number | undefined,
): ProviderError {
  const status = answer.status;
  const detail = errorDetail(answer, scrub);
  const message = `${provider} request to ${safeUrl} failed: HTTP ${status}${detail ? `: ${detail}` : ''}`;
  if (status === 401 || status === 403) {
    return new ProviderAuthError(message, {
      provider,
      status,
      hint: 'check the API key variable of this provider (config show tells which one is used)',
    });
  }
  if (status === 429)
    return new ProviderRateLimitError(message, {
      provider,
      status,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  if (status >= 500) return new ProviderServerError(message, { provider, status });
  if (status >= 300 && status < 400) {
    return new ProviderRequestError(
      `${message} (redirects are not followed; set base_url to the final endpoint)`,
      {
        provider,
        status,
        retryable: false,
      },
    );
  }
  return new ProviderRequestError(message, { provider, status, retryable: RETRYABLE_STATUS.has(status) });
}

/** A short, scrubbed reason from an error body: the JSON error message when there is one. */
function errorDetail(answer: RawAnswer, scrub: (text: string) => string): string {
  if (looksLikeHtml(answer)) return 'HTML error page';
  const text = answer.text.trim();
  if (text === '') return '';
  let detail: string | undefined;
  try {
    detail = pickErrorMessage(JSON.parse(text) as unknown);
  } catch {
    detail = undefined;
  }
  detail ??= text;
  return scrub(detail.replace(/\s+/g, ' ')).slice(0, 300);
}

function pickErrorMessage(value: unknown): string | undefined {
  if (!isRecord(value)) return undefined;
  const error = value['error'];
  if (typeof error === 'string') return error;
  if (isRecord(error) && typeof error['message'] === 'string') {
    return typeof error['type'] === 'string' ? `${error['type']}: ${error['message']}` : error['message'];
  }
  if (typeof value['message'] === 'string') return value['message'];
  const base = value['base_resp'];
  if (isRecord(base) && typeof base['status_msg'] === 'string') return base['status_msg'];
  return undefined;
}

function looksLikeHtml(answer: RawAnswer): boolean {
  const type = String(firstHeader(answer.headers, 'content-type') ?? '').toLowerCase();
  if (type.includes('text/html')) return true;
  return /^\s*<(!doctype|html|head|body|\?xml)/i.test(answer.text.slice(0, 200));
}

// ---------------------------------------------------------------------------------------------
// Retry policy
// ---------------------------------------------------------------------------------------------

/**
 * Delay before retry number `attempt` (1-based) when the server gave no hint: the profile's
 * `retry_backoff` (padded with its last value) or 0.5 s doubling up to 8 s, minus up to 25% jitter
 * so that many workers do not retry in lockstep.
 */
export function backoffDelay(
  attempt: number,
  options: Pick<TransportOptions, 'retryBackoffSeconds' | 'random'> = {},
): number {
  const table = options.retryBackoffSeconds;
  let baseMs: number;
  if (table && table.length > 0) {
    const seconds = table[Math.min(attempt - 1, table.length - 1)] ?? 0;
    baseMs = Math.max(0, seconds * 1000);
  } else {
    baseMs = Math.min(HTTP_DEFAULTS.initialBackoffMs * 2 ** (attempt - 1), HTTP_DEFAULTS.maxBackoffMs);
  }
  const random = options.random ?? Math.random;
  return Math.round(baseMs * (1 - 0.25 * random()));
}

/**
 * Server-requested wait in ms: `retry-after-ms`, else `Retry-After` as seconds or an HTTP date.
 * Negative or unparsable values are ignored; values above `capMs` are clamped to it.
 */
export function parseRetryAfter(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  capMs: number = HTTP_DEFAULTS.maxRetryAfterMs,
  now: number = Date.now(),
): number | undefined {
  let ms: number | undefined;
  const msHeader = firstHeader(headers, 'retry-after-ms');
  if (msHeader !== undefined && msHeader.trim() !== '') {
    const value = Number(msHeader);
    if (Number.isFinite(value) && value >= 0) ms = value;
  }
  const header = firstHeader(headers, 'retry-after');
  if (ms === undefined && header !== undefined && header.trim() !== '') {
    const seconds = Number(header);
    if (Number.isFinite(seconds)) {
      if (seconds >= 0) ms = seconds * 1000;
    } else {
      const date = Date.parse(header);
      if (Number.isFinite(date)) ms = Math.max(0, date - now);
    }
  }
  return ms === undefined ? undefined : Math.round(Math.min(ms, capMs));
}

function parseShouldRetry(
  headers: Readonly<Record<string, string | string[] | undefined>>,
): boolean | undefined {
  const value = firstHeader(headers, 'x-should-retry')?.trim().toLowerCase();
  if (value === 'true') return true;
  if (value === 'false') return false;
  return undefined;
}

function retryReason(error: ProviderError): string {
  if (error.status !== undefined) return `HTTP ${error.status}`;
  if (error instanceof ProviderTimeoutError) return 'timeout';
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  return `connection error${typeof code === 'string' ? `: ${code}` : ''}`;
}

const defaultSleep: SleepFunction = async (ms, signal) => {
  await sleepTimer(ms, undefined, signal === undefined ? undefined : { signal });
};

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);

function isTimeoutCode(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && TIMEOUT_CODES.has(code);
}

/** undici and socket errors carry a string `code` (UND_ERR_SOCKET, ECONNRESET, ECONNREFUSED...). */
function isTransportError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' || error.name === 'AbortError';
}

function describeTransportError(error: unknown): string {
  const err = error as Error & { code?: string; cause?: { code?: string; message?: string } };
  const code = err.code ?? err.cause?.code;
  const message = err.cause?.message ?? err.message;
  return `${code ? `${code} ` : ''}${message}`.slice(0, 300);
}

function describeJsonError(error: unknown): string {
  return error instanceof Error ? error.message.slice(0, 200) : 'invalid JSON';
}

function firstHeader(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  name: string,
): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The URL as it may appear in messages: scheme, host and path only, so a key in a query string
 * (`?key=`) or in `user:pass@` never reaches a log.
 */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return '<invalid URL>';
  }
}

/** A function that replaces every listed secret (and its URL-encoded form) with `[REDACTED]`. */
export function makeScrubber(secrets: readonly string[]): (text: string) => string {
  const needles = new Set<string>();
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    needles.add(secret);
    needles.add(encodeURIComponent(secret));
  }
  const sorted = [...needles].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const needle of sorted) out = out.split(needle).join('[REDACTED]');
    return out;
  };
}

// ---------------------------------------------------------------------------------------------
// Shared setup of the HTTP providers
// ---------------------------------------------------------------------------------------------

/** What an HTTP provider needs for one review: endpoint, key and transport knobs. */
export interface HttpCall {
  endpoint: ResolvedEndpoint;
  /** The key. Only ever placed in the auth header of `endpoint.url`. */
  apiKey: string;
  transport: TransportOptions;
}

/**
 * Resolves endpoint and key for `provider`, before any request: a missing key, a key variable
 * named by `api_key_env` that is unset, a non-http(s) URL, or a default key headed for a foreign
 * host are {@link ProviderConfigError}s. Messages name variables, never values.
 */
export function prepareHttpCall(provider: HttpProviderName, settings: ProviderSettings): HttpCall {
  const endpoint = resolveEndpoint(provider, settings);
  let parsed: URL | undefined;
  try {
    parsed = new URL(endpoint.url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw new ProviderConfigError(
      `${provider} provider: the endpoint (${endpoint.urlSource}) is not an http(s) URL`,
      { provider },
    );
  }

  let apiKey: string | undefined;
  if (endpoint.apiKeySource === 'settings') {
    apiKey = settings.apiKey?.trim();
  } else if (endpoint.apiKeyVar !== undefined) {
    apiKey = readEnv(endpoint.apiKeyVar, (settings.env ?? process.env) as NodeJS.ProcessEnv);
  }
  if (!apiKey) {
    const message =
      endpoint.apiKeySource === 'api_key_env'
        ? `${provider} provider requires ${endpoint.apiKeyVar} (named by api_key_env), which is not set`
        : `${provider} provider requires api_key or ${endpoint.apiKeyVar}`;
    throw new ProviderConfigError(message, {
      provider,
      hint: `set ${endpoint.apiKeyVar ?? 'the key'} in the environment or in <home>/.env.provider`,
    });
  }
  if (!/^[\x21-\x7e]+$/.test(apiKey)) {
    throw new ProviderConfigError(
      `${provider} provider: the API key contains spaces or non-printable characters`,
      { provider },
    );
  }
  if (endpoint.keyRefusal !== undefined) {
    throw new ProviderConfigError(`${provider} provider: ${endpoint.keyRefusal}`, {
      provider,
      hint: `name the key variable for that host in the profile's api_key_env (api_key_env = "${endpoint.apiKeyVar ?? ''}" sends this one there deliberately), or set the URL through ${DIALECT_DEFAULTS[provider].baseUrlVar}`,
    });
  }

  const transport: TransportOptions = {
    timeoutMs: Math.round((settings.timeoutSeconds ?? 30) * 1000),
    maxRetries: settings.maxRetries ?? HTTP_DEFAULTS.maxRetries,
  };
  if (settings.retryBackoff !== undefined) transport.retryBackoffSeconds = settings.retryBackoff;
  if (settings.maxResponseBytes !== undefined) transport.maxResponseBytes = settings.maxResponseBytes;
  if (settings.dispatcher !== undefined) transport.dispatcher = settings.dispatcher;
  if (settings.sleep !== undefined) transport.sleep = settings.sleep;
  if (settings.random !== undefined) transport.random = settings.random;
  if (settings.onRetry !== undefined) transport.onRetry = settings.onRetry;
  return { endpoint, apiKey, transport };
}
