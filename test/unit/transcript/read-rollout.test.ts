import { mkdtemp, rm, writeFile, mkdir, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../src/core/errors.js';
import { readRollout, TranscriptReadError, parseRollout } from '../../../src/core/agents/codex/rollout.js';
import type { TranscriptEntry, TranscriptTurn } from '../../../src/core/review/types.js';
import { buildRollout, patchOf, rolloutText } from '../../fixtures/rollouts/rollout-builder.js';

const SAMPLES = join(import.meta.dirname, '../../fixtures/codex-samples');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'csep-transcript-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function texts(turn: TranscriptTurn | undefined, kind: 'user' | 'assistant'): string[] {
  return (turn?.entries ?? []).flatMap((entry) => (entry.kind === kind ? [entry.text] : []));
}

describe('readRollout on the real Codex samples', () => {
  it('reads the two turns of transcript.jsonl once each, without Codex-injected text', async () => {
    const transcript = await readRollout(join(SAMPLES, 'transcript.jsonl'));
    expect(transcript.sessionId).toBe('01a2161a-5bab-7220-9193-325a99a88743');
    expect(transcript.cwd).toBe('/home/dev/work');
    expect(transcript.cliVersion).toBe('0.169.0');
    expect(transcript.skippedLines).toBe(0);
    expect(transcript.truncated).toBe(false);
    expect(transcript.turns.map((turn) => turn.index)).toEqual([0, 1]);
    expect(transcript.turns[0]?.turnId).toBe('01a2161a-5bb4-76b2-8d8d-772a72412262');
    expect(transcript.turns[1]?.turnId).toBe('01a2161a-5d91-7c13-be74-87b5ff8d350f');
    // The same text is in a response_item and in an item_completed event: it must appear once.
    expect(texts(transcript.turns[0], 'user')).toEqual(['say hi']);
    expect(texts(transcript.turns[0], 'assistant')).toEqual(['Hi! (fake model reply #1)']);
    expect(texts(transcript.turns[1], 'user')).toEqual(['second turn please']);
    expect(texts(transcript.turns[1], 'assistant')).toEqual(['Hi! (fake model reply #2)']);
    const all = JSON.stringify(transcript.turns);
    expect(all).not.toContain('environment_context');
    expect(all).not.toContain('permissions instructions');
    expect(all).not.toContain('CTX_MARKER'); // hook additional context is a developer message
  });

  it('reads the file as the Stop hook sees it (before task_complete)', async () => {
    const transcript = await readRollout(join(SAMPLES, 'transcript-as-seen-by-stop-hook.jsonl'));
    expect(transcript.turns).toHaveLength(1);
    expect(texts(transcript.turns[0], 'user')).toEqual(['say hi']);
    expect(texts(transcript.turns[0], 'assistant')).toEqual(['Hi! (fake model reply #1)']);
  });
});

