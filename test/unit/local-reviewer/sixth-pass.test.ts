/**
 * The sixth pass of the local reviewer: a procedure the person asked about that the agent carried
 * out with every step passing; entry points named by a toolchain's sub-command; a switch the
 * person vouched for in their own words; no command learned from a run that passed only after
 * local state was wiped in the same line; rules stated mid-sentence in colloquial Chinese. Each
 * mechanism has probes that must learn and probes that must stay silent, in English and Chinese.
 */
import { describe, expect, it } from 'vitest';
import { categoryOf, wipesState, withoutNarrowing } from '../../../src/core/review/local/commands.js';
import { reportedFailure } from '../../../src/core/review/local/reported.js';
import { reviewLocally } from '../../../src/core/review/local/review.js';
import { type TurnSpec } from '../../fixtures/rollouts/rollout-builder.js';
import { transcript, ok, fail, say, learnedFrom, learned } from '../../helpers/local-review.js';

describe('sixth pass: a procedure the agent carried out when asked how', () => {
  it.each<[string, TurnSpec[], string[]]>([
    [
      'how do we …, three make targets, one commit step dropped',
      [
        {
          user: 'how do we refresh the geo fixtures here? go ahead and do it',
          steps: [
            ok('make fixtures-download', 'downloaded 12 files'),
            ok('git add fixtures && git commit -m "fixtures"', '[main 1a2b3c] fixtures'),
            ok('make fixtures-index', 'indexed 12 files'),
            ok('make fixtures-check', 'ok'),
            say('Done.'),
          ],
        },
      ],
      ['make fixtures-download', 'make fixtures-index', 'make fixtures-check'],
    ],
    [
      "what's the process for …",
      [
        {
          user: "what's the process for regenerating the API client? do it please",
          steps: [
            ok('./scripts/fetch-spec.sh', 'wrote openapi.json'),
            ok('npx openapi-typescript openapi.json -o src/api/types.ts', '✨ openapi-typescript 7.4.0'),
            say('Regenerated.'),
          ],
        },
      ],
      ['./scripts/fetch-spec.sh', 'npx openapi-typescript openapi.json -o src/api/types.ts'],
    ],
    [
      'follow the README',
      [
        {
          user: 'set up the search index locally, follow the README',
          steps: [
            ok(
              'cat README.md',
              '## Search\n\n    docker compose up -d opensearch\n    npm run search:create-index\n    npm run search:reindex',
            ),
            ok('docker compose up -d opensearch', 'Started'),
            ok('npm run search:create-index', 'created index products'),
            ok('npm run search:reindex', 'indexed 5120 docs'),
            say('Done.'),
          ],
        },
      ],
      ['npm run search:create-index', 'npm run search:reindex'],
    ],
    [
      'Chinese: 怎么…来着',
      [
        {
          user: '测试数据库怎么重建来着？帮我重建一下',
          steps: [
            ok('make db-drop', 'dropped'),
            ok('make db-create', 'created'),
            ok('make db-seed', 'seeded'),
            say('重建好了。'),
          ],
        },
      ],
      ['make db-drop', 'make db-create', 'make db-seed'],
    ],
    [
      'Chinese: 照文档弄',
      [
        {
          user: '照文档把本地证书生成一下',
          steps: [
            ok(
              'cat docs/dev-certs.md',
              'mkcert -install\nmkcert -cert-file certs/dev.pem -key-file certs/dev-key.pem localhost',
            ),
            ok('mkcert -install', 'installed'),
            ok('mkcert -cert-file certs/dev.pem -key-file certs/dev-key.pem localhost', 'created'),
            say('好了。'),
          ],
        },
      ],
      ['mkcert -install', 'mkcert -cert-file certs/dev.pem'],
    ],
  ])('learns %s', (_name, turns, keywords) => {
    const found = learnedFrom(turns).filter((text) => keywords.every((keyword) => text.includes(keyword)));
    expect(found).toHaveLength(1);
    expect(found[0]).not.toMatch(/git (add|commit)/);
  });

  it.each<[string, TurnSpec[]]>([
    [
      'a step failed',
      [
        {
          user: 'how do we publish the storybook? do it',
          steps: [
            ok('npm run build-storybook', 'built'),
            fail('npm run deploy-storybook', 'Error: 403 Forbidden'),
            say('Deploy failed.'),
          ],
        },
      ],
    ],
    [
      'the person listed the steps as the task',
      [
        {
          user: 'build it, run the tests and then start the server',
          steps: [ok('make build'), ok('make test'), ok('make run'), say('Up.')],
        },
      ],
    ],
    [
      'a question about this one problem',
      [
        {
          user: 'how do I fix this mess? just do it',
          steps: [ok('npm run clean'), ok('npm run build'), say('Fixed.')],
        },
      ],
    ],
    [
      'an explanation, nothing run',
      [
        {
          user: 'how do we deploy here?',
          steps: [
            ok('cat .github/workflows/deploy.yml', 'run: make deploy'),
            say('CI runs make deploy on tags.'),
          ],
        },
      ],
    ],
    [
      'only one-off git steps',
      [
        {
          user: 'how do I squash these commits? do it',
          steps: [
            ok('git reset --soft HEAD~3'),
            ok('git commit -m "feat: x"'),
            ok('git push -f'),
            say('Squashed.'),
          ],
        },
      ],
    ],
    [
      "Chinese: a pointer at the docs about today's task, then the usual checks",
      [
        {
          user: '按文档把分页接口改一下',
          steps: [
            ok('cat docs/api.md', '分页参数用 cursor'),
            ok('pnpm lint', 'ok'),
            ok('pnpm test', 'Tests 88 passed'),
            say('改好了。'),
          ],
        },
      ],
    ],
    [
      'Chinese: the task listed, no question',
      [
        {
          user: '先装依赖，再跑 lint，最后跑测试',
          steps: [ok('pnpm install'), ok('pnpm lint'), ok('pnpm test'), say('都过了。')],
        },
      ],
    ],
    [
      'Chinese: a step failed',
      [
        {
          user: '发版怎么弄来着？你来弄',
          steps: [
            ok('make changelog'),
            fail('make release', 'error: not on main branch'),
            say('失败了，不在 main 上。'),
          ],
        },
      ],
    ],
    [
      'what the agent did today (how did you …)',
      [
        {
          user: 'how did you get the build green? redo it',
          steps: [ok('npm run clean'), ok('npm run build'), say('Same as before.')],
        },
      ],
    ],
    [
      'variants of one command',
      [
        {
          user: 'how do I run a single test here? show me',
          steps: [
            ok('npx jest src/a.test.ts', 'PASS'),
            ok('npx jest -t "formats dates"', 'PASS'),
            say('Either way.'),
          ],
        },
      ],
    ],
    [
      'wiping steps',
      [
        {
          user: 'how do we free up disk space on the runner? do it',
          steps: [
            ok('docker system prune -af', 'Total reclaimed space: 12GB'),
            ok('rm -rf ~/.cache/pip'),
            ok('df -h /', '40% used'),
            say('Freed 12GB.'),
          ],
        },
      ],
    ],
  ])('stays silent on %s', (_name, turns) => {
    expect(learnedFrom(turns).filter((text) => /run in order|依次运行|in order:/.test(text))).toEqual([]);
  });
});

