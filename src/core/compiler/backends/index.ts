/**
 * Static registry of compile backends (no filesystem scanning). Each entry lazily imports its
 * module so a heavy backend costs nothing unless chosen.
 *
 * `agent:opencode` lives in `opencode.ts`; its loader gets the fallback setting so that, with
 * fallback disallowed, a missing opencode binary is an error before any claim. A name without an
 * implementation runs the script backend and the receipt says so (backend `<name>`,
 * `fallback_backend: "script"`, a discarded item naming the reason); with fallback disallowed it
 * is an error before any claim.
 */
import { UsageError } from '../../errors.js';
import { BackendUnavailableError } from '../errors.js';
import { BACKEND_NAMES, type BackendName, type CompileBackend } from './types.js';

const REGISTRY: {
  readonly [K in BackendName]?: (options: { allowFallback: boolean }) => Promise<CompileBackend>;
} = {
  script: async () => (await import('./script.js')).default,
  'agent:opencode': async (options) => (await import('./opencode.js')).loadOpencodeBackend(options),
};

/** True for a name `--backend` accepts. */
export function isBackendName(name: string): name is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(name);
}

/** Validates a `--backend` value (UsageError naming the accepted values). */
export function parseBackendName(name: string): BackendName {
  const trimmed = name.trim();
  if (!isBackendName(trimmed))
    throw new UsageError(`unknown compiler backend: ${name} (expected one of: ${BACKEND_NAMES.join(', ')})`);
  return trimmed;
}

/** A fallback wrapper: runs `script` and reports why the requested backend did not run. */
function unavailable(
  name: BackendName,
  script: CompileBackend,
  reason: string,
  detail: string,
): CompileBackend {
  return {
    name,
    deterministic: true,
    async compile(input, options) {
      const artifacts = await script.compile(input, options);
      return {
        ...artifacts,
        backend: name,
        fallback_backend: 'script',
        items: [{ state: 'discarded', reason, backend: name, detail }, ...artifacts.items],
      };
    },
  };
}

/**
 * Resolves a backend by name. An unimplemented backend falls back to `script` (see the module
 * comment) or, with `allowFallback: false`, throws BackendUnavailableError.
 */
export async function resolveBackend(
  name: BackendName,
  options: { allowFallback: boolean },
): Promise<CompileBackend> {
  const load = REGISTRY[name];
  if (load) return load(options);
  const detail = `the ${name} backend is not available in this version`;
  if (!options.allowFallback)
    throw new BackendUnavailableError(`${detail} and fallback to script is disabled`, {
      hint: 'use --backend script',
    });
  const script = await REGISTRY.script!(options);
  return unavailable(
    name,
    script,
    name === 'agent:opencode' ? 'opencode_unavailable' : 'backend_unavailable',
    detail,
  );
}
