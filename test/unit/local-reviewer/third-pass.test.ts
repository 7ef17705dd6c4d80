/**
 * The third pass of the local reviewer: a person's own habits, generic statements about a kind of
 * thing, Chinese sentences opened by an English noun, terse corrections borne out by a command,
 * procedures told in sentences, fixes through the file that runs the command; and the guards that
 * keep requests, complaints and states of the moment silent.
 */
import { describe, expect, it } from 'vitest';
import { collectActions, extractCommandLessons } from '../../../src/core/review/local/commands.js';
import { extractPreferences } from '../../../src/core/review/local/preferences.js';
import { procedureOf } from '../../../src/core/review/local/procedures.js';
import { reviewLocally } from '../../../src/core/review/local/review.js';
import { parseRollout } from '../../../src/core/agents/codex/rollout.js';
import type { Transcript } from '../../../src/core/review/types.js';
import { patchOf, rolloutText, type Step, type TurnSpec } from '../../fixtures/rollouts/rollout-builder.js';

function transcript(turns: TurnSpec[]): Transcript {
  return parseRollout(rolloutText({ turns }));
}

function stated(text: string, steps: Step[] = [{ say: 'ok' }]): Array<{ content: string; scope?: string }> {
  return extractPreferences(transcript([{ user: text, steps }])).map((proposal) => ({
    content: proposal.content,
    ...(proposal.scope ? { scope: proposal.scope } : {}),
  }));
}

describe('third pass: what is learned', () => {
  it.each([
    ['fyi I sign everything, so any commit you make for me needs -S', 'user', '-S'],
    ['for the record, I do the pushing myself, you never push for me', 'user', 'pushing myself'],
    ["I'm reading this on my phone most days, so keep your answers to a few lines.", 'user', 'few lines'],
    ['Skip the basics when you explain things to me.', 'user', 'basics'],
    ['one component per file is the rule in this codebase.', 'global', 'component per file'],
    ['Env vars are read through src/config/env.ts only.', 'global', 'src/config/env.ts'],
    ['The docs site is built with mkdocs and deployed from the docs branch.', 'global', 'mkdocs'],
    ['Our API returns snake_case JSON.', 'global', 'snake_case'],
    ['Bear in mind that everything under vendor/ is synced from upstream.', 'global', 'vendor/'],
    ['no emojis in your replies. ever.', 'user', 'emojis'],
    [
      "generally, for anything bigger than a couple of lines, I'd like you to show me the diff and wait for my ok.",
      'user',
      'diff',
    ],
    [
      'since you keep asking: staging is api.staging.example.internal and it resets nightly',
      'global',
      'api.staging',
    ],
    ['commit message 统一用英文', undefined, '统一用英文'],
    ['test 之前要先 docker compose up -d', 'global', 'docker compose up -d'],
  ])('%s', (text, scope, fragment) => {
    const found = stated(text);
    expect(found).toHaveLength(1);
    expect(found[0]?.content).toContain(fragment);
    if (scope !== undefined) expect(found[0]?.scope).toBe(scope);
  });

  it('completes a rule against X with the Y a request swapped it for', () => {
    const [found] = stated(
      "can you swap the moment call in src/slots.ts for dayjs — we don't use moment anywhere in this repo anymore — and then fix the test",
    );
    expect(found?.content).toContain('use dayjs instead');
    expect(found?.content).not.toContain('fix the test');
  });

  it('learns a terse "A, not B" only when the agent then runs A', () => {
    const ran = stated('task, not make. Taskfile since spring.', [
      { sh: 'task fmt', exit: 0, out: '' },
      { say: 'done' },
    ]);
    expect(ran.map((item) => item.content)).toEqual(['Use task, not make: Taskfile since spring.']);
    expect(stated('task, not make. Taskfile since spring.')).toEqual([]);
  });

  it('completes a short answer with the path the agent asked about', () => {
    const found = extractPreferences(
      transcript([
        {
          user: 'turn on the flag',
          steps: [{ say: 'It is in config/flags.yaml and in an old migration. Which one is live?' }],
        },
        { user: 'the yaml. flags moved out of the DB last year', steps: [{ say: 'ok' }] },
      ]),
    );
    expect(found.map((proposal) => proposal.content)).toEqual([
      'Flags moved out of the DB last year; the live one is config/flags.yaml.',
    ]);
  });

  it('reads procedures told in sentences, in one line with 1) 2) 3), and "X goes like this:"', () => {
    expect(
      procedureOf(
        'let me explain how hotfixes work here. You branch from the release tag, not from main. You cherry-pick the fix, bump the patch version, and open the PR. Got it?',
      )?.content,
    ).toBe(
      'Hotfix steps in this repo: 1. branch from the release tag, not from main; 2. cherry-pick the fix; 3. bump the patch version; 4. open the PR.',
    );
    expect(
      procedureOf('Whenever we add an endpoint: 1) write the spec 2) run make gen 3) add a contract test.')
        ?.content,
    ).toBe('To add an endpoint: 1. write the spec; 2. run make gen; 3. add a contract test.');
    expect(
      procedureOf('Releasing goes like this here: bump the version, update the changelog, tag it.')?.summary,
    ).toBe('Release procedure');
    expect(
      procedureOf('for this ticket: 1. rename the model 2. update the serializers 3. fix the specs'),
    ).toBeUndefined();
  });

  it('learns a fix made through the Makefile that runs the failing command, and a config-only fix of a failing test', () => {
    const throughMake = extractCommandLessons(
      collectActions(
        transcript([
          {
            user: 'go test fails',
            steps: [
              {
                sh: 'go test ./...',
                exit: 1,
                out: 'cgo: C compiler "gcc" not found: exec: "gcc": executable file not found in $PATH',
              },
              {
                patch: patchOf('Makefile', 'test:\n\tgo test ./...', 'test:\n\tCGO_ENABLED=0 go test ./...'),
              },
              { sh: 'make test', exit: 0, out: 'ok' },
            ],
          },
        ]),
      ),
    );
    expect(throughMake.map((proposal) => proposal.content)).toEqual([
      expect.stringContaining('to `CGO_ENABLED=0 go test ./...`; after that `make test` passes.'),
    ]);
    const timezone = extractCommandLessons(
      collectActions(
        transcript([
          {
            user: 'the date test is off by 8 hours on my machine',
            steps: [
              {
                sh: 'npm test',
                exit: 1,
                out: ' FAIL  test/daily.test.js\n  ● formats the report date\n    Expected: "00:00"\n    Received: "08:00"',
              },
              { patch: patchOf('package.json', '    "test": "jest",', '    "test": "TZ=UTC jest",') },
              { sh: 'npm test', exit: 0, out: 'Tests: 12 passed' },
            ],
          },
        ]),
      ),
    );
    expect(timezone.map((proposal) => proposal.content)).toEqual([expect.stringContaining('TZ=UTC jest')]);
  });

  it('learns the wrapper and the compose file that worked, and no plain install as a fix', () => {
    const lessons = (steps: Step[]): string[] =>
      extractCommandLessons(collectActions(transcript([{ user: 'go', steps }]))).map(
        (proposal) => proposal.content,
      );
    expect(
      lessons([
        { sh: 'mvn test', exit: 127, out: 'bash: mvn: command not found' },
        { sh: './mvnw test', exit: 0, out: 'BUILD SUCCESS' },
      ]),
    ).toEqual(['To run the tests in this repo, run `./mvnw test`.']);
    expect(
      lessons([
        { sh: 'docker compose up -d', exit: 1, out: 'no configuration file provided: not found' },
        { sh: 'docker compose -f compose.dev.yml up -d', exit: 0, out: 'Started' },
      ]),
    ).toEqual(['To start the local services in this repo, run `docker compose -f compose.dev.yml up -d`.']);
    expect(
      lessons([
        { sh: 'npm test', exit: 1, out: "Error: Cannot find module 'dotenv'" },
        { sh: 'npm install', exit: 0, out: 'added 1 package' },
        { sh: 'npm test', exit: 0, out: 'ok' },
      ]),
    ).toEqual([]);
  });
});