describe('sixth pass: entry points', () => {
  it.each([
    ['deno task test', 'test'],
    ['deno test --allow-read', 'test'],
    ['composer test', 'test'],
    ['composer lint', 'lint'],
    ['php artisan test', 'test'],
    ['vendor/bin/phpunit', 'test'],
    ['bin/rails test', 'test'],
    ['swift test', 'test'],
    ['flutter test', 'test'],
    ['node_modules/.bin/jest', 'test'],
  ])('%s is a %s command', (command, category) => {
    expect(categoryOf(command)).toBe(category);
  });

  it.each([['docker build -t x .'], ['git status'], ['kubectl get pods'], ['php -v']])(
    '%s is no lesson category',
    (command) => {
      expect(categoryOf(command)).toBeUndefined();
    },
  );

  it('drops a trailing one-test selector but keeps a workspace filter', () => {
    expect(withoutNarrowing('composer test -- --filter CouponServiceTest')).toBe('composer test');
    expect(withoutNarrowing('pnpm --filter web test')).toBe('pnpm --filter web test');
  });

  it('learns the entry point that passed after the plain runner failed to start', () => {
    const found = learnedFrom([
      {
        user: 'run the tests',
        steps: [
          fail('vendor/bin/phpunit', 'RuntimeException: A facade root has not been set.'),
          ok('php artisan test', 'Tests:    42 passed (120 assertions)'),
          say('Use php artisan test.'),
        ],
      },
    ]);
    expect(found.filter((text) => text.includes('php artisan test'))).toHaveLength(1);
  });

  it('learns nothing when code was edited between a failing test and the other runner', () => {
    const found = learnedFrom([
      {
        user: 'fix the failing test',
        steps: [
          fail(
            'vendor/bin/phpunit',
            'There was 1 failure:\n1) Tests\\FooTest::testBar\nFailed asserting that 1 matches expected 2.',
          ),
          {
            patch:
              '*** Begin Patch\n*** Update File: src/Foo.php\n@@\n-return 1;\n+return 2;\n*** End Patch\n',
          },
          ok('composer test', 'OK (9 tests)'),
          say('Fixed.'),
        ],
      },
    ]);
    expect(found).toEqual([]);
  });
});

