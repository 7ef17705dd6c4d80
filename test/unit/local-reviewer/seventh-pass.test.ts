/**
 * The seventh pass of the local reviewer, mechanism by mechanism, with probes invented for these
 * tests (none is copied from an evaluation fixture): a fix whose change is a tool's settings file
 * after a failure the turn shows, named by the error line that says what is wrong; commands kept
 * with the part that matters; a linter that passed after rewriting the code teaches no switch;
 * statements handed over with a lead, definitions of done, the new way after the old one is dropped,
 * Traditional Chinese; procedures stated as "we always do it this way" or kept after the agent ran
 * them; a rule completed with the command that ran; and what must stay silent: a request to keep an
 * earlier lesson, "this pattern" in a question, news handed over with a lead, where today's piece of
 * work goes, a rule against a switch.
 */
import { describe, expect, it } from 'vitest';
import {
  categoryOf,
  errorLine,
  forcesThrough,
  isConfigFile,
  isReadOnly,
  quietError,
  withoutNarrowing,
} from '../../../src/core/review/local/commands.js';
import { reportedFailure } from '../../../src/core/review/local/reported.js';
import { reviewLocally } from '../../../src/core/review/local/review.js';
import { readingForm } from '../../../src/core/review/local/text.js';
import { patchOf, type TurnSpec } from '../../fixtures/rollouts/rollout-builder.js';
import { transcript, ok, fail, say, learnedFrom, learned } from '../../helpers/local-review.js';

/** Everything proposed over a session, each turn reviewed in order as the Stop hook would. */
function learnedOverSession(turns: TurnSpec[]): string[] {
  return turns.flatMap((_, index) => learnedFrom(turns.slice(0, index + 1)));
}

