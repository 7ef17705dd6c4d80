import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import {
  TrustEditError,
  defaultHookTimeout,
  eventSnake,
  hookTrustHash,
  hookTrustKey,
  hooksFeatureDisabled,
  parseHeaderPath,
  planTrustEdit,
  readTrustState,
  tomlBasicString,
} from '../../../src/core/agents/codex/trust.js';

/** Copies of what the real Codex 0.169 wrote and read (test/fixtures, test/harness). */
const TEST_DIR = join(import.meta.dirname, '..', '..');
const SAMPLES = join(TEST_DIR, 'fixtures', 'codex-samples');

describe('trust hash (codex-hooks.md §3)', () => {
  it('reproduces the hashes real Codex 0.169 wrote into config.toml.after-plugin-trust', () => {
    // The plugin's hooks.json in the harness is the one those trust entries were made for.
    const pluginHooks = JSON.parse(
      readFileSync(
        join(
          TEST_DIR,
          'harness',
          'codex',
          'examples',
          'plugin-marketplace',
          'plugins',
          'hookdemo',
          'hooks',
          'hooks.json',
        ),
        'utf8',
      ),
    ) as { hooks: Record<string, Array<{ matcher?: string; hooks: Array<Record<string, unknown>> }>> };
    const state = readTrustState(
      parse(readFileSync(join(SAMPLES, 'config.toml.after-plugin-trust'), 'utf8')) as Record<string, unknown>,
    );
    const start = pluginHooks.hooks.SessionStart![0]!;
    const stop = pluginHooks.hooks.Stop![0]!;
    expect(hookTrustHash('SessionStart', start.matcher, start.hooks[0]!)).toBe(
      state.get('hookdemo@e2e-mkt:hooks/hooks.json:session_start:0:0')!.trusted_hash,
    );
    expect(hookTrustHash('Stop', stop.matcher, stop.hooks[0]!)).toBe(
      state.get('hookdemo@e2e-mkt:hooks/hooks.json:stop:0:0')!.trusted_hash,
    );
    // And the literal values, so a change in the sample cannot make this pass vacuously.
    expect(
      hookTrustHash('SessionStart', 'startup|resume', {
        type: 'command',
        command: 'sh ${PLUGIN_ROOT}/hooks/capture.sh SessionStart',
        timeout: 30,
      }),
    ).toBe('sha256:fbe22ff47df69100cd111ff0647d9c5b7b699f37b4b8d92673a5b93ec5cb6979');
    expect(
      hookTrustHash('Stop', undefined, {
        type: 'command',
        command: 'sh ${PLUGIN_ROOT}/hooks/capture.sh Stop',
        timeout: 30,
      }),
    ).toBe('sha256:2b692e58487285515054d354ea6da593f30960cc400c0c3f0b406f0f582140e8');
  });

  const sha = (value: unknown) =>
    `sha256:${createHash('sha256').update(JSON.stringify(value)).digest('hex')}`;

  it.each([
    [
      'Stop ignores its matcher',
      'Stop',
      'anything',
      { command: 'x' },
      { event_name: 'stop', hooks: [{ async: false, command: 'x', timeout: 600, type: 'command' }] },
    ],
    [
      'SessionStart hashes its matcher',
      'SessionStart',
      'startup',
      { command: 'x', timeout: 15 },
      {
        event_name: 'session_start',
        hooks: [{ async: false, command: 'x', timeout: 15, type: 'command' }],
        matcher: 'startup',
      },
    ],
    [
      'SessionEnd defaults to 1 s',
      'SessionEnd',
      undefined,
      { command: 'x' },
      { event_name: 'session_end', hooks: [{ async: false, command: 'x', timeout: 1, type: 'command' }] },
    ],
    [
      'statusMessage and async count',
      'UserPromptSubmit',
      undefined,
      { command: 'x', async: true, statusMessage: 'hi', timeout: 0 },
      {
        event_name: 'user_prompt_submit',
        hooks: [{ async: true, command: 'x', statusMessage: 'hi', timeout: 1, type: 'command' }],
      },
    ],
    [
      'an empty matcher is still a matcher',
      'PreToolUse',
      '',
      { command: 'x' },
      {
        event_name: 'pre_tool_use',
        hooks: [{ async: false, command: 'x', timeout: 600, type: 'command' }],
        matcher: '',
      },
    ],
  ])('%s', (_name, event, matcher, handler, identity) => {
    expect(hookTrustHash(event, matcher, { type: 'command', ...handler })).toBe(sha(identity));
  });

  it('builds keys and snake-case event names', () => {
    expect(hookTrustKey('/home/u/.codex/hooks.json', 'SessionStart', 0, 0)).toBe(
      '/home/u/.codex/hooks.json:session_start:0:0',
    );
    expect(eventSnake('UserPromptSubmit')).toBe('user_prompt_submit');
    expect(eventSnake('PreModelRequest')).toBe('pre_model_request');
    expect(defaultHookTimeout('Interrupt')).toBe(1);
    expect(defaultHookTimeout('Stop')).toBe(600);
  });
});

