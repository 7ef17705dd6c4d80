/**
 * The fifth pass of the local reviewer: mechanisms rather than phrases. A fix of a failure the
 * person reported (in words or pasted) or that failed in an earlier turn, made by a checked edit of
 * a settings file; complaints and descriptions of how things go that are not rules; a later turn's
 * reversal in any wording, which removes the earlier lesson; a fact heard from someone else that the
 * turn's own tool calls confirmed. Each mechanism has probes that must learn and probes that must
 * stay silent, in English and Chinese.
 */
import { describe, expect, it } from 'vitest';
import { reportedFailure } from '../../../src/core/review/local/reported.js';
import { reviewLocally } from '../../../src/core/review/local/review.js';
import { patchOf, type Step, type TurnSpec } from '../../fixtures/rollouts/rollout-builder.js';
import { transcript, ok, fail, say, learnedFrom, learned } from '../../helpers/local-review.js';

/** The memory removes the latest turn of a session proposes (their `old_summary`). */
function removes(turns: TurnSpec[]): string[] {
  return reviewLocally(transcript(turns))
    .memory_updates.filter((item) => item.details.action === 'remove')
    .map((item) => String(item.details.old_summary));
}

describe('fifth pass: the fix of a reported failure', () => {
  it.each<[string, TurnSpec[], string[]]>([
    [
      'a pasted error fixed by a JSON setting',
      [
        {
          user: 'getting this when I hit /upload:\n\nPayloadTooLargeError: request entity too large\n\nfix pls',
          steps: [
            { patch: patchOf('config/server.json', '  "bodyLimit": "100kb",', '  "bodyLimit": "10mb",') },
            ok('npm test', 'Tests: 31 passed, 31 total'),
            say('Raised the body limit to 10mb; tests pass.'),
          ],
        },
      ],
      ['bodyLimit', '10mb', 'config/server.json'],
    ],
    [
      'a failure told in words, fixed in a compose file',
      [
        {
          user: 'the db container keeps failing on the arm macs, it says no matching manifest for linux/arm64',
          steps: [
            { patch: patchOf('docker-compose.yml', '    image: mysql:5.7', '    image: mysql:8.0') },
            ok('docker compose pull db', ' ✔ db Pulled'),
            say('Switched the db image to mysql:8.0, which has an arm64 build; the pull works.'),
          ],
        },
      ],
      ['mysql:8.0', 'docker-compose.yml'],
    ],
    [
      'a Chinese report of a pasted error, fixed in database.yml',
      [
        {
          user: "启动的时候报 Access denied for user 'app'@'localhost'，帮我看看",
          steps: [
            { patch: patchOf('config/database.yml', '  username: app', '  username: app_dev') },
            ok('bin/rails db:migrate:status', ' up     20260101000000  Create users'),
            say('config/database.yml 的用户名改成了 app_dev，现在能连上数据库了。'),
          ],
        },
      ],
      ['app_dev', 'config/database.yml'],
    ],
    [
      'a Chinese failure in words, fixed in package.json',
      [
        {
          user: '本地跑 storybook 一直起不来，说端口 6006 被占用了',
          steps: [
            {
              patch: patchOf(
                'package.json',
                '    "storybook": "storybook dev -p 6006",',
                '    "storybook": "storybook dev -p 6007",',
              ),
            },
            ok('npm run storybook -- --smoke-test', 'Storybook started on http://localhost:6007'),
            say('端口换成了 6007，storybook 可以起来了。'),
          ],
        },
      ],
      ['6007', 'package.json'],
    ],
    [
      'a run that failed two turns before the fix',
      [
        {
          user: 'build it',
          steps: [
            fail('cargo build', 'error: linker `cc` not found\n  = note: No such file or directory'),
            say('The linker is missing.'),
          ],
        },
        { user: 'what do we use on the other machines?', steps: [say('clang, going by the CI image.')] },
        {
          user: 'then set that',
          steps: [
            {
              patch: patchOf(
                '.cargo/config.toml',
                '[target.x86_64-unknown-linux-gnu]',
                '[target.x86_64-unknown-linux-gnu]\nlinker = "clang"',
              ),
            },
            ok('cargo build', '    Finished dev [unoptimized + debuginfo] target(s) in 41.2s'),
            say('Set clang as the linker; the build passes.'),
          ],
        },
      ],
      ['linker = "clang"', '.cargo/config.toml'],
    ],
    [
      'an error pasted in the turn before, fixed after the person agreed',
      [
        {
          user: 'worker logs are full of this:\n\nERROR celery.worker: Task exceeded hard time limit (300s)\n\nwhy?',
          steps: [
            ok('rg -n time_limit config/', 'config/celery.yaml:4:task_time_limit: 300'),
            say(
              'The report task needs about 7 minutes; the hard limit in config/celery.yaml is 300s. Raise it?',
            ),
          ],
        },
        {
          user: 'yes, 900',
          steps: [
            { patch: patchOf('config/celery.yaml', 'task_time_limit: 300', 'task_time_limit: 900') },
            ok('make worker-test', '6 passed'),
            say('Raised to 900s; the worker tests pass.'),
          ],
        },
      ],
      ['task_time_limit: 900', 'config/celery.yaml'],
    ],
    [
      'a fix that installs a package beside the setting',
      [
        {
          user: "tsc says it cannot find name 'process' in the scripts folder",
          steps: [
            ok('npm i -D @types/node', 'added 1 package'),
            { patch: patchOf('tsconfig.json', '    "types": [],', '    "types": ["node"],') },
            ok('npx tsc --noEmit', ''),
            say('Added the node types; tsc is clean.'),
          ],
        },
      ],
      ['npm i -D @types/node', '"types": ["node"]', 'tsconfig.json'],
    ],
    [
      'a Chinese status report fixed in an nginx conf (an address is no switch turned off)',
      [
        {
          user: '线上 nginx 报 502 Bad Gateway，upstream 是 8081',
          steps: [
            {
              patch: patchOf(
                'deploy/nginx.conf',
                '    proxy_pass http://127.0.0.1:8080;',
                '    proxy_pass http://127.0.0.1:8081;',
              ),
            },
            ok('nginx -t -c deploy/nginx.conf', 'syntax is ok'),
            say('改成 8081 了，nginx -t 通过。'),
          ],
        },
      ],
      ['127.0.0.1:8081', 'deploy/nginx.conf'],
    ],
    [
      'an error quoted in the sentence that reports it',
      [
        {
          user: 'the Go build fails in CI with "go: go.mod requires go >= 1.22 (running go 1.21)"',
          steps: [
            {
              patch: patchOf(
                '.github/workflows/ci.yml',
                "          go-version: '1.21'",
                "          go-version: '1.22'",
              ),
            },
            ok('actionlint', ''),
            say('CI now installs Go 1.22.'),
          ],
        },
      ],
      ['go.mod requires go >= 1.22', "go-version: '1.22'"],
    ],
    [
      'a Chinese complaint about a pool, fixed in application.yml (the complaint is no rule)',
      [
        {
          user: '数据库连接池老是不够用，日志报 Connection is not available, request timed out after 30000ms',
          steps: [
            {
              patch: patchOf(
                'src/main/resources/application.yml',
                '      maximum-pool-size: 10',
                '      maximum-pool-size: 30',
              ),
            },
            ok('./mvnw -q test', 'Tests run: 80, Failures: 0'),
            say('连接池调到 30，测试通过。'),
          ],
        },
      ],
      ['maximum-pool-size: 30', 'application.yml'],
    ],
    [
      'a tool that complains, fixed in pyproject.toml',
      [
        {
          user: 'mypy complains about missing stubs for the vendored client every time I run it',
          steps: [
            {
              patch: patchOf(
                'pyproject.toml',
                '[tool.mypy]\nstrict = true',
                '[tool.mypy]\nstrict = true\nignore_missing_imports = true',
              ),
            },
            ok('mypy src', 'Success: no issues found in 42 source files'),
            say('mypy no longer needs stubs for it; clean now.'),
          ],
        },
      ],
      ['ignore_missing_imports = true', 'pyproject.toml'],
    ],
    [
      'a Chinese report checked only by the reply',
      [
        {
          user: '本地 docker 里的服务连不上 redis，一直 connection refused',
          steps: [
            {
              patch: patchOf('docker-compose.yml', '      REDIS_HOST: localhost', '      REDIS_HOST: redis'),
            },
            say('容器里 localhost 指的是容器自己，改成服务名 redis 之后能连上了。'),
          ],
        },
      ],
      ['REDIS_HOST: redis', 'docker-compose.yml'],
    ],
    [
      'a change the person confirmed in the next turn',
      [
        {
          user: 'staging redis rejects writes with "OOM command not allowed when used memory > maxmemory"',
          steps: [
            {
              patch: patchOf('deploy/redis.conf', 'maxmemory 256mb', 'maxmemory 1gb'),
            },
            say('Raised maxmemory to 1gb. Deploy it and try again?'),
          ],
        },
        { user: 'deployed, works now. thanks!', steps: [say('Great.')] },
      ],
      ['maxmemory 1gb', 'deploy/redis.conf'],
    ],
  ])('learns %s', (_name, turns, words) => {
    const found = learnedFrom(turns);
    expect(found).toHaveLength(1);
    for (const word of words) expect(found[0]).toContain(word);
  });

  it.each<[string, TurnSpec[]]>([
    [
      'a reported error fixed in code',
      [
        {
          user: 'the parser crashes on empty input:\nTypeError: Cannot read properties of undefined (reading "length")',
          steps: [
            {
              patch: patchOf('src/parser.ts', '  const n = input.length;', '  const n = input?.length ?? 0;'),
            },
            ok('npm test', 'Tests: 12 passed, 12 total'),
            say('Handled empty input.'),
          ],
        },
      ],
    ],
    [
      'a settings edit nobody checked',
      [
        {
          user: 'emails to gmail keep bouncing with 550 5.7.26 unauthenticated sender',
          steps: [
            { patch: patchOf('config/mail.yml', '  dkim: false', '  dkim: true') },
            say('I turned on DKIM signing. Try sending again and let me know if it still bounces.'),
          ],
        },
      ],
    ],
    [
      'a Chinese report whose check still fails',
      [
        {
          user: '导出报表一直超时，帮我看看',
          steps: [
            { patch: patchOf('config/app.yaml', '  export_timeout: 30', '  export_timeout: 120') },
            fail('make export-test', 'Error: export timed out after 120s'),
            say('超时调大了还是不行，我再看看查询。'),
          ],
        },
      ],
    ],
    [
      'a setting asked for with no failure',
      [
        {
          user: 'set the log level in config/logging.yaml to debug for now',
          steps: [
            { patch: patchOf('config/logging.yaml', 'level: info', 'level: debug') },
            ok('npm test', 'Tests: 8 passed'),
            say('Log level is debug.'),
          ],
        },
      ],
    ],
    [
      'a Chinese report fixed by edits to three files',
      [
        {
          user: '登录接口报 500 了',
          steps: [
            { patch: patchOf('config/auth.yaml', '  issuer: old', '  issuer: new') },
            { patch: patchOf('src/auth/jwt.go', '\treturn sign(claims)', '\treturn signWithKid(claims)') },
            { patch: patchOf('src/auth/keys.go', '\tkid := ""', '\tkid := cfg.Kid') },
            ok('go test ./...', 'ok  \tapp/auth\t0.3s'),
            say('改了配置和两个文件，测试通过。'),
          ],
        },
      ],
    ],
    [
      'the person not finding something (no failure of the software)',
      [
        {
          user: "I can't find where the retry count is set, can you make it 5?",
          steps: [
            { patch: patchOf('config/retry.yaml', 'attempts: 3', 'attempts: 5') },
            ok('npm test', 'Tests: 8 passed'),
            say('It is in config/retry.yaml; now 5.'),
          ],
        },
      ],
    ],
    [
      'a failing test fixed by editing its fixture data',
      [
        {
          user: "test_totals fails with KeyError: 'amount', can you fix it?",
          steps: [
            {
              patch: patchOf(
                'tests/fixtures/order.json',
                '  "total": 10,',
                '  "total": 10,\n  "amount": 10,',
              ),
            },
            ok('pytest -q tests/test_totals.py', '3 passed in 0.2s'),
            say('The fixture lacked `amount`; the test passes.'),
          ],
        },
      ],
    ],
    [
      'a .env created from its example',
      [
        {
          user: 'the app crashes on start: Error: DATABASE_URL is not set',
          steps: [
            {
              patch:
                '*** Begin Patch\n*** Add File: .env\n+DATABASE_URL=postgres://localhost:5432/app\n*** End Patch\n',
            },
            ok('npm start', 'listening on :3000'),
            say('Created .env from .env.example; the app starts.'),
          ],
        },
      ],
    ],
    [
      'a feature turned off after an incident',
      [
        {
          user: 'checkout is broken in prod since the deploy, errors everywhere. kill the new flow',
          steps: [
            { patch: patchOf('config/flags.yaml', 'new_checkout: true', 'new_checkout: false') },
            ok('npm test', 'Tests: 40 passed'),
            say('new_checkout is off; tests pass.'),
          ],
        },
      ],
    ],
    [
      'a change the person says still fails',
      [
        {
          user: 'staging redis rejects writes with "OOM command not allowed when used memory > maxmemory"',
          steps: [
            {
              patch: patchOf('deploy/redis.conf', 'maxmemory 256mb', 'maxmemory 1gb'),
            },
            say('Raised maxmemory to 1gb. Deploy it and try again?'),
          ],
        },
        { user: "deployed, still doesn't work", steps: [say('Looking further.')] },
      ],
    ],
    [
      'a confirmation of a fix its own turn already learned',
      [
        {
          user: 'staging redis rejects writes with "OOM command not allowed when used memory > maxmemory"',
          steps: [
            {
              patch: patchOf('deploy/redis.conf', 'maxmemory 256mb', 'maxmemory 1gb'),
            },
            ok('redis-server deploy/redis.conf --test-memory 1', 'Your memory passed this test.'),
            say('Raised maxmemory to 1gb; the config loads.'),
          ],
        },
        { user: 'works now, thanks', steps: [say('Great.')] },
      ],
    ],
  ])('learns nothing from %s', (_name, turns) => {
    expect(learnedFrom(turns)).toEqual([]);
  });

  it('reads the error from a pasted block, else from the sentence that reports it', () => {
    expect(
      reportedFailure('the browser shows:\n\n504 Gateway Time-out\nnginx\n\ncan you fix it?')?.text,
    ).toBe('504 Gateway Time-out');
    expect(reportedFailure('uploads keep failing since the last deploy, can you look?')?.text).toBe(
      'uploads keep failing since the last deploy',
    );
    expect(reportedFailure('please add a dark mode toggle')).toBeUndefined();
    expect(reportedFailure("I can't find the settings page")).toBeUndefined();
  });
});

