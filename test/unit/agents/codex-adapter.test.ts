import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codexAgent } from '../../../src/core/agents/codex/index.js';
import { AGENT_NAMES, DEFAULT_AGENT, loadAgent, UnknownAgentError } from '../../../src/core/agents/index.js';
import { legacyTurnKey, turnKey } from '../../../src/core/agents/turn-key.js';
import { EXIT } from '../../../src/core/errors.js';
import { lastHookCalls } from '../../../src/core/status.js';
import { tempDir } from '../../helpers/tmp.js';

const SAMPLES = join(import.meta.dirname, '..', '..', 'fixtures', 'codex-samples');
const sample = (name: string) =>
  JSON.parse(readFileSync(join(SAMPLES, name), 'utf8')) as Record<string, unknown>;

const SESSION = '01a2161a-5bab-7220-9193-325a99a88743';
const TURN = '01a2161a-5bb4-76b2-8d8d-772a72412262';

describe('the agent registry', () => {
  it('serves Codex by default, once, and refuses an unknown agent as a usage error', async () => {
    expect(DEFAULT_AGENT).toBe('codex');
    expect(AGENT_NAMES[0]).toBe('codex');
    const agent = await loadAgent();
    expect(agent).toBe(codexAgent);
    expect(await loadAgent('codex')).toBe(agent);
    let error: unknown;
    try {
      await loadAgent('no-such-agent');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UnknownAgentError);
    expect((error as UnknownAgentError).exitCode).toBe(EXIT.usage);
    expect((error as UnknownAgentError).hint).toContain('codex');
  });
});

describe('turn keys', () => {
  it('keep the key the versions before the agent seam wrote for a Codex turn', () => {
    // The key of this turn as the previous version computed it (sha1 of {thread_id, turn_id}).
    expect(turnKey({ agent: 'codex', session: SESSION, turn: TURN })).toBe('7d795d31b530aadb');
    expect(legacyTurnKey(SESSION, TURN)).toBe('7d795d31b530aadb');
  });

  it('name the agent for every other agent, so two agents never share a key', () => {
    const other = turnKey({ agent: 'claude-code', session: SESSION, turn: TURN });
    expect(other).toMatch(/^[0-9a-f]{16}$/);
    expect(other).not.toBe('7d795d31b530aadb');
    expect(turnKey({ agent: 'claude-code', session: SESSION, turn: TURN })).toBe(other);
    expect(turnKey({ agent: 'claude-code', session: SESSION, turn: 'x' })).not.toBe(other);
  });
});

describe('the Codex adapter', () => {
  it('maps the real Stop payload to a neutral turn', () => {
    expect(codexAgent.stopTurn(sample('stop.json'))).toEqual({
      id: { agent: 'codex', session: SESSION, turn: TURN },
      session: SESSION,
      cwd: '/home/dev/work',
      transcriptPath: `/home/dev/codex-home/sessions/2026/11/26/rollout-2026-11-26T04-25-55-${SESSION}.jsonl`,
      lastAssistantMessage: 'Hi! (fake model reply #1)',
      model: 'fake-model',
      continued: false,
    });
    expect(codexAgent.stopTurn(sample('stop-hook-active-true.json')).continued).toBe(true);
  });

  it('falls back as the Stop hook always did when the payload lacks ids', () => {
    expect(codexAgent.stopTurn({ thread_id: 'th' }).id).toEqual({ agent: 'codex', session: 'th', turn: '' });
    expect(codexAgent.stopTurn({}).id).toEqual({ agent: 'codex', session: 'unknown-thread', turn: '' });
  });

  it('reads the prompt, session and cwd of the real UserPromptSubmit payload', () => {
    const payload = sample('user-prompt-submit.json');
    const input = codexAgent.hookInput('prompt-recall', payload);
    expect(input.prompt).toBe(payload.prompt);
    expect(input.session).toBe(payload.session_id);
    expect(input.cwd).toBe(payload.cwd);
  });

  it('answers each hook in the exact bytes Codex accepts', () => {
    expect(codexAgent.hookOutput('session-start')).toBe('{"continue":true}');
    expect(codexAgent.hookOutput('stop-review')).toBe('{"continue":true}');
    expect(codexAgent.hookOutput('stop-review', 'ignored')).toBe('{"continue":true}');
    // The same bytes as a SessionStart answer Codex 0.169 injected in the recorded run.
    const recorded = readFileSync(join(SAMPLES, 'session-start.hook-stdout.json'), 'utf8').trim();
    const context = (JSON.parse(recorded) as { hookSpecificOutput: { additionalContext: string } })
      .hookSpecificOutput.additionalContext;
    expect(codexAgent.hookOutput('session-start', context)).toBe(recorded);
    expect(codexAgent.hookOutput('prompt-recall', 'a "note"')).toBe(
      '{"hookSpecificOutput":{"hookEventName":"UserPromptSubmit","additionalContext":"a \\"note\\""}}',
    );
  });

  it("reads the real rollout into turns whose id is the Stop hook's turn", async () => {
    const transcript = await codexAgent.readTranscript(join(SAMPLES, 'transcript.jsonl'));
    expect(transcript.sessionId).toBe(SESSION);
    expect(transcript.truncated).toBe(false);
    const stop = codexAgent.stopTurn(sample('stop.json'));
    expect(transcript.turns.map((t) => t.turnId)).toContain(stop.id.turn);
  });

  it('finds past sessions under <CODEX_HOME>/sessions with their session and cwd', async () => {
    const home = tempDir();
    const dir = join(home, 'sessions', '2026', '11', '26');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `rollout-2026-11-26T04-25-55-${SESSION}.jsonl`);
    writeFileSync(file, readFileSync(join(SAMPLES, 'transcript.jsonl')));
    writeFileSync(join(dir, 'notes.txt'), 'not a rollout');
    expect(codexAgent.sessionsDir(home)).toBe(join(home, 'sessions'));
    const found = await codexAgent.findSessions(home);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ file, session: SESSION, cwd: '/home/dev/work' });
  });

  it('resolves its config directory and skills folder from CODEX_HOME', () => {
    expect(codexAgent.configDir(undefined, { CODEX_HOME: '/x/codex' })).toBe('/x/codex');
    expect(codexAgent.configDir('/y', { CODEX_HOME: '/x/codex' })).toBe('/y');
    expect(codexAgent.skillsDir('/x/codex')).toBe('/x/codex/skills');
  });
});