describe('third pass: what stays silent', () => {
  it.each([
    'always the same with this stupid notifications test. rerun it?',
    'I want the signup button blue instead of green, and make it a bit bigger',
    'We use way too much memory in the indexer when it loads big files. can you look at why?',
    'Always fun when prod goes down on a Friday. can you check the logs?',
    "I'd rather you didn't touch that part today, focus on the parser",
    'use the existing helper instead of writing a new one',
    'Every time I run the app it crashes on startup, can you look',
    'All tests pass on my machine but CI fails',
    'Remove the debug prints before you commit this one.',
    'Our staging server is running out of disk. Can you write a script to clean old logs?',
    "We're migrating off Heroku next month, so don't spend time on the Procfile.",
    'Our scheduler sends duplicate emails.',
    "I'd like tests for the new endpoint please.",
    'All the icons in the header are misaligned on Safari, fix them.',
    "I'd like you to fix the login bug",
    'ask me before you push this',
    '这个接口返回太慢了，都要三秒，帮我看看是不是 N+1 查询。',
    '我们这个服务内存一直在涨',
    '今天下午要发版, main 先别动. 你在 feat/export-csv 上继续做 CSV export 就行',
    '上次你改的那个函数有问题，都要重新跑一遍',
  ])('%s', (text) => {
    expect(stated(text)).toEqual([]);
  });

  it('keeps a mostly English lesson from a message with a Chinese word', () => {
    const output = reviewLocally(transcript([{ user: '记得 run lint before push', steps: [{ say: 'ok' }] }]));
    expect(output.memory_updates.map((item) => item.details.content)).toEqual(['Run lint before push.']);
  });
});