describe('sixth pass: a switch the person vouched for', () => {
  it('learns a hiding-looking switch the person wrote themselves', () => {
    const found = learnedFrom([
      {
        user: 'install the deps',
        steps: [
          fail(
            'composer install',
            'Root composer.json requires PHP extension ext-intl * but it is missing from your system.',
          ),
          say('ext-intl is missing. Install it?'),
        ],
      },
      {
        user: 'no, locally we always pass --ignore-platform-req=ext-intl, remember that',
        steps: [
          ok('composer install --ignore-platform-req=ext-intl', 'Generating autoload files'),
          say('Installed.'),
        ],
      },
    ]);
    expect(
      found.filter((text) => text.includes('composer install --ignore-platform-req=ext-intl')),
    ).toHaveLength(1);
  });

  it.each<[string, string, string]>([
    ['a switch the agent chose', 'install the deps', 'composer install --ignore-platform-reqs'],
    ['a forcing switch even when named', 'just use --force, whatever', 'npm install --force'],
    [
      'a switch the person warned against',
      "don't use --ignore-platform-reqs, install the extension",
      'composer install --ignore-platform-reqs',
    ],
    ['Chinese: 别加', '别加 --ignore-platform-reqs 这个参数', 'composer install --ignore-platform-reqs'],
  ])('stays silent on %s', (_name, user, command) => {
    const found = learnedFrom([
      {
        user,
        steps: [
          fail(
            command.split(' ').slice(0, 2).join(' '),
            'npm error code ERESOLVE\nnpm error ERESOLVE unable to resolve dependency tree\nYour requirements could not be resolved: missing extension.',
          ),
          ok(command, 'done'),
          say('Installed.'),
        ],
      },
    ]);
    expect(found.filter((text) => text.includes(command))).toEqual([]);
  });
});

describe('sixth pass: a run that passed after local state was wiped', () => {
  it.each([
    ['rm -rf .next && npm run build', true],
    ['git clean -fdx && make', true],
    ['cp config/sample.yml config/local.yml && make test', true],
    ['npm cache clean --force && npm ci', true],
    ['go clean -modcache && go build ./...', true],
    ['docker system prune -f && docker compose up -d', true],
    ['NODE_OPTIONS=--max-old-space-size=4096 npm run build', false],
    ['npm run build | tail -n 20', false],
    ['cd web && npm test', false],
  ])('%s wipes state: %s', (command, expected) => {
    expect(wipesState(command)).toBe(expected);
  });

  it.each<[string, string, string, string]>([
    [
      'English',
      'the build broke, fix it',
      'rm -rf ~/.gradle/caches && ./gradlew build --refresh-dependencies',
      'gradlew',
    ],
    ['Chinese', '打包挂了，看看', 'rm -rf node_modules/.cache && CACHE=false npm run build', 'CACHE=false'],
  ])('learns no command in %s', (_name, user, success, word) => {
    const found = learnedFrom([
      {
        user,
        steps: [
          fail(
            success.split(' && ')[1]?.split(' ')[0] === 'CACHE=false' ? 'npm run build' : './gradlew build',
            'Error: zip END header not found',
          ),
          ok(success, 'BUILD SUCCESSFUL'),
          say('Cleared the cache; it builds.'),
        ],
      },
    ]);
    expect(found.filter((text) => text.includes(word))).toEqual([]);
  });
});