describe('seventh pass: fixes read from the evidence', () => {
  it('names a failure by the line that says what is wrong, not by the line that says where', () => {
    const output = [
      '==================================== ERRORS ====================================',
      'ERROR tests/billing/test_invoice.py',
      "E       fixture 'ledger_db' not found",
      'ERROR tests/billing/test_invoice.py',
    ].join('\n');
    expect(errorLine(output)?.line).toContain("fixture 'ledger_db' not found");
    expect(errorLine('FATAL: password authentication failed for user "app"')?.line).toContain(
      'password authentication failed',
    );
  });

  it.each([
    ['.eslintrc.cjs', true],
    ['.stylelintrc.js', true],
    ['.storybook/main.ts', true],
    ['web/.vitepress/config.mts', true],
    ['Assets/Game/Game.Core.asmdef', true],
    ['src/main.ts', false],
    ['src/routes/index.tsx', false],
    ['.github/scripts/notify.js', false],
  ])('reads %s as a settings file: %s', (file, expected) => {
    expect(isConfigFile(file)).toBe(expected);
  });

  it('does not take a denied failure word for the failure', () => {
    const failure = reportedFailure(
      'the import job hangs right after it connects. no error at all, it just sits there',
    );
    expect(failure?.text).toContain('hangs');
    expect(failure?.text).not.toMatch(/^no error/);
    expect(reportedFailure('no errors anywhere, looks fine to me')).toBeUndefined();
    expect(reportedFailure('没有报错，就是页面一直转圈')).toBeUndefined();
  });

  it('reads a status code after a verb and values that come back null as failures, and not a count', () => {
    expect(reportedFailure('上传头像的接口一调就 502，日志里看不出什么')).toBeDefined();
    expect(reportedFailure('the order totals come back null since the upgrade')).toBeDefined();
    expect(reportedFailure('我们有 500 个租户，帮我估一下存储')).toBeUndefined();
    expect(reportedFailure('hang on, let me grab the config first')).toBeUndefined();
  });

  it('keeps an error code when a long error line is shortened', () => {
    const line =
      'error CS8618: Warning As Error: Non-nullable property Name must contain a non-null value when exiting the constructor. Consider declaring the property as nullable or adding the required modifier to it.';
    expect(quietError(line)).toContain('CS8618');
  });

  const reportedSettingsFix: TurnSpec[] = [
    {
      user: 'the queue worker hangs on startup on the new cluster, no error at all, it just sits there',
      steps: [
        ok('cat deploy/worker.toml', '[broker]\nurl = "redis://localhost:6379/0"'),
        {
          patch: patchOf(
            'deploy/worker.toml',
            'url = "redis://localhost:6379/0"',
            'url = "redis://redis.queue.svc:6379/0"',
          ),
        },
        ok(
          'kubectl -n jobs rollout restart deploy/worker && kubectl -n jobs rollout status deploy/worker --timeout 90s',
          'deployment "worker" successfully rolled out',
        ),
        say('The worker pointed at localhost; it now uses the in-cluster redis service and starts.'),
      ],
    },
  ];

  it('learns a settings change after a reported hang, titled by the changed file, not by the raw words', () => {
    const found = learnedFrom(reportedSettingsFix);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('redis://redis.queue.svc:6379/0');
    expect(found[0]).toContain('Fix in `worker.toml`');
    expect(found[0]).not.toMatch(/Fixing no error/);
  });

  it('names no check that is not a known kind of run (a one-time job with its own arguments)', () => {
    const found = learnedFrom([
      {
        user: 'the training job dies with CUDA out of memory on the big nodes',
        steps: [
          { patch: patchOf('jobs/train.sbatch', 'export BATCH=64', 'export BATCH=32') },
          ok('sbatch --wait jobs/train.sbatch --max-steps 20', 'Submitted batch job 4412\ndone'),
          say('Halved the batch size in jobs/train.sbatch; a 20-step run completes.'),
        ],
      },
    ]);
    expect(found.join('\n')).toContain('export BATCH=32');
    expect(found.join('\n')).not.toContain('--max-steps 20');
  });

  it('learns a fix in two configuration steps against the same error, naming both changes', () => {
    const error = 'Error: Cannot find module "@shop/ui" imported from src/cart.ts';
    const found = learnedFrom([
      {
        user: 'tests broke after moving the ui package',
        steps: [
          fail('npx vitest run', error),
          { patch: patchOf('tsconfig.json', '"@shop/ui": ["packages/ui"]', '"@shop/ui": ["libs/ui"]') },
          fail('npx vitest run', error),
          { patch: patchOf('vitest.config.ts', "'@shop/ui': 'packages/ui'", "'@shop/ui': 'libs/ui'") },
          ok('npx vitest run', 'Test Files  8 passed (8)'),
          say('Both the tsconfig paths and the vitest alias pointed at the old folder.'),
        ],
      },
    ]);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('tsconfig.json');
    expect(found[0]).toContain('vitest.config.ts');
  });

  it('stays silent when the second edit was code (progress on the task, not a setup fix)', () => {
    const error = 'Error: Cannot find module "@shop/ui" imported from src/cart.ts';
    const found = learnedFrom([
      {
        user: 'tests broke after moving the ui package',
        steps: [
          fail('npx vitest run', error),
          { patch: patchOf('tsconfig.json', '"@shop/ui": ["packages/ui"]', '"@shop/ui": ["libs/ui"]') },
          fail('npx vitest run', error),
          {
            patch: patchOf(
              'src/cart.ts',
              "import { Button } from '@shop/ui';",
              "import { Button } from '../libs/ui';",
            ),
          },
          ok('npx vitest run', 'Test Files  8 passed (8)'),
          say('Done.'),
        ],
      },
    ]);
    expect(found.join('\n')).not.toContain('src/cart.ts');
  });

  it('never takes a hardware or scheduler query for a fix step', () => {
    for (const command of [
      'nvidia-smi --query-gpu=name --format=csv',
      'sinfo -p gpu',
      'ip -br addr',
      'lscpu',
    ]) {
      expect(isReadOnly(command)).toBe(true);
    }
  });
});

