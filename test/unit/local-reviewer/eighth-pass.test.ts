/**
 * The eighth pass of the local reviewer: safety. Probes invented for these tests (none is copied from an
 * evaluation fixture): a clause that points at a command is resolved to the command the turn ran, or
 * nothing; a convention scoped to now is no rule; a fix whose change was a wipe, a typo or that is
 * titled by a traceback header is not learned; a command with a one-off override is not "the way".
 */
import { describe, expect, it } from 'vitest';
import { cleansState, POINTER, SCOPED_TO_NOW } from '../../../src/core/review/local/safety.js';
import { patchOf } from '../../fixtures/rollouts/rollout-builder.js';
import { ok, fail, say, learnedFrom, learned } from '../../helpers/local-review.js';

describe('eighth pass: a clause pointing at a command', () => {
  it.each(['构建就这么跑吧', '以后发布用这个命令', 'build it like this from now on', '直接用這個'])(
    'reads %s as a pointer',
    (text) => {
      expect(POINTER.test(text)).toBe(true);
    },
  );

  it('resolves the pointer to the run the clause names, and to nothing when it names none of several', () => {
    const found = learnedFrom([
      {
        user: '帮我把 schema 的类型生成一下',
        steps: [ok('sqlc generate -f db/sqlc.yaml', ''), ok('go vet ./...', ''), say('生成好了')],
      },
      { user: '好 以后改完 schema 就用这个命令生成', steps: [say('记下了')] },
    ]);
    expect(found).toEqual([]);
    const named = learnedFrom([
      {
        user: '帮我把 schema 的类型生成一下',
        steps: [ok('sqlc generate -f db/sqlc.yaml', ''), ok('go vet ./...', ''), say('生成好了')],
      },
      { user: '好 以后改完 query 就用这个 sqlc 命令生成', steps: [say('记下了')] },
    ]);
    expect(named.some((text) => text.includes('`sqlc generate -f db/sqlc.yaml`'))).toBe(true);
    expect(named.some((text) => /这个|就用|go vet/.test(text))).toBe(false);
  });

  it('resolves an unnamed pointer when every run of the turn is the same tool', () => {
    const found = learnedFrom([
      {
        user: 'the worker does not start',
        steps: [
          fail('cargo run --bin worker', 'Error: config file not found: ./worker.toml'),
          ok('cargo run --bin worker -- --config conf/worker.toml', 'listening on 127.0.0.1:7000'),
          say('it needs the config path'),
        ],
      },
      { user: 'nice, start it like this from now on', steps: [say('ok')] },
    ]);
    expect(found.some((text) => text.includes('`cargo run --bin worker -- --config conf/worker.toml`'))).toBe(
      true,
    );
    expect(found.some((text) => /like this/.test(text))).toBe(false);
  });

  it('learns nothing when the run pointed at forced its way through', () => {
    const found = learnedFrom([
      {
        user: '依赖装不上，帮我看看',
        steps: [
          fail('yarn install', 'error Couldn\'t find any versions for "left-pad" that matches "^9.0.0"'),
          ok('yarn install --ignore-engines', 'Done in 4.2s'),
          say('装好了'),
        ],
      },
      { user: '行 以后装依赖就这么装吧', steps: [say('好')] },
    ]);
    expect(found.filter((text) => /ignore-engines|就这么/.test(text))).toEqual([]);
  });

  it('learns nothing when the last run of the turn failed', () => {
    const found = learnedFrom([
      {
        user: 'start the dev server',
        steps: [fail('make serve PORT=4000', 'make: *** [serve] Error 2'), say('it failed')],
      },
      { user: 'ok run it like this from now on', steps: [say('ok')] },
    ]);
    expect(found).toEqual([]);
  });

  it('never stores the pointer clause as text when nothing ran', () => {
    expect(learned('以后部署就这么弄')).toEqual([]);
    expect(learned('from now on always do it that way')).toEqual([]);
  });
});

describe('eighth pass: a convention scoped to now', () => {
  it.each([
    'only this one endpoint gets the legacy header',
    'just this once skip the changelog',
    '这次先这样，表名先不改',
    'for this PR keep the old client',
  ])('reads %s as scoped to now', (text) => {
    expect(SCOPED_TO_NOW.test(text)).toBe(true);
    expect(learned(text)).toEqual([]);
  });

  it('keeps a standing rule when the scoped words are elsewhere in the message', () => {
    expect(learned('这次顺便说一下，以后这个仓库装包都用 pnpm，不要用 npm').join(' ')).toContain('pnpm');
    expect(
      learned('this time around, a heads up: from now on always use pnpm in this repo, never npm'),
    ).toHaveLength(1);
  });

  it('still learns a standing rule', () => {
    expect(learned('from now on always run the linter before pushing').length).toBeGreaterThan(0);
    expect(SCOPED_TO_NOW.test('以后所有接口都走网关')).toBe(false);
  });
});

