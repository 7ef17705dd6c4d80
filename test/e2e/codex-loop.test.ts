/**
 * The proof: the real Codex CLI (@openai/codex 0.169.0) learns across sessions with this tool.
 *
 * Driven by the offline Codex harness (`test/harness/codex/run-codex-e2e.sh`: real
 * `codex exec`, a fake Responses API on 127.0.0.1, inside `unshare -rn` when available, so
 * nothing leaves the machine):
 *
 * 1. `install --trust` (our installer, run by the harness's --setup inside the run's
 *    CODEX_HOME) — with `--trust none` in the harness, Codex runs the hooks only if our trust
 *    key and hash are exactly what Codex computes;
 * 2. a first `codex exec` whose prompt states a preference; the Stop hook spools the turn and
 *    its detached worker reviews it with the offline `local` reviewer into the queue;
 * 3. a recall lesson for the same session goes through the synchronous review path
 *    (`stop-review --hook-payload`, the dummy reviewer's stub: the fake model cannot make the
 *    tool calls the local reviewer learns error fixes from);
 * 4. `compile --once` turns the queue into memory and the recall index;
 * 5. a second `codex exec` (a fresh CODEX_HOME, same repository): the memory reaches the
 *    model's first request through SessionStart, as a developer message placed after the
 *    environment context and before the prompt, and the recall lesson matching the prompt
 *    through UserPromptSubmit, as a developer message after the prompt.
 *
 * 6. a third `codex exec` whose (fake) model runs the recall command line the SessionStart
 *    context names, as a shell tool call: its output reaches the model and holds the lesson.
 *
 * The hooks see our temp CODEX_SELF_EVOLUTION_HOME because Codex passes its environment on.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { resolveStatePaths } from '../../src/core/paths.js';
import { CLI, REPO_ROOT, runCli } from '../helpers/run-cli.js';
import { queueRecallLesson, RECALLED } from '../helpers/recall-lesson.js';
import { tempDir } from '../helpers/tmp.js';

const HARNESS = join(REPO_ROOT, 'test', 'harness', 'codex', 'run-codex-e2e.sh');
const CODEX = join(REPO_ROOT, 'node_modules', '.bin', 'codex');
const FAKE_TOOL_MODEL = join(REPO_ROOT, 'test', 'helpers', 'fake-tool-model.mjs');
const PREFERENCE = 'From now on always use pnpm, never npm, in this repository.';
// The lead-in ("From now on") is not part of the written rule.
const LEARNED = 'Always use pnpm, never npm';
const SECOND_PROMPT =
  'CI fails with ERR_PNPM_OUTDATED_LOCKFILE on pnpm install. How do I fix the lockfile error?';

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

interface Run {
  out: string;
  summary: {
    session_id: string | null;
    transcripts: string[];
    runs: Array<{ exit: number; ms: number }>;
    expect_in_request?: { found: boolean };
  };
  stderr: string;
}

/** One harness run with our installer as the setup step. Fails with the harness's own logs. */
function runCodex(
  out: string,
  repo: string,
  env: Record<string, string>,
  prompt: string,
  extra: string[] = [],
  setup: string[] = [],
): Run {
  const args = [
    HARNESS,
    '--out',
    out,
    '--cwd',
    repo,
    '--codex',
    CODEX,
    '--no-capture',
    '--trust',
    'none',
    '--shell',
    '/bin/sh',
    '--timeout',
    '90',
    '--setup',
    `${q(process.execPath)} ${q(CLI)} install --trust`,
    ...setup.flatMap((cmd) => ['--setup', cmd]),
    '--prompt',
    prompt,
    ...extra,
  ];
  const result = spawnSync('bash', args, { env, encoding: 'utf8', timeout: 180_000 });
  const read = (name: string) =>
    existsSync(join(out, name)) ? readFileSync(join(out, name), 'utf8') : '(missing)';
  const context = `harness exit ${result.status}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}\nsetup.log:\n${read('setup.log')}\nrun-1.stderr:\n${read('run-1.stderr')}`;
  expect(result.status, context).toBe(0);
  return { out, summary: JSON.parse(read('summary.json')) as Run['summary'], stderr: read('run-1.stderr') };
}

/** Messages of a Responses API request body, flattened to {role, text}. */
function messages(requestFile: string): Array<{ role: string; text: string }> {
  const body = JSON.parse(readFileSync(requestFile, 'utf8')) as {
    input: Array<{ role?: string; content?: Array<{ text?: string }> }>;
  };
  return body.input.flatMap((item) =>
    (item.content ?? []).map((c) => ({ role: item.role ?? '', text: c.text ?? '' })),
  );
}

const jsonFiles = (dir: string) =>
  existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.json')) : [];

