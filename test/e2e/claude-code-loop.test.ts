/**
 * Claude Code as a second agent on one store, with the real CLIs offline:
 * `claude -p` 2.1.332 (test/harness/claude-code/run-claude-e2e.sh, a fake Messages API on
 * 127.0.0.1) and `codex exec` 0.169.0 (test/harness/codex/run-codex-e2e.sh, a fake Responses API).
 *
 * 1. A Claude Code session in a repository, with our hooks installed by `install --agent
 *    claude-code` into the run's CLAUDE_CONFIG_DIR and another tool's Stop hook that blocks once,
 *    so Claude Code fires Stop twice for the one prompt: the turn is spooled, reviewed by the
 *    offline `local` reviewer and queued once.
 * 2. A Codex session in the same repository teaches another preference.
 * 3. A recall note (synchronous review, the dummy reviewer's stub); `compile` merges all three.
 * 4. A second Claude Code session: its first model request holds both lessons (SessionStart) and
 *    the recall note matching the prompt (UserPromptSubmit); our Stop hook adds no model request.
 * 5. Installing again changes nothing; uninstall gives back the settings file byte for byte.
 * 6. `memory list` names the agent and session each lesson came from.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { resolveStatePaths } from '../../src/core/paths.js';
import { CLI, REPO_ROOT, runCli } from '../helpers/run-cli.js';
import { queueRecallLesson, RECALLED } from '../helpers/recall-lesson.js';
import { tempDir } from '../helpers/tmp.js';

const CLAUDE_HARNESS = join(REPO_ROOT, 'test', 'harness', 'claude-code', 'run-claude-e2e.sh');
const BLOCK_ONCE = join(REPO_ROOT, 'test', 'harness', 'claude-code', 'examples', 'stop-block-once.sh');
const CODEX_HARNESS = join(REPO_ROOT, 'test', 'harness', 'codex', 'run-codex-e2e.sh');
const CLAUDE = join(REPO_ROOT, 'node_modules', '.bin', 'claude');
const CODEX = join(REPO_ROOT, 'node_modules', '.bin', 'codex');

const CLAUDE_PREFERENCE = 'From now on always use tabs, never spaces, in this repository.';
const CLAUDE_LEARNED = 'Always use tabs, never spaces';
const CODEX_PREFERENCE = 'From now on always use pnpm, never npm, in this repository.';
const CODEX_LEARNED = 'Always use pnpm, never npm';
const SECOND_PROMPT =
  'CI fails with ERR_PNPM_OUTDATED_LOCKFILE on pnpm install. How do I fix the lockfile error?';

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const self = `${q(process.execPath)} ${q(CLI)}`;

interface HarnessRun {
  out: string;
  summary: { session_id: string | null; transcripts: string[]; expect_in_request?: { found: boolean } };
}

function harness(script: string, args: string[], env: Record<string, string>, out: string): HarnessRun {
  const result = spawnSync('bash', [script, '--out', out, ...args], {
    env,
    encoding: 'utf8',
    timeout: 180_000,
  });
  const read = (name: string) =>
    existsSync(join(out, name)) ? readFileSync(join(out, name), 'utf8') : '(missing)';
  const context = `harness exit ${result.status}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}\nsetup.log:\n${read('setup.log')}\nrun-1.stderr:\n${read('run-1.stderr')}`;
  expect(result.status, context).toBe(0);
  return { out, summary: JSON.parse(read('summary.json')) as HarnessRun['summary'] };
}

/** A `claude -p` run whose setup installs our hooks into the run's config dir (after saving it). */
function runClaude(
  out: string,
  repo: string,
  env: Record<string, string>,
  prompt: string,
  extra: string[] = [],
) {
  return harness(
    CLAUDE_HARNESS,
    [
      '--cwd',
      repo,
      '--claude',
      CLAUDE,
      '--no-capture',
      '--timeout',
      '90',
      '--reply',
      'Noted (fake reply {n}).',
      '--setup',
      'cp "$CLAUDE_CONFIG_DIR/settings.json" "$E2E_OUT/settings.before.json"',
      '--setup',
      `${self} install --agent claude-code`,
      '--prompt',
      prompt,
      ...extra,
    ],
    env,
    out,
  );
}

/** Messages of a Messages API request body, flattened to {role, text}. */
function messages(requestFile: string): Array<{ role: string; text: string }> {
  const body = JSON.parse(readFileSync(requestFile, 'utf8')) as {
    messages: Array<{ role: string; content: string | Array<{ type?: string; text?: string }> }>;
  };
  return body.messages.flatMap((m) =>
    typeof m.content === 'string'
      ? [{ role: m.role, text: m.content }]
      : m.content.map((c) => ({ role: m.role, text: c.text ?? '' })),
  );
}

const jsonFiles = (dir: string) =>
  existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.json')) : [];
