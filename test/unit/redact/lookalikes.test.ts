import { describe, expect, it } from 'vitest';
import { containsSecret, redactText } from '../../../src/core/redact/redact.js';
import { LOOK_ALIKES } from '../../fixtures/secrets/lookalikes.js';

describe('look-alike non-secrets', () => {
  it('has at least 40 look-alikes', () => {
    expect(LOOK_ALIKES.length).toBeGreaterThanOrEqual(40);
  });

  it('keeps every one as it is, and lists every false positive', () => {
    const falsePositives: string[] = [];
    for (const { label, text } of LOOK_ALIKES) {
      const { text: out, counts } = redactText(text);
      if (out !== text || containsSecret(text))
        falsePositives.push(`${label}: ${JSON.stringify(counts)} → ${out.slice(0, 160)}`);
    }
    expect(falsePositives).toEqual([]);
  });

  it('keeps them inside a larger document, raw and JSON-encoded', () => {
    const doc = LOOK_ALIKES.map((l) => l.text).join('\n\n');
    expect(redactText(doc).text).toBe(doc);
    const json = JSON.stringify({ transcript: doc });
    expect(redactText(json).text).toBe(json);
  });
});