describe('fifth pass: complaints are not rules', () => {
  it.each([
    "We always forget to bump the version in two places, it's such a pain.",
    "nobody ever remembers to run the migrations locally and then everyone's confused",
    'the nightly build takes 2 hours and it drives me nuts',
    'Every deploy waits 15 minutes on the approval step.',
    'ugh, the linter complains about every single import order',
    '我们每次上线都要等运维审批半天。',
    '大家总是忘记关掉调试日志，线上全是 debug 输出，烦死了。',
    '每次合并都被 reviewer 卡好几天。',
    '测试环境老是被别的组占用，好烦。',
    'CI 跑一次要 40 分钟，我都无语了。',
    '每次 rebase 都要解决 lockfile 冲突，so annoying',
    '本地 docker 里的服务一直 connection refused。',
    '集成测试老是超时。',
    '每次部署都得手动清缓存，麻烦死了。',
    '上线流程太长了，每次都要走三个审批。',
    'CI 动不动就挂，都是偶发的网络问题。',
    'the e2e job always times out on the first run after a deploy.',
    'our release branch always gets merge conflicts in CHANGELOG.md.',
    'Honestly the test suite is a nightmare to maintain.',
    'Our PR reviews take forever.',
  ])('learns nothing from %s', (text) => {
    expect(learned(text)).toEqual([]);
  });

  it.each<[string, string[]]>([
    [
      'We keep forgetting the changelog, so please add an entry to CHANGELOG.md for every user-facing change.',
      ['CHANGELOG.md'],
    ],
    [
      '老是有人忘了更新 swagger，以后改接口的时候你顺手把 docs/swagger.yaml 也更新一下。',
      ['docs/swagger.yaml'],
    ],
    ['Always run `make lint` before pushing.', ['make lint']],
    ['以后提交前都要跑 pnpm lint。', ['pnpm lint']],
    ["It's painful, but always run the full suite before merging.", ['full suite']],
  ])('still learns the rule in %s', (text, words) => {
    const found = learned(text);
    expect(found).toHaveLength(1);
    for (const word of words) expect(found[0]).toContain(word);
  });
});

