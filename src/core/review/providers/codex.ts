/**
 * `codex`: the review is done by the user's own `codex exec` (checked against @openai/codex
 * 0.169.0), through their Codex login and configuration, invisibly:
 *
 *   codex exec --ephemeral --disable hooks --disable <tool features> -s read-only
 *     --skip-git-repo-check --color never -c model_instructions_file="<prompt file>"
 *     -c web_search="disabled" [-c model_reasoning_effort="low"] --output-schema <schema file>
 *     -o <answer file> [-m <model>] -
 *
 * - `--ephemeral`: no rollout under `$CODEX_HOME/sessions`, nothing in `codex resume`.
 * - `--disable hooks`: none of the user's hooks (ours included) runs for the review; the
 *   environment also carries our recursion guard.
 * - `-s read-only`, the shell/exec/multi-agent/goal/app/image tools switched off and web search
 *   disabled: the transcript is untrusted text, and the reviewer needs no tool at all.
 * - Run in an empty temp directory; the prompt and the schema live beside it, not in it.
 * - `model_instructions_file` replaces Codex's own coding-agent instructions with the reviewer
 *   prompt (prompts/reviewer.md), which also makes each review much cheaper; so does
 *   `model_reasoning_effort="low"` (`[review.codex] reasoning_effort`, "" keeps the user's).
 * - The redacted review input goes on stdin (`-` as the prompt); the final answer is read from
 *   the `-o` file, forced into the reviewer's JSON shape by `--output-schema`.
 * - A feature name an older or newer Codex does not know ("Unknown feature flag: x") is dropped
 *   and the run repeated, except `hooks`, which must stay off.
 *
 * Before spending anything, a Codex that would use OpenAI without any credential (no auth.json,
 * no OPENAI_API_KEY/CODEX_API_KEY, no other model provider configured) is reported as not logged
 * in.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { readEnv } from '../../env.js';
import type { ReviewRequest, ReviewResponse, ReviewerProvider } from '../types.js';
import {
  agentEnv,
  classifyAgentFailure,
  errorLines,
  locateAgent,
  runAgent,
  withWorkdir,
} from './agent-cli.js';
import { ProviderBadResponseError, ProviderConfigError } from './errors.js';
import type { ProviderSettings } from './settings.js';
import { REVIEWER_OUTPUT_JSON_SCHEMA } from './reviewer-schema.js';

/** Features switched off for a review: hooks, and every tool a reviewer does not need. */
export const CODEX_DISABLED_FEATURES = [
  'hooks',
  'shell_tool',
  'unified_exec',
  'multi_agent',
  'goals',
  'apps',
  'image_generation',
] as const;

/** The argv of one review (program first). `features` are the ones to switch off. */
export function codexArgv(
  program: string,
  files: { prompt: string; schema: string; answer: string },
  features: readonly string[],
  model?: string,
  reasoningEffort?: string,
): string[] {
  const argv = [program, 'exec', '--ephemeral'];
  for (const feature of features) argv.push('--disable', feature);
  argv.push('-s', 'read-only', '--skip-git-repo-check', '--color', 'never');
  argv.push('-c', `model_instructions_file=${JSON.stringify(files.prompt)}`, '-c', 'web_search="disabled"');
  if (reasoningEffort) argv.push('-c', `model_reasoning_effort=${JSON.stringify(reasoningEffort)}`);
  argv.push('--output-schema', files.schema, '-o', files.answer);
  if (model) argv.push('-m', model);
  argv.push('-');
  return argv;
}

/**
 * True when Codex certainly has nothing to authenticate with: it would use OpenAI (no
 * `model_provider` set, or `openai`), keeps credentials in a file (the default), and there is no
 * `auth.json` and no key in the environment. Unsure cases (keyring, unreadable config) are false.
 */
export function codexCertainlyLoggedOut(
  env: NodeJS.ProcessEnv,
  readConfig: (file: string) => string | undefined,
): boolean {
  if (readEnv('OPENAI_API_KEY', env) || readEnv('CODEX_API_KEY', env)) return false;
  const home = readEnv('CODEX_HOME', env) ?? join(readEnv('HOME', env) ?? homedir(), '.codex');
  if (existsSync(join(home, 'auth.json'))) return false;
  const text = readConfig(join(home, 'config.toml'));
  if (text === undefined) return true;
  // A cheap line scan (the full parse is Codex's job): root-level keys before the first table.
  const root = `\n${text}`.split(/\r?\n\s*\[/)[0] ?? '';
  const provider = /^\s*model_provider\s*=\s*["']([^"']*)["']/m.exec(root)?.[1];
  if (provider !== undefined && provider !== 'openai') return false;
  if (/^\s*cli_auth_credentials_store\s*=\s*["'](keyring|auto)["']/m.exec(root)) return false;
  if (/^\s*preferred_auth_method\s*=/m.test(root)) return false;
  return true;
}

function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Builds the provider. */
export function createCodexProvider(settings: ProviderSettings = {}): ReviewerProvider {
  return {
    name: 'codex',
    async review(request: ReviewRequest): Promise<ReviewResponse> {
      const program = locateAgent('codex', settings);
      const env = agentEnv(settings);
      if (codexCertainlyLoggedOut(env, readIfExists)) {
        throw new ProviderConfigError(
          'the codex reviewer is not logged in (no Codex credentials found); run `codex login`',
          { provider: 'codex' },
        );
      }
      return withWorkdir(async (dir) => {
        const files = {
          prompt: join(dir, 'reviewer.md'),
          schema: join(dir, 'reviewer-output.schema.json'),
          answer: join(dir, 'answer.json'),
        };
        const cwd = join(dir, 'work');
        mkdirSync(cwd, { mode: 0o700 });
        writeFileSync(files.prompt, request.system, { mode: 0o600 });
        writeFileSync(files.schema, JSON.stringify(REVIEWER_OUTPUT_JSON_SCHEMA), { mode: 0o600 });
        const features: string[] = [...CODEX_DISABLED_FEATURES];
        for (;;) {
          const outcome = await runAgent({
            name: 'codex',
            argv: codexArgv(program, files, features, settings.model, settings.reasoningEffort),
            cwd,
            env,
            input: request.user,
            settings,
            signal: request.signal,
          });
          if (outcome.exitCode !== 0) {
            const unknown = /Unknown feature flag: ([A-Za-z0-9_]+)/.exec(outcome.stderr)?.[1];
            if (unknown !== undefined && unknown !== 'hooks' && features.includes(unknown)) {
              features.splice(features.indexOf(unknown), 1);
              continue;
            }
            throw classifyAgentFailure(
              'codex',
              errorLines(outcome.stderr) || `exit ${outcome.exitCode ?? outcome.signal ?? '?'}`,
            );
          }
          const answer = (readIfExists(files.answer) ?? outcome.stdout).trim();
          if (answer === '')
            throw new ProviderBadResponseError('the codex reviewer finished without an answer', {
              provider: 'codex',
            });
          return { text: answer, provider: 'codex', ...(settings.model ? { model: settings.model } : {}) };
        }
      });
    },
  };
}