describe('planTrustEdit', () => {
  const KEY = '/home/u/.codex/hooks.json:stop:0:0';
  const KEY2 = '/home/u/.codex/hooks.json:session_start:0:0';

  it('creates the table in a missing (empty) config', () => {
    const plan = planTrustEdit('', { upserts: [{ key: KEY, hash: 'sha256:aa' }] });
    expect(plan.after).toBe(`[hooks.state."${KEY}"]\ntrusted_hash = "sha256:aa"\n`);
    expect(plan.trusted).toEqual([KEY]);
  });

  it("appends after the user's settings, keeping every comment and table", () => {
    const text =
      '# top comment\nmodel = "o3"   # trailing\n\n[features]\nplugins = false\n\n[profiles.fast]\nmodel = "mini"';
    const plan = planTrustEdit(text, { upserts: [{ key: KEY, hash: 'sha256:aa' }] });
    expect(plan.after).toBe(`${text}\n\n[hooks.state."${KEY}"]\ntrusted_hash = "sha256:aa"\n`);
    expect(planTrustEdit(plan.after, { upserts: [{ key: KEY, hash: 'sha256:aa' }] }).changed).toBe(false);
  });

  it("updates an existing table in place (Codex's own layout), keeping its other keys", () => {
    const text = `[hooks.state]\n\n[hooks.state."${KEY}"]\ntrusted_hash = "sha256:old"\nenabled = true\n\n[hooks.state."${KEY2}"]\ntrusted_hash = "sha256:x"\n`;
    const plan = planTrustEdit(text, { upserts: [{ key: KEY, hash: 'sha256:new' }] });
    expect(plan.after).toBe(text.replace('sha256:old', 'sha256:new'));
  });

  it('keeps CRLF line endings', () => {
    const text = 'model = "o3"\r\n';
    const plan = planTrustEdit(text, { upserts: [{ key: KEY, hash: 'sha256:aa' }] });
    expect(plan.after).toBe(`model = "o3"\r\n\r\n[hooks.state."${KEY}"]\r\ntrusted_hash = "sha256:aa"\r\n`);
  });

  it("removes only tables whose hash is ours, keeping the next table's comment", () => {
    const text = `a = 1\n\n[hooks.state."${KEY}"]\ntrusted_hash = "sha256:ours"\n\n# about features\n[features]\nx = true\n`;
    expect(planTrustEdit(text, { removals: [{ key: KEY, hash: 'sha256:someone-else' }] }).changed).toBe(
      false,
    );
    const plan = planTrustEdit(text, { removals: [{ key: KEY, hash: 'sha256:ours' }] });
    expect(plan.after).toBe('a = 1\n\n# about features\n[features]\nx = true\n');
    expect(plan.removed).toEqual([KEY]);
  });

  it('removes the last table without leaving blank lines behind', () => {
    const text = `a = 1\n\n[hooks.state."${KEY}"]\ntrusted_hash = "sha256:ours"\n`;
    expect(planTrustEdit(text, { removals: [{ key: KEY, hash: 'sha256:ours' }] }).after).toBe('a = 1\n');
  });

  it("moves trust only when the stored hash is the moved hook's", () => {
    const text = `[hooks.state."${KEY}"]\ntrusted_hash = "sha256:h"\n`;
    const to = '/home/u/.codex/hooks.json:stop:1:0';
    expect(planTrustEdit(text, { moves: [{ from: KEY, to, hash: 'sha256:other' }] }).changed).toBe(false);
    const plan = planTrustEdit(text, { moves: [{ from: KEY, to, hash: 'sha256:h' }] });
    expect(readTrustState(parse(plan.after) as Record<string, unknown>)).toEqual(
      new Map([[to, { trusted_hash: 'sha256:h' }]]),
    );
    expect(plan.moved).toHaveLength(1);
  });

  it('handles chained moves (1→0 and 2→1) without losing either', () => {
    const k = (i: number) => `/h/hooks.json:stop:${i}:0`;
    const text = `[hooks.state."${k(1)}"]\ntrusted_hash = "sha256:b"\n\n[hooks.state."${k(2)}"]\ntrusted_hash = "sha256:c"\n`;
    const plan = planTrustEdit(text, {
      moves: [
        { from: k(1), to: k(0), hash: 'sha256:b' },
        { from: k(2), to: k(1), hash: 'sha256:c' },
      ],
    });
    const state = readTrustState(parse(plan.after) as Record<string, unknown>);
    expect(Object.fromEntries(state)).toEqual({
      [k(0)]: { trusted_hash: 'sha256:b' },
      [k(1)]: { trusted_hash: 'sha256:c' },
    });
  });

  it.each([
    ['an inline table', `hooks = { state = { "${KEY}" = { trusted_hash = "sha256:x" } } }\n`],
    ['dotted keys under [hooks.state]', `[hooks.state]\n"${KEY}".trusted_hash = "sha256:x"\n`],
  ])('refuses to edit %s (and writes nothing)', (_name, text) => {
    expect(() => planTrustEdit(text, { upserts: [{ key: KEY, hash: 'sha256:new' }] })).toThrow(
      TrustEditError,
    );
  });

  it('refuses to append where the result would not be valid TOML', () => {
    const text = 'hooks = { other = 1 }\n';
    expect(() => planTrustEdit(text, { upserts: [{ key: KEY, hash: 'sha256:new' }] })).toThrow(
      /would (break the file|change other settings)/,
    );
  });

  it('refuses a config.toml that does not parse', () => {
    expect(() => planTrustEdit('model = \n[', { upserts: [{ key: KEY, hash: 'sha256:x' }] })).toThrow(
      /cannot parse/,
    );
  });

  it('escapes odd keys so they round-trip', () => {
    const key = '/home/o"dd\\path/with\u007fdel/hooks.json:stop:0:0';
    const plan = planTrustEdit('', { upserts: [{ key, hash: 'sha256:x' }] });
    expect(readTrustState(parse(plan.after) as Record<string, unknown>).get(key)).toEqual({
      trusted_hash: 'sha256:x',
    });
    expect(tomlBasicString('\u007f')).toBe('"\\u007F"');
  });

  it.each([
    ['[hooks.state."a:b"]', ['hooks', 'state', 'a:b']],
    ["[ hooks . state . 'lit\\eral' ] # c", ['hooks', 'state', 'lit\\eral']],
    ['[a."q\\"x"]', ['a', 'q"x']],
    ['[[hooks.SessionStart]]', undefined],
    ['[bad', undefined],
  ])('parses header %s', (line, path) => {
    expect(parseHeaderPath(line)).toEqual(path);
  });

  it('reads [features] hooks = false and the deprecated name', () => {
    expect(hooksFeatureDisabled({ features: { hooks: false } })).toBe('features.hooks = false');
    expect(hooksFeatureDisabled({ features: { codex_hooks: false } })).toBe('features.codex_hooks = false');
    expect(hooksFeatureDisabled({ features: { hooks: true } })).toBeUndefined();
  });
});
