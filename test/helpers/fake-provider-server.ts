/**
 * A fake LLM provider for tests: a `node:http` server on 127.0.0.1, port 0, that speaks the two
 * wire formats the reviewer uses and records every request.
 *
 * - Dialect by request path: a path ending in `/chat/completions` gets OpenAI chat-completions
 *   answers; any other path (`/v1/messages`, `/anthropic/v1/messages`) gets Anthropic messages
 *   answers (MiniMax uses that format too).
 * - Replies are queued (`enqueue`), one per request, FIFO; when the queue is empty the fallback
 *   reply answers (default: a normal reply holding an empty ReviewerOutput).
 * - Every request is recorded with its headers and body (`requests`), even when the reply hangs or
 *   drops the connection, so tests can assert paths, headers and bodies.
 *
 * ```ts
 * const server = await startFakeProviderServer();
 * server.enqueue(rateLimited({ retryAfter: '2' }), reply('{"memory_updates":[]}'));
 * // … point a provider at server.urls.openai …
 * expect(server.requests[0]?.headers['authorization']).toBe('Bearer sk-test');
 * await server.close();
 * ```
 *
 * Also usable from e2e tests that spawn the CLI: pass `server.urls.*` through the environment
 * (`OPENAI_BASE_URL`, `ANTHROPIC_BASE_URL`, `MINIMAX_BASE_URL`).
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** The wire format of a request, decided by its path. */
export type FakeDialect = 'openai' | 'anthropic';

/** How the fake answers one request. Build them with the helpers below. */
export type FakeReply =
  /** A normal 200 answer in the request's dialect whose text is `text`. */
  | { kind: 'reply'; text?: string; thinking?: string; headers?: Record<string, string> }
  /** Any JSON body with any status. */
  | { kind: 'json'; status?: number; body: unknown; headers?: Record<string, string> }
  /** Any status with a raw body. */
  | { kind: 'status'; status: number; body?: string; contentType?: string; headers?: Record<string, string> }
  /** 429 with optional `Retry-After` / `retry-after-ms`. */
  | { kind: 'rate-limit'; retryAfter?: string; retryAfterMs?: string }
  /** An HTML page (a proxy or login page) with the given status (default 200). */
  | { kind: 'html'; status?: number }
  /** 200 with `content-type: application/json` and a JSON document cut in half (complete HTTP message). */
  | { kind: 'truncated-json' }
  /** Reads the request and never answers (until the client gives up or the server closes). */
  | { kind: 'hang' }
  /** Reads the request, then destroys the socket without answering. */
  | { kind: 'drop' }
  /** Sends headers and part of a body, then destroys the socket. */
  | { kind: 'drop-mid-body' }
  /** A 200 JSON-ish body of `bytes` bytes (default 3 MiB), streamed; `declareLength` sends content-length. */
  | { kind: 'huge'; bytes?: number; declareLength?: boolean }
  /** A redirect to `location` (default 307). */
  | { kind: 'redirect'; location: string; status?: number }
  /** Full control. */
  | {
      kind: 'custom';
      handle: (req: IncomingMessage, res: ServerResponse, recorded: RecordedRequest) => void;
    };

/** One request as the fake saw it. */
export interface RecordedRequest {
  method: string;
  /** Path and query, e.g. `/v1/chat/completions`. */
  path: string;
  /** Lower-cased header names, as node:http gives them. */
  headers: IncomingHttpHeaders;
  rawBody: string;
  /** The parsed JSON body, or undefined when it was not JSON. */
  json: unknown;
  dialect: FakeDialect;
  /** The reply kind used for it. */
  replyKind: FakeReply['kind'];
}

/** A running fake. */
export interface FakeProviderServer {
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  /** Full endpoint URLs per provider, ready for `base_url` / `*_BASE_URL`. */
  readonly urls: { openai: string; anthropic: string; minimax: string };
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  /** Queues replies, consumed one per request. */
  enqueue(...replies: FakeReply[]): void;
  /** Sets the reply used when the queue is empty. */
  setFallback(reply: FakeReply): void;
  /** Clears recorded requests and queued replies. */
  reset(): void;
  /** Stops the server and destroys open connections (hanging replies included). */
  close(): Promise<void>;
}

