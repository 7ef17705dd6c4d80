/**
 * `import --agent claude-code`: past Claude Code sessions under `<config>/projects/` are found,
 * selected by repository, and each human turn is reviewed keyed exactly as the Stop hook keys it
 * (session + prompt id), so importing twice, or importing a turn the hook reviewed, adds nothing.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { claudeCodeAgent } from '../../../src/core/agents/claude-code/index.js';
import { turnKey } from '../../../src/core/agents/turn-key.js';
import { resolveStatePaths } from '../../../src/core/paths.js';
import { importSessions } from '../../../src/core/review/import.js';
import { REPO_ROOT } from '../../helpers/run-cli.js';
import { tempDir } from '../../helpers/tmp.js';

const SAMPLES = join(REPO_ROOT, 'test', 'fixtures', 'claude-code-samples');
const SESSION = '43e37f93-a5df-437d-a8d9-3e75f5d6399d';

function world() {
  const root = tempDir('csep-cc-import-');
  const repo = join(root, 'repo');
  const other = join(root, 'other');
  const home = join(root, 'home');
  const configDir = join(root, 'claude-config');
  mkdirSync(repo);
  mkdirSync(other);
  const text = readFileSync(join(SAMPLES, 'transcript.jsonl'), 'utf8')
    .replaceAll('"/home/dev/work"', JSON.stringify(repo))
    // A preference the local reviewer learns, in the first prompt.
    .replace(
      '"role":"user","content":"say hi"',
      '"role":"user","content":"From now on always use tabs, never spaces, in this repository."',
    );
  const dir = join(configDir, 'projects', '-repo');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${SESSION}.jsonl`), text);
  // A session of another repository, and a subagent transcript, which is no session of its own.
  const otherDir = join(configDir, 'projects', '-other');
  mkdirSync(join(otherDir, 'abc', 'subagents'), { recursive: true });
  writeFileSync(
    join(otherDir, 'abc.jsonl'),
    text.replaceAll(JSON.stringify(repo), JSON.stringify(other)).replaceAll(SESSION, 'abc'),
  );
  writeFileSync(join(otherDir, 'abc', 'subagents', 'agent-1.jsonl'), '{}\n');
  return { repo, home, configDir };
}

describe('import --agent claude-code', () => {
  it('finds sessions by their head, not subagent files', async () => {
    const { repo, configDir } = world();
    const sessions = await claudeCodeAgent.findSessions(configDir);
    expect(sessions.map((s) => s.session).sort()).toEqual([SESSION, 'abc'].sort());
    expect(sessions.find((s) => s.session === SESSION)?.cwd).toBe(repo);
    expect(sessions.every((s) => Number.isFinite(s.startedAt))).toBe(true);
  });

  it('reviews each turn of the repository once, keyed like the Stop hook', async () => {
    const { repo, home, configDir } = world();
    const run = () => importSessions({ home, agent: 'claude-code', configDir, repo, provider: 'local' });
    const first = await run();
    expect(first).toMatchObject({ rollouts_found: 2, rollouts_selected: 1, turns_reviewed: 3, failures: [] });
    expect(first.envelopes).toBe(1);
    const paths = resolveStatePaths({ cwd: repo, home });
    // The key the Stop hook computes for the first prompt is there: its Stop would skip it.
    const hookKey = turnKey(
      claudeCodeAgent.stopTurn({ session_id: SESSION, prompt_id: 'bcfd8f71-9f49-4c56-a92a-3d5cc114e35b' }).id,
    );
    expect(readFileSync(join(paths.suggestionsDir, '.keys', hookKey), 'utf8')).toContain('suggestion_id');
    const again = await run();
    expect(again).toMatchObject({ turns_reviewed: 0, turns_already_reviewed: 3 });
  });
});
