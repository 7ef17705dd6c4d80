/**
 * The fault suite: each case injects a fault a real installation meets (racing hooks,
 * kill -9, damaged files, a full or read-only disk, a misbehaving provider, hostile input) and
 * fails if a suggestion is lost or duplicated or a hook breaks the agent. It runs the built CLI
 * (`dist/`) as Codex and the scheduler do. One file, so the totals line at the end covers all of
 * it: `npm run test:faults` (also part of `npm test`). See test/faults/README.md.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/built.js';
import { tally } from './helpers.js';
import { corruption } from './corruption.js';
import { disk } from './disk.js';
import { harden } from './harden.js';
import { hostile } from './hostile.js';
import { kills } from './kills.js';
import { parallelStops } from './parallel-stops.js';
import { providerFaults } from './provider.js';

beforeAll(() => {
  // The suite spawns dist/: make sure it is built from the current sources (`npm test` and
  // `npm run test:faults` have just built it).
  ensureBuilt();
}, 180_000);

parallelStops();
kills();
corruption();
disk();
providerFaults();
hostile();
harden();

describe('fault suite totals', () => {
  it('lost no suggestion and duplicated none', () => {
    const faults = Object.values(tally.faults).reduce((a, b) => a + b, 0);
    const byKind = Object.entries(tally.faults)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
    const phases = Object.entries(tally.killPhases)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
    console.log(
      [
        `fault suite: ${tally.cases} cases run, ${faults} faults injected, suggestions lost: ${tally.suggestionsLost}`,
        `  faults by kind: ${byKind}`,
        `  suggestions: expected ${tally.suggestionsExpected}, accounted exactly once ${tally.suggestionsAccounted - tally.suggestionsDuplicated}, duplicated ${tally.suggestionsDuplicated}, lost ${tally.suggestionsLost}`,
        ...(phases ? [`  where the kills landed: ${phases}`] : []),
        ...(tally.knownDefects.length
          ? [`  known defects pinned (not fixed here, see the report): ${tally.knownDefects.join('; ')}`]
          : []),
      ].join('\n'),
    );
    expect(tally.cases).toBeGreaterThan(0);
    expect(tally.suggestionsLost).toBe(0);
    expect(tally.suggestionsDuplicated).toBe(0);
  });
});
