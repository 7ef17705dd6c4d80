/**
 * What a reviewer provider is built with, and the transport hooks it passes on. Types only, so
 * every provider module and the registry share them without importing each other.
 */
import type { Dispatcher } from 'undici';
import type { EnvSource } from '../../config/load.js';

/** What `onRetry` is told before each retry. Never holds the key or a body. */
export interface RetryEvent {
  provider: string;
  /** Endpoint without query string or credentials. */
  url: string;
  /** The attempt that failed, 1-based. */
  attempt: number;
  /** Retries allowed in total. */
  maxRetries: number;
  /** How long we wait before the next attempt. */
  delayMs: number;
  /** Short reason, e.g. `HTTP 429`, `timeout after 30000 ms`, `connection error: ECONNRESET`. */
  reason: string;
  status?: number;
}

/** Sleep used between retries; tests inject one that records the delay and returns at once. */
export type SleepFunction = (ms: number, signal?: AbortSignal) => Promise<void>;

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
