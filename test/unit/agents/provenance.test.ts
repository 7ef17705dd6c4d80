/**
 * Provenance names the agent: a turn queued from a Claude Code session carries `agent` in its
 * envelope and in the provenance of what it teaches; Codex envelopes keep their earlier shape.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { visits } from '../../../src/core/compiler/backends/common.js';
import { provenanceOf } from '../../../src/core/compiler/backends/script.js';
import { ensureRuntimeDirs, resolveStatePaths } from '../../../src/core/paths.js';
import { enqueueReviewedTurn } from '../../../src/core/queue/queue.js';
import type { Envelope } from '../../../src/core/schemas.js';
import { tempDir } from '../../helpers/tmp.js';

const suggestion = {
  family: 'memory_updates' as const,
  summary: 'Tabs',
  details: { scope: 'user', content: 'Always use tabs, never spaces.' },
  confidence: 0.9,
};

describe('provenance by agent', () => {
  it('a Claude Code turn names its agent; a Codex turn stays as before', () => {
    const root = tempDir('csep-prov-');
    const paths = resolveStatePaths({ cwd: root, home: `${root}/home` });
    ensureRuntimeDirs(paths);
    const queued = (agent: string | undefined, session: string) => {
      const result = enqueueReviewedTurn(paths, {
        ...(agent ? { agent } : {}),
        threadId: session,
        turnId: 'p1',
        cwd: root,
        suggestions: [suggestion],
        reviewerProvider: 'local',
      });
      expect(result.status).toBe('written');
      return JSON.parse(readFileSync((result as { path: string }).path, 'utf8')) as Envelope;
    };
    const claude = queued('claude-code', 'session-c');
    const codex = queued(undefined, 'session-x');
    expect(claude).toMatchObject({ agent: 'claude-code', thread_id: 'session-c' });
    expect(codex).not.toHaveProperty('agent');
    // The same session and prompt id in two agents are two turns.
    expect(queued('claude-code', 'session-x').idempotency_key).not.toBe(codex.idempotency_key);
    const [fromClaude] = visits([claude]);
    expect(provenanceOf(fromClaude!)).toMatchObject({
      agent: 'claude-code',
      thread_id: 'session-c',
      turn_id: 'p1',
    });
    expect(provenanceOf(visits([codex])[0]!)).not.toHaveProperty('agent');
  });
});
