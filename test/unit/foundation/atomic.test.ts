import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SchemaError } from '../../../src/core/errors.js';
import {
  parseWith,
  quarantineFile,
  readJsonFile,
  writeFileAtomic,
  writeJsonAtomic,
} from '../../../src/core/fs/atomic.js';
import { tempDir } from '../../helpers/tmp.js';

describe('writeFileAtomic', () => {
  it('writes the content and leaves no temp file', () => {
    const dir = tempDir();
    const file = join(dir, 'a', 'b.txt');
    writeFileAtomic(file, 'hello');
    expect(readFileSync(file, 'utf8')).toBe('hello');
    expect(readdirSync(join(dir, 'a'))).toEqual(['b.txt']);
  });

  it('replaces an existing file', () => {
    const dir = tempDir();
    const file = join(dir, 'x.json');
    writeFileSync(file, 'old');
    writeFileAtomic(file, 'new');
    expect(readFileSync(file, 'utf8')).toBe('new');
  });

  it('fails on a rename over a directory without touching it', () => {
    const dir = tempDir();
    const target = join(dir, 'target');
    // A directory occupies the target path.
    writeFileAtomic(join(target, 'inner'), 'keep');
    expect(() => writeFileAtomic(target, 'new')).toThrow();
    expect(readFileSync(join(target, 'inner'), 'utf8')).toBe('keep');
    expect(readdirSync(dir)).toEqual(['target']);
  });
});

describe('writeJsonAtomic / readJsonFile', () => {
  const Schema = z.object({ name: z.string(), items: z.array(z.object({ n: z.number() })) });

  it('writes sorted keys with 2-space indent, non-ASCII kept, trailing newline', () => {
    const dir = tempDir();
    const file = join(dir, 'f.json');
    writeJsonAtomic(file, { b: 1, a: { d: '中文', c: [2, 1] } });
    expect(readFileSync(file, 'utf8')).toBe(
      '{\n  "a": {\n    "c": [\n      2,\n      1\n    ],\n    "d": "中文"\n  },\n  "b": 1\n}\n',
    );
  });

  it('returns undefined for a missing file', () => {
    expect(readJsonFile(join(tempDir(), 'nope.json'), Schema)).toBeUndefined();
  });

  it('names the file and the JSON path of a schema problem', () => {
    const dir = tempDir();
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ name: 'x', items: [{ n: 1 }, { n: 'two' }] }));
    let error: unknown;
    try {
      readJsonFile(file, Schema);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SchemaError);
    expect((error as SchemaError).message).toContain(file);
    expect((error as SchemaError).message).toContain('items[1].n');
  });

  it('names the file for invalid JSON', () => {
    const dir = tempDir();
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{"name": ');
    expect(() => readJsonFile(file, Schema)).toThrow(
      new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: invalid JSON`),
    );
  });

  it('parseWith reports (root) for a top-level mismatch', () => {
    expect(() => parseWith(Schema, 42, 'x.json')).toThrow(/x\.json: \(root\)/);
  });
});

describe('quarantineFile', () => {
  it('moves the damaged file aside and keeps it', () => {
    const dir = tempDir();
    const file = join(dir, 'memory.json');
    writeFileSync(file, 'garbage');
    const moved = quarantineFile(file);
    expect(moved).toMatch(/memory\.json\.corrupt-\d{8}T\d{6}Z-[0-9a-f]{4}$/);
    expect(existsSync(file)).toBe(false);
    expect(readFileSync(moved!, 'utf8')).toBe('garbage');
  });

  it('returns undefined when the file is already gone', () => {
    expect(quarantineFile(join(tempDir(), 'gone'))).toBeUndefined();
  });
});
