/**
 * A fake OpenAI-compatible chat-completions server on 127.0.0.1 for the real opencode binary
 * (the wire format of test/harness/opencode/fake-llm.mjs: `POST /v1/chat/completions` with
 * `stream: true` answered by SSE `chat.completion.chunk`s, a usage chunk and `[DONE]`).
 *
 * Each test passes `respond`, called for every main-agent request with the request body and its
 * number (0-based), returning what the "model" does: answer text, call tools, fail with an HTTP
 * status, send a broken stream, drop the socket, or hang. Title-generation requests (no tools)
 * are answered with a fixed title. Every request body is kept in `requests`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from './loopback.js';

/** What the fake model does for one request. */
export type FakeTurn =
  | { text: string }
  | { tools: Array<{ name: string; arguments: unknown }>; text?: string }
  | { status: number; headers?: Record<string, string>; body?: string }
  | { garbage: true }
  | { drop: true }
  | { hang: true };

/** A logged request. */
export interface FakeRequest {
  kind: 'chat' | 'title' | 'other';
  url: string;
  body: Record<string, unknown> | null;
}

export interface FakeChatModel {
  /** `http://127.0.0.1:<port>/v1` */
  baseURL: string;
  requests: FakeRequest[];
  close(): Promise<void>;
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content))
    return content
      .map((c) =>
        typeof c === 'string'
          ? c
          : typeof (c as { text?: unknown })?.text === 'string'
            ? (c as { text: string }).text
            : '',
      )
      .join('');
  return '';
}

/** All text of a request's messages (user, tool and assistant parts), in order. */
export function requestText(body: Record<string, unknown> | null): string {
  const messages = Array.isArray(body?.messages)
    ? (body.messages as Array<{ role?: string; content?: unknown }>)
    : [];
  return messages.map((m) => `[${m.role ?? '?'}] ${textOf(m.content)}`).join('\n');
}

function chunk(
  id: string,
  created: number,
  delta: Record<string, unknown>,
  finish: string | null = null,
): string {
  return `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: 'fake-model', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
}

let seq = 0;

function stream(res: ServerResponse, text: string, tools: Array<{ name: string; arguments: unknown }>): void {
  const id = `chatcmpl-fake-${++seq}`;
  const created = Math.floor(Date.now() / 1000);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.write(chunk(id, created, { role: 'assistant', content: '' }));
  for (let i = 0; i < text.length; i += 64) res.write(chunk(id, created, { content: text.slice(i, i + 64) }));
  tools.forEach((call, index) => {
    const args = typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments ?? {});
    res.write(
      chunk(id, created, {
        tool_calls: [
          {
            index,
            id: `call_fake_${seq}_${index}`,
            type: 'function',
            function: { name: call.name, arguments: args },
          },
        ],
      }),
    );
  });
  res.write(chunk(id, created, {}, tools.length > 0 ? 'tool_calls' : 'stop'));
  res.write(
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: 'fake-model', choices: [], usage: { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 } })}\n\n`,
  );
  res.write('data: [DONE]\n\n');
  res.end();
}

/** Starts the fake model; close it in afterEach/afterAll (or onTestFinished). */
export async function startFakeChatModel(
  respond: (body: Record<string, unknown>, n: number) => FakeTurn,
): Promise<FakeChatModel> {
  const requests: FakeRequest[] = [];
  let chats = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(parts).toString('utf8');
      let body: Record<string, unknown> | null;
      try {
        body = raw ? (JSON.parse(raw) as Record<string, unknown>) : null;
      } catch {
        body = { unparsed: raw };
      }
      const url = req.url ?? '';
      if (req.method !== 'POST' || !/\/chat\/completions$/.test(url.split('?')[0] ?? '')) {
        requests.push({ kind: 'other', url, body });
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'no route' } }));
        return;
      }
      const tools = Array.isArray(body?.tools) ? body.tools : [];
      if (tools.length === 0) {
        requests.push({ kind: 'title', url, body });
        stream(res, 'Fake session', []);
        return;
      }
      requests.push({ kind: 'chat', url, body });
      const turn = respond(body ?? {}, chats++);
      if ('hang' in turn) return;
      if ('drop' in turn) {
        req.socket.destroy();
        return;
      }
      if ('garbage' in turn) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: this is not json {{{\n\n');
        res.end('data: [DONE]\n\n');
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
      if ('tools' in turn) {
        stream(res, turn.text ?? '', turn.tools);
        return;
      }
      stream(res, turn.text, []);
    });
  });
  const { port, close } = await listenOnLoopback(server);
  return { baseURL: `http://127.0.0.1:${port}/v1`, requests, close };
}
