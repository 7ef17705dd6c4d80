/**
 * The `opencode` reviewer with the real opencode binary (opencode-ai 1.18.33 in node_modules),
 * offline against a fake chat-completions model on 127.0.0.1 (the environment of the copied
 * harness, test/helpers/opencode-sandbox.ts): a Stop hook turn is reviewed by `opencode run`
 * into the queue; a missing, logged-out, hung or garbage-answering opencode leaves the turn
 * spooled with its reason.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  failedEntry,
  NODE_BIN,
  queuedEnvelope,
  REVIEW_ANSWER,
  stopHookFixture,
} from '../helpers/agent-reviewers.js';
import { requestText, startFakeChatModel, type FakeTurn } from '../helpers/fake-chat-model.js';
import { opencodeSandbox } from '../helpers/opencode-sandbox.js';
import { tempDir } from '../helpers/tmp.js';

async function setup(
  respond: (body: Record<string, unknown>, n: number) => FakeTurn,
  extra: Record<string, string> = {},
  config = '',
) {
  const model = await startFakeChatModel(respond);
  onTestFinished(() => model.close());
  const root = tempDir('csep-rev-opencode-');
  const repo = join(root, 'repo');
  const home = join(root, 'csep-home');
  mkdirSync(repo);
  mkdirSync(home);
  if (config) writeFileSync(join(home, 'config.toml'), `schema_version = 2\n\n${config}`);
  const env = {
    PATH: `${NODE_BIN}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    ...opencodeSandbox(root, model.baseURL),
    CODEX_SELF_EVOLUTION_HOME: home,
    CODEX_SELF_EVOLUTION_REVIEWER_PROVIDER: 'opencode',
    ...extra,
  };
  return { model, paths: await stopHookFixture(env, repo, home) };
}

describe('the opencode reviewer (real opencode run 1.18.33, fake model)', () => {
  it('reviews a Stop hook turn into the queue with the read tool only', async () => {
    const { model, paths } = await setup(() => ({ text: REVIEW_ANSWER }));
    const envelope = await queuedEnvelope(paths);
    expect(envelope.reviewer_provider).toBe('opencode');
    expect(envelope.suggestions[0]).toMatchObject({
      family: 'memory_updates',
      summary: 'Start the db container before migrating',
    });
    const chats = model.requests.filter((r) => r.kind === 'chat');
    expect(chats).toHaveLength(1);
    const text = requestText(chats[0]!.body);
    // The attached review input and the shared reviewer prompt reached the model.
    expect(text).toContain('run the migrations please');
    expect(text).toContain('Most turns teach nothing.');
    const tools = ((chats[0]!.body?.tools as Array<{ function?: { name?: string } }> | undefined) ?? []).map(
      (t) => t.function?.name,
    );
    expect(tools).toEqual(['read']);
  }, 120_000);

  it('a missing opencode leaves the turn spooled with what to do', async () => {
    const { paths } = await setup(() => ({ text: REVIEW_ANSWER }), { PATH: '/usr/bin:/bin' });
    const entry = await failedEntry(paths);
    expect(entry.last_error).toMatch(
      /ProviderConfigError: the opencode reviewer needs the opencode CLI, which was not found/,
    );
  });

  it('an opencode whose provider refuses the key (401) is not logged in', async () => {
    const { paths } = await setup(() => ({
      status: 401,
      body: '{"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}}',
    }));
    const entry = await failedEntry(paths);
    expect(entry.last_error).toMatch(/ProviderConfigError: the opencode reviewer is not logged in/);
  });

  it('an opencode that hangs past the timeout is killed and the turn stays spooled', async () => {
    const { paths } = await setup(() => ({ hang: true }), {}, '[review.opencode]\ntimeout_seconds = 4\n');
    const entry = await failedEntry(paths);
    expect(entry.last_error).toMatch(
      /ProviderTimeoutError: the opencode review did not finish within 4 s and was killed/,
    );
  });

  it('an opencode that answers garbage leaves the turn spooled as a bad response', async () => {
    const { paths } = await setup(() => ({ text: 'Nothing worth remembering here, all good.' }));
    const entry = await failedEntry(paths);
    expect(entry.last_error).toMatch(
      /ProviderBadResponseError: opencode answered something that is not reviewer JSON/,
    );
  });
});