describe('seventh pass: commands with the part that matters', () => {
  it.each([
    ['make unit', 'test'],
    ['make itest', 'test'],
    ['npx nx test @acme/web', 'test'],
    ['pnpm turbo run lint', 'lint'],
    ['xcodebuild test -scheme Ferry -destination "platform=iOS Simulator,name=iPhone 15"', 'test'],
    ['./tools/bin/sail test', 'test'],
  ])('knows what %s does', (command, category) => {
    expect(categoryOf(command)).toBe(category);
  });

  it('keeps a category filter and a scoped project, drops one test of the day', () => {
    expect(withoutNarrowing('dotnet test Ferry.sln --filter TestCategory!=Slow')).toBe(
      'dotnet test Ferry.sln --filter TestCategory!=Slow',
    );
    expect(withoutNarrowing('dotnet test Ferry.sln --filter FareCalculatorTests')).toBe(
      'dotnet test Ferry.sln',
    );
    expect(withoutNarrowing('npx nx test @acme/web')).toBe('npx nx test @acme/web');
  });

  it('learns the Makefile target that exists after a target that does not', () => {
    const found = learnedFrom([
      {
        user: 'run the unit tests',
        steps: [
          { sh: 'make tests', exit: 2, out: "make: *** No rule to make target 'tests'.  Stop." },
          ok('grep -n "^[a-z-]*:" Makefile', '4:build:\n9:unit:\n14:lint:'),
          ok('make unit', 'ok  \tferry/fares\t0.41s'),
          say('The target is `make unit`; it passes.'),
        ],
      },
    ]);
    expect(found.join('\n')).toContain('`make unit`');
  });

  it('teaches no switch when a linter passed only after rewriting the code', () => {
    const found = learnedFrom([
      {
        user: 'lint is red, fix it',
        steps: [
          fail(
            'npx eslint src',
            'src/a.ts\n  3:1  error  Expected indentation of 2 spaces  indent\n\n✖ 1 problem',
          ),
          ok('npx eslint src --fix', ''),
          say('Autofixed.'),
        ],
      },
    ]);
    expect(found).toEqual([]);
  });

  it('still learns a switch that is what the repository needs', () => {
    const found = learnedFrom([
      {
        user: 'run the go tests',
        steps: [
          fail(
            'go test ./...',
            'store/fts.go:12:2: undefined: sqlite3.FTS5\nFAIL\tferry/store [build failed]',
          ),
          ok('go test -tags sqlite_fts5 ./...', 'ok  \tferry/store\t0.2s'),
          say('They need the sqlite_fts5 build tag.'),
        ],
      },
    ]);
    expect(found.join('\n')).toContain('-tags sqlite_fts5');
  });
});

