#!/usr/bin/env node
// A fake OpenAI Responses API for the real Codex CLI that makes one tool call: on the first
// request it finds the recall command line our SessionStart context names
// (`    <command> recall "<focused query>"`) and answers with an `exec_command` call running it
// with --query; every later request gets a plain text reply. Listens on 127.0.0.1 only.
//
// Usage: node fake-tool-model.mjs --log-dir DIR --query TEXT
//   writes DIR/port once listening, DIR/request-<n>.json per POST /responses,
//   DIR/command.txt with the command it asked Codex to run (or nothing when none was found).
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const args = process.argv.slice(2);
const arg = (name) => args[args.indexOf(name) + 1];
const logDir = arg('--log-dir');
const query = arg('--query');
fs.mkdirSync(logDir, { recursive: true });
let count = 0;

const sse = (res, obj) => res.write(`event: ${obj.type}\ndata: ${JSON.stringify(obj)}\n\n`);

function texts(body) {
  return (body?.input ?? []).flatMap((item) => (item.content ?? []).map((c) => c.text ?? ''));
}

function respond(res, n, item) {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  const base = {
    id: `resp_${n}`,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    model: 'fake-model',
  };
  sse(res, {
    type: 'response.created',
    sequence_number: 0,
    response: { ...base, status: 'in_progress', output: [] },
  });
  sse(res, {
    type: 'response.output_item.added',
    sequence_number: 1,
    output_index: 0,
    item: { ...item, status: 'in_progress' },
  });
  sse(res, { type: 'response.output_item.done', sequence_number: 2, output_index: 0, item });
  sse(res, {
    type: 'response.completed',
    sequence_number: 3,
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

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (req.method !== 'POST' || !req.url.endsWith('/responses')) {
      res.writeHead(req.url.endsWith('/models') ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: [], models: [] }));
      return;
    }
    const n = ++count;
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      body = null;
    }
    fs.writeFileSync(path.join(logDir, `request-${n}.json`), `${JSON.stringify(body, null, 2)}\n`);
    const line =
      n === 1
        ? texts(body)
            .map((t) => /^ {4}(.+) recall "<focused query>"$/m.exec(t))
            .find(Boolean)
        : undefined;
    if (line) {
      const cmd = `${line[1]} recall ${JSON.stringify(query)}`;
      fs.writeFileSync(path.join(logDir, 'command.txt'), cmd);
      respond(res, n, {
        id: `fc_${n}`,
        type: 'function_call',
        status: 'completed',
        call_id: `call_${n}`,
        name: 'exec_command',
        arguments: JSON.stringify({ cmd }),
      });
      return;
    }
    const text = 'Done.';
    respond(res, n, {
      id: `msg_${n}`,
      type: 'message',
      status: 'completed',
      role: 'assistant',
      content: [{ type: 'output_text', text, annotations: [] }],
    });
  });
});
server.listen(0, '127.0.0.1', () =>
  fs.writeFileSync(path.join(logDir, 'port'), String(server.address().port)),
);
