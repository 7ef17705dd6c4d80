/**
 * The event stream of opencode 1.18.33, with lines taken from real runs
 * (test/fixtures/opencode-samples/, ids shortened).
 */
import { describe, expect, it } from 'vitest';
import {
  cleanDiagnostic,
  judgeRun,
  parseOpencodeStream,
} from '../../../src/core/compiler/backends/opencode/events.js';
import type { RunOutcome } from '../../../src/core/process/run.js';

const S = '"timestamp":1795667071189,"sessionID":"ses_1"';
const stepStart = `{"type":"step_start",${S},"part":{"id":"prt_a","messageID":"msg_1","sessionID":"ses_1","type":"step-start"}}`;
const text = (id: string, t: string) =>
  `{"type":"text",${S},"part":{"id":"${id}","messageID":"msg_1","sessionID":"ses_1","type":"text","text":${JSON.stringify(t)},"time":{"start":1,"end":2}}}`;
const stepFinish = (reason: string) =>
  `{"type":"step_finish",${S},"part":{"id":"prt_f","reason":"${reason}","messageID":"msg_1","sessionID":"ses_1","type":"step-finish","tokens":{"total":126,"input":100,"output":26,"reasoning":0,"cache":{"write":0,"read":0}},"cost":0}}`;
const toolUse = (status: string, extra: string) =>
  `{"type":"tool_use",${S},"part":{"type":"tool","tool":"write","callID":"call_fake_3_0","state":{"status":"${status}","input":{"filePath":"/x"},${extra}},"id":"prt_t","sessionID":"ses_1","messageID":"msg_1"}}`;
const http500 = `{"type":"error",${S},"error":{"name":"APIError","data":{"message":"fake-llm: simulated internal error","statusCode":500,"isRetryable":true,"responseBody":"{}","metadata":{"url":"http://127.0.0.1:42965/v1/chat/completions"}}}}`;
const garbage = `{"type":"error",${S},"error":{"name":"UnknownError","data":{"message":"JSON parsing failed: Text: this is not json {{{."}}}`;

function outcome(stdout: string, overrides: Partial<RunOutcome> = {}): RunOutcome {
  return {
    exitCode: 0,
    signal: undefined,
    stdout,
    stderr: '',
    timedOut: false,
    aborted: false,
    outputTooLarge: false,
    spawnError: undefined,
    spawnErrorCode: undefined,
    systemError: undefined,
    durationMs: 10,
    pid: 1,
    ...overrides,
  };
}

function judge(lines: string[], overrides: Partial<RunOutcome> = {}) {
  const stdout = `${lines.join('\n')}\n`;
  return judgeRun(outcome(stdout, overrides), parseOpencodeStream(stdout), 8000);
}

describe('parseOpencodeStream', () => {
  it('counts types, keeps the last copy of each text part, tolerates noise', () => {
    const stream = parseOpencodeStream(
      [
        stepStart,
        text('p1', 'draft'),
        text('p1', 'final'),
        'not json',
        '{"type":"done","reason":"idle"}',
        '',
        stepFinish('stop'),
      ].join('\n'),
    );
    expect(stream.types).toEqual({ step_start: 1, text: 2, done: 1, step_finish: 1 });
    expect(stream.texts.get('p1')).toBe('final');
    expect(stream.finalText).toBe('final');
    expect(stream.nonJsonLines).toBe(1);
  });

  it('takes the final text from after the last tool call only', () => {
    expect(
      parseOpencodeStream(
        [text('p1', 'before'), toolUse('completed', '"output":"ok"'), stepFinish('tool-calls')].join('\n'),
      ).finalText,
    ).toBeUndefined();
    expect(
      parseOpencodeStream(
        [text('p1', 'before'), toolUse('completed', '"output":"ok"'), text('p2', 'after')].join('\n'),
      ).finalText,
    ).toBe('after');
  });

  it('reads error events', () => {
    expect(parseOpencodeStream(http500).errors).toEqual([
      { name: 'APIError', message: 'fake-llm: simulated internal error', statusCode: 500 },
    ]);
  });
});

describe('judgeRun', () => {
  it('accepts exit 0 with a final text and no error', () => {
    expect(judge([stepStart, text('p', '{"a":1}'), stepFinish('stop')])).toEqual({
      ok: true,
      text: '{"a":1}',
    });
  });

  it('reports an error event as agent_invoke_failed with its HTTP status', () => {
    expect(judge([http500], { exitCode: 1 })).toEqual({
      ok: false,
      failure: {
        reason: 'agent_invoke_failed',
        detail: 'opencode error event: APIError: fake-llm: simulated internal error (HTTP 500)',
      },
    });
    expect(judge([stepStart, garbage], { exitCode: 1 })).toMatchObject({
      ok: false,
      failure: { reason: 'agent_invoke_failed', detail: expect.stringContaining('JSON parsing failed') },
    });
  });

  it('reports our timeout, an unknown exit and an unstartable program', () => {
    expect(judge([], { timedOut: true, exitCode: undefined, signal: 'SIGTERM' })).toMatchObject({
      failure: { reason: 'agent_invoke_failed', detail: 'opencode timed out after 8 s and was killed' },
    });
    expect(
      judge([], { exitCode: 1, stderr: '\u001b[91m\u001b[1mError: \u001b[0mFile not found: prompt\n' }),
    ).toMatchObject({
      failure: {
        reason: 'agent_invoke_failed',
        detail: 'opencode exit=1; stderr=Error: File not found: prompt',
      },
    });
    expect(judge([], { exitCode: undefined, spawnError: 'spawn /x EACCES' })).toMatchObject({
      failure: { reason: 'agent_invoke_failed', detail: expect.stringContaining('could not be started') },
    });
    expect(judge([], { outputTooLarge: true, exitCode: undefined })).toMatchObject({
      failure: { reason: 'agent_invoke_failed' },
    });
  });

  it('treats exit 0 without a final text as agent_output_invalid (empty model, refused permission)', () => {
    expect(judge([stepStart, stepFinish('stop')])).toMatchObject({
      failure: { reason: 'agent_output_invalid', detail: 'opencode produced no final answer text' },
    });
    const rejected = judge([
      stepStart,
      toolUse('error', '"error":"The user rejected permission to use this specific tool call."'),
      stepFinish('tool-calls'),
    ]);
    expect(rejected).toMatchObject({
      failure: {
        reason: 'agent_output_invalid',
        detail: expect.stringContaining('tool write failed: The user rejected permission'),
      },
    });
    expect(judge([text('p', '   ')])).toMatchObject({ failure: { reason: 'agent_output_invalid' } });
  });
});

describe('cleanDiagnostic', () => {
  it('strips colour codes, redacts and clips', () => {
    const secret = `ghp_${'a1B2c3D4e5'.repeat(3)}abcdef`;
    const out = cleanDiagnostic(`\u001b[93mwarning\u001b[0m token=${secret} ${'x'.repeat(1000)}`);
    expect(out).not.toContain('\u001b');
    expect(out).not.toContain(secret);
    expect(out.length).toBeLessThanOrEqual(400);
  });
});
