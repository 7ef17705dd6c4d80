/**
 * The lint rule that keeps parsed JSON `unknown` until something checks it: `JSON.parse(...) as T`
 * and an unannotated `const x = JSON.parse(...)` fail in src/, `as unknown` and `: unknown` pass.
 */
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..', '..');

async function restricted(code: string, file = 'src/core/probe.ts'): Promise<number[]> {
  const [result] = await new ESLint({ cwd: ROOT }).lintText(code, { filePath: join(ROOT, file) });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-syntax').map((m) => m.line);
}

describe('no JSON.parse casts in src/', () => {
  it('fails on a cast to a type and on an unannotated parsed value', async () => {
    const code = [
      "export const a = (JSON.parse('{}') as { n?: number }).n;",
      "export const b = JSON.parse('[]') as string[];",
      "const c = JSON.parse('1');",
      'export const d = c;',
    ].join('\n');
    expect(await restricted(code)).toEqual([1, 2, 3]);
  }, 60_000);

  it('keeps the other restricted syntax of src/ (dynamic process imports) alongside', async () => {
    const code = [
      "export const a = JSON.parse('1') as number;",
      "export const b = async () => import('node:child_process');",
    ].join('\n');
    expect(await restricted(code)).toEqual([1, 2]);
    expect(await restricted(code, 'src/core/process/probe.ts')).toEqual([1]);
    expect(await restricted(code, 'src/core/recall/probe.ts')).toEqual([1, 2]);
  }, 60_000);

  it('passes a value read as unknown', async () => {
    const code = [
      "export const a = JSON.parse('{}') as unknown;",
      "export const b: unknown = JSON.parse('[]');",
      'let c: unknown;',
      "c = JSON.parse('1');",
      'export const d = c;',
    ].join('\n');
    expect(await restricted(code)).toEqual([]);
    // Tests may cast what they parse.
    expect(
      await restricted("export const e = JSON.parse('1') as number;", 'test/unit/probe.test.ts'),
    ).toEqual([]);
  }, 60_000);
});