/** Options of {@link startFakeProviderServer}. */
export interface FakeProviderServerOptions {
  /** Replies queued from the start. */
  replies?: FakeReply[];
  /** Reply when the queue is empty (default `reply()`). */
  fallback?: FakeReply;
  /** Force a dialect instead of deciding by path. */
  dialect?: FakeDialect;
}

/** The text of a default reply: a valid ReviewerOutput with no suggestions. */
export const DEFAULT_REPLY_TEXT = '{"memory_updates":[],"recall_candidate":[],"skill_action":[]}';

// ---------------------------------------------------------------------------------------------
// Reply helpers
// ---------------------------------------------------------------------------------------------

/** A normal answer whose text is `text` (default: an empty ReviewerOutput). */
export function reply(
  text: string = DEFAULT_REPLY_TEXT,
  options: { thinking?: string; headers?: Record<string, string> } = {},
): FakeReply {
  return { kind: 'reply', text, ...options };
}
/** 429, optionally with `Retry-After` (seconds or HTTP date) and/or `retry-after-ms`. */
export function rateLimited(options: { retryAfter?: string; retryAfterMs?: string } = {}): FakeReply {
  return { kind: 'rate-limit', ...options };
}
/** A status with a JSON error body in the usual `{error:{type,message}}` shape. */
export function errorStatus(status: number, message = `fake error ${status}`): FakeReply {
  return { kind: 'json', status, body: { type: 'error', error: { type: 'fake_error', message } } };
}
/** 500 Internal Server Error. */
export function serverError(): FakeReply {
  return errorStatus(500, 'internal server error');
}
/** 529, Anthropic's "overloaded". */
export function overloaded(): FakeReply {
  return errorStatus(529, 'overloaded');
}
/** An HTML page instead of JSON. */
export function html(status = 200): FakeReply {
  return { kind: 'html', status };
}
/** Truncated JSON with a 200. */
export function truncatedJson(): FakeReply {
  return { kind: 'truncated-json' };
}
/** Never answers. */
export function hang(): FakeReply {
  return { kind: 'hang' };
}
/** Drops the connection without answering. */
export function drop(): FakeReply {
  return { kind: 'drop' };
}
/** A body of `bytes` bytes (default 3 MiB). */
export function huge(bytes = 3 * 1024 * 1024, declareLength = false): FakeReply {
  return { kind: 'huge', bytes, declareLength };
}

// ---------------------------------------------------------------------------------------------
// Wire formats
// ---------------------------------------------------------------------------------------------

/** A chat-completions response body. */
export function openAIResponse(text: string, model = 'fake-model'): Record<string, unknown> {
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
  };
}

/** A messages response body, with an optional thinking block before the text. */
export function anthropicResponse(
  text: string,
  model = 'fake-model',
  thinking?: string,
): Record<string, unknown> {
  const content: unknown[] = [];
  if (thinking !== undefined) content.push({ type: 'thinking', thinking, signature: 'fake-signature' });
  content.push({ type: 'text', text });
  return {
    id: 'msg_fake',
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: 'end_turn',
    usage: { input_tokens: 10, output_tokens: 10 },
  };
}

function dialectOf(path: string): FakeDialect {
  return path.split('?')[0]?.endsWith('/chat/completions') ? 'openai' : 'anthropic';
}

// ---------------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------------

