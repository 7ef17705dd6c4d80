/**
 * A fake OpenAI Responses API on 127.0.0.1 for the real Codex CLI, with per-request behaviour
 * (the wire format of the copied harness `test/harness/codex/fake-model.mjs`: `POST …/responses`
 * answered by the SSE sequence response.created … response.completed). Where the harness
 * server only replays canned text, this one also fails on demand (HTTP status, broken stream,
 * hang), which the reviewer failure tests need.
 *
 * `respond(body, n)` is called for every POST with its JSON body and 0-based number.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from './loopback.js';
import * as zlib from 'node:zlib';

/** What the fake model does for one request. */
export type FakeResponsesTurn =
  | { text: string }
  | { status: number; headers?: Record<string, string>; body?: string }
  | { garbage: true }
  | { hang: true };

export interface FakeResponsesModel {
  /** `http://127.0.0.1:<port>/v1` */
  baseURL: string;
  /** Bodies of every POST …/responses, in order. */
  requests: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

/** Every input text of a Responses request (`role: text` lines), for assertions. */
export function responsesText(body: Record<string, unknown>): string {
  const input = Array.isArray(body.input)
    ? (body.input as Array<{ role?: string; content?: Array<{ text?: string }> }>)
    : [];
  return input
    .map((item) => `[${item.role ?? '?'}] ${(item.content ?? []).map((c) => c.text ?? '').join('')}`)
    .join('\n');
}

function decode(raw: Buffer, encoding: string | undefined): Buffer {
  const enc = (encoding ?? '').toLowerCase();
  const zstd = (zlib as unknown as { zstdDecompressSync?: (b: Buffer) => Buffer }).zstdDecompressSync;
  if (enc === 'gzip') return zlib.gunzipSync(raw);
  if (enc === 'zstd' && zstd) return zstd(raw);
  if (enc === 'br') return zlib.brotliDecompressSync(raw);
  return raw;
}

function event(res: ServerResponse, data: Record<string, unknown>): void {
  res.write(`event: ${String(data.type)}\ndata: ${JSON.stringify(data)}\n\n`);
}

function stream(res: ServerResponse, n: number, text: string): void {
  const base = {
    id: `resp_fake_${n}`,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    model: 'fake-model',
  };
  const msgId = `msg_fake_${n}`;
  const item = {
    id: msgId,
    type: 'message',
    status: 'completed',
    role: 'assistant',
    content: [{ type: 'output_text', text, annotations: [] }],
  };
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  event(res, {
    type: 'response.created',
    sequence_number: 0,
    response: { ...base, status: 'in_progress', output: [] },
  });
  event(res, {
    type: 'response.output_item.added',
    sequence_number: 1,
    output_index: 0,
    item: { id: msgId, type: 'message', status: 'in_progress', role: 'assistant', content: [] },
  });
  event(res, {
    type: 'response.output_text.delta',
    sequence_number: 2,
    item_id: msgId,
    output_index: 0,
    content_index: 0,
    delta: text,
  });
  event(res, { type: 'response.output_item.done', sequence_number: 3, output_index: 0, item });
  event(res, {
    type: 'response.completed',
    sequence_number: 4,
    response: {
      ...base,
      status: 'completed',
      output: [item],
      usage: {
        input_tokens: 10,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: 5,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 15,
      },
    },
  });
  res.end();
}

/** Starts the fake model; close it when the test finishes. */
export async function startFakeResponsesModel(
  respond: (body: Record<string, unknown>, n: number) => FakeResponsesTurn,
): Promise<FakeResponsesModel> {
  const requests: Array<Record<string, unknown>> = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0] ?? '';
      if (req.method === 'GET' && path.endsWith('/models')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"object":"list","data":[],"models":[]}');
        return;
      }
      if (req.method !== 'POST' || !path.endsWith('/responses')) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"error":{"message":"no route"}}');
        return;
      }
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(
          decode(Buffer.concat(parts), req.headers['content-encoding']).toString('utf8'),
        ) as Record<string, unknown>;
      } catch {
        body = {};
      }
      const n = requests.length;
      requests.push(body);
      const turn = respond(body, n);
      if ('hang' in turn) return;
      if ('garbage' in turn) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end('event: response.created\ndata: this is not json {{{\n\n');
        return;
      }
      if ('status' in turn) {
        res.writeHead(turn.status, { 'content-type': 'application/json', ...turn.headers });
        res.end(
          turn.body ??
            JSON.stringify({ error: { message: `fake model: HTTP ${turn.status}`, type: 'server_error' } }),
        );
        return;
      }
      stream(res, n + 1, turn.text);
    });
  });
  const { port, close } = await listenOnLoopback(server);
  return { baseURL: `http://127.0.0.1:${port}/v1`, requests, close };
}