describe('fifth pass: a later reversal removes the earlier lesson', () => {
  const session = (first: string, second: string): TurnSpec[] => [
    { user: first, steps: [say('OK.')] },
    { user: second, steps: [say('OK.')] },
  ];

  it.each<[string, string]>([
    [
      'From now on, write all new scripts in TypeScript.',
      "Actually let's stick with plain JS for scripts, no longer TypeScript.",
    ],
    [
      'We deploy with `make deploy-prod` in this repo.',
      'we switched back to the old deploy.sh script, make deploy-prod is gone.',
    ],
    ['以后日志统一用 zap。', '日志还是换回 logrus 吧。'],
    ['We use Jest for all unit tests.', "we moved off Jest last sprint, it's vitest everywhere now."],
    ['以后 PR 标题统一用英文。', 'PR 标题那个规矩作废了，中文也行。'],
    ['From now on use tabs in the Go files.', 'we went with gofmt defaults in the end, forget the tabs.'],
    ['commit message 统一用英文。', 'commit message 还是可以用中文，之前那条不算。'],
    ['Always squash when merging.', 'hmm, merging is fine either way now.'],
    ['以后每个 PR 都要加 changelog。', 'changelog 不需要了，我们改用 release notes 自动生成。'],
    ['接口统一返回 snake_case 字段。', '字段命名那条取消，跟前端商量后还是用 camelCase。'],
  ])('withdraws "%s" after "%s"', (first, second) => {
    const taught = reviewLocally(transcript([{ user: first, steps: [say('OK.')] }])).memory_updates;
    expect(taught).toHaveLength(1);
    expect(removes(session(first, second))).toEqual([taught[0]?.summary]);
  });

  it.each<[string, string]>([
    ['Never use moment in this repo.', "yeah we don't use moment anymore, use date-fns."],
    ['Always use pnpm here.', "the flaky test doesn't need a retry anymore, I fixed the clock."],
    ['以后不要用 float 存金额。', '金额不再用 float 了，都用整数分。'],
    ['In this repo we run the tests with `pnpm test`.', "that flaky test doesn't need the retry anymore."],
    ['以后每次改完代码都跑一下单测。', '那个接口不用再加缓存了。'],
    ['Always run `pnpm lint` before pushing.', 'the lint output is fine now, thanks'],
    ['以后接口文档都写在 docs/api 里。', '接口文档的格式都行，你看着办。'],
  ])('keeps "%s" after "%s"', (first, second) => {
    expect(removes(session(first, second))).toEqual([]);
  });
});