/** Starts a fake on 127.0.0.1 with an ephemeral port. Close it in `afterEach`/`afterAll`. */
export async function startFakeProviderServer(
  options: FakeProviderServerOptions = {},
): Promise<FakeProviderServer> {
  const queue: FakeReply[] = [...(options.replies ?? [])];
  let fallback: FakeReply = options.fallback ?? reply();
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(rawBody) as unknown;
      } catch {
        json = undefined;
      }
      const path = req.url ?? '/';
      const next = queue.shift() ?? fallback;
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path,
        headers: req.headers,
        rawBody,
        json,
        dialect: options.dialect ?? dialectOf(path),
        replyKind: next.kind,
      };
      requests.push(recorded);
      answer(next, req, res, recorded);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;

  return {
    origin,
    urls: {
      openai: `${origin}/v1/chat/completions`,
      anthropic: `${origin}/v1/messages`,
      minimax: `${origin}/anthropic/v1/messages`,
    },
    requests,
    enqueue: (...replies) => {
      queue.push(...replies);
    },
    setFallback: (value) => {
      fallback = value;
    },
    reset: () => {
      requests.length = 0;
      queue.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string>): void {
  res.writeHead(status, { 'content-length': String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

function answer(next: FakeReply, req: IncomingMessage, res: ServerResponse, recorded: RecordedRequest): void {
  const requestModel =
    typeof recorded.json === 'object' &&
    recorded.json !== null &&
    typeof (recorded.json as { model?: unknown }).model === 'string'
      ? (recorded.json as { model: string }).model
      : 'fake-model';
  const jsonType = { 'content-type': 'application/json' };
  switch (next.kind) {
    case 'reply': {
      const text = next.text ?? DEFAULT_REPLY_TEXT;
      const body =
        recorded.dialect === 'openai'
          ? openAIResponse(text, requestModel)
          : anthropicResponse(text, requestModel, next.thinking);
      send(res, 200, JSON.stringify(body), { ...jsonType, ...next.headers });
      return;
    }
    case 'json':
      send(res, next.status ?? 200, JSON.stringify(next.body), { ...jsonType, ...next.headers });
      return;
    case 'status':
      send(res, next.status, next.body ?? '', {
        'content-type': next.contentType ?? 'text/plain',
        ...next.headers,
      });
      return;
    case 'rate-limit': {
      const headers: Record<string, string> = { ...jsonType };
      if (next.retryAfter !== undefined) headers['retry-after'] = next.retryAfter;
      if (next.retryAfterMs !== undefined) headers['retry-after-ms'] = next.retryAfterMs;
      send(
        res,
        429,
        JSON.stringify({ type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } }),
        headers,
      );
      return;
    }
    case 'html':
      send(
        res,
        next.status ?? 200,
        '<!DOCTYPE html><html><head><title>Sign in</title></head><body>Proxy login</body></html>',
        {
          'content-type': 'text/html; charset=utf-8',
        },
      );
      return;
    case 'truncated-json': {
      const full = JSON.stringify(
        recorded.dialect === 'openai'
          ? openAIResponse(DEFAULT_REPLY_TEXT)
          : anthropicResponse(DEFAULT_REPLY_TEXT),
      );
      send(res, 200, full.slice(0, Math.floor(full.length / 2)), jsonType);
      return;
    }
    case 'hang':
      // Keep the socket open: the client's timeout (or close()) ends it.
      return;
    case 'drop':
      req.socket.destroy();
      return;
    case 'drop-mid-body':
      res.writeHead(200, { ...jsonType, 'content-length': '1000' });
      res.write('{"id":"msg_fake","content":[{"type":"text","text":"', () => req.socket.destroy());
      return;
    case 'huge': {
      const total = next.bytes ?? 3 * 1024 * 1024;
      const headers: Record<string, string> = { ...jsonType };
      if (next.declareLength) headers['content-length'] = String(total);
      res.writeHead(200, headers);
      const chunk = Buffer.alloc(64 * 1024, 'a');
      let sent = 0;
      const pump = (): void => {
        while (sent < total && !res.destroyed) {
          const size = Math.min(chunk.length, total - sent);
          sent += size;
          if (!res.write(chunk.subarray(0, size))) {
            res.once('drain', pump);
            return;
          }
        }
        if (!res.destroyed) res.end();
      };
      res.on('error', () => undefined);
      pump();
      return;
    }
    case 'redirect':
      send(res, next.status ?? 307, '', { location: next.location });
      return;
    case 'custom':
      next.handle(req, res, recorded);
      return;
  }
}
