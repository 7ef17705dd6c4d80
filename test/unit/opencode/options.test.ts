import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildArgv,
  completePrefix,
  locateProgram,
  MAX_TIMEOUT_SECONDS,
  resolveOpencodeSettings,
  splitCommand,
} from '../../../src/core/compiler/backends/opencode/options.js';
import { tempDir } from '../../helpers/tmp.js';

describe('splitCommand', () => {
  it('splits on whitespace and keeps quoted words whole', () => {
    expect(splitCommand('  opencode   run --format json ')).toEqual(['opencode', 'run', '--format', 'json']);
    expect(splitCommand(`"/opt/my tools/opencode" run --title 'a b' ""`)).toEqual([
      '/opt/my tools/opencode',
      'run',
      '--title',
      'a b',
      '',
    ]);
    expect(splitCommand('')).toEqual([]);
  });
});

describe('completePrefix', () => {
  it('adds run and --format json only when missing', () => {
    expect(completePrefix([])).toEqual(['opencode', 'run', '--format', 'json']);
    expect(completePrefix(['/opt/opencode'])).toEqual(['/opt/opencode', 'run', '--format', 'json']);
    expect(completePrefix(['npx', '-y', 'opencode-ai@1.18.33'])).toEqual([
      'npx',
      '-y',
      'opencode-ai@1.18.33',
      'run',
      '--format',
      'json',
    ]);
    expect(completePrefix(['opencode', 'run', '--format', 'json', '--print-logs'])).toEqual([
      'opencode',
      'run',
      '--format',
      'json',
      '--print-logs',
    ]);
    expect(completePrefix(['opencode', 'run', '--format=json'])).toEqual([
      'opencode',
      'run',
      '--format=json',
    ]);
  });
});

describe('resolveOpencodeSettings', () => {
  it('has the seed defaults', () => {
    const s = resolveOpencodeSettings({ allowFallback: true }, {});
    expect(s).toMatchObject({
      prefix: ['opencode', 'run', '--format', 'json'],
      model: undefined,
      agent: undefined,
      skipPermissions: true,
      timeoutMs: 900_000,
      allowFallback: true,
      maxDeleteShare: 0.3,
      restrictTools: true,
    });
  });

  it('takes options first, then the environment', () => {
    const env = {
      CODEX_SELF_EVOLUTION_OPENCODE_COMMAND: '/env/opencode',
      CODEX_SELF_EVOLUTION_OPENCODE_MODEL: 'env/model',
      CODEX_SELF_EVOLUTION_OPENCODE_AGENT: 'plan',
    };
    expect(resolveOpencodeSettings({ allowFallback: true }, env)).toMatchObject({
      prefix: ['/env/opencode', 'run', '--format', 'json'],
      model: 'env/model',
      agent: 'plan',
    });
    const s = resolveOpencodeSettings(
      {
        allowFallback: true,
        allow_fallback: false,
        opencode_command: ['/opt/oc', 'run'],
        opencode_model: 'opt/model',
        opencode_agent: 'build',
        opencode_skip_permissions: false,
        opencode_max_delete_share: 0.5,
        opencode_restrict_tools: false,
      },
      env,
    );
    expect(s).toMatchObject({
      prefix: ['/opt/oc', 'run', '--format', 'json'],
      model: 'opt/model',
      agent: 'build',
      skipPermissions: false,
      allowFallback: false,
      maxDeleteShare: 0.5,
      restrictTools: false,
    });
    expect(resolveOpencodeSettings({ allowFallback: true, opencode_command: 'a "b c"' }, env).prefix).toEqual(
      ['a', 'b c', 'run', '--format', 'json'],
    );
  });

  it('takes the timeout from opencode_timeout_seconds or timeoutMs, capped below the lock stale window', () => {
    expect(resolveOpencodeSettings({ allowFallback: true, timeoutMs: 8000 }, {}).timeoutMs).toBe(8000);
    expect(
      resolveOpencodeSettings({ allowFallback: true, timeoutMs: 8000, opencode_timeout_seconds: 12 }, {})
        .timeoutMs,
    ).toBe(12_000);
    expect(
      resolveOpencodeSettings({ allowFallback: true, opencode_timeout_seconds: 3600 }, {}).timeoutMs,
    ).toBe(MAX_TIMEOUT_SECONDS * 1000);
    expect(MAX_TIMEOUT_SECONDS).toBeLessThan(1800);
    expect(resolveOpencodeSettings({ allowFallback: true, opencode_timeout_seconds: -1 }, {}).timeoutMs).toBe(
      900_000,
    );
  });

  it('reads the review policy', () => {
    expect(resolveOpencodeSettings({ allowFallback: true }, {}).review).toEqual({
      memory: false,
      recall: false,
      skills: false,
    });
    expect(
      resolveOpencodeSettings(
        { allowFallback: true, reviewPolicy: { memory: 'auto', recall: 'review', skills: 'review' } },
        {},
      ).review,
    ).toEqual({ memory: false, recall: true, skills: true });
  });

  it('ignores a deletion share outside [0,1]', () => {
    expect(
      resolveOpencodeSettings({ allowFallback: true, opencode_max_delete_share: 2 }, {}).maxDeleteShare,
    ).toBe(0.3);
  });
});

describe('buildArgv', () => {
  it('ends the greedy --file list with flags and puts the prompt after --', () => {
    const s = resolveOpencodeSettings(
      { allowFallback: true, opencode_model: 'p/m', opencode_agent: 'build' },
      {},
    );
    expect(buildArgv(s, '/tmp/x/payload.json', 'do "it"')).toEqual([
      'opencode',
      'run',
      '--format',
      'json',
      '--file',
      '/tmp/x/payload.json',
      '--dangerously-skip-permissions',
      '--model',
      'p/m',
      '--agent',
      'build',
      '--title',
      'codex-self-evolution compile',
      '--',
      'do "it"',
    ]);
    const plain = resolveOpencodeSettings({ allowFallback: true, opencode_skip_permissions: false }, {});
    expect(buildArgv(plain, 'p.json', 'x')).not.toContain('--dangerously-skip-permissions');
  });
});

describe('locateProgram', () => {
  it('searches PATH for a bare name and resolves relative paths against cwd', () => {
    const dir = tempDir();
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'opencode'), '#!/bin/sh\n');
    chmodSync(join(bin, 'opencode'), 0o755);
    writeFileSync(join(bin, 'not-exec'), '');
    expect(locateProgram('opencode', { PATH: `/nonexistent:${bin}` }, dir)).toBe(join(bin, 'opencode'));
    expect(locateProgram('opencode', { PATH: '/nonexistent' }, dir)).toBeUndefined();
    expect(locateProgram('not-exec', { PATH: bin }, dir)).toBeUndefined();
    expect(locateProgram('./bin/opencode', {}, dir)).toBe(join(bin, 'opencode'));
    expect(locateProgram(join(bin, 'missing'), {}, dir)).toBeUndefined();
    expect(locateProgram(bin, {}, dir)).toBeUndefined(); // a directory
  });
});