describe('readRollout on synthetic rollouts in the real format', () => {
  const session = {
    cwd: '/home/dev/shop',
    agentsMd: 'Always answer in French.',
    hookContext: 'Remembered: the project codename is BLUEBIRD',
    turns: [
      {
        user: 'run the tests and fix what fails',
        steps: [
          { think: 'I should run the test suite first.' },
          { sh: 'npm test', exit: 1, out: 'npm ERR! Missing script: "test"' },
          {
            sh: 'pnpm vitest run',
            exit: 1,
            out: 'FAIL src/cart.test.ts > total\nAssertionError: expected 3 to be 4',
          },
          { patch: patchOf('src/cart.ts', 'return a + b - 1;', 'return a + b;') },
          { sh: 'pnpm vitest run', exit: 0, out: 'Test Files  4 passed (4)' },
          { say: 'Fixed the off-by-one in src/cart.ts; all tests pass.' },
          { hookPrompt: 'STOP_BLOCK_REASON: please also run the linter before stopping' },
          { sh: 'pnpm lint', exit: 0, out: 'All files pass linting.', tool: 'exec_command' as const },
          { say: 'Lint is clean too.' },
        ],
      },
      {
        user: 'thanks, now bump the version',
        steps: [
          { sh: 'npm version patch', exit: 0, out: 'v1.2.4', workdir: '/home/dev/shop/packages/core' },
          { say: 'Bumped to 1.2.4.' },
        ],
      },
    ],
  };

  it('keeps user, assistant, tool calls and outputs with exit codes; drops reasoning and continuations', async () => {
    const file = join(dir, 'modern.jsonl');
    await writeFile(file, rolloutText(session));
    const transcript = await readRollout(file);
    expect(transcript.turns).toHaveLength(2);
    const [first, second] = transcript.turns;
    expect(texts(first, 'user')).toEqual(['run the tests and fix what fails']);
    expect(texts(first, 'assistant')).toEqual([
      'Fixed the off-by-one in src/cart.ts; all tests pass.',
      'Lint is clean too.',
    ]);
    const calls = (first?.entries ?? []).filter(
      (entry): entry is Extract<TranscriptEntry, { kind: 'tool_call' }> => entry.kind === 'tool_call',
    );
    expect(calls.map((call) => [call.name, call.input.split('\n')[0]])).toEqual([
      ['shell_command', 'npm test'],
      ['shell_command', 'pnpm vitest run'],
      ['apply_patch', '*** Begin Patch'],
      ['shell_command', 'pnpm vitest run'],
      ['exec_command', 'pnpm lint'],
    ]);
    const outputs = (first?.entries ?? []).filter(
      (entry): entry is Extract<TranscriptEntry, { kind: 'tool_output' }> => entry.kind === 'tool_output',
    );
    expect(outputs.map((output) => output.exitCode)).toEqual([1, 1, 0, 0, 0]);
    expect(outputs[0]?.output).toBe('npm ERR! Missing script: "test"'); // the Exit code / Wall time header is stripped
    expect(outputs[2]?.output).toContain('M src/cart.ts');
    // Each output is linked to its call.
    expect(outputs.map((output) => output.callId)).toEqual(calls.map((call) => call.callId));
    const all = JSON.stringify(transcript.turns);
    expect(all).not.toContain('hook_prompt');
    expect(all).not.toContain('STOP_BLOCK_REASON');
    expect(all).not.toContain('I should run the test suite first');
    expect(all).not.toContain('Always answer in French'); // AGENTS.md injection
    expect(all).not.toContain('BLUEBIRD');
    // A working directory other than cwd is kept, relative to cwd.
    const bump = second?.entries.find((entry) => entry.kind === 'tool_call');
    expect(bump?.kind === 'tool_call' && bump.input).toBe('cd packages/core && npm version patch');
    expect(second?.turnId).not.toBe(first?.turnId);
    expect(first?.entries.every((entry) => entry.turnId === first.turnId)).toBe(true);
  });

  it('reads the legacy layout (argv shell calls, JSON outputs, local_shell_call, user_message events) once', () => {
    const text = rolloutText({
      style: 'legacy',
      turns: [
        {
          user: 'build it',
          steps: [
            { sh: 'make build', exit: 2, out: 'make: *** No rule to make target `build`.' },
            { sh: 'cargo build --release', exit: 0, out: 'Finished release', tool: 'local_shell' as const },
            { patch: patchOf('src/main.rs', 'old', 'new') },
            { say: 'Built with cargo.' },
          ],
        },
        { user: 'ok', steps: [{ say: 'Anything else?' }] },
      ],
    });
    const transcript = parseRollout(text);
    expect(transcript.sessionId).toBe('01a2161a-0000-7000-8000-000000000001');
    expect(transcript.cliVersion).toBe('0.46.0');
    expect(transcript.turns.map((turn) => texts(turn, 'user'))).toEqual([['build it'], ['ok']]);
    expect(transcript.turns.map((turn) => texts(turn, 'assistant'))).toEqual([
      ['Built with cargo.'],
      ['Anything else?'],
    ]);
    const entries = transcript.turns[0]?.entries ?? [];
    const calls = entries.flatMap((entry) =>
      entry.kind === 'tool_call' ? [`${entry.name}: ${entry.input.split('\n')[0]}`] : [],
    );
    expect(calls).toEqual([
      'shell: make build',
      'local_shell: cargo build --release',
      'apply_patch: *** Begin Patch',
    ]);
    const outputs = entries.flatMap((entry) =>
      entry.kind === 'tool_output' ? [[entry.exitCode, entry.output.split('\n')[0]]] : [],
    );
    expect(outputs).toEqual([
      [2, 'make: *** No rule to make target `build`.'],
      [0, 'Finished release'],
      [0, 'Success. Updated the following files:'],
    ]);
  });

  it('falls back to event messages when the file has no response_item messages', () => {
    const lines = buildRollout({
      turns: [
        { user: 'hello', steps: [{ say: 'hi there' }] },
        { user: 'again', steps: [{ say: 'yes' }] },
      ],
    });
    const withoutMessages = lines.filter(
      (line) => !(line.includes('"response_item"') && line.includes('"type":"message"')),
    );
    const fromItems = parseRollout(withoutMessages.join('\n'));
    expect(fromItems.turns.map((turn) => [texts(turn, 'user'), texts(turn, 'assistant')])).toEqual([
      [['hello'], ['hi there']],
      [['again'], ['yes']],
    ]);
    const legacy = [
      JSON.stringify({ timestamp: 't', type: 'session_meta', payload: { id: 's1', cwd: '/w' } }),
      JSON.stringify({
        timestamp: 't',
        type: 'event_msg',
        payload: { type: 'user_message', message: 'first' },
      }),
      JSON.stringify({
        timestamp: 't',
        type: 'event_msg',
        payload: { type: 'agent_message', message: 'one' },
      }),
      JSON.stringify({
        timestamp: 't',
        type: 'event_msg',
        payload: { type: 'user_message', message: 'second' },
      }),
    ].join('\n');
    const fromEvents = parseRollout(legacy);
    expect(
      fromEvents.turns.map((turn) =>
        turn.entries.map((entry) => (entry.kind === 'user' || entry.kind === 'assistant' ? entry.text : '')),
      ),
    ).toEqual([['first', 'one'], ['second']]);
  });

  it('does not start a turn for Codex-injected user messages or hook continuations', () => {
    const lines = buildRollout({
      turns: [
        {
          user: 'fix the bug',
          steps: [{ say: 'done' }, { hookPrompt: 'run tests first' }, { say: 'tests pass' }],
        },
      ],
    });
    const injected = [
      '<user_instructions>\nprefer tabs\n</user_instructions>',
      '<turn_aborted>\nThe user interrupted the previous turn.\n</turn_aborted>',
      '<some_new_codex_tag>\nwhatever\n</some_new_codex_tag>',
    ].map((text) =>
      JSON.stringify({
        timestamp: 't',
        type: 'response_item',
        payload: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] },
      }),
    );
    const transcript = parseRollout([...lines, ...injected].join('\n'));
    expect(transcript.turns).toHaveLength(1);
    expect(texts(transcript.turns[0], 'assistant')).toEqual(['done', 'tests pass']);
  });
});

