import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/core/config/load.js';
import {
  AGENT_PROVIDER_NAMES,
  HTTP_PROVIDER_NAMES,
  PROVIDER_NAMES,
  REVIEWER_KINDS,
  isAgentProviderName,
  isHttpProviderName,
} from '../../../src/core/config/reviewers.js';
import { DIALECT_DEFAULTS } from '../../../src/core/review/providers/endpoints.js';
import { getProvider } from '../../../src/core/review/providers/index.js';

describe('the reviewer list', () => {
  it('derives the agent and HTTP names from the kinds, in the list order', () => {
    expect(AGENT_PROVIDER_NAMES).toEqual(PROVIDER_NAMES.filter((n) => REVIEWER_KINDS[n] === 'agent'));
    expect(HTTP_PROVIDER_NAMES).toEqual(PROVIDER_NAMES.filter((n) => REVIEWER_KINDS[n] === 'http'));
    expect(AGENT_PROVIDER_NAMES).toEqual(['codex', 'claude', 'opencode']);
    expect(HTTP_PROVIDER_NAMES).toEqual(['openai-compatible', 'anthropic-style', 'minimax']);
    expect(isAgentProviderName('claude')).toBe(true);
    expect(isAgentProviderName('minimax')).toBe(false);
    expect(isHttpProviderName('minimax')).toBe(true);
    expect(isHttpProviderName('toString')).toBe(false);
  });

  it('gives every agent reviewer a [review.<name>] table and every HTTP one endpoint defaults', () => {
    const { config } = parseConfig('schema_version = 1\n', { path: '<test>' });
    for (const name of AGENT_PROVIDER_NAMES) expect(config.review[name]).toMatchObject({ path: '' });
    expect(Object.keys(DIALECT_DEFAULTS).sort()).toEqual([...HTTP_PROVIDER_NAMES].sort());
  });

  it('builds the dummy reviewer through the registry and refuses an unknown name', async () => {
    const dummy = await getProvider('dummy', { stubResponse: { memory_updates: [] } });
    expect(typeof dummy.review).toBe('function');
    await expect(getProvider('nope')).rejects.toMatchObject({ kind: 'config' });
  });
});