describe('installing through the Codex adapter', () => {
  const launcher = {
    kind: 'node' as const,
    node: '/usr/bin/node',
    cli: '/opt/csep/bin/codex-self-evolution.js',
  };
  const request = (configDir: string, extra: Record<string, unknown> = {}) => ({
    configDir,
    configDirGiven: true,
    launcher,
    self: 'codex-self-evolution',
    ...extra,
  });

  it('plans on a dry run, installs, reports status, and uninstalls back to nothing', async () => {
    const dir = tempDir();
    const dry = await codexAgent.install(request(dir, { dryRun: true }));
    expect(dry.status).toBe('dry_run');
    expect(dry.json.hooks_json_after).toContain('stop-review --from-stdin');
    expect(existsSync(join(dir, 'hooks.json'))).toBe(false);

    const done = await codexAgent.install(request(dir));
    expect(done).toMatchObject({ status: 'installed', changed: true });
    expect(done.nextSteps[0]).toContain('/hooks');
    expect(done.lines[0]).toEqual({
      text: `Installed the codex-self-evolution hooks in ${join(dir, 'hooks.json')}:`,
      tone: 'bold',
    });
    const status = await codexAgent.status(dir);
    expect(status.installed).toEqual({ 'session-start': true, 'prompt-recall': true, 'stop-review': true });
    expect(status.commands['stop-review']).toBe(
      "'/usr/bin/node' '/opt/csep/bin/codex-self-evolution.js' stop-review --from-stdin # codex-self-evolution managed",
    );
    expect(Object.keys(status.details)).toEqual(['hooks', 'hook_install']);
    expect((await codexAgent.install(request(dir))).status).toBe('unchanged');

    const removed = await codexAgent.uninstall(request(dir));
    expect(removed.status).toBe('removed');
    expect(existsSync(join(dir, 'hooks.json'))).toBe(false);
    expect((await codexAgent.status(dir)).installed).toEqual({
      'session-start': false,
      'prompt-recall': false,
      'stop-review': false,
    });
  });
});

describe('status of each agent', () => {
  it('finds the last hook call of each agent in the log (a line without agent is Codex)', () => {
    const home = tempDir();
    mkdirSync(join(home, 'logs'));
    const line = (o: Record<string, unknown>) => JSON.stringify({ msg: 'cli command completed', ...o });
    writeFileSync(
      join(home, 'logs', 'plugin.log'),
      [
        line({ ts: '2026-12-01T10:00:00Z', kind: 'stop-review', mode: 'from_stdin', exit_code: 0 }),
        line({ ts: '2026-12-01T10:05:00Z', kind: 'session-start', mode: 'from_stdin', exit_code: 0 }),
        line({ ts: '2026-12-01T10:06:00Z', kind: 'session-start', exit_code: 0 }),
        line({
          ts: '2026-12-01T10:07:00Z',
          kind: 'prompt-recall',
          mode: 'from_stdin',
          agent: 'other',
          exit_code: 0,
        }),
        'not json "from_stdin"',
        '',
      ].join('\n'),
    );
    expect(lastHookCalls(home)).toEqual({
      codex: { at: '2026-12-01T10:05:00Z', hook: 'session-start', exit_code: 0 },
      other: { at: '2026-12-01T10:07:00Z', hook: 'prompt-recall', exit_code: 0 },
    });
  });
});
