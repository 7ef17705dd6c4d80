import { describe, expect, it } from 'vitest';
import { redactDeep, redactText } from '../../../src/core/redact/redact.js';
import { PLANTED_SECRETS, assertNoSecrets } from '../../fixtures/secrets/corpus.js';

function planted(kind: string): string {
  const found = PLANTED_SECRETS.find((s) => s.kind === kind);
  if (!found) throw new Error(`no planted ${kind}`);
  return found.context;
}

describe('redactDeep', () => {
  it('redacts every string of a nested value and keeps its shape, keys and other primitives', () => {
    const input = {
      sessionId: 'abc',
      turns: [
        { kind: 'user', text: planted('openai_key'), index: 0, final: true },
        { kind: 'tool_call', name: 'shell', input: planted('url_password'), exitCode: null },
        { kind: 'tool_output', output: [planted('private_key'), 42, null, undefined, [planted('jwt')]] },
      ],
      existing: { userMd: 'prefers pnpm', memoryMd: planted('env_assignment') },
      count: 3,
    };
    const out = redactDeep(input);
    expect(assertNoSecrets(JSON.stringify(out))).toEqual([]);
    expect(out.sessionId).toBe('abc');
    expect(out.count).toBe(3);
    expect(out.turns[0]).toEqual({
      kind: 'user',
      text: redactText(planted('openai_key')).text,
      index: 0,
      final: true,
    });
    expect(out.turns[1]?.exitCode).toBeNull();
    const output = out.turns[2]?.output as unknown[];
    expect(output[1]).toBe(42);
    expect(output[2]).toBeNull();
    expect(output[3]).toBeUndefined();
    expect(output).toHaveLength(5);
    expect((output[4] as string[])[0]).toContain('[REDACTED:jwt]');
    expect(out.existing.userMd).toBe('prefers pnpm');
    expect(Object.keys(out)).toEqual(Object.keys(input));
  });

  it('returns a new value and leaves the input untouched', () => {
    const secretLine = planted('github_token');
    const input = { a: [secretLine], b: { c: secretLine } };
    const out = redactDeep(input);
    expect(out).not.toBe(input);
    expect(out.a).not.toBe(input.a);
    expect(out.b).not.toBe(input.b);
    expect(input.a[0]).toBe(secretLine);
    expect(input.b.c).toBe(secretLine);
    expect(out.b.c).toContain('[REDACTED:github_token]');
  });

  it('does not redact object keys', () => {
    const keyLike = PLANTED_SECRETS.find((s) => s.kind === 'npm_token')?.secret ?? '';
    const out = redactDeep({ [keyLike]: keyLike });
    expect(Object.keys(out)).toEqual([keyLike]);
    expect(out[keyLike]).toBe('[REDACTED:npm_token]');
  });

  it('redacts a bare string and passes other primitives through', () => {
    expect(redactDeep(planted('stripe_key'))).toContain('[REDACTED:stripe_key]');
    expect(redactDeep(7)).toBe(7);
    expect(redactDeep(null)).toBeNull();
    expect(redactDeep(undefined)).toBeUndefined();
    expect(redactDeep(false)).toBe(false);
  });

  it('accumulates counts per kind when asked', () => {
    const counts: Record<string, number> = { jwt: 1 };
    redactDeep({ a: planted('jwt'), b: [planted('jwt'), planted('hf_token')] }, counts);
    expect(counts).toEqual({ jwt: 3, hf_token: 1 });
  });

  it('keeps an own "__proto__" key as data and does not touch the prototype', () => {
    const input = JSON.parse(
      `{"__proto__": {"polluted": ${JSON.stringify(planted('slack_token'))}}}`,
    ) as Record<string, unknown>;
    const out = redactDeep(input);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__']);
    expect(JSON.stringify(out)).toContain('[REDACTED:slack_token]');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('returns class instances as they are and survives cycles', () => {
    const date = new Date(0);
    const cyclic: { self?: unknown; text: string; when: Date } = { text: planted('hf_token'), when: date };
    cyclic.self = cyclic;
    const out = redactDeep(cyclic);
    expect(out.when).toBe(date);
    expect(out.self).toBe(out);
    expect(out.text).toContain('[REDACTED:hf_token]');
  });
});
