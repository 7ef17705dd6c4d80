/**
 * `memory/usage.json` is read without zod (usage.ts is on the hook path): the reader agrees with
 * the schema.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageTotalsSchema } from '../../../src/core/memory/schema.js';
import { readUsageTotals, readUsageTotalsEntry, usageTotalsPath } from '../../../src/core/memory/usage.js';

function agree(raw: unknown): void {
  const parsed = UsageTotalsSchema.safeParse(raw);
  expect(readUsageTotalsEntry(raw), JSON.stringify(raw)).toEqual(parsed.success ? parsed.data : undefined);
}

describe('usage totals', () => {
  const full = {
    injected_count: 3,
    last_injected_at: '2026-12-01T00:00:00Z',
    recalled_count: 0,
    last_recalled_at: '2026-12-02T00:00:00Z',
    later_field: 1,
  };

  it('the reader agrees with UsageTotalsSchema field by field', () => {
    agree(full);
    agree({});
    const values: unknown[] = [undefined, null, '', 'x', -1, 0, 1.5, 7, true, [], {}];
    for (const field of Object.keys(UsageTotalsSchema.shape))
      for (const value of values) agree({ ...full, [field]: value });
    for (const raw of [null, 'x', 3, [], [full]]) {
      agree(raw);
      expect(readUsageTotalsEntry(raw)).toBeUndefined();
    }
  });

  it('a damaged or foreign-shaped file reads as empty or skips the bad entries, never throws', () => {
    const dir = mkdtempSync(join(tmpdir(), 'csep-usage-read-'));
    mkdirSync(dir, { recursive: true });
    const write = (text: string) => writeFileSync(usageTotalsPath(dir), text);
    expect(readUsageTotals(dir).size).toBe(0); // missing
    for (const text of ['{"m-1": {"injected', '[1, 2]', '"text"', 'null']) {
      write(text);
      expect(readUsageTotals(dir).size, text).toBe(0);
    }
    write(
      JSON.stringify({ 'm-1': full, 'm-2': 'seven', 'm-3': { injected_count: 'many', recalled_count: 2 } }),
    );
    const totals = readUsageTotals(dir);
    expect([...totals.keys()]).toEqual(['m-1', 'm-3']);
    expect(totals.get('m-3')).toEqual({ recalled_count: 2 });
  });
});