describe('seventh pass: statements handed over, done, replaced, in Traditional Chinese', () => {
  it.each([
    'rename the helper. just so you know, builds here always run with NODE_OPTIONS=--max-old-space-size=4096',
    'fyi the payments sandbox lives at https://sandbox.pay.example.dev/v3, never the live host',
    '帮我加个字段。跟你说下，我们这边的枚举都定义在 common/enums/ 下面，不要在业务模块里再定义',
  ])('learns a statement handed over with a lead: %s', (text) => {
    expect(learned(text)).toHaveLength(1);
  });

  it.each([
    'fyi I pushed the fix to src/app.ts already',
    'just so you know, the build is broken again',
    "FYI I'm out tomorrow, so finish the migration today",
    '跟你说下，我刚把 config/app.yaml 改了',
    'FYI this PR touches src/api/users.ts and src/api/auth.ts',
    'fyi the logs are in /tmp/run.log',
    'just so you know, my laptop only has 8GB RAM',
  ])('stays silent on news handed over with a lead: %s', (text) => {
    expect(learned(text)).toEqual([]);
  });

  it('learns a definition of done, and not a deadline', () => {
    expect(learned("a PR in this repo isn't finished until make check comes back clean")).toHaveLength(1);
    expect(learned("the PR isn't finished until tomorrow")).toEqual([]);
    expect(learned("a PR isn't done until tomorrow's demo")).toEqual([]);
    expect(learned('nothing is finished until Friday')).toEqual([]);
  });

  it.each([
    '補充一下，這個問題只有在 Windows 上才會出現',
    'keep in mind this is just a prototype',
    'note that the output below is from my laptop',
    'tests are failing on main again, can you take a look',
    '之后我们再讨论要不要换 ORM',
    'FYI the API returns 500 when the cart is empty, see src/cart/handler.ts',
    '之後幫我把 README 的錯字改一下',
    "heads up, I already added REDIS_URL to .env.local, so you don't need to",
    'we no longer use that helper. now delete it and fix the imports',
    '我们前端的同学都在休假',
    'fyi, src/legacy is going away next quarter',
    'the way we do this is kind of dumb, but whatever',
    'the retry wrapper goes in src/net/retry.ts, add it there',
  ])('stays silent on what only looks like a handed-over rule: %s', (text) => {
    expect(learned(text)).toEqual([]);
  });

  it('learns the new way stated after the old one is dropped, whole', () => {
    const found = learned(
      'we dropped the old release branch flow. these days we tag main directly and the pipeline publishes. now fix the typo in README.md',
    );
    expect(found.join('\n')).toContain('tag main directly');
    expect(found.join('\n')).not.toContain('typo');
    // "now run the tests" after it is today's task, not the new way.
    expect(learned('the old script is gone. now run the tests').join('\n')).not.toContain('run the tests');
  });

  it('reads Traditional Chinese with the same cues, and keeps the person’s characters', () => {
    const found = learned('以後提交訊息請用英文寫');
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('提交訊息');
    expect(readingForm('以後請這樣寫')).toBe('以后请这样写');
    expect(readingForm('部署之后跑一下冒烟测试')).toBe('部署之后跑一下冒烟测试');
    expect(learned('部署之后跑一下冒烟测试')).toEqual([]);
  });

  it('learns the new way after "we used to" and in the same sentence as the dropped rule', () => {
    expect(
      learned('we used to ship with fabric, that is gone. now releases go through the tag pipeline').join(
        '\n',
      ),
    ).toContain('tag pipeline');
    expect(
      learned('之前那条合并前要两个人 review 的规矩不用了，现在一个 approve 就能合').join('\n'),
    ).toContain('一个 approve');
    expect(learned('我们以前用 jenkins，现在帮我看下这个报错')).toEqual([]);
  });

  it('takes no next task or lucky result for the new way', () => {
    expect(
      learned('we no longer need the debug flag. now let’s look at the failing test').join('\n'),
    ).not.toContain('failing test');
    expect(learned('the bug is gone. now the page loads in 2s')).toEqual([]);
    expect(learned('好的，之后我再看看这个问题')).toEqual([]);
  });

  it('reads "the way we do <topic> here is …" with its topic, and not an opinion about it', () => {
    expect(
      learned('the way we do migrations here is one file per change under db/migrations').join('\n'),
    ).toContain('Migrations: one file per change under db/migrations');
    expect(learned('the way we do releases here is weird honestly')).toEqual([]);
  });

  it('reads a habit after "thing about me:"', () => {
    expect(
      learned(
        'quick thing about me: I mostly write Kotlin, so when you explain Swift compare it to Kotlin',
      ).join('\n'),
    ).toContain('compare it to Kotlin');
  });

  it('reads an embedded 怎么 as part of the rule, and a question as a question', () => {
    expect(learned('我们组的规范是发布说明里一定要有回滚步骤，写清楚怎么回滚，值班的人会看')).toHaveLength(1);
    expect(learned('发布说明里要怎么写回滚步骤？')).toEqual([]);
  });

  it('reads 你以后 as 以后', () => {
    expect(learned('你以后别再往 main 直接推了')).toHaveLength(1);
  });
});