describe('eighth pass: fixes that were no durable change', () => {
  it.each([
    ['gradle clean build', true],
    ['bazel clean --expunge', true],
    ['rm -rf ~/.cache/pre-commit', true],
    ['./gradlew build', false],
    ['kratos proto client api/x.proto', false],
  ])('reads %s as cleaning state: %s', (command, expected) => {
    expect(cleansState(command)).toBe(expected);
  });

  it('learns no fix when a clean is what happened between failure and success', () => {
    const found = learnedFrom([
      {
        user: 'the build is broken, fix it',
        steps: [
          fail('cargo build --release', 'error: failed to open object file: No such file or directory'),
          ok('cargo clean', ''),
          ok('cargo build --release', 'Finished release'),
          say('fixed'),
        ],
      },
    ]);
    expect(found.filter((text) => /^Fixing/.test(text))).toEqual([]);
  });

  it('learns no fix of a typo the person called a typo', () => {
    const found = learnedFrom([
      {
        user: 'ugh, the deploy config has a typo somewhere, find it',
        steps: [
          fail('ansible-playbook site.yml --check', "ERROR! 'hostz' is not a valid attribute for a Play"),
          { patch: patchOf('site.yml', '  hostz: web', '  hosts: web') },
          ok('ansible-playbook site.yml --check', 'ok=12 changed=0'),
          say('fixed the typo'),
        ],
      },
    ]);
    expect(found.filter((text) => /^Fixing/.test(text))).toEqual([]);
  });

  it('still learns a settings change that fixed a named error', () => {
    const found = learnedFrom([
      {
        user: 'tests fail to start',
        steps: [
          fail('npx jest', "Cannot find module '@app/util' from 'src/a.test.ts'"),
          {
            patch: patchOf(
              'jest.config.js',
              '  moduleNameMapper: {},',
              "  moduleNameMapper: { '^@app/(.*)$': '<rootDir>/src/$1' },",
            ),
          },
          ok('npx jest', 'Tests: 12 passed'),
          say('fixed'),
        ],
      },
    ]);
    expect(found.some((text) => text.includes('jest.config.js'))).toBe(true);
  });
});

describe('eighth pass: a one-off override is not the way', () => {
  it('learns no command with a one-run override from a turn scoped to today', () => {
    const found = learnedFrom([
      {
        user: '又爆显存了，这次先把 batch 调小跑起来，今天先凑合',
        steps: [
          fail(
            'python train.py -c cfg/det.yml',
            'RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB',
          ),
          ok('python train.py -c cfg/det.yml -o Global.batch_size=8', 'epoch 1 done'),
          say('跑起来了'),
        ],
      },
    ]);
    expect(found.filter((text) => text.includes('batch_size'))).toEqual([]);
  });
});

describe('eighth pass: a stated way that failed', () => {
  it('does not store a command the person named when the session ran it and it never passed', () => {
    const found = learnedFrom([
      {
        user: 'the smoke tests here are run with `npm run smoke -- --headless-legacy`, run them',
        steps: [
          fail('npm run smoke -- --headless-legacy', 'error: unknown option --headless-legacy'),
          say('that option does not exist'),
        ],
      },
    ]);
    expect(found.filter((text) => text.includes('headless-legacy'))).toEqual([]);
  });

  it('still stores it when the run passed', () => {
    const found = learnedFrom([
      {
        user: 'the smoke tests here are run with `npm run smoke -- --headless`, run them',
        steps: [ok('npm run smoke -- --headless', '12 passing'), say('all green')],
      },
    ]);
    expect(found.some((text) => text.includes('npm run smoke -- --headless'))).toBe(true);
  });
});

describe('eighth pass: pointers that must stay silent or resolve', () => {
  const migrate = {
    user: 'run the migrations',
    steps: [ok('bin/rails db:migrate', 'migrated'), say('done')],
  };

  it.each([
    'can you run it like this again tomorrow?',
    "don't do it like that next time",
    '以后别这么跑了',
    '这样跑太慢了吧',
    'hmm why did you run it that way',
    '就这样吧，谢谢',
    '以后就用这个吧',
    'I prefer tests for bugs like this one',
    '按这个改一下',
    '刚才那样不对',
    '照着这个文档改',
    'same as before please',
  ])('stays silent on %s', (text) => {
    expect(learnedFrom([migrate, { user: text, steps: [say('ok')] }])).toEqual([]);
  });

  it('resolves a standing pointer with words between the verb and the pointer', () => {
    const found = learnedFrom([
      migrate,
      { user: 'from now on always run migrations like this', steps: [say('ok')] },
    ]);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('`bin/rails db:migrate`');
    expect(found[0]).not.toContain('like this');
  });

  it.each(['以后迁移就按这个来', '以后跑迁移用刚才那个命令'])(
    'resolves %s to the run, without the pointer',
    (text) => {
      const found = learnedFrom([migrate, { user: text, steps: [say('ok')] }]);
      expect(found).toHaveLength(1);
      expect(found[0]).toContain('`bin/rails db:migrate`');
      expect(found[0]).not.toMatch(/按这个|刚才|来：|就：/);
    },
  );
});