describe('sixth pass: rules stated mid-sentence in colloquial Chinese', () => {
  it.each([
    ['那个接口改完了吧？还有，以后新加的接口都要写 OpenAPI 注释', 'OpenAPI'],
    ['记一下：咱们这边的 staging 库是只读的，别往里写数据', 'staging'],
    ['这个仓库的提交信息别再写中文了，统一英文', '英文'],
    ['咱们这边日志统一用 zap，别用标准库的 log', 'zap'],
    ['对了，以后改完 proto 都要跑一下 buf lint', 'buf lint'],
    ['记住，这个服务的端口是 8087，不是 8080', '8087'],
  ])('learns %s', (text, keyword) => {
    expect(learned(text).filter((item) => item.includes(keyword))).toHaveLength(1);
  });

  it.each([
    ['还有，这个函数的注释也顺便改一下'],
    ['这个仓库先别动，等我回来再说'],
    ['咱们这边今天先别部署了'],
    ['记一下这个报错我明天再看'],
    ['以后再说吧，先把这个 bug 修了'],
  ])('stays silent on %s', (text) => {
    expect(learned(text)).toEqual([]);
  });
});

describe('sixth pass: a pointer back at the statement before it', () => {
  it.each([
    [
      'this repo always runs with AWS_PROFILE=infra-admin, sandbox is for the playground. remember that',
      'AWS_PROFILE=infra-admin',
    ],
    ['the staging db is refreshed from prod every sunday night. remember this for next time', 'sunday night'],
    ['我的习惯：commit message 都用英文，subject 不超过 50 个字符。以后都按这个来', '50 个字符'],
    ['发版分支都从 release/ 开头，hotfix 从 main 拉。记一下', 'release/'],
  ])('learns the statement before %s', (text, keyword) => {
    const found = learned(text);
    expect(found.filter((item) => item.includes(keyword))).toHaveLength(1);
    expect(found.join(' ')).not.toMatch(/remember (that|this)|记一下|按这个来/);
  });

  it.each([
    ['can you fix the login? remember that'],
    ['fix the flaky test in utils. remember that'],
    ['我今天要早点走。记一下'],
    ['帮我把这个接口改一下。记住'],
    ['remember that so I stop getting this question'],
    ['以后都按这个来'],
  ])('stays silent on %s', (text) => {
    expect(learned(text)).toEqual([]);
  });
});

describe('sixth pass: a pointer after a procedure', () => {
  it('keeps the procedure one recall note, with no memory fact beside it', () => {
    const output = reviewLocally(
      transcript([
        {
          user: '我们发版的流程是这样的：先 make changelog 生成变更，然后 make build 打包，再 make smoke 冒烟。你照这个来',
          steps: [say('好的。')],
        },
      ]),
    );
    expect(output.memory_updates).toEqual([]);
    expect(output.recall_candidate).toHaveLength(1);
  });
});

describe('sixth pass: a statement scoped to this repository that always holds', () => {
  it.each([
    [
      'fyi the notebooks in this repo only ever read from the snapshot at /mnt/lake/snapshots/latest',
      '/mnt/lake/snapshots/latest',
    ],
    [
      'the tests in this repo only ever use the fake clock from test/support/clock.ts',
      'test/support/clock.ts',
    ],
    ['这个项目里前端只调 /api/v2 的接口', '/api/v2'],
    ['这个仓库的配置都放在 config/ 下面', 'config/'],
    ['what we do instead: run maven with -s .mvn/ci-settings.xml, every time.', '-s .mvn/ci-settings.xml'],
  ])('learns %s', (text, keyword) => {
    expect(learned(text).filter((item) => item.includes(keyword))).toHaveLength(1);
  });

  it.each([
    ['the tests in this repo always take forever to run'],
    ['everything in this repo is always broken after a merge'],
    ['the CI in this project always times out on fridays'],
    ['last time the deploy in this repo only took 5 minutes'],
    ['Sometimes I wish we always used strict mode in this repo, but the legacy code makes it impossible.'],
    ['I think the tests in this repo only run on linux'],
    ['这个仓库的测试每次都要跑半小时'],
    ['这个项目的文档从来没人更新'],
    ['要是这个仓库都用 TypeScript 就好了'],
    ['what we do here?'],
  ])('stays silent on %s', (text) => {
    expect(learned(text)).toEqual([]);
  });
});