describe('seventh pass: what must stay silent', () => {
  it('a request to keep what an earlier turn taught is not a lesson itself', () => {
    const turns: TurnSpec[] = [
      {
        user: 'mvn test 在家里网络下载依赖一直超时',
        steps: [
          fail(
            'mvn test',
            '[ERROR] Failed to execute goal: Could not transfer artifact org.slf4j:slf4j-api: Connect timed out',
          ),
          ok('mvn test -Dmaven.repo.remote=https://mirror.corp.example/maven2', '[INFO] BUILD SUCCESS'),
          say('走公司镜像就好了。'),
        ],
      },
      { user: '对了，刚才那个镜像的办法帮我记下来，在家都得这样', steps: [say('好。')] },
    ];
    expect(learnedFrom(turns)).toEqual([]);
    expect(learned('remember what we did earlier with the proxy')).toEqual([]);
  });

  it('"this pattern" in a question is not a fact about the repository', () => {
    expect(
      learned('Promise.all 里有一个 reject 其他的还会继续跑吗？我们在 SyncService 里有这种写法，想确认一下'),
    ).toEqual([]);
    expect(learned('does this leak? we use this pattern in src/cache/lru.ts a lot')).toEqual([]);
  });

  it('where today’s requested piece of work goes is a decision about it, unless it stands', () => {
    const today: TurnSpec[] = [
      { user: 'add a rate limiter for the login endpoint', steps: [say('Where should it live?')] },
      { user: 'the rate limiter goes in src/http/limits.ts', steps: [say('Added.')] },
    ];
    expect(learnedFrom(today)).toEqual([]);
  });

  it('a rule against a switch is never completed with the command that holds it', () => {
    const found = learnedFrom([
      {
        user: '以后别加 --no-verify 这个参数',
        steps: [ok('git commit --no-verify -m wip', '[main 1a2b3c] wip'), say('好。')],
      },
    ]);
    expect(found.join('\n')).not.toContain('`git commit --no-verify');
  });

  it('a later "remember that one" restating the fix just learned is that lesson again', () => {
    const turns: TurnSpec[] = [
      {
        user: 'render the chart locally',
        steps: [
          fail(
            'helm template web charts/web',
            'Error: found in Chart.yaml, but missing in charts/ directory: redis',
          ),
          ok('helm dependency build charts/web', 'Saving 1 charts'),
          ok('helm template web charts/web', '---\n# Source: web/templates/deploy.yaml'),
          say('The redis subchart had to be fetched first.'),
        ],
      },
      {
        user: 'ok. remember that one, a fresh clone needs the dependency build before template works',
        steps: [say('Noted.')],
      },
    ];
    const second = reviewLocally(transcript(turns));
    expect([...second.memory_updates, ...second.recall_candidate]).toEqual([]);
  });
});

describe('seventh pass: procedures', () => {
  it('learns a Chinese procedure led by "我们 X 一直是这么弄的：", steps marked after a few words', () => {
    const found = learned(
      '帮我发一下预发。我们发预发一直是这么弄的：先 make image，再 make push-pre，推完之后 make smoke-pre，没问题再 make notify',
    );
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('make push-pre');
    expect(found[0]).toContain('make smoke-pre');
  });

  it('reads no procedure from a task list without a lead', () => {
    expect(learned('这次先 make image，再 make push-pre，最后 make notify')).toEqual([]);
  });

  it('learns "here is how we X it, always in this order" with numbered steps', () => {
    const found = learned(
      "the signing key expires soon. here's how we rotate it, always in this order: 1) ./ops/keys new 2) ./ops/keys publish 3) ./ops/keys retire-old. do it now",
    );
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('./ops/keys publish');
  });

  it('learns what the agent ran when the person had no idea how it works', () => {
    const found = learnedFrom([
      {
        user: 'package the desktop app? no idea how it works, the last person left',
        steps: [
          ok('npm run build:renderer', 'built'),
          ok('npm run package:mac', 'out/Ferry.dmg'),
          say('Packaged.'),
        ],
      },
    ]);
    expect(found.join('\n')).toContain('npm run package:mac');
  });

  it('keeps the turn before’s steps when the person says so, and not when a step failed', () => {
    const steps = (failing: boolean): TurnSpec[] => [
      {
        user: 'rebuild the tiles: fetch, cut, upload. go',
        steps: [
          ok('./bin/tiles fetch', 'fetched'),
          failing ? fail('./bin/tiles cut', 'error: out of disk') : ok('./bin/tiles cut', 'cut 4096 tiles'),
          ok('./bin/tiles upload', 'uploaded'),
          say('Done.'),
        ],
      },
      { user: "that's the tile rebuild procedure, keep it for next time", steps: [say('Will do.')] },
    ];
    expect(learnedFrom(steps(false)).join('\n')).toContain('./bin/tiles cut');
    expect(learnedFrom(steps(true))).toEqual([]);
  });
});

describe('seventh pass: a rule names the command that ran', () => {
  it('completes a rule about switches with the command the turn ran with them', () => {
    const found = learnedOverSession([
      {
        user: '帮我跑下 payout 包的测试。这个包跑测试必须加 -race -count=1，不然会读到缓存',
        steps: [
          ok('go test -race -count=1 ./internal/payout/...', 'ok  \tx/internal/payout\t1.2s'),
          say('通过。'),
        ],
      },
    ]);
    expect(found.join('\n')).toContain('`go test -race -count=1`');
  });

  it('does not when the run holds more than the rule (a host, an inventory of the day)', () => {
    const found = learnedFrom([
      {
        user: 'every playbook run against real hosts gets --check --diff first',
        steps: [
          ok('ansible-playbook -i inv/prod site.yml --check --diff -l web-07', 'ok=12 changed=1'),
          say('Dry run looks fine.'),
        ],
      },
    ]);
    expect(found.join('\n')).not.toContain('web-07');
  });
});

