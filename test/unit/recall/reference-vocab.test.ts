import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { referenceShare } from '../../../src/core/recall/reference-vocab.js';
import { tokenize } from '../../../src/core/recall/tokenize.js';

describe('reference vocabulary', () => {
  const source = readFileSync(
    join(import.meta.dirname, '../../../src/core/recall/reference-vocab-data.ts'),
    'utf8',
  );
  const data = JSON.parse(/export const REFERENCE_VOCAB_DATA = (".*");/.exec(source)?.[1] ?? '""') as string;
  const lines = data.split('\n').map((l) => l.split('\t') as [string, string]);

  it('finds every listed term with its share, and nothing else', () => {
    expect(lines.length).toBeGreaterThan(1000);
    for (const [term, perMille] of lines) expect(referenceShare(term), term).toBe(Number(perMille) / 1000);
    for (const term of ['grafana', 'zzzz', '', 'a', '~']) expect(referenceShare(term)).toBe(0);
  });

  it('holds index terms (what the tokenizer emits), in Chinese too', () => {
    for (const word of ['tests', 'customers', 'deployed', 'strange']) {
      expect(referenceShare(tokenize(word)[0] ?? ''), word).toBeGreaterThan(0);
    }
    expect(referenceShare(tokenize('tests')[0] ?? '')).toBeGreaterThan(0.05);
    expect(referenceShare('测试')).toBeGreaterThan(0);
  });
});