describe('fifth pass: hearsay confirmed by the turn', () => {
  it.each<[string, Step[], string]>([
    [
      'Mia told me the fixtures are under test/fixtures/api now, can you use them for the new test?',
      [ok('ls test/fixtures/api', 'orders.json\nusers.json'), say('Used test/fixtures/api/orders.json.')],
      'test/fixtures/api',
    ],
    [
      '老李告诉我数据库脚本都在 db/migrations 下面，帮我加一个新的。',
      [ok('ls db/migrations', '001_init.sql\n002_users.sql'), say('加了 003。')],
      'db/migrations',
    ],
    [
      'According to Sam, the seeds are in db/seeds now. load them into the dev db',
      [ok('ls db/seeds', 'users.sql\norders.sql'), ok('make seed', 'loaded 2 files'), say('Loaded.')],
      'db/seeds',
    ],
  ])('learns the confirmed fact in %s', (text, steps, path) => {
    const found = learnedFrom([{ user: text, steps }]);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(path);
  });

  it.each<[string, Step[]]>([
    [
      'Sam said the cache lives in var/cache/app now.',
      [ok('npm test', 'Tests: 3 passed'), say('Tests pass.')],
    ],
    [
      'Ken told me the config is in etc/app.yaml, bump the pool size.',
      [
        fail('cat etc/app.yaml', 'cat: etc/app.yaml: No such file or directory'),
        say('etc/app.yaml does not exist.'),
      ],
    ],
    [
      'Priya told me we should put all helpers in lib/helpers.',
      [ok('ls lib/helpers', 'dates.ts'), say('There is one helper there.')],
    ],
    ['小王说我们应该把脚本都放到 scripts/ 下。', [ok('ls scripts', 'build.sh'), say('好的。')]],
    ['听说测试数据在 fixtures/data 里。', [ok('ls fixtures/data', 'a.json'), say('有一个文件。')]],
    ['According to Sam, the cache lives in var/cache/app.', [say('OK.')]],
    ['I heard from the platform team that the charts live in deploy/charts.', [say('OK.')]],
    ['听小王说缓存目录在 var/cache/app。', [say('好的。')]],
  ])('learns nothing from %s', (text, steps) => {
    expect(learnedFrom([{ user: text, steps }])).toEqual([]);
  });
});

describe('fifth pass: prohibitions in a modal, in learner English, or over a named scope', () => {
  it.each<[string, string[]]>([
    ['also no lodash in the frontend package.', ['lodash']],
    ['Please you not use the var, use the let or const always.', ['var']],
    ['For the tests you must not call the real payment API, we use the sandbox always.', ['payment API']],
    ['you should not edit the generated files in gen/.', ['gen/']],
  ])('learns %s', (text, words) => {
    const found = learned(text);
    expect(found).toHaveLength(1);
    for (const word of words) expect(found[0]).toContain(word);
  });

  it.each([
    'you should not have deleted that file.',
    "we shouldn't merge this PR yet.",
    'you should not worry about the flaky test.',
    'we not use it yet, wait for the review.',
    'you must not change this function, it is called from the billing job.',
    'write a docstring for each public method in utils.py',
    'add a log line for every retry in the fetch loop',
    'Add tests for every new function in this PR.',
    'no changes in the api package please.',
  ])('learns nothing from %s', (text) => {
    expect(learned(text)).toEqual([]);
  });
});