describe('seventh pass, continued: hedges read in either script', () => {
  it.each([
    '我在想，之後或許可以把 docs 裡的截圖都搬到 assets/img 去管，先幫我看下 build 為什麼慢？',
    '以後也許可以把 config 裡的 token 都放到 .env 去，先幫我看下這個 bug',
    '我在想，之后或许可以把 docs 里的截图都搬到 assets/img 去管',
    '不如以后把 scripts 里的脚本都挪到 tools/ 下面统一管，先帮我修一下这个报错',
    '以後把 scripts 裡的腳本都放到 tools/ 下面。只是個想法。',
    'Thinking about it, maybe from now on we keep every fixture under test/data. Anyway, fix the test.',
    'From now on all queries go through src/db/repo.ts, just an idea though.',
  ])('a hedged idea is no convention: %s', (message) => {
    expect(learned(message)).toEqual([]);
  });

  it('reads hedge words of Traditional Chinese as their simplified form', () => {
    expect(readingForm('或許')).toBe('或许');
    expect(readingForm('也許')).toBe('也许');
    expect(readingForm('暫時')).toBe('暂时');
    expect(readingForm('還在討論')).toBe('还在讨论');
  });

  it('still learns a Traditional Chinese rule without a hedge', () => {
    expect(learned('以後提交前一律跑 make lint').join('\n')).toContain('make lint');
    expect(learned('以后提交前一律跑 make lint，不然可能会挂 CI').join('\n')).toContain('make lint');
  });
});

describe('seventh pass, continued: switches that force a run through', () => {
  it.each([
    ['helm upgrade api ./chart --force', true],
    ['composer install --ignore-platform-reqs', true],
    ['composer install --ignore-platform-req=ext-imagick', false],
    ['yarn install --ignore-engines', true],
    ['cf push app --ignore-conflicts', true],
    ['terraform apply --skip-refresh-checks', true],
    ['poetry lock --skip-checks', true],
    ['git merge feature --allow-unrelated-histories', true],
    ['tool sync --allow-merge-conflicts', true],
    ['npm ci --legacy-peer-deps', true],
    ['git push -f origin release', true],
    ['npm i -f', true],
    ['git commit --no-verify -m wip', true],
    ['helm install api -f values/prod.yaml ./chart', false],
    ['kubectl apply -f deploy/job.yaml', false],
    ['eslint . --ignore-pattern "dist/**"', false],
    ['prettier --check . --ignore-path .gitignore', false],
    ['pytest --ignore=tests/e2e', false],
    ['npm ci --ignore-scripts', false],
    ['git diff --ignore-all-space main', false],
    ['kubectl delete job seed --ignore-not-found', false],
    ['pip install -r requirements.txt --ignore-installed', true],
    ['dotnet test --filter Category!=Slow', false],
    ['tail -f logs/app.log', false],
    ['docker compose -f compose.ci.yml up -d', false],
  ])('%s forces its way through: %s', (command, expected) => {
    expect(forcesThrough(command)).toBe(expected);
  });

  it('learns no command from a deploy forced past its conflicts, even when the person asked for it', () => {
    const found = learnedFrom([
      {
        user: 'push the theme to the preview store. it will complain about conflicts, just force it through with --ignore-conflicts, I do not care about the remote edits today',
        steps: [
          fail(
            'shopcli theme push --store preview',
            'Error: 3 files changed remotely since your last pull (conflict)',
          ),
          ok('shopcli theme push --store preview --ignore-conflicts', 'Pushed 48 files. Done.'),
          say('Pushed with --ignore-conflicts; the remote edits were overwritten.'),
        ],
      },
    ]);
    expect(found.join('\n')).not.toContain('--ignore-conflicts');
  });

  it('still learns a switch the person vouches for that forces nothing', () => {
    const found = learnedFrom([
      {
        user: 'run the api tests, they need --runInBand here because they share one database',
        steps: [
          fail('npx jest api', 'Error: deadlock detected while inserting into "accounts"'),
          ok('npx jest api --runInBand', 'Tests: 31 passed, 31 total'),
          say('Passed with --runInBand.'),
        ],
      },
    ]);
    expect(found.join('\n')).toContain('--runInBand');
  });
});

