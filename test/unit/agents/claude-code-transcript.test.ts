/**
 * The Claude Code transcript reader on real transcripts (the recorded samples and transcripts
 * recorded offline with the harness): human prompts start turns keyed by their prompt id; hook
 * feedback, injected context, compaction summaries and slash-command echoes never pass for the
 * user; tool calls pair with their results; subagent work joins the turn that started it.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseClaudeTranscript,
  readClaudeTranscript,
  subagentsDir,
} from '../../../src/core/agents/claude-code/transcript.js';
import { TranscriptReadError } from '../../../src/core/agents/transcript-file.js';
import type { TranscriptEntry } from '../../../src/core/agents/types.js';
import { REPO_ROOT } from '../../helpers/run-cli.js';
import { tempDir } from '../../helpers/tmp.js';

const SAMPLES = join(REPO_ROOT, 'test', 'fixtures', 'claude-code-samples');
const RECORDED = join(REPO_ROOT, 'test', 'fixtures', 'claude-code-transcripts');

const users = (entries: readonly TranscriptEntry[]) =>
  entries.filter((e) => e.kind === 'user').map((e) => (e as { text: string }).text);
const assistants = (entries: readonly TranscriptEntry[]) =>
  entries.filter((e) => e.kind === 'assistant').map((e) => (e as { text: string }).text);

describe('the Claude Code transcript reader', () => {
  it('one turn per human prompt, keyed by prompt id; hook feedback and injected context are not the user', async () => {
    const t = await readClaudeTranscript(join(SAMPLES, 'transcript.jsonl'));
    expect(t.sessionId).toBe('43e37f93-a5df-437d-a8d9-3e75f5d6399d');
    expect(t.cwd).toBe('/home/dev/work');
    expect(t.cliVersion).toBe('2.1.332');
    expect(t.skippedLines).toBe(0);
    expect(t.truncated).toBe(false);
    expect(t.turns.map((turn) => turn.turnId)).toEqual([
      'bcfd8f71-9f49-4c56-a92a-3d5cc114e35b',
      'e8798de3-21e3-4023-857a-b659244857c9',
      '4018afb8-dc12-400a-99de-a9a1ac885f09',
    ]);
    expect(t.turns.map((turn) => users(turn.entries))).toEqual([['say hi'], ['again'], ['and again']]);
    // The Stop hook blocked once per turn: both answers are the turn's, the feedback is nobody's.
    expect(assistants(t.turns[0]!.entries)).toEqual([
      'Hi! (fake anthropic reply #1)',
      'Hi! (fake anthropic reply #2)',
    ]);
    const all = JSON.stringify(t.turns);
    expect(all).not.toContain('Stop hook feedback');
    expect(all).not.toContain('OUR_CONTEXT_MARKER');
    expect(all).not.toContain('OUR_RECALL_MARKER');
  });

  it('pairs a Bash call with its output and exit status, named as a shell command', async () => {
    const t = await readClaudeTranscript(join(SAMPLES, 'transcript-tool-use.jsonl'));
    expect(t.turns).toHaveLength(1);
    const entries = t.turns[0]!.entries;
    expect(entries.map((e) => e.kind)).toEqual([
      'user',
      'assistant',
      'tool_call',
      'tool_output',
      'assistant',
    ]);
    expect(entries[2]).toMatchObject({
      kind: 'tool_call',
      name: 'shell',
      input: 'echo TOOL_OUTPUT_123',
      callId: 'toolu_fake_1_1',
    });
    expect(entries[3]).toMatchObject({
      kind: 'tool_output',
      output: 'TOOL_OUTPUT_123',
      exitCode: 0,
      callId: 'toolu_fake_1_1',
    });
  });

  it('a failing command keeps its exit code; an edit becomes a patch naming the file', async () => {
    const t = await readClaudeTranscript(join(RECORDED, 'failed-command.jsonl'));
    const entries = t.turns[0]!.entries;
    const output = entries.find((e) => e.kind === 'tool_output' && e.exitCode !== 0);
    expect(output).toMatchObject({ exitCode: 3, output: 'FAIL_OUT\nFAIL_ERR' });
    const patch = entries.find((e) => e.kind === 'tool_call' && e.name === 'apply_patch');
    expect(patch && 'input' in patch ? patch.input : '').toContain(
      '*** Update File: /tmp/cc-sub/fail/work/notes.txt',
    );
    expect(assistants(entries)).toContain('It failed with exit 3.');
  });

  it('a compaction summary and the /compact echo are not turns; the prompts around them are', async () => {
    const t = await readClaudeTranscript(join(RECORDED, 'compact.jsonl'));
    expect(t.turns.map((turn) => users(turn.entries))).toEqual([
      ['remember that tabs are preferred'],
      ['what next'],
    ]);
    const all = JSON.stringify(t.turns);
    expect(all).not.toContain('This session is being continued');
    expect(all).not.toContain('<command-name>');
    expect(all).not.toContain('local-command');
  });

  it("adds a subagent's commands to the turn that started it, but never its prompt as the user's", async () => {
    const dir = join(RECORDED, 'subagent');
    const main = join(dir, 'b6c03630-426d-43a4-935e-da240300fc86.jsonl');
    expect(subagentsDir(main)).toBe(join(dir, 'b6c03630-426d-43a4-935e-da240300fc86', 'subagents'));
    const t = await readClaudeTranscript(main);
    expect(t.turns).toHaveLength(1);
    const entries = t.turns[0]!.entries;
    expect(users(entries)).toEqual(['check the build with a subagent']);
    expect(entries.find((e) => e.kind === 'tool_call' && e.name === 'shell')).toMatchObject({
      input: 'echo SUB_TOOL_OUTPUT_42',
    });
    expect(entries.find((e) => e.kind === 'tool_output' && e.output === 'SUB_TOOL_OUTPUT_42')).toMatchObject({
      exitCode: 0,
    });
    expect(JSON.stringify(entries)).not.toContain('"text":"Run the build check and report"');
    // Without subagents only the main agent's Agent call is there.
    const alone = await readClaudeTranscript(main, { subagents: false });
    expect(alone.turns[0]!.entries.some((e) => e.kind === 'tool_call' && e.name === 'shell')).toBe(false);
  });

  it('reads only the tail of a large file, from a full line', async () => {
    const dir = tempDir('csep-cc-tail-');
    const file = join(dir, 's.jsonl');
    cpSync(join(SAMPLES, 'transcript.jsonl'), file);
    const t = await readClaudeTranscript(file, { maxBytes: 20_000 });
    expect(t.truncated).toBe(true);
    expect(t.skippedLines).toBe(0);
    expect(t.turns.at(-1)!.turnId).toBe('4018afb8-dc12-400a-99de-a9a1ac885f09');
  });

  it('counts broken lines, and refuses a missing file or a FIFO', async () => {
    const t = parseClaudeTranscript(
      'not json\n{"type":"user","promptId":"p1","message":{"role":"user","content":"hi"}}\n[1]\n',
    );
    expect(t.skippedLines).toBe(2);
    expect(t.turns).toEqual([{ index: 0, turnId: 'p1', entries: [{ kind: 'user', text: 'hi' }] }]);
    const dir = tempDir('csep-cc-bad-');
    await expect(readClaudeTranscript(join(dir, 'missing.jsonl'))).rejects.toMatchObject({
      reason: 'missing',
    });
    const fifo = join(dir, 'fifo.jsonl');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const error = await readClaudeTranscript(fifo).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TranscriptReadError);
    expect(error).toMatchObject({ reason: 'not_a_file' });
    mkdirSync(join(dir, 'd.jsonl'));
    await expect(readClaudeTranscript(join(dir, 'd.jsonl'))).rejects.toBeInstanceOf(TranscriptReadError);
  });
});
