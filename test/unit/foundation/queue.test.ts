import { existsSync, readFileSync, readdirSync, renameSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureRuntimeDirs, resolveStatePaths, type StatePaths } from '../../../src/core/paths.js';
import {
  claimBatch,
  completeClaimed,
  countQueue,
  enqueueReviewedTurn,
  listQueue,
  pendingWork,
  readEnvelope,
  recoverStranded,
  releaseFailed,
} from '../../../src/core/queue/queue.js';
import type { Suggestion } from '../../../src/core/schemas.js';
import { tempDir } from '../../helpers/tmp.js';

function setup(): StatePaths {
  const paths = resolveStatePaths({ cwd: tempDir(), home: tempDir() });
  ensureRuntimeDirs(paths);
  return paths;
}

const memory = (summary: string): Suggestion => ({
  family: 'memory_updates',
  summary,
  details: { action: 'add', scope: 'global', content: `${summary} content` },
  confidence: 0.9,
});

function enqueue(
  paths: StatePaths,
  turn: string,
  suggestions: Suggestion[] = [memory(`lesson ${turn}`)],
  timestamp?: string,
) {
  return enqueueReviewedTurn(paths, {
    threadId: 'thread-1',
    turnId: turn,
    cwd: paths.cwd,
    suggestions,
    reviewerProvider: 'dummy',
    ...(timestamp ? { timestamp } : {}),
  });
}

