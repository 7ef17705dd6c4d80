import { describe, expect, it } from 'vitest';
import {
  isCodexInjectedUserText,
  parseRollout,
  parseToolOutput,
} from '../../../src/core/agents/codex/rollout.js';
import {
  clipMiddle,
  DEFAULT_REVIEW_BUDGET_CHARS,
  patchedFiles,
  renderTranscriptForReview,
} from '../../../src/core/review/transcript.js';
import type { Transcript } from '../../../src/core/review/types.js';
import { patchOf, rolloutText, type TurnSpec } from '../../fixtures/rollouts/rollout-builder.js';

function transcriptOf(turns: TurnSpec[]): Transcript {
  return parseRollout(rolloutText({ cwd: '/home/dev/shop', turns }));
}

const earlier: TurnSpec[] = [
  {
    user: 'set up the project and run the tests',
    steps: [
      { sh: 'npm test', exit: 1, out: 'npm ERR! Missing script: "test"' },
      { sh: 'pnpm vitest run', exit: 0, out: 'Test Files  3 passed (3)' },
      { patch: patchOf('src/cart.ts', 'a', 'b') },
      { say: 'Tests pass with pnpm vitest run. I also tidied src/cart.ts.' },
    ],
  },
  {
    user: 'now add a discount field',
    steps: [{ patch: patchOf('src/discount.ts', 'x', 'y') }, { say: 'Added the discount field.' }],
  },
];

describe('renderTranscriptForReview', () => {
  it('shows the latest turn in full and earlier turns condensed with exit codes', () => {
    const transcript = transcriptOf([
      ...earlier,
      {
        user: 'finally, fix the flaky checkout test',
        steps: [
          { sh: 'pnpm vitest run checkout', exit: 0, out: 'ok 1 checkout' },
          { say: 'The flaky test is fixed: the clock is now mocked.' },
        ],
      },
    ]);
    const text = renderTranscriptForReview(transcript);
    expect(text.length).toBeLessThanOrEqual(DEFAULT_REVIEW_BUDGET_CHARS);
    expect(text).toContain('cwd /home/dev/shop');
    expect(text).toContain('## Earlier turns (condensed)');
    expect(text).toContain('[turn 0]\nuser: set up the project and run the tests');
    expect(text).toContain('$ npm test → exit 1');
    expect(text).toContain('$ pnpm vitest run → exit 0');
    expect(text).toContain('patched: src/cart.ts');
    expect(text).toContain('## Latest turn (turn 2, in full)');
    expect(text).toContain('user:\nfinally, fix the flaky checkout test');
    expect(text).toContain(
      'tool shell_command:\n$ pnpm vitest run checkout\nshell_command output (exit 0):\nok 1 checkout',
    );
    expect(text).toContain('assistant:\nThe flaky test is fixed: the clock is now mocked.');
    // The earlier outputs are condensed away; the latest is after the earlier turns.
    expect(text).not.toContain('Missing script');
    expect(text.indexOf('## Earlier turns')).toBeLessThan(text.indexOf('## Latest turn'));
  });

  it('clips a long tool output to its head and tail', () => {
    const huge = `FIRST LINE\n${'noise '.repeat(20_000)}\nLAST LINE: 2 failed`;
    const transcript = transcriptOf([
      { user: 'run the suite', steps: [{ sh: 'pytest', exit: 1, out: huge }, { say: 'two failures' }] },
    ]);
    const text = renderTranscriptForReview(transcript);
    expect(text.length).toBeLessThanOrEqual(DEFAULT_REVIEW_BUDGET_CHARS);
    expect(text).toContain('FIRST LINE');
    expect(text).toContain('LAST LINE: 2 failed');
    expect(text).toMatch(/\[… \d+ chars omitted …\]/);
    expect(text).toContain('assistant:\ntwo failures');
  });

  it('stays within every budget, the latest turn winning over earlier ones', () => {
    const many: TurnSpec[] = Array.from({ length: 40 }, (_, index) => ({
      user: `step ${index}: ${'please do the thing '.repeat(10)}`,
      steps: [
        { sh: `make step${index}`, exit: index % 3 === 0 ? 1 : 0, out: 'output '.repeat(300) },
        { say: `did step ${index}` },
      ],
    }));
    const transcript = transcriptOf([
      ...many,
      { user: 'THE LAST QUESTION', steps: [{ say: 'THE LAST ANSWER' }] },
    ]);
    for (const budget of [300, 1000, 2500, 6000, 24_000, 100_000]) {
      const text = renderTranscriptForReview(transcript, { budgetChars: budget });
      expect(text.length).toBeLessThanOrEqual(budget);
      if (budget >= 1000) {
        expect(text).toContain('THE LAST QUESTION');
        expect(text).toContain('THE LAST ANSWER');
      }
    }
    const medium = renderTranscriptForReview(transcript, { budgetChars: 6000 });
    expect(medium).toMatch(/\[\d+ earlier turns omitted\]/);
    expect(medium).toContain('[turn 39]'); // the most recent earlier turns are the ones kept
    expect(medium).not.toContain('[turn 0]');
    const roomy = renderTranscriptForReview(transcript, { budgetChars: 100_000 });
    expect(roomy).toContain('[turn 0]');
    expect(roomy).not.toContain('omitted]');
  });

  it('is deterministic', () => {
    const transcript = transcriptOf(earlier);
    expect(renderTranscriptForReview(transcript, { budgetChars: 3000 })).toBe(
      renderTranscriptForReview(transcript, { budgetChars: 3000 }),
    );
  });

  it('notes a truncated read and skipped lines, and handles an empty transcript', () => {
    const empty = renderTranscriptForReview({ turns: [], skippedLines: 2, truncated: true });
    expect(empty).toContain('only its tail was read');
    expect(empty).toContain('2 unreadable line(s) skipped');
    expect(empty).toContain('no user or assistant messages');
  });

  it('squeezes an oversized latest turn into the budget instead of dropping it', () => {
    const steps = Array.from({ length: 30 }, (_, index) => ({
      sh: `./check ${index}`,
      exit: 0,
      out: `result ${index} `.repeat(500),
    }));
    const transcript = transcriptOf([
      ...earlier,
      { user: 'check everything', steps: [...steps, { say: 'all 30 checks pass' }] },
    ]);
    const text = renderTranscriptForReview(transcript, { budgetChars: 8000 });
    expect(text.length).toBeLessThanOrEqual(8000);
    expect(text).toContain('check everything');
  });
});