describe('seventh pass, continued: a question turn states background, not lessons', () => {
  it.each([
    '想问下 Vue 里 ref 跟 reactive 差在哪? 我们 store.ts 现在用 reactive, 然后持久化是自己写的 watch, 感觉有点乱. 要不要换? 先别改代码, 讲讲就行',
    'Quick question: how do Axum extractors differ from middleware? Our server.rs currently does auth in a middleware layer. Should we move it? Just explain, no code changes yet.',
    '请教一下，Redis 的 AOF 和 RDB 怎么选？我们 docker-compose.yml 里现在开的是 RDB。暂不需要修改文件。',
  ])('learns nothing from %s', (message) => {
    expect(learned(message)).toEqual([]);
  });

  it('still learns a rule that says it stands, inside a question turn', () => {
    const found = learned(
      '想问下 zod 的 parse 跟 safeParse 差在哪? 另外以后校验一律用 safeParse。先别改代码',
    );
    expect(found.join('\n')).toContain('safeParse');
  });
});

describe('seventh pass, continued: a command said to be the way, a rule naming the tools that ran', () => {
  it('learns a command in backticks followed by "that is how we always run them"', () => {
    const found = learned(
      "run the specs. it's `bundle exec rspec --tag ~slow`, that's how we always run them: the slow ones take 20 minutes",
    );
    expect(found.join('\n')).toContain('`bundle exec rspec --tag ~slow`');
  });

  it.each([
    'is `make test-all` how we run them?',
    "`make ci` is how we used to build it, now it's gone",
    '`docker compose up` is how we run it locally i think',
  ])('stays silent on %s', (message) => {
    expect(learned(message)).toEqual([]);
  });

  it('names the head of the command the turn before ran when a rule names its tools', () => {
    const found = learnedOverSession([
      {
        user: '迁移一下数据库',
        steps: [
          ok('docker compose exec web rails db:migrate', '== CreateOrders: migrated'),
          say('迁移完成。'),
        ],
      },
      { user: '好，以后 rails 的命令都走 docker compose exec web', steps: [say('好的。')] },
    ]);
    const rule = found.find((entry) => entry.includes('都走')) ?? '';
    expect(rule).toContain('`docker compose exec web rails`');
    expect(rule).not.toContain('db:migrate');
  });

  it('does not name a command for a rule against the tools', () => {
    const found = learnedOverSession([
      {
        user: 'migrate it',
        steps: [ok('./bin/sail artisan migrate', 'DONE'), say('Migrated.')],
      },
      { user: 'from now on never run artisan through sail, use the host php', steps: [say('OK.')] },
    ]);
    expect(found.join('\n')).not.toContain('`./bin/sail artisan`');
  });
});

describe('seventh pass, continued: a lead that says what follows stands, a rule after a colon', () => {
  it.each([
    [
      'Can you look at the failing export? And one request for always: please answer me with short sentences.',
      'short sentences',
    ],
    ['a rule for the future: every migration gets a down step', 'down step'],
  ])('learns what follows a standing lead: %s', (message, expected) => {
    expect(learned(message).join('\n')).toContain(expected);
  });

  it.each([
    'for the future: is there a faster way to run these?',
    'one request for later: can you look at the flaky test tomorrow',
    "for the future though: I'm not sure we need the cache",
  ])('stays silent on %s', (message) => {
    expect(learned(message)).toEqual([]);
  });

  it.each([
    [
      "add a `Badge` component to src/ui/Badge.tsx, and since you'll be adding imports: in this codebase we never import with a wildcard, you name what you use. then run the tests",
      'never import with a wildcard',
    ],
    [
      '加一个 parseDate 函数到 src/time.ts，顺便说下：这个仓库里一律用 dayjs，不要引 moment。',
      '一律用 dayjs',
    ],
  ])('reads a rule of the place after a colon as its own sentence: %s', (message, expected) => {
    expect(learned(message).join('\n')).toContain(expected);
  });

  it('reads no rule from a question after a colon', () => {
    expect(learned('quick one: in this repo we always do what? I forget')).toEqual([]);
  });
});
