import { describe, expect, it } from 'vitest';
import { lessonTerms, relate, stem } from '../../../src/core/memory/similarity.js';

const rel = (prev: string, next: string) => relate(lessonTerms(prev), lessonTerms(next));

describe('lesson similarity', () => {
  it.each([
    // [existing, new, expected kind]
    ['Use npm', 'Use pnpm from now on', 'supersedes'],
    [
      'Package manager: use npm to install dependencies.',
      'Package manager: use pnpm to install dependencies.',
      'supersedes',
    ],
    ['Use npm for installs', 'Use pnpm instead of npm for installs', 'supersedes'],
    ['Use pnpm, never npm.', 'Use npm for everything', 'supersedes'],
    ['Tests run with jest', 'Tests now run with vitest', 'supersedes'],
    ['Always run the linter before committing', 'Never run the linter before committing', 'supersedes'],
    [
      'Deploy with the staging script first',
      'From now on deploy with the staging script and the canary script first',
      'supersedes',
    ],
    [
      'Package manager: use pnpm for all installs.',
      'Package manager preference: always use pnpm to install packages.',
      'duplicate',
    ],
    ['Run vitest with --run in CI.', 'In CI, run vitest with --run.', 'duplicate'],
    ['Use pnpm, never npm.', 'use PNPM never npm', 'duplicate'],
    ['Use pnpm for installs', 'Run tests with vitest', 'unrelated'],
    ['The API retries back off from 0.5 s', 'Use pnpm from now on', 'unrelated'],
    ['Use npm for installs', 'Use npm for installs', 'duplicate'],
    ['Default branch is main', 'Default branch is master now', 'supersedes'],
    ['Indent with tabs', 'Indent with spaces', 'supersedes'],
    ['Use vitest for unit tests', 'Use npm scripts to build the docs site', 'unrelated'],
  ] as const)('%s → %s: %s', (prev, next, kind) => {
    expect(rel(prev, next).kind).toBe(kind);
  });

  it('says why', () => {
    expect(rel('Use npm', 'Use pnpm from now on').reason).toBe('value_changed:npm→pnpm');
    expect(
      rel('Always run the linter before committing', 'Never run the linter before committing').reason,
    ).toBe('reversed:now_negative');
  });

  it.each([
    ['installs', 'install'],
    ['installing', 'install'],
    ['running', 'run'],
    ['dependencies', 'dependency'],
    ['pnpm', 'pnpm'],
    ['class', 'class'],
  ])('stems %s → %s', (word, out) => {
    expect(stem(word)).toBe(out);
  });
});
