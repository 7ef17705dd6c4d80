/**
 * The reviewer registry: how each reviewer named in `config/reviewers.ts` is built. Provider
 * modules are imported only when {@link getProvider} asks for one, so code that only needs to know
 * *which* reviewer would run pays nothing for the HTTP stack.
 */
import { isProviderName, PROVIDER_NAMES, type ProviderName } from '../../config/reviewers.js';
import type { ReviewerProvider } from '../types.js';
import type { ProviderSettings } from './settings.js';

/** How each reviewer is built. Typed over every name, so a new name cannot lack a factory. */
type ReviewerFactory = (settings: ProviderSettings) => Promise<ReviewerProvider>;
const REVIEWER_FACTORIES: Readonly<Record<ProviderName, ReviewerFactory>> = {
  local: () => loadLocalProvider(),
  dummy: async (settings) => (await import('./dummy.js')).createDummyProvider(settings),
  'openai-compatible': async (settings) =>
    (await import('./openai-compatible.js')).createOpenAICompatibleProvider(settings),
  'anthropic-style': async (settings) =>
    (await import('./anthropic-style.js')).createAnthropicStyleProvider(settings),
  minimax: async (settings) => (await import('./minimax.js')).createMinimaxProvider(settings),
  codex: async (settings) => (await import('./codex.js')).createCodexProvider(settings),
  claude: async (settings) => (await import('./claude.js')).createClaudeProvider(settings),
  opencode: async (settings) => (await import('./opencode.js')).createOpencodeProvider(settings),
};

/** Builds the provider `name` with `settings`. Unknown names throw a ProviderConfigError. */
export async function getProvider(name: string, settings: ProviderSettings = {}): Promise<ReviewerProvider> {
  if (isProviderName(name)) return REVIEWER_FACTORIES[name](settings);
  const { ProviderConfigError } = await import('./errors.js');
  throw new ProviderConfigError(`unknown review provider: ${JSON.stringify(name.slice(0, 60))}`, {
    provider: name.slice(0, 60),
    hint: `known providers: ${PROVIDER_NAMES.join(', ')}`,
  });
}

/**
 * The offline reviewer lives in `local.ts` (another module's work). The specifier is a variable
 * so the type checker does not require the file, and its export is checked at run time.
 */
async function loadLocalProvider(): Promise<ReviewerProvider> {
  const specifier = './local.js';
  let module: { localProvider?: ReviewerProvider };
  try {
    module = (await import(specifier)) as { localProvider?: ReviewerProvider };
  } catch (cause) {
    const { ProviderConfigError } = await import('./errors.js');
    throw new ProviderConfigError('the local reviewer is not available in this build', {
      provider: 'local',
      cause,
    });
  }
  const provider = module.localProvider;
  if (!provider || typeof provider.review !== 'function') {
    const { ProviderConfigError } = await import('./errors.js');
    throw new ProviderConfigError('the local reviewer module does not export localProvider', {
      provider: 'local',
    });
  }
  return provider;
}
