/**
 * The hook commands with `--agent claude-code`, spawned from the built CLI with the recorded
 * Claude Code payloads: Stop spools the turn of the prompt and prints nothing; the Stop that fires
 * again for the same prompt (after a block) is not reviewed again; SessionEnd spools only a turn
 * nothing else spooled, and starts no worker; SessionStart answers in Claude Code's shape.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { turnKey } from '../../src/core/agents/turn-key.js';
import { resolveStatePaths } from '../../src/core/paths.js';
import { REPO_ROOT, runCli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/tmp.js';

const SAMPLES = join(REPO_ROOT, 'test', 'fixtures', 'claude-code-samples');

function setup() {
  const root = tempDir('csep-cc-hooks-');
  const repo = join(root, 'repo');
  const home = join(root, 'home');
  mkdirSync(repo);
  const transcript = join(root, 'session.jsonl');
  copyFileSync(join(SAMPLES, 'transcript.jsonl'), transcript);
  const payload = (name: string, over: Record<string, unknown> = {}) =>
    JSON.stringify({
      ...(JSON.parse(readFileSync(join(SAMPLES, name), 'utf8')) as object),
      cwd: repo,
      transcript_path: transcript,
      ...over,
    });
  const env = { CODEX_SELF_EVOLUTION_HOME: home, CODEX_SELF_EVOLUTION_REVIEWER_PROVIDER: 'local' };
  const hook = (name: string, input: string, agent = 'claude-code') =>
    runCli([name, '--agent', agent, '--from-stdin'], { input, env, cwd: repo });
  return { root, repo, home, payload, hook, paths: resolveStatePaths({ cwd: repo, home }) };
}

async function waitFor(what: string, done: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const SESSION = '43e37f93-a5df-437d-a8d9-3e75f5d6399d';
const PROMPT_ID = 'bcfd8f71-9f49-4c56-a92a-3d5cc114e35b';

describe('hooks with --agent claude-code', () => {
  it('Stop spools the turn of its prompt and prints nothing; the Stop after a block is not reviewed again', async () => {
    const { hook, payload, paths } = setup();
    const key = turnKey({ agent: 'claude-code', session: SESSION, turn: PROMPT_ID });
    const first = hook('stop-review', payload('stop.json'));
    expect(first.status).toBe(0);
    expect(first.stdout).toBe('');
    const keyFile = join(paths.suggestionsDir, '.keys', key);
    await waitFor(
      'the review of the turn',
      () => existsSync(keyFile) && !existsSync(join(paths.spoolDir, `${key}.json`)),
    );
    await waitFor('the worker to exit', () => !existsSync(join(paths.reviewDir, 'worker.lock')));
    const again = hook('stop-review', payload('stop-hook-active-true.json'));
    expect(again.stdout).toBe('');
    expect(readdirSync(paths.spoolDir).filter((n) => n.endsWith('.json'))).toEqual([]);
    expect(readdirSync(join(paths.suggestionsDir, '.keys'))).toEqual([key]);
    // SessionEnd of the same session: its last turn is reviewed already.
    expect(hook('session-end', payload('session-end.json')).stdout).toBe('');
    expect(readdirSync(paths.spoolDir).filter((n) => n.endsWith('.json'))).toEqual([]);
    const log = readFileSync(join(paths.home, 'logs', 'plugin.log'), 'utf8');
    expect(log).toMatch(/"kind":"stop-review".*"agent":"claude-code"/);
    // status: the last hook call per agent.
    const status = runCli(['status', '--json'], { env: { CODEX_SELF_EVOLUTION_HOME: paths.home } });
    const agents = (
      JSON.parse(status.stdout) as { agents: Array<{ agent: string; last_hook_call: unknown }> }
    ).agents;
    expect(agents.find((a) => a.agent === 'claude-code')?.last_hook_call).toMatchObject({
      hook: 'session-end',
    });
    expect(agents.find((a) => a.agent === 'codex')?.last_hook_call).toBeNull();
  });

  it('a Stop while background subagents run waits for the Stop that ends the turn, then the turn is reviewed once', async () => {
    const { hook, payload, paths } = setup();
    const key = turnKey({ agent: 'claude-code', session: SESSION, turn: PROMPT_ID });
    const running = [
      { id: 'a1', type: 'subagent', status: 'running', description: 'Check', agent_type: 'general-purpose' },
    ];
    expect(hook('stop-review', payload('stop.json', { background_tasks: running })).stdout).toBe('');
    const spooled = join(paths.spoolDir, `${key}.json`);
    const entry = JSON.parse(readFileSync(spooled, 'utf8')) as {
      settling?: boolean;
      next_attempt_at: string;
    };
    expect(entry.settling).toBe(true);
    expect(Date.parse(entry.next_attempt_at)).toBeGreaterThan(Date.now() + 60_000);
    // The worker the hook started finds nothing due: the turn is not reviewed yet.
    await waitFor('the worker to exit', () => !existsSync(join(paths.reviewDir, 'worker.lock')));
    expect(existsSync(join(paths.suggestionsDir, '.keys', key))).toBe(false);
    expect(existsSync(spooled)).toBe(true);
    // The Stop that ends the turn makes it due; it is reviewed once.
    hook('stop-review', payload('stop-hook-active-true.json', { stop_hook_active: false }));
    await waitFor(
      'the review of the whole turn',
      () => existsSync(join(paths.suggestionsDir, '.keys', key)) && !existsSync(spooled),
    );
    expect(readdirSync(join(paths.suggestionsDir, '.keys'))).toEqual([key]);
    await waitFor('the worker to exit', () => !existsSync(join(paths.reviewDir, 'worker.lock')));
  });

  it('SessionEnd spools a last turn no Stop hook spooled, without starting a worker; twice is once', () => {
    const { hook, payload, paths } = setup();
    const input = payload('session-end.json', { prompt_id: 'e8798de3-21e3-4023-857a-b659244857c9' });
    expect(hook('session-end', input).stdout).toBe('');
    const key = turnKey({
      agent: 'claude-code',
      session: SESSION,
      turn: 'e8798de3-21e3-4023-857a-b659244857c9',
    });
    const entry = JSON.parse(readFileSync(join(paths.spoolDir, `${key}.json`), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(entry).toMatchObject({ agent: 'claude-code', session_id: SESSION, attempts: 0 });
    expect(existsSync(join(paths.reviewDir, 'worker.lock'))).toBe(false);
    hook('session-end', input);
    expect(readdirSync(paths.spoolDir).filter((n) => n.endsWith('.json'))).toEqual([`${key}.json`]);
    // A session closed before any prompt has nothing to spool.
    const none = payload('session-end.json');
    const withoutPrompt = JSON.parse(none) as Record<string, unknown>;
    delete withoutPrompt.prompt_id;
    hook('session-end', JSON.stringify(withoutPrompt));
    expect(readdirSync(paths.spoolDir).filter((n) => n.endsWith('.json'))).toHaveLength(1);
  });

  it("SessionStart and UserPromptSubmit answer in Claude Code's shape; bad input is answered harmlessly", () => {
    const { hook, payload } = setup();
    const start = hook('session-start', payload('session-start.json'));
    expect(start.status).toBe(0);
    const out = JSON.parse(start.stdout) as {
      hookSpecificOutput: { hookEventName: string; additionalContext: string };
    };
    expect(out.hookSpecificOutput.hookEventName).toBe('SessionStart');
    expect(out.hookSpecificOutput.additionalContext.length).toBeLessThanOrEqual(9_000);
    // No recall index yet: nothing to add, nothing printed.
    expect(hook('prompt-recall', payload('user-prompt-submit.json')).stdout).toBe('');
    // Not JSON: nothing printed, exit 0.
    const broken = hook('stop-review', '{not json');
    expect(broken.status).toBe(0);
    expect(broken.stdout).toBe('');
    // An agent this version does not know: the answer every agent accepts.
    expect(hook('stop-review', payload('stop.json'), 'no-such-agent').stdout.trim()).toBe(
      '{"continue":true}',
    );
  });
});