describe('readRollout robustness', () => {
  it('counts bad lines, survives binary junk and replaces invalid UTF-8', async () => {
    const good = buildRollout({ turns: [{ user: 'caf\u00e9 please', steps: [{ say: 'ok' }] }] });
    const junk = Buffer.from([0x00, 0xff, 0xfe, 0x9f, 0x00, 0x41, 0xc3]);
    const badUtf8Message = Buffer.concat([
      Buffer.from('{"timestamp":"t","type":"event_msg","payload":{"type":"agent_message","message":"x'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}}'),
    ]);
    const userWithBadByte = Buffer.concat([
      Buffer.from(
        '{"timestamp":"t","type":"response_item","payload":{"type":"message","role":"user","content":[{"type":"input_text","text":"bad ',
      ),
      Buffer.from([0xff]),
      Buffer.from(' byte"}]}}'),
    ]);
    const file = join(dir, 'junk.jsonl');
    await writeFile(
      file,
      Buffer.concat([
        Buffer.from(`${good.slice(0, 3).join('\n')}\n`),
        junk,
        Buffer.from('\n{"truncated json\n[1,2,3]\n42\n{"no_type":true}\n\n   \n'),
        badUtf8Message,
        Buffer.from('\n'),
        Buffer.from(`${good.slice(3).join('\n')}\n`),
        userWithBadByte,
        Buffer.from('\n'),
      ]),
    );
    const transcript = await readRollout(file);
    // junk, truncated JSON, array, number, object without type: five bad lines (blank lines are not counted)
    expect(transcript.skippedLines).toBe(5);
    expect(texts(transcript.turns[0], 'user')).toEqual(['caf\u00e9 please']);
    expect(texts(transcript.turns[1], 'user')).toEqual(['bad \uFFFD byte']);
  });

  it('throws a typed error for a missing file and for a directory', async () => {
    const missing = join(dir, 'nope', 'rollout.jsonl');
    const error = await readRollout(missing).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TranscriptReadError);
    expect(error).toBeInstanceOf(AppError);
    expect((error as TranscriptReadError).reason).toBe('missing');
    expect((error as TranscriptReadError).message).toContain(missing);
    const folder = join(dir, 'a-directory');
    await mkdir(folder);
    await expect(readRollout(folder)).rejects.toMatchObject({
      name: 'TranscriptReadError',
      reason: 'not_a_file',
    });
  });

  it('reads an empty file as an empty transcript', async () => {
    const file = join(dir, 'empty.jsonl');
    await writeFile(file, '');
    const transcript = await readRollout(file);
    expect(transcript.turns).toEqual([]);
    expect(transcript.skippedLines).toBe(0);
  });

  it('reads only the tail of a 50 MB rollout, from the first full line, and still finds the session', async () => {
    const file = join(dir, 'huge.jsonl');
    const handle = await open(file, 'w');
    try {
      const head = buildRollout({
        sessionId: '01a2161a-aaaa-7000-8000-00000000beef',
        turns: [{ user: 'start', steps: [] }],
      });
      await handle.write(`${head.join('\n')}\n`);
      const filler = rolloutText({
        sessionId: '01a2161a-aaaa-7000-8000-00000000beef',
        turns: [
          {
            user: 'grind through the logs',
            steps: [
              { sh: 'cat build.log', exit: 0, out: 'log line '.repeat(6000) },
              { say: 'still looking' },
            ],
          },
        ],
      })
        .split('\n')
        .slice(1) // no second session_meta
        .join('\n');
      const chunk = filler.repeat(Math.ceil((1024 * 1024) / filler.length));
      let written = 0;
      while (written < 50 * 1024 * 1024) {
        await handle.write(chunk);
        written += chunk.length;
      }
      await handle.write(
        rolloutText({ turns: [{ user: 'the very last prompt', steps: [{ say: 'the very last answer' }] }] })
          .split('\n')
          .slice(1)
          .join('\n'),
      );
    } finally {
      await handle.close();
    }
    const transcript = await readRollout(file);
    expect(transcript.truncated).toBe(true);
    expect(transcript.totalBytes).toBeGreaterThan(50 * 1024 * 1024);
    expect(transcript.bytesRead).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect(transcript.skippedLines).toBe(0); // the cut line is dropped, not counted as bad
    expect(transcript.sessionId).toBe('01a2161a-aaaa-7000-8000-00000000beef');
    const last = transcript.turns.at(-1);
    expect(texts(last, 'user')).toEqual(['the very last prompt']);
    expect(texts(last, 'assistant')).toEqual(['the very last answer']);
    expect(JSON.stringify(transcript.turns)).not.toContain('"start"');
  });

  it('starts exactly at a line boundary when the cut falls on one', async () => {
    const lines = [
      JSON.stringify({ timestamp: 't', type: 'session_meta', payload: { id: 'sess-1', cwd: '/w' } }),
      JSON.stringify({
        timestamp: 't',
        type: 'event_msg',
        payload: { type: 'user_message', message: 'one' },
      }),
      JSON.stringify({
        timestamp: 't',
        type: 'event_msg',
        payload: { type: 'user_message', message: 'two' },
      }),
    ];
    const file = join(dir, 'boundary.jsonl');
    await writeFile(file, `${lines.join('\n')}\n`);
    const lastLength = Buffer.byteLength(`${lines[2]}\n`);
    const exact = await readRollout(file, { maxBytes: lastLength });
    expect(exact.turns.map((turn) => texts(turn, 'user'))).toEqual([['two']]);
    expect(exact.sessionId).toBe('sess-1');
    const midLine = await readRollout(file, { maxBytes: lastLength + 5 });
    expect(midLine.turns.map((turn) => texts(turn, 'user'))).toEqual([['two']]);
    expect(midLine.skippedLines).toBe(0);
    const whole = await readRollout(file, { maxBytes: 10_000 });
    expect(whole.truncated).toBe(false);
    expect(whole.turns.map((turn) => texts(turn, 'user'))).toEqual([['one'], ['two']]);
  });
});