describe('parseToolOutput', () => {
  it('reads the shapes Codex writes', () => {
    expect(parseToolOutput('Exit code: 2\nWall time: 0.3 seconds\nOutput:\nboom')).toEqual({
      output: 'boom',
      exitCode: 2,
    });
    expect(
      parseToolOutput(
        'Chunk ID: ab12\nWall time: 1.0 seconds\nProcess exited with code 0\nOriginal token count: 3\nOutput:\nok\n',
      ),
    ).toEqual({ output: 'ok\n', exitCode: 0 });
    expect(
      parseToolOutput(
        'Chunk ID: ab12\nWall time: 10.0 seconds\nProcess running with session ID 7\nOutput:\nstill going',
      ),
    ).toEqual({ output: 'still going' });
    expect(
      parseToolOutput('{"output":"hello\\n","metadata":{"exit_code":127,"duration_seconds":0.1}}'),
    ).toEqual({ output: 'hello\n', exitCode: 127 });
    expect(parseToolOutput({ output: 'x', metadata: { exit_code: 1 } })).toEqual({
      output: 'x',
      exitCode: 1,
    });
    expect(parseToolOutput({ content: 'failed to parse', success: false })).toEqual({
      output: 'failed to parse',
    });
    expect(
      parseToolOutput([
        { type: 'input_text', text: 'a' },
        { type: 'input_image', image_url: 'data:' },
      ]),
    ).toEqual({ output: 'a\n[image]' });
    expect(parseToolOutput('plain text with Exit code: 3 inside')).toEqual({
      output: 'plain text with Exit code: 3 inside',
    });
    expect(parseToolOutput(undefined)).toEqual({ output: '' });
  });
});

describe('helpers', () => {
  it('recognises Codex-injected user texts but not human ones', () => {
    expect(isCodexInjectedUserText('<environment_context>\n<cwd>/x</cwd>\n</environment_context>')).toBe(
      true,
    );
    expect(isCodexInjectedUserText('<hook_prompt hook_run_id="stop:0">run tests</hook_prompt>')).toBe(true);
    expect(isCodexInjectedUserText('# AGENTS.md instructions for /x\n\n<INSTRUCTIONS>…</INSTRUCTIONS>')).toBe(
      true,
    );
    expect(isCodexInjectedUserText('<div>why is this rendered twice?</div>')).toBe(false);
    expect(isCodexInjectedUserText('always use pnpm')).toBe(false);
  });

  it('lists the files of an apply_patch body', () => {
    const patch =
      '*** Begin Patch\n*** Update File: a.ts\n@@\n-x\n+y\n*** Add File: b/c.ts\n+z\n*** Delete File: d.ts\n*** Update File: e.ts\n*** Move to: f.ts\n*** End Patch';
    expect(patchedFiles(patch)).toEqual(['a.ts', 'b/c.ts', 'd.ts', 'e.ts', 'f.ts']);
  });

  it('clips in the middle within the limit without splitting surrogate pairs', () => {
    const text = '😀'.repeat(200);
    const clipped = clipMiddle(text, 100);
    expect(clipped.length).toBeLessThanOrEqual(100);
    expect(clipped).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
    expect(clipMiddle('short', 100)).toBe('short');
  });
});
