/**
 * Writes the sample sessions `demo` replays (fixtures/demo/*.jsonl), in the real Codex rollout
 * format, from the same builder the tests use. Run: `npx tsx scripts/make-demo-fixtures.ts`.
 * The files are committed (the package ships them); a test checks they match this script.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { patchOf, rolloutText, type RolloutSpec } from '../test/fixtures/rollouts/rollout-builder.js';

const CWD = '/home/maya/src/storefront';

export const DEMO_SESSIONS: Array<{ name: string; spec: RolloutSpec }> = [
  {
    name: '01-package-manager',
    spec: {
      cwd: CWD,
      sessionId: '01a2161a-0000-7000-8000-00000000d001',
      startedAt: '2026-11-20T09:00:00.000Z',
      turns: [
        {
          user: 'add zod to the checkout package and validate the address form with it',
          steps: [
            {
              sh: 'npm install zod',
              exit: 1,
              workdir: `${CWD}/packages/checkout`,
              out: 'npm error code EUNSUPPORTEDPROTOCOL\nnpm error Unsupported URL Type "workspace:": workspace:*',
            },
            {
              say: 'npm cannot resolve the `workspace:` protocol used in this monorepo. Should I try another package manager?',
            },
          ],
        },
        {
          user: 'no, we use pnpm in this repo. always use pnpm, never npm — npm breaks the workspace links.',
          steps: [
            { sh: 'pnpm add zod --filter @storefront/checkout', exit: 0, out: 'dependencies:\n+ zod 3.24.1' },
            {
              patch: patchOf(
                'packages/checkout/src/address-form.ts',
                'return input as Address;',
                'return AddressSchema.parse(input);',
              ),
            },
            {
              sh: 'pnpm --filter @storefront/checkout test',
              exit: 0,
              out: ' Test Files  1 passed (1)\n      Tests  6 passed (6)',
            },
            {
              say: 'Added zod with pnpm and switched the address form to `AddressSchema.parse`. Tests pass.',
            },
          ],
        },
      ],
    },
  },
  {
    name: '02-tests-and-deploy',
    spec: {
      cwd: CWD,
      sessionId: '01a2161a-0000-7000-8000-00000000d002',
      startedAt: '2026-11-21T14:00:00.000Z',
      turns: [
        {
          user: 'run the test suite and tell me what fails',
          steps: [
            {
              sh: 'npm test',
              exit: 1,
              out: 'npm error code EUNSUPPORTEDPROTOCOL\nnpm error Unsupported URL Type "workspace:": workspace:^',
            },
            {
              sh: 'pnpm test',
              exit: 0,
              out: '@storefront/checkout:test:  Test Files  4 passed (4)\n Tasks:    3 successful, 3 total',
            },
            { say: 'Everything passes with `pnpm test`.' },
          ],
        },
        {
          user: 'thanks. for the record: we deploy with fly.io — `fly deploy` from the repo root, and migrations run as the release_command.',
          steps: [{ say: 'Noted: deploys go through `fly deploy`, with migrations as the release command.' }],
        },
      ],
    },
  },
  {
    name: '03-generated-code-zh',
    spec: {
      cwd: CWD,
      sessionId: '01a2161a-0000-7000-8000-00000000d003',
      startedAt: '2026-11-22T10:30:00.000Z',
      turns: [
        {
          user: '把 api 客户端的超时改成 10 秒',
          steps: [
            {
              patch: patchOf(
                'packages/api-client/src/generated/client.ts',
                'timeout: 5000',
                'timeout: 10000',
              ),
            },
            { say: '已把生成的客户端里的超时改成 10 秒。' },
          ],
        },
        {
          user: '不要改 generated 目录下的文件，那是 openapi 生成的，以后都改 packages/api-client/openapi.yaml 然后运行 pnpm codegen。',
          steps: [
            {
              patch: patchOf('packages/api-client/openapi.yaml', 'x-timeout-ms: 5000', 'x-timeout-ms: 10000'),
            },
            { sh: 'pnpm codegen', exit: 0, out: 'Generated packages/api-client/src/generated/client.ts' },
            { say: '改为修改 openapi.yaml 并重新生成，超时现在是 10 秒。' },
          ],
        },
      ],
    },
  },
  {
    name: '04-database-fix',
    spec: {
      cwd: CWD,
      sessionId: '01a2161a-0000-7000-8000-00000000d004',
      startedAt: '2026-11-23T16:00:00.000Z',
      turns: [
        {
          user: 'run the migrations please',
          steps: [
            {
              sh: 'pnpm db:migrate',
              exit: 1,
              out: "> storefront@2.3.0 db:migrate\n> prisma migrate deploy\n\nError: P1001: Can't reach database server at `localhost:5432`\n\nPlease make sure your database server is running at `localhost:5432`.",
            },
            {
              sh: 'docker compose ps',
              exit: 0,
              out: 'NAME      IMAGE     COMMAND   SERVICE   CREATED   STATUS    PORTS',
            },
            {
              sh: 'docker compose up -d db',
              exit: 0,
              out: '[+] Running 2/2\n ✔ Container storefront-db-1   Started',
            },
            {
              sh: 'pnpm db:migrate',
              exit: 0,
              out: '3 migrations found in prisma/migrations\n\nAll migrations have been successfully applied.',
            },
            {
              say: 'The database container was not running. Started it with `docker compose up -d db`; all 3 migrations are applied.',
            },
          ],
        },
      ],
    },
  },
];

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = join(import.meta.dirname, '..', 'fixtures', 'demo');
  for (const session of DEMO_SESSIONS)
    writeFileSync(join(dir, `${session.name}.jsonl`), rolloutText(session.spec));
  console.log(`wrote ${DEMO_SESSIONS.length} sessions to ${dir}`);
}