const modelRequests = (out: string) =>
  readdirSync(join(out, 'model')).filter((n) => /^request-\d+\.json$/.test(n)).length;

async function waitFor(what: string, done: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

interface Envelope {
  agent?: string;
  thread_id: string;
  turn_id: string;
  suggestions: Array<{ family: string; details: { content?: string } }>;
}
const envelopes = (dir: string): Envelope[] =>
  jsonFiles(dir).map((n) => JSON.parse(readFileSync(join(dir, n), 'utf8')) as Envelope);
const teaches = (e: Envelope, text: string) =>
  e.suggestions.some((s) => s.family === 'memory_updates' && (s.details.content ?? '').includes(text));

describe('Claude Code and Codex learn into one store', () => {
  it('a lesson from each agent reaches the next Claude Code session; each turn is reviewed once', async () => {
    for (const [file, what] of [
      [CLAUDE_HARNESS, 'the Claude Code harness'],
      [CODEX_HARNESS, 'the Codex harness'],
      [CLAUDE, 'the Claude Code CLI (devDependency @anthropic-ai/claude-code; run npm ci)'],
      [CODEX, 'the Codex CLI (devDependency @openai/codex; run npm ci)'],
    ] as const)
      expect(existsSync(file), `${what} is missing: ${file}`).toBe(true);

    const root = tempDir('csep-claude-loop-');
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

    // --- 1. Claude Code: a preference; another tool's Stop hook blocks once, so Stop fires twice.
    const first = runClaude(join(root, 'claude1'), repo, env, CLAUDE_PREFERENCE, [
      '--hook',
      `Stop=sh ${q(BLOCK_ONCE)}`,
    ]);
    const settings = readFileSync(join(first.out, 'claude-config', 'settings.json'), 'utf8');
    expect(settings).toContain('stop-review --agent claude-code --from-stdin # codex-self-evolution managed');
    expect(settings).toContain('stop-block-once.sh');
    // Two model requests: the answer, and the one the blocking hook asked for.
    expect(modelRequests(first.out)).toBe(2);
    const transcript = readFileSync(first.summary.transcripts[0]!, 'utf8');
    expect(transcript.match(/"subtype":"stop_hook_summary"/g)).toHaveLength(2);
    await waitFor(
      'the review worker to queue the Claude Code turn',
      () => jsonFiles(paths.queue.pending).length > 0 && jsonFiles(paths.spoolDir).length === 0,
    );
    await waitFor('the review worker to exit', () => !existsSync(join(paths.reviewDir, 'worker.lock')));
    // One turn reviewed (one key), although Stop fired twice for it.
    expect(readdirSync(join(paths.suggestionsDir, '.keys'))).toHaveLength(1);
    const claudeTurns = envelopes(paths.queue.pending);
    expect(claudeTurns).toHaveLength(1);
    expect(claudeTurns[0]).toMatchObject({ agent: 'claude-code', thread_id: first.summary.session_id });
    expect(teaches(claudeTurns[0]!, CLAUDE_LEARNED)).toBe(true);

    // --- 2. Codex, same repository.
    const codex = harness(
      CODEX_HARNESS,
      [
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
        `${self} install --trust`,
        '--prompt',
        CODEX_PREFERENCE,
      ],
      env,
      join(root, 'codex1'),
    );
    await waitFor(
      'the review worker to queue the Codex turn',
      () => jsonFiles(paths.queue.pending).length === 2,
    );
    await waitFor(
      'the review worker to finish',
      () => jsonFiles(paths.spoolDir).length === 0 && !existsSync(join(paths.reviewDir, 'worker.lock')),
    );
    const codexTurn = envelopes(paths.queue.pending).find((e) => e.thread_id === codex.summary.session_id);
    expect(codexTurn && teaches(codexTurn, CODEX_LEARNED)).toBe(true);

    // --- 3. A recall note (dummy reviewer, synchronous), then compile.
    const payloadFile = join(root, 'recall-payload.json');
    queueRecallLesson(payloadFile, {
      sessionId: codex.summary.session_id,
      transcriptPath: codex.summary.transcripts[0],
      repo,
      env,
    });
    const compiled = runCli(['compile', '--once', '--repo-root', repo], { env, cwd: repo });
    expect(compiled.status, compiled.stderr).toBe(0);
    expect(JSON.parse(compiled.stdout)).toMatchObject({ status: 'success', processed_count: 3 });

    // --- 4. A second Claude Code session: both lessons and the recall note reach the model.
    const second = runClaude(join(root, 'claude2'), repo, env, SECOND_PROMPT, [
      '--expect-in-request',
      CLAUDE_LEARNED,
    ]);
    expect(second.summary.expect_in_request?.found).toBe(true);
    const request = messages(join(second.out, 'model', 'request-1.json'));
    const system = request.filter((m) => m.role === 'system').map((m) => m.text);
    const startContext = system.find((t) => t.includes('SessionStart hook additional context:'));
    expect(startContext).toContain(CLAUDE_LEARNED);
    expect(startContext).toContain(CODEX_LEARNED);
    expect(
      system.some((t) => t.includes('UserPromptSubmit hook additional context:') && t.includes(RECALLED)),
    ).toBe(true);
    // Our Stop hook printed nothing that continues the conversation: one prompt, one request.
    expect(modelRequests(second.out)).toBe(1);
    await waitFor(
      "the second session's review worker",
      () => jsonFiles(paths.spoolDir).length === 0 && !existsSync(join(paths.reviewDir, 'worker.lock')),
    );

    // --- 5. Install twice equals install once; uninstall restores the settings byte for byte.
    const configDir = join(second.out, 'claude-config');
    const claudeEnv = { ...env, CLAUDE_CONFIG_DIR: configDir };
    const installed = readFileSync(join(configDir, 'settings.json'), 'utf8');
    const again = runCli(['install', '--agent', 'claude-code', '--json'], { env: claudeEnv, cwd: repo });
    expect(again.status, again.stderr).toBe(0);
    expect(readFileSync(join(configDir, 'settings.json'), 'utf8')).toBe(installed);
    const removed = runCli(['uninstall', '--agent', 'claude-code'], { env: claudeEnv, cwd: repo });
    expect(removed.status, removed.stderr).toBe(0);
    expect(readFileSync(join(configDir, 'settings.json'), 'utf8')).toBe(
      readFileSync(join(second.out, 'settings.before.json'), 'utf8'),
    );

    // --- 6. Provenance: which agent and session taught each lesson.
    const listed = runCli(['memory', 'list', '--repo', repo, '--json'], { env, cwd: repo });
    expect(listed.status, listed.stderr).toBe(0);
    const entries = JSON.parse(listed.stdout) as { entries?: unknown[] } | unknown[];
    const all = JSON.stringify(entries);
    const lesson = (text: string) =>
      (Array.isArray(entries) ? entries : (entries.entries ?? [])).find((e) =>
        JSON.stringify(e).includes(text),
      ) as { first_seen?: { agent?: string; thread_id?: string } } | undefined;
    expect(all).toContain(CLAUDE_LEARNED);
    expect(lesson(CLAUDE_LEARNED)?.first_seen).toMatchObject({
      agent: 'claude-code',
      thread_id: first.summary.session_id,
    });
    expect(lesson(CODEX_LEARNED)?.first_seen).toMatchObject({ thread_id: codex.summary.session_id });
    expect(lesson(CODEX_LEARNED)?.first_seen).not.toHaveProperty('agent');
    const human = runCli(['memory', 'list', '--repo', repo], { env, cwd: repo });
    expect(human.stdout).toContain(
      `learned from claude-code session ${first.summary.session_id!.slice(0, 12)}`,
    );
  }, 300_000);

  it('the plugin form: claude --plugin-dir runs our four hooks; settings.json is not touched', async () => {
    expect(existsSync(CLAUDE), `the Claude Code CLI is missing: ${CLAUDE}`).toBe(true);
    const root = tempDir('csep-claude-plugin-');
    const repo = join(root, 'repo');
    const home = join(root, 'csep-home');
    const plugin = join(root, 'plugin-market');
    mkdirSync(repo);
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: join(root, 'user-home'),
      NO_COLOR: '1',
      CODEX_SELF_EVOLUTION_HOME: home,
      CODEX_SELF_EVOLUTION_REVIEWER_PROVIDER: 'local',
    };
    const written = runCli(['install', '--agent', 'claude-code', '--plugin-dir', plugin, '--json'], {
      env,
      cwd: repo,
    });
    expect(written.status, written.stderr).toBe(0);
    const run = harness(
      CLAUDE_HARNESS,
      [
        '--cwd',
        repo,
        '--claude',
        CLAUDE,
        '--no-capture',
        '--timeout',
        '90',
        '--reply',
        'Noted.',
        '--prompt',
        CLAUDE_PREFERENCE,
        '--',
        '--plugin-dir',
        join(plugin, 'plugin'),
      ],
      env,
      join(root, 'run'),
    );
    expect(readFileSync(join(run.out, 'claude-config', 'settings.json'), 'utf8')).not.toContain(
      'codex-self-evolution',
    );
    const paths = resolveStatePaths({ cwd: repo, home });
    await waitFor(
      'the review of the plugin session',
      () => jsonFiles(paths.queue.pending).length === 1 && !existsSync(join(paths.reviewDir, 'worker.lock')),
    );
    const hooks = readFileSync(join(home, 'logs', 'plugin.log'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('"mode":"from_stdin"') && l.includes('"agent":"claude-code"'))
      .map((l) => (JSON.parse(l) as { kind: string }).kind);
    expect([...new Set(hooks)].sort()).toEqual([
      'prompt-recall',
      'session-end',
      'session-start',
      'stop-review',
    ]);
  }, 120_000);
});
