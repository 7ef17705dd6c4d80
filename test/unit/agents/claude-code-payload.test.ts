/**
 * Claude Code payloads (the recorded samples) in neutral terms, and what its hooks print: every
 * Stop of one prompt names the same turn; SessionStart and UserPromptSubmit inject within Claude
 * Code's output limit; Stop and SessionEnd print nothing (Stop context would call the model again).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { claudeCodeAgent } from '../../../src/core/agents/claude-code/index.js';
import {
  backgroundRunning,
  clipContext,
  MAX_CONTEXT_CHARS,
} from '../../../src/core/agents/claude-code/payload.js';
import { REPO_ROOT } from '../../helpers/run-cli.js';

const SAMPLES = join(REPO_ROOT, 'test', 'fixtures', 'claude-code-samples');
const RECORDED = join(REPO_ROOT, 'test', 'fixtures', 'claude-code-transcripts');
const sample = (name: string, dir = SAMPLES) =>
  JSON.parse(readFileSync(join(dir, name), 'utf8')) as Record<string, unknown>;

describe('Claude Code payloads', () => {
  it('a Stop payload is a turn of its prompt; the Stop after a block names the same turn', () => {
    const first = claudeCodeAgent.stopTurn(sample('stop.json'));
    expect(first).toMatchObject({
      id: {
        agent: 'claude-code',
        session: '43e37f93-a5df-437d-a8d9-3e75f5d6399d',
        turn: 'bcfd8f71-9f49-4c56-a92a-3d5cc114e35b',
      },
      cwd: '/home/dev/work',
      transcriptPath:
        '/home/dev/claude-config/projects/-home-dev-work/43e37f93-a5df-437d-a8d9-3e75f5d6399d.jsonl',
      lastAssistantMessage: 'Hi! (fake anthropic reply #1)',
      continued: false,
    });
    const again = claudeCodeAgent.stopTurn(sample('stop-hook-active-true.json'));
    expect(again.id).toEqual(first.id);
    expect(again.continued).toBe(true);
    expect(again.lastAssistantMessage).toBe('Hi! (fake anthropic reply #2)');
  });

  it("SessionEnd names the session's last turn as Stop did", () => {
    expect(claudeCodeAgent.stopTurn(sample('session-end.json')).id).toEqual(
      claudeCodeAgent.stopTurn(sample('stop.json')).id,
    );
  });

  it('without a prompt id, the last assistant message tells turns apart', () => {
    const payload = { ...sample('stop.json') };
    delete payload.prompt_id;
    const a = claudeCodeAgent.stopTurn(payload).id.turn;
    expect(a).toMatch(/^last:[0-9a-f]{16}$/);
    expect(claudeCodeAgent.stopTurn({ ...payload, last_assistant_message: 'other' }).id.turn).not.toBe(a);
    expect(claudeCodeAgent.stopTurn({}).id).toEqual({
      agent: 'claude-code',
      session: 'unknown-session',
      turn: '',
    });
  });

  it('reads the prompt only for prompt recall; SessionStart has no model in -p, compact has one', () => {
    expect(claudeCodeAgent.hookInput('prompt-recall', sample('user-prompt-submit.json'))).toMatchObject({
      prompt: 'say hi',
      session: '43e37f93-a5df-437d-a8d9-3e75f5d6399d',
      cwd: '/home/dev/work',
    });
    expect(claudeCodeAgent.hookInput('session-start', sample('session-start.json')).model).toBeUndefined();
    expect(claudeCodeAgent.hookInput('session-start', sample('session-start-compact.json')).model).toBe(
      'claude-opus-5-5',
    );
    expect(claudeCodeAgent.hookInput('session-start', { cwd: 7, session_id: '' })).toMatchObject({
      cwd: undefined,
      session: undefined,
    });
  });

  it('sees background subagents still running', () => {
    expect(backgroundRunning(sample('subagent-stop.json'))).toBe(true);
    expect(backgroundRunning(sample('stop.json'))).toBe(false);
    expect(backgroundRunning(sample('background-subagent-stop.json', RECORDED))).toBe(false);
  });
});

describe('Claude Code hook output', () => {
  it('SessionStart and UserPromptSubmit inject additionalContext in the shape Claude Code reads', () => {
    const out = claudeCodeAgent.hookOutput(
      'session-start',
      'OUR_CONTEXT_MARKER (source=startup): the user prefers tabs',
    );
    expect(out).toBe(readFileSync(join(SAMPLES, 'session-start.hook-stdout.json'), 'utf8').trim());
    expect(JSON.parse(claudeCodeAgent.hookOutput('prompt-recall', 'note'))).toEqual({
      hookSpecificOutput: { hookEventName: 'UserPromptSubmit', additionalContext: 'note' },
    });
  });

  it('prints nothing when there is nothing to inject, and never anything from Stop or SessionEnd', () => {
    expect(claudeCodeAgent.hookOutput('session-start')).toBe('');
    expect(claudeCodeAgent.hookOutput('prompt-recall', '  ')).toBe('');
    expect(claudeCodeAgent.hookOutput('stop-review', 'would continue the conversation')).toBe('');
    expect(claudeCodeAgent.hookOutput('session-end', 'x')).toBe('');
  });

  it("keeps the context under Claude Code's ~10,000-character limit, cut at a line end", () => {
    const long = Array.from({ length: 400 }, (_, i) => `- lesson ${i}: ${'x'.repeat(40)}`).join('\n');
    const out = JSON.parse(claudeCodeAgent.hookOutput('session-start', long)) as {
      hookSpecificOutput: { additionalContext: string };
    };
    const context = out.hookSpecificOutput.additionalContext;
    expect(context.length).toBeLessThanOrEqual(MAX_CONTEXT_CHARS);
    expect(MAX_CONTEXT_CHARS).toBeLessThan(9_992);
    expect(context).toMatch(/x\n\[… cut to fit/);
    expect(long.startsWith(context.slice(0, context.indexOf('\n[…')))).toBe(true);
    expect(claudeCodeAgent.maxContextChars).toBe(MAX_CONTEXT_CHARS);
    // Never half a surrogate pair.
    const emoji = '😀'.repeat(6000);
    const clipped = clipContext(emoji, 101);
    expect(clipped.length).toBeLessThanOrEqual(101);
    expect(clipped).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });
});
