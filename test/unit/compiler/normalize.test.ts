import { describe, expect, it } from 'vitest';
import {
  dedupeKey,
  normalizeSkillId,
  recallIdFor,
  SKILL_ID_PATTERN,
  suggestionContent,
} from '../../../src/core/compiler/normalize.js';

describe('dedupeKey', () => {
  it.each([
    ['Use pnpm.', 'use  PNPM'],
    ["Don't push to main!", 'dont push to main'],
    ['Run `npm test` (always)', 'run npm test always'],
    ['ＦＵＬＬ width', 'full width'],
  ])('treats %j and %j as the same content', (a, b) => {
    expect(dedupeKey(a)).toBe(dedupeKey(b));
  });

  it('keeps different words apart and gives punctuation-only text a key', () => {
    expect(dedupeKey('use pnpm')).not.toBe(dedupeKey('use npm'));
    expect(dedupeKey('...')).toBe('...');
    expect(dedupeKey('部署 流程。')).toBe('部署 流程');
  });
});

describe('normalizeSkillId', () => {
  it.each([
    ['Deploy Service', 'deploy-service'],
    ['../../x', 'x'],
    ['../../../etc/passwd', 'etc-passwd'],
    ['Café Déploiement', 'cafe-deploiement'],
    ['--a__b--', 'a-b'],
  ])('%j → %j', (raw, id) => {
    expect(normalizeSkillId(raw)).toBe(id);
  });

  it('derives a stable, valid id for text without any ASCII letter or digit', () => {
    const id = normalizeSkillId('部署流程');
    expect(id).toMatch(/^skill-[0-9a-f]{8}$/);
    expect(normalizeSkillId('  部署流程 ')).toBe(id);
    expect(normalizeSkillId('发布流程')).not.toBe(id);
    expect(normalizeSkillId('../..')).toMatch(/^skill-[0-9a-f]{8}$/);
  });

  it('is undefined only for blank input and always matches the manifest pattern', () => {
    expect(normalizeSkillId('   ')).toBeUndefined();
    for (const raw of ['x'.repeat(200), '-'.repeat(10) + 'a', 'A'.repeat(63) + '-' + 'b', '😀 emoji', '/']) {
      expect(normalizeSkillId(raw)).toMatch(SKILL_ID_PATTERN);
    }
  });
});

describe('recallIdFor and suggestionContent', () => {
  it('gives 12 hex that ignore case, spacing and punctuation', () => {
    expect(recallIdFor('Hello, World')).toMatch(/^[0-9a-f]{12}$/);
    expect(recallIdFor('hello world')).toBe(recallIdFor('Hello,   World!'));
  });

  it('takes the first non-blank of content, note, text, body, else the summary', () => {
    expect(suggestionContent({ content: '  ', note: ' n ' }, 's')).toBe('n');
    expect(suggestionContent({ body: 'b', text: 't' }, 's')).toBe('t');
    expect(suggestionContent({ content: 3 }, ' sum ')).toBe('sum');
  });
});