/** Waits (bounded) until `done()` holds; the review worker runs detached from the hook. */
async function waitFor(what: string, done: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('the learning loop with the real Codex CLI', () => {
  it('learns in one session; the next gets the memory through SessionStart and a recall hit through UserPromptSubmit', async () => {
    expect(existsSync(HARNESS), `the Codex harness is missing: expected ${HARNESS}`).toBe(true);
    expect(
      existsSync(CODEX),
      `the Codex CLI is missing: ${CODEX} (devDependency @openai/codex; run npm ci)`,
    ).toBe(true);

    const root = tempDir('csep-codex-loop-');
    const repo = join(root, 'repo');
    const home = join(root, 'csep-home');
    const userHome = join(root, 'user-home');
    mkdirSync(repo);
    mkdirSync(userHome);
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: userHome,
      NO_COLOR: '1',
      CODEX_SELF_EVOLUTION_HOME: home,
      CODEX_SELF_EVOLUTION_REVIEWER_PROVIDER: 'local',
    };
    const paths = resolveStatePaths({ cwd: repo, home });

    // --- Session 1: a preference is stated; Stop queues the turn for review.
    const first = runCodex(join(root, 'run1'), repo, env, PREFERENCE);
    expect(readFileSync(join(first.out, 'setup.log'), 'utf8')).toContain('Trust: all 3 hooks are trusted');
    const hooksJson = readFileSync(join(first.out, 'codex-home', 'hooks.json'), 'utf8');
    expect(hooksJson).toContain(`stop-review --from-stdin # codex-self-evolution managed`);
    // Untrusted hooks would be skipped silently: these lines prove Codex ran ours.
    for (const event of ['SessionStart', 'UserPromptSubmit', 'Stop'])
      expect(first.stderr).toContain(`hook: ${event} Completed`);
    const firstRequest = messages(join(first.out, 'model', 'request-1.json'));
    expect(firstRequest.some((m) => m.role === 'developer' && m.text.includes(LEARNED))).toBe(false);

    await waitFor(
      'the review worker to queue the turn and finish',
      () => jsonFiles(paths.queue.pending).length > 0 && jsonFiles(paths.spoolDir).length === 0,
    );
    const [envelopeFile] = jsonFiles(paths.queue.pending);
    const envelope = JSON.parse(readFileSync(join(paths.queue.pending, envelopeFile!), 'utf8')) as {
      thread_id: string;
      reviewer_provider: string;
      suggestions: Array<{ family: string; details: { content?: string } }>;
    };
    expect(envelope.thread_id).toBe(first.summary.session_id);
    expect(envelope.reviewer_provider).toBe('local');
    expect(
      envelope.suggestions.some(
        (s) => s.family === 'memory_updates' && (s.details.content ?? '').includes(LEARNED),
      ),
    ).toBe(true);

    // --- A recall lesson from the same session (synchronous review, dummy reviewer with a stub).
    const payloadFile = join(root, 'recall-payload.json');
    queueRecallLesson(payloadFile, {
      sessionId: first.summary.session_id,
      transcriptPath: first.summary.transcripts[0],
      repo,
      env,
    });
    expect(jsonFiles(paths.queue.pending)).toHaveLength(2);

    // --- Compile: the queue becomes memory and recall.
    const compiled = runCli(['compile', '--once', '--repo-root', repo], { env, cwd: repo });
    expect(compiled.status, compiled.stderr).toBe(0);
    expect(JSON.parse(compiled.stdout)).toMatchObject({ status: 'success', processed_count: 2 });
    expect(readFileSync(paths.memoryJson, 'utf8')).toContain(LEARNED);
    expect(readFileSync(paths.recallIndex, 'utf8')).toContain(RECALLED);

    // --- Session 2 (fresh CODEX_HOME, same repository): the memory is in the first request.
    const second = runCodex(join(root, 'run2'), repo, env, SECOND_PROMPT, ['--expect-in-request', LEARNED]);
    expect(second.summary.expect_in_request?.found).toBe(true);
    const request = messages(join(second.out, 'model', 'request-1.json'));
    const envIndex = request.findIndex(
      (m) => m.role === 'user' && m.text.startsWith('<environment_context>'),
    );
    const promptIndex = request.findIndex((m) => m.role === 'user' && m.text === SECOND_PROMPT);
    const injected = request.findIndex((m) => m.role === 'developer' && m.text.includes(LEARNED));
    expect(envIndex).toBeGreaterThanOrEqual(0);
    expect(injected).toBeGreaterThan(envIndex);
    expect(promptIndex).toBeGreaterThan(injected);
    expect(request[injected]!.text).toContain('# Stable Background');
    // UserPromptSubmit: the matching recall lesson follows the prompt as a developer message.
    const recalled = request.findIndex((m) => m.role === 'developer' && m.text.includes(RECALLED));
    expect(recalled).toBeGreaterThan(promptIndex);
    expect(request[injected]!.text).not.toContain(RECALLED);
    for (const event of ['SessionStart', 'UserPromptSubmit', 'Stop'])
      expect(second.stderr).toContain(`hook: ${event} Completed`);

    // Let the second session's worker finish before the temp dir goes away.
    await waitFor(
      'the second review worker',
      () => jsonFiles(paths.spoolDir).length === 0 && !existsSync(join(paths.reviewDir, 'worker.lock')),
    );

    // --- Session 3: the model runs the recall command the context names, as a shell tool call
    // (a fake model that makes that call; outside the network namespace so Codex reaches it).
    const toolLog = join(root, 'tool-model');
    const server = spawn(
      process.execPath,
      [FAKE_TOOL_MODEL, '--log-dir', toolLog, '--query', 'pnpm lockfile error in CI'],
      { stdio: 'ignore' },
    );
    try {
      await waitFor('the fake tool model', () => existsSync(join(toolLog, 'port')), 20_000);
      const port = readFileSync(join(toolLog, 'port'), 'utf8').trim();
      runCodex(join(root, 'run3'), repo, env, 'Why does CI fail on pnpm install?', [
        '--netns',
        'off',
        '--',
        '-c',
        `model_providers.fake.base_url="http://127.0.0.1:${port}/v1"`,
        '--sandbox',
        'danger-full-access',
      ]);
    } finally {
      server.kill('SIGTERM');
    }
    const ran = readFileSync(join(toolLog, 'command.txt'), 'utf8');
    expect(ran).toMatch(/ recall "pnpm lockfile error in CI"$/);
    const followUp = JSON.parse(readFileSync(join(toolLog, 'request-2.json'), 'utf8')) as {
      input: Array<{ type?: string; output?: unknown }>;
    };
    const toolOutput = followUp.input
      .filter((i) => i.type === 'function_call_output')
      .map((i) => JSON.stringify(i.output))
      .join('\n');
    expect(toolOutput).toContain(RECALLED);
    await waitFor(
      'the third review worker',
      () => jsonFiles(paths.spoolDir).length === 0 && !existsSync(join(paths.reviewDir, 'worker.lock')),
    );
  }, 300_000);

  it('lists a native skill published by reconcileNativeSkills to the model', async () => {
    expect(existsSync(HARNESS), `the Codex harness is missing: expected ${HARNESS}`).toBe(true);
    const root = tempDir('csep-codex-skill-');
    const repo = join(root, 'shop');
    const home = join(root, 'csep-home');
    mkdirSync(repo);
    const publish = join(REPO_ROOT, 'dist', 'core', 'skills', 'publish.js');
    const script = join(root, 'publish.mjs');
    // Runs inside the harness's setup, where CODEX_HOME is the run's Codex home.
    writeFileSync(
      script,
      `import { reconcileNativeSkills } from ${JSON.stringify(publish)};
const result = reconcileNativeSkills({
  home: ${JSON.stringify(home)},
  repoKey: ${JSON.stringify(repo)},
  entries: [{ skill_id: 'deploy-fly', title: 'Deploy to Fly', description: 'Use when deploying: run "fly deploy" # with the rolling strategy', status: 'active', managed: true, owner: 'codex-self-evolution-plugin' }],
  readSkillContent: () => '# Deploy to Fly\\n\\nRun pnpm build first, then fly deploy --strategy rolling, and check the health endpoint before you announce the release.\\n',
});
if (result.published.length !== 1) { console.error(JSON.stringify(result)); process.exit(1); }
console.log(result.published[0].name);
`,
    );
    const run = runCodex(
      join(root, 'run'),
      repo,
      {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: root,
        NO_COLOR: '1',
        CODEX_SELF_EVOLUTION_HOME: home,
      },
      'say hi',
      [],
      [`${q(process.execPath)} ${q(script)}`],
    );
    const name = readFileSync(join(run.out, 'setup.log'), 'utf8').match(
      /^csep-shop-[0-9a-f]{6}-deploy-fly$/m,
    )?.[0];
    expect(name).toBeDefined();
    const skillsMessage = messages(join(run.out, 'model', 'request-1.json')).find((m) =>
      m.text.includes('<skills_instructions>'),
    );
    expect(skillsMessage?.text).toContain(
      `- ${name}: For the shop repository: Use when deploying: run "fly deploy" # with the rolling strategy (file: `,
    );
    // The installed Stop hook reviewed this turn too: let its worker finish before cleanup.
    const paths = resolveStatePaths({ cwd: repo, home });
    await waitFor(
      'the review worker',
      () => jsonFiles(paths.spoolDir).length === 0 && !existsSync(join(paths.reviewDir, 'worker.lock')),
    );
  }, 120_000);
});
