import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rolloutText } from '../fixtures/rollouts/rollout-builder.js';
import { DEMO_SESSIONS } from '../../scripts/make-demo-fixtures.js';
import { REPO_ROOT, runCli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/tmp.js';

describe('demo', () => {
  it('learns from the bundled sessions, injects the memory into the next session, and recalls the fix', () => {
    const root = tempDir();
    const result = runCli(['demo', '--json'], { env: { HOME: root, TMPDIR: root }, timeoutMs: 120_000 });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const out = JSON.parse(result.stdout) as Record<string, any>;
    expect(out.before.included).toEqual({ user: 0, global: 0, skills: 0 });
    // One envelope per reviewed turn (each turn of each session is reviewed once, as the Stop hook does).
    expect(out.compile).toMatchObject({ status: 'success', processed_count: 5 });
    const injected = out.after.additional_context as string;
    expect(injected.toLowerCase()).toContain('always use pnpm, never npm');
    // The test command learned from evidence is a how-to: recall, not always-injected memory.
    expect(injected).not.toContain('pnpm test');
    const suggestions = (
      out.reviews as Array<{ suggestions: Array<{ family: string; summary: string }> }>
    ).flatMap((review) => review.suggestions);
    expect(suggestions).toContainEqual({ family: 'recall_candidate', summary: 'Test command: `pnpm test`' });
    expect(injected).toContain('fly deploy');
    expect(injected).toContain('openapi.yaml');
    expect(out.after.included.global).toBe(3);
    expect(out.recall.results[0].content).toContain('docker compose up -d db');
    // The throwaway home is removed unless --keep.
    expect(existsSync(out.home)).toBe(false);
  });

  it('prints a readable walkthrough and keeps the home with --keep', () => {
    const root = tempDir();
    const result = runCli(['demo', '--keep'], { env: { HOME: root, TMPDIR: root }, timeoutMs: 120_000 });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('1. A new session starts: nothing learned yet');
    expect(result.stdout).toContain('5. Mid-task, the agent asks recall');
    expect(result.stdout).not.toContain('\u001b['); // no colour when not a TTY
    const home = /State kept in (\S+)\./.exec(result.stdout)?.[1];
    expect(home && existsSync(join(home, 'projects'))).toBe(true);
    rmSync(join(home!, '..'), { recursive: true, force: true });
  });

  it('ships sample sessions that match their generator', () => {
    const dir = join(REPO_ROOT, 'fixtures', 'demo');
    expect(readdirSync(dir).sort()).toEqual(DEMO_SESSIONS.map((s) => `${s.name}.jsonl`).sort());
    for (const session of DEMO_SESSIONS) {
      expect(readFileSync(join(dir, `${session.name}.jsonl`), 'utf8')).toBe(rolloutText(session.spec));
    }
  });
});
