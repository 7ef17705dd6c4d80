/**
 * An isolated, offline environment for the real opencode binary (as
 * test/harness/opencode/run-opencode-e2e.sh sets one up): its own HOME and XDG dirs, the
 * stub that keeps opencode from running npm for its plugin, a provider `fake` pointing at a fake
 * model on 127.0.0.1, and the OPENCODE_DISABLE_* switches that keep it from fetching anything.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './run-cli.js';

/** The pinned opencode installed as a dev dependency. */
export const OPENCODE_BIN = join(REPO_ROOT, 'node_modules', '.bin', 'opencode');

/** Model id of the fake provider. */
export const FAKE_MODEL = 'fake/fake-model';

/**
 * Creates `<root>/oc-home` with opencode's config for `baseURL` and returns the environment
 * variables that point opencode at it.
 */
export function opencodeSandbox(root: string, baseURL: string): Record<string, string> {
  const home = join(root, 'oc-home');
  const config = join(home, '.config');
  // opencode installs @opencode-ai/plugin with an embedded npm unless this stub says it is there.
  mkdirSync(join(config, 'opencode', 'node_modules'), { recursive: true });
  writeFileSync(
    join(config, 'opencode', 'package-lock.json'),
    '{"lockfileVersion":3,"packages":{"":{"dependencies":{"@opencode-ai/plugin":"*"}}}}\n',
  );
  const configFile = join(home, 'opencode.json');
  writeFileSync(
    configFile,
    `${JSON.stringify(
      {
        $schema: 'https://opencode.ai/config.json',
        provider: {
          fake: {
            npm: '@ai-sdk/openai-compatible',
            name: 'Fake LLM',
            options: { baseURL, apiKey: 'fake-key' },
            models: { 'fake-model': { name: 'Fake Model', limit: { context: 128000, output: 8192 } } },
          },
        },
        model: FAKE_MODEL,
        small_model: FAKE_MODEL,
        autoupdate: false,
        share: 'disabled',
      },
      null,
      2,
    )}\n`,
  );
  return {
    HOME: home,
    XDG_CONFIG_HOME: config,
    XDG_DATA_HOME: join(home, '.local', 'share'),
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_STATE_HOME: join(home, '.local', 'state'),
    OPENCODE_CONFIG: configFile,
    OPENCODE_DISABLE_MODELS_FETCH: '1',
    OPENCODE_DISABLE_AUTOUPDATE: '1',
    OPENCODE_DISABLE_SHARE: '1',
    OPENCODE_DISABLE_LSP_DOWNLOAD: '1',
    OPENCODE_DISABLE_DEFAULT_PLUGINS: '1',
    OPENCODE_DISABLE_PROJECT_CONFIG: '1',
    OPENCODE_DISABLE_CLAUDE_CODE: '1',
    OPENCODE_DISABLE_EXTERNAL_SKILLS: '1',
  };
}