describe('sixth pass: failure states named the way the platform names them', () => {
  it.each([
    ['the worker pod is in CrashLoopBackOff since the deploy'],
    ['prod 上的 pod 一直 OOMKilled，帮我调一下'],
    ['the importer segfaults on big files'],
    ['the job exits with exit code 137 halfway through'],
  ])('%s reports a failure', (text) => {
    expect(reportedFailure(text)).toBeDefined();
  });

  it.each([
    ['the pod restarted fine after the deploy'],
    ['exit code 0, all good'],
    ['扩容以后 pod 都起来了'],
  ])('%s reports none', (text) => {
    expect(reportedFailure(text)).toBeUndefined();
  });
});

describe('sixth pass: guards written from probes of what a fresh batch may hold', () => {
  it.each([
    ['the bug in this repo only happens in src/date/format.ts on Safari'],
    ['这个仓库的问题都出现在 src/legacy/ 下面'],
  ])('a scoped report of a bug is no fact: %s', (text) => {
    expect(learned(text)).toEqual([]);
  });

  it.each([['the 2.4 release goes out on friday. remember that'], ['下周三冻结 release/2.4 分支。记一下']])(
    'a date to keep in mind is no lesson: %s',
    (text) => {
      expect(learned(text)).toEqual([]);
    },
  );

  it('an inspection is not a step of a carried-out procedure', () => {
    const found = learnedFrom([
      {
        user: 'how do we check the canary here? do it',
        steps: [
          ok('kubectl -n shop get pods -l track=canary', 'shop-canary-1   Running'),
          ok('kubectl -n shop logs deploy/shop-canary --tail=50', 'GET /health 200'),
          say('Canary looks healthy.'),
        ],
      },
    ]);
    expect(found.filter((text) => /in order/.test(text))).toEqual([]);
  });

  it('a question about my own machine is not the way of the repository', () => {
    const found = learnedFrom([
      {
        user: 'how do I switch my node version to 20? do it',
        steps: [ok('nvm install 20'), ok('corepack enable'), say('Done.')],
      },
    ]);
    expect(found.filter((text) => /in order/.test(text))).toEqual([]);
  });

  it('a switch allowed this once is not vouched for', () => {
    const found = learnedFrom([
      {
        user: 'install the deps',
        steps: [
          fail('composer install', 'requires PHP extension ext-intl * but it is missing from your system.'),
          say('ext-intl is missing.'),
        ],
      },
      {
        user: 'just pass --ignore-platform-req=ext-intl this once, I will install it later',
        steps: [
          ok('composer install --ignore-platform-req=ext-intl', 'Generating autoload files'),
          say('Installed.'),
        ],
      },
    ]);
    expect(found.filter((text) => text.includes('--ignore-platform-req=ext-intl'))).toEqual([]);
  });
});

describe('sixth pass: Chinese lead-ins and the repository as the scope of 统一/一律', () => {
  it.each([
    ['顺便说一句，这个仓库的单测都放在 tests/unit 下面，别放 src 里', '这个仓库的单测都放在 tests/unit 下面'],
    ['这个接口改完了。另外提一句，我们这边金额一律用分存，不用元', '我们这边金额一律用分存'],
    ['记一下，staging 的数据库每周日晚上会重置', 'staging 的数据库'],
    ['对了，这个项目里 mock 数据统一放 __mocks__ 目录', '__mocks__'],
    ['这个仓库一律用 tab 缩进', 'tab 缩进'],
  ])('learns %s without its lead-in', (text, start) => {
    const found = learned(text);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(start);
    expect(found[0]).not.toMatch(/说一句|提一句|记一下|对了/);
  });

  it.each([['这个函数统一用 async 写'], ['这次统一改成 v2'], ['顺便说一句，今天先别合并']])(
    'stays silent on %s',
    (text) => {
      expect(learned(text)).toEqual([]);
    },
  );
});