describe('enqueueReviewedTurn', () => {
  it('writes one pending envelope per turn with its history', () => {
    const paths = setup();
    const result = enqueue(paths, 't1');
    expect(result.status).toBe('written');
    const envelope = readEnvelope(result.path!);
    expect(envelope).toMatchObject({
      state: 'pending',
      attempt_count: 0,
      thread_id: 'thread-1',
      turn_id: 't1',
      repo_fingerprint: paths.repoFingerprint,
    });
    expect(envelope.transition_log).toEqual([
      { at: envelope.reviewer_timestamp, from: '', to: 'pending', reason: 'dummy' },
    ]);
  });

  it('is idempotent per turn without reading other envelopes', () => {
    const paths = setup();
    const first = enqueue(paths, 't1');
    const second = enqueue(paths, 't1');
    expect(second).toEqual({ status: 'duplicate', suggestionId: first.suggestionId, path: first.path });
    expect(countQueue(paths).pending).toBe(1);
  });

  it('finds the duplicate in any state', () => {
    const paths = setup();
    enqueue(paths, 't1');
    const claimed = claimBatch(paths, 10);
    completeClaimed(paths, claimed.claimed);
    expect(enqueue(paths, 't1').status).toBe('duplicate');
    expect(countQueue(paths)).toMatchObject({ pending: 0, done: 1 });
  });

  it('writes no envelope for zero suggestions but remembers the turn', () => {
    const paths = setup();
    expect(enqueue(paths, 't1', []).status).toBe('empty');
    expect(countQueue(paths).pending).toBe(0);
    expect(enqueue(paths, 't1', [memory('late')]).status).toBe('duplicate');
  });

  it('completes the envelope when a crash came after the idempotency marker', () => {
    const paths = setup();
    const first = enqueue(paths, 't1');
    // Simulate the crash window: marker written, envelope not.
    renameSync(first.path!, join(paths.stateDir, 'lost.json'));
    const again = enqueue(paths, 't1');
    expect(again.status).toBe('written');
    expect(again.suggestionId).toBe(first.suggestionId);
  });

  it('sanitizes nothing from untrusted text into file names', () => {
    const paths = setup();
    const result = enqueueReviewedTurn(paths, {
      threadId: '../../../etc/passwd',
      turnId: '../x',
      cwd: paths.cwd,
      suggestions: [memory('a')],
      reviewerProvider: 'dummy',
    });
    expect(result.path).toBe(join(paths.queue.pending, `${result.suggestionId}.json`));
    expect(result.suggestionId).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('claimBatch', () => {
  it('claims oldest first by reviewer timestamp, up to the batch size', () => {
    const paths = setup();
    enqueue(paths, 'late', undefined, '2026-01-03T00:00:00Z');
    enqueue(paths, 'early', undefined, '2026-01-01T00:00:00Z');
    enqueue(paths, 'middle', undefined, '2026-01-02T00:00:00Z');
    const result = claimBatch(paths, 2);
    expect(result.claimed.map((c) => c.envelope.turn_id)).toEqual(['early', 'middle']);
    expect(result.claimed.every((c) => c.envelope.state === 'processing')).toBe(true);
    expect(countQueue(paths)).toMatchObject({ pending: 1, processing: 2 });
  });

  it('discards an invalid envelope with its reason and still claims the others', () => {
    const paths = setup();
    enqueue(paths, 'good');
    writeFileSync(join(paths.queue.pending, 'poison.json'), '{"schema_version": 1, "suggestions": "nope"}');
    writeFileSync(join(paths.queue.pending, 'junk.json'), '\u0000\u0001binary');
    const result = claimBatch(paths, 10);
    expect(result.claimed.map((c) => c.envelope.turn_id)).toEqual(['good']);
    expect(result.discarded.map((d) => d.id).sort()).toEqual(['junk', 'poison']);
    const discarded = JSON.parse(readFileSync(join(paths.queue.discarded, 'junk.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(discarded.state).toBe('discarded');
    expect(discarded.failure_reason).toMatch(/invalid envelope: .*invalid JSON/);
    expect(discarded.raw).toContain('binary');
  });
});

describe('failure and recovery', () => {
  it('returns failed work to pending with attempts counted, then to failed after 3', () => {
    const paths = setup();
    enqueue(paths, 't1');
    for (let attempt = 1; attempt <= 3; attempt++) {
      const claimed = claimBatch(paths, 10).claimed;
      expect(claimed).toHaveLength(1);
      const moved = releaseFailed(paths, claimed, `boom ${attempt}`);
      expect(moved[0]!.state).toBe(attempt < 3 ? 'pending' : 'failed');
    }
    expect(countQueue(paths)).toMatchObject({ pending: 0, processing: 0, failed: 1 });
    const failed = readEnvelope(listQueue(paths, 'failed')[0]!.path);
    expect(failed.attempt_count).toBe(3);
    expect(failed.failure_reason).toBe('boom 3');
    expect(failed.transition_log.map((t) => t.to)).toEqual([
      'pending',
      'processing',
      'pending',
      'processing',
      'pending',
      'processing',
      'failed',
    ]);
    expect(claimBatch(paths, 10).claimed).toHaveLength(0);
    expect(pendingWork(paths)).toEqual({ pending: 0, processing: 0, retryableFailed: 0 });
  });

  it('recovers envelopes stranded in processing/ by a dead compile', () => {
    const paths = setup();
    enqueue(paths, 't1');
    claimBatch(paths, 10);
    expect(pendingWork(paths)).toMatchObject({ pending: 0, processing: 1 });
    expect(recoverStranded(paths)).toEqual({ duplicatesRemoved: 0, recovered: 1, discarded: 0 });
    const [file] = listQueue(paths, 'pending');
    const envelope = readEnvelope(file!.path);
    expect(envelope.attempt_count).toBe(1);
    expect(envelope.failure_reason).toMatch(/interrupted/);
  });

  it('removes the less advanced copy when a crash left an id in two states', () => {
    const paths = setup();
    const result = enqueue(paths, 't1');
    const claimed = claimBatch(paths, 10).claimed;
    completeClaimed(paths, claimed);
    // The crash window of a transition: the old copy was not unlinked.
    copyFileSync(
      join(paths.queue.done, `${result.suggestionId}.json`),
      join(paths.queue.processing, `${result.suggestionId}.json`),
    );
    expect(recoverStranded(paths).duplicatesRemoved).toBe(1);
    expect(countQueue(paths)).toMatchObject({ processing: 0, done: 1 });
    expect(existsSync(join(paths.queue.processing, `${result.suggestionId}.json`))).toBe(false);
  });

  it('loads an envelope written by the Python original', () => {
    const paths = setup();
    const python = {
      attempt_count: 0,
      cwd: '/Users/a/code/repo',
      failure_reason: null,
      idempotency_key: '0123456789abcdef',
      repo_fingerprint: 'a'.repeat(40),
      review_snapshot_path: '/x/review/snapshots/t-abc.json',
      reviewer_timestamp: '2026-04-22T10:00:00Z',
      schema_version: 1,
      source_authority: ['transcript', 'memory_files', 'managed_skills_manifest', 'hook_payload'],
      state: 'pending',
      suggestion_id: 'fedcba9876543210',
      suggestions: [
        {
          confidence: 1.0,
          details: { action: 'replace', old_summary: 'Use npm', scope: 'user', content: 'Use pnpm' },
          family: 'memory_updates',
          summary: 'Use pnpm',
        },
        { confidence: 0.5, details: { content: 'c' }, family: 'recall_candidate', summary: 'r' },
        {
          confidence: 1,
          details: { action: 'create', skill_id: 'x', title: 'X', content: 'y' },
          family: 'skill_action',
          summary: 's',
        },
      ],
      thread_id: 'thread',
      transition_log: [{ at: '2026-04-22T10:00:00Z', from: '', reason: 'minimax', to: 'pending' }],
    };
    writeFileSync(join(paths.queue.pending, 'fedcba9876543210.json'), JSON.stringify(python, null, 2));
    const claimed = claimBatch(paths, 10);
    expect(claimed.discarded).toEqual([]);
    expect(claimed.claimed[0]!.envelope.turn_id).toBe('');
    expect(readdirSync(paths.queue.processing)).toEqual(['fedcba9876543210.json']);
  });
});
