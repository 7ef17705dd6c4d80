/**
 * The typed failures of every reviewer provider. Light (no undici): the agent-CLI reviewers, the
 * registry and the spool's failure classification use them without loading the HTTP stack.
 */
import { AppError, EXIT } from '../../errors.js';
import type { AppErrorOptions } from '../../errors.js';

/** Options shared by every provider error. */
export interface ProviderErrorOptions extends AppErrorOptions {
  /** Provider name, e.g. `openai-compatible`. */
  provider: string;
  /** HTTP status when the server answered. */
  status?: number;
  /**
   * True when the failure is transient: the same request may succeed later (rate limit, 5xx,
   * timeout, connection trouble, cancellation). The queue uses it to keep the turn for a retry.
   */
  retryable: boolean;
}

/**
 * What kind of failure a {@link ProviderError} is. The review spool keys its outage handling on
 * it (spool/spool.ts `classifyReviewFailure`): `connection`, `timeout`, `rate_limit`, `server`,
 * `config` and `aborted` wait without using up the turn's attempts; `auth`, `request` and
 * `bad_response` count. Reviewers that are not HTTP (agent CLIs) throw these same classes, or
 * set the same `kind` on their own errors.
 */
export type ProviderFailureKind =
  | 'connection'
  | 'timeout'
  | 'rate_limit'
  | 'server'
  | 'config'
  | 'aborted'
  | 'auth'
  | 'request'
  | 'bad_response';

/** Base class of every reviewer-provider failure. */
export class ProviderError extends AppError {
  /** See {@link ProviderFailureKind}. */
  readonly kind: ProviderFailureKind = 'request';
  readonly provider: string;
  readonly status: number | undefined;
  readonly retryable: boolean;

  constructor(message: string, options: ProviderErrorOptions) {
    super(message, options);
    this.provider = options.provider;
    this.status = options.status;
    this.retryable = options.retryable;
  }
}

/** Options of a provider error subclass whose retryability is fixed by its kind. */
export type ProviderErrorSubOptions = Omit<ProviderErrorOptions, 'retryable'>;

/** 401/403: the key is missing, wrong or not allowed. Never retried. */
export class ProviderAuthError extends ProviderError {
  override readonly kind: ProviderFailureKind = 'auth';
  constructor(message: string, options: ProviderErrorSubOptions) {
    super(message, { ...options, retryable: false });
  }
}

/** 429 after the retries ran out. `retryAfterMs` is the server's last hint (uncapped up to a day), if any. */
export class ProviderRateLimitError extends ProviderError {
  override readonly kind: ProviderFailureKind = 'rate_limit';
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: ProviderErrorSubOptions & { retryAfterMs?: number }) {
    super(message, { ...options, retryable: true });
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** 5xx (including 529 "overloaded") after the retries ran out. */
export class ProviderServerError extends ProviderError {
  override readonly kind: ProviderFailureKind = 'server';
  constructor(message: string, options: ProviderErrorSubOptions) {
    super(message, { ...options, retryable: true });
  }
}

/** Any other non-2xx answer (400, 404, 422, a redirect...). 408/409/425 are retryable. */
export class ProviderRequestError extends ProviderError {}

/** The answer is not what the dialect promises: HTML, not JSON, or JSON of an unexpected shape. */
export class ProviderBadResponseError extends ProviderError {
  override readonly kind: ProviderFailureKind = 'bad_response';
  constructor(message: string, options: ProviderErrorSubOptions) {
    super(message, { ...options, retryable: false });
  }
}

/** The response body exceeded the size cap; reading stopped there. */
export class ProviderResponseTooLargeError extends ProviderBadResponseError {}

/** An attempt did not complete (headers and body) within its timeout. */
export class ProviderTimeoutError extends ProviderError {
  override readonly kind: ProviderFailureKind = 'timeout';
  constructor(message: string, options: ProviderErrorSubOptions) {
    super(message, { ...options, retryable: true });
  }
}

/** The connection failed or was dropped (refused, reset, closed mid-body, DNS...). */
export class ProviderConnectionError extends ProviderError {
  override readonly kind: ProviderFailureKind = 'connection';
  constructor(message: string, options: ProviderErrorSubOptions) {
    super(message, { ...options, retryable: true });
  }
}

/** The caller's AbortSignal fired (worker shutting down...). Retryable: the turn was not reviewed. */
export class ProviderAbortedError extends ProviderError {
  override readonly kind: ProviderFailureKind = 'aborted';
  constructor(message: string, options: ProviderErrorSubOptions) {
    super(message, { ...options, retryable: true });
  }
}

/**
 * The provider cannot run as configured (missing key, bad URL...). Raised before any request is
 * sent; exit code 2 like every configuration error.
 */
export class ProviderConfigError extends ProviderError {
  override readonly kind: ProviderFailureKind = 'config';
  constructor(message: string, options: ProviderErrorSubOptions) {
    super(message, { ...options, retryable: false, exitCode: EXIT.usage });
  }
}
