/**
 * The `recall` fast path (src/cli/recall-fast.ts): which calls it takes, which it hands to the
 * commander program, and that nothing it loads imports commander.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRecallArgs } from '../../../src/cli/recall-fast.js';
import { closure, SRC } from '../../helpers/import-graph.js';

describe('parseRecallArgs', () => {
  it('takes words, --query and the value options in either spelling, anywhere among the words', () => {
    expect(parseRecallArgs(['how', 'do', 'I', 'deploy'])).toEqual({
      options: {},
      words: ['how', 'do', 'I', 'deploy'],
    });
    expect(
      parseRecallArgs(['--query', 'run tests', '--cwd=/w/app', '--top-k', '2', '--format', 'json']),
    ).toEqual({ options: { query: 'run tests', cwd: '/w/app', topK: '2', format: 'json' }, words: [] });
    expect(parseRecallArgs(['flaky', '--state-dir', '/s', 'spec', '--home=/h'])).toEqual({
      options: { stateDir: '/s', home: '/h' },
      words: ['flaky', 'spec'],
    });
    // As commander does: the last of a repeated option wins; an empty value is a value.
    expect(parseRecallArgs(['--top-k', '1', '--top-k', '4', '--query', ''])).toEqual({
      options: { topK: '4', query: '' },
      words: [],
    });
  });

  it('hands everything else to the full program', () => {
    for (const args of [
      ['--help'],
      ['-h'],
      ['tests', '--debug'],
      ['--', '--query'],
      ['--json', 'tests'],
      ['--query'],
      ['--cwd', '--query', 'x'],
      ['--format', 'yaml', 'tests'],
      ['--format=text', 'tests'],
      ['--quer', 'tests'],
    ]) {
      expect(parseRecallArgs(args), args.join(' ')).toBeUndefined();
    }
  });

  it('reaches no commander', () => {
    const modules = closure([join(SRC, 'cli', 'recall-fast.ts'), join(SRC, 'cli', 'commands', 'recall.ts')]);
    expect(modules.has(join(SRC, 'cli', 'action.ts'))).toBe(true);
    expect(modules.has('commander')).toBe(false);
  });
});
