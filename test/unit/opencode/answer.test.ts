import { describe, expect, it } from 'vitest';
import {
  AgentAnswerError,
  extractAnswerJson,
  parseAgentAnswer,
} from '../../../src/core/compiler/backends/opencode/answer.js';

describe('extractAnswerJson', () => {
  it('reads a bare object, a fenced one with prose around it, or the first balanced object', () => {
    expect(extractAnswerJson(' {"a":1} ')).toEqual({ a: 1 });
    expect(
      extractAnswerJson('Here you go {not json}:\n\n```json\n{"a": {"b": "}"}}\n```\nDone {x}.'),
    ).toEqual({ a: { b: '}' } });
    expect(extractAnswerJson('```\n{"a":2}\n```')).toEqual({ a: 2 });
    expect(extractAnswerJson('```text\nnope\n```\n```json\n{"a":3}\n```')).toEqual({ a: 3 });
    expect(extractAnswerJson('Result: {"a": "x \\" {"} and more')).toEqual({ a: 'x " {' });
  });

  it('refuses empty text and text without an object', () => {
    expect(() => extractAnswerJson('  ')).toThrow(AgentAnswerError);
    expect(() => extractAnswerJson('I merged everything.')).toThrow(/no JSON object/);
    expect(() => extractAnswerJson('x'.repeat(4_000_001))).toThrow(/too long/);
  });
});

describe('parseAgentAnswer', () => {
  it('accepts the contract keys, each optional or null', () => {
    expect(
      parseAgentAnswer('{"memory_records": null, "recall_records": null, "discarded_items": []}'),
    ).toEqual({ memory_records: null, recall_records: null, discarded_items: [] });
    const answer = parseAgentAnswer(
      JSON.stringify({
        memory_records: { global: [{ summary: 'S', content: 'C', confidence: 0.5 }] },
        compiled_skills: [{ skill_id: 'x', action: 'retire' }],
      }),
    );
    expect(answer.memory_records?.global?.[0]).toMatchObject({ summary: 'S', content: 'C', confidence: 0.5 });
    expect(answer.compiled_skills?.[0]).toMatchObject({
      skill_id: 'x',
      action: 'retire',
      title: '',
      description: '',
      content: '',
    });
  });

  it('rejects what does not follow the contract, naming where', () => {
    const bad = (value: unknown) => () => parseAgentAnswer(JSON.stringify(value));
    expect(bad({})).toThrow(/empty object/);
    expect(bad({ memory: [] })).toThrow(/does not match the contract/);
    expect(bad({ memory_records: { user: [{ summary: 's', content: 'c', confidence: 'high' }] } })).toThrow(
      /memory_records\.user\[0\]\.confidence/,
    );
    expect(bad({ memory_records: { user: [{ summary: 's', content: '  ' }] } })).toThrow(
      /content: must be a non-empty string/,
    );
    expect(bad({ memory_records: { project: [] } })).toThrow(/memory_records/);
    expect(bad({ recall_records: {} })).toThrow(/recall_records: must be a list/);
    expect(bad({ compiled_skills: [{ skill_id: 'x', action: 'delete' }] })).toThrow(/action/);
    expect(() => parseAgentAnswer('[1,2]')).toThrow(AgentAnswerError);
  });
});
