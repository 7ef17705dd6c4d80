/**
 * The layer rule of the lint config only checks the files its globs name: a new folder outside every
 * layer would escape it. This test keeps the map whole: every source file belongs to exactly one layer.
 */
import { readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: the lint config is plain JavaScript with no type declarations.
import { LAYERS } from '../../../eslint.config.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');

/** The few glob forms the layer map uses: `**`, `*` and `{a,b}`. */
function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i += 1) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      out += '.*';
      i += 1;
    } else if (c === '*') out += '[^/]*';
    else if (c === '{') out += '(?:';
    else if (c === '}') out += ')';
    else if (c === ',') out += '|';
    else out += c.replace(/[.+?^$()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [relative(ROOT, path).split(sep).join('/')] : [];
  });
}

describe('the layer map', () => {
  const layers = (LAYERS as { name: string; files: string[] }[]).map((layer) => ({
    name: layer.name,
    patterns: layer.files.map(globToRegExp),
  }));

  it('puts every source file in exactly one layer', () => {
    const problems: string[] = [];
    for (const file of sourceFiles(join(ROOT, 'src'))) {
      const owners = layers.filter((layer) => layer.patterns.some((re) => re.test(file)));
      if (owners.length !== 1) {
        problems.push(`${file}: ${owners.length === 0 ? 'no layer' : owners.map((o) => o.name).join(', ')}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('reads the globs it is given (a file outside a folder glob is not matched)', () => {
    expect(globToRegExp('src/core/fs/**').test('src/core/fs/safe.ts')).toBe(true);
    expect(globToRegExp('src/core/fs/**').test('src/core/fsx.ts')).toBe(false);
    expect(globToRegExp('src/core/{env,log}.ts').test('src/core/log.ts')).toBe(true);
    expect(globToRegExp('src/core/{env,log}.ts').test('src/core/logs.ts')).toBe(false);
  });
});
