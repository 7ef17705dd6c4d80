import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeEnvProvider, hydrateEnvProvider, parseEnvFile, readEnv } from '../../../src/core/env.js';
import { tempDir } from '../../helpers/tmp.js';

describe('parseEnvFile', () => {
  it('handles export, quotes, inline comments and blanks', () => {
    const parsed = parseEnvFile(
      [
        '# a comment',
        '',
        'export OPENAI_API_KEY=sk-abc',
        'MINIMAX_REGION=cn   # China endpoint',
        'QUOTED="value with # hash"  # trailing',
        "SINGLE='lit\\n' # c",
        'ESCAPED="line\\nnext"',
        'HASH_IN_VALUE=a#b',
        'EMPTY=',
        'EMPTY_QUOTED=""',
        '  SPACED  =  spaced value  ',
        'not a line',
        'lower_case=ok',
      ].join('\n'),
    );
    expect(Object.fromEntries(parsed)).toEqual({
      OPENAI_API_KEY: 'sk-abc',
      MINIMAX_REGION: 'cn',
      QUOTED: 'value with # hash',
      SINGLE: 'lit\\n',
      ESCAPED: 'line\nnext',
      HASH_IN_VALUE: 'a#b',
      SPACED: 'spaced value',
      lower_case: 'ok',
    });
  });

  it('handles CRLF line endings', () => {
    expect(Object.fromEntries(parseEnvFile('A=1\r\nB=2\r\n'))).toEqual({ A: '1', B: '2' });
  });
});

describe('hydrateEnvProvider', () => {
  it('copies keys that are not set and lets existing ones win', () => {
    const home = tempDir();
    writeFileSync(join(home, '.env.provider'), 'A_KEY=from-file\nB_KEY=from-file # c\n');
    const env: NodeJS.ProcessEnv = { A_KEY: 'from-env' };
    expect(hydrateEnvProvider(home, env)).toEqual(['B_KEY']);
    expect(env).toEqual({ A_KEY: 'from-env', B_KEY: 'from-file' });
  });

  it('ignores a missing file', () => {
    expect(hydrateEnvProvider(tempDir(), {})).toEqual([]);
  });

  it('describes names only, never values', () => {
    const home = tempDir();
    writeFileSync(join(home, '.env.provider'), 'OPENAI_API_KEY=sk-secret-value\nZHIPU_API_KEY=zzz\n');
    const described = describeEnvProvider(home);
    expect(described.keys_set).toEqual(['OPENAI_API_KEY']);
    expect(described.other_keys_set).toEqual(['ZHIPU_API_KEY']);
    expect(JSON.stringify(described)).not.toContain('sk-secret-value');
  });
});

describe('readEnv', () => {
  it('trims and treats empty as unset', () => {
    expect(readEnv('X', { X: '  v ' })).toBe('v');
    expect(readEnv('X', { X: '   ' })).toBeUndefined();
    expect(readEnv('X', {})).toBeUndefined();
  });
});
