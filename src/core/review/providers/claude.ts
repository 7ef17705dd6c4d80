/**
 * `claude`: the review is done by the user's own `claude -p` (checked against
 * @anthropic-ai/claude-code 2.1.332), through their Claude login:
 *
 *   claude -p --output-format json --tools "" --strict-mcp-config --disable-slash-commands
 *     --settings '{"disableAllHooks":true}' --no-session-persistence
 *     --system-prompt <prompts/reviewer.md> [--model <model>]      (review input on stdin)
 *
 * - No tools at all (`--tools ""`), no MCP servers, no skills or commands.
 * - Hooks off through `--settings` with `disableAllHooks` rather than `--bare`, because `--bare`
 *   reads only ANTHROPIC_API_KEY and would ignore a subscription login.
 * - `--no-session-persistence`: no transcript is written under the user's Claude config.
 * - `CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1`: the one model call and nothing else;
 *   `CLAUDE_CODE_MAX_RETRIES=1`: our spool retries later instead of Claude retrying for minutes.
 * - Run in an empty temp directory. The JSON result's `is_error`, `api_error_status` and
 *   `result` tell success from "Not logged in", 401, 429 and 5xx.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ReviewRequest, ReviewResponse, ReviewerProvider } from '../types.js';
import {
  agentEnv,
  classifyAgentFailure,
  errorLines,
  locateAgent,
  runAgent,
  withWorkdir,
} from './agent-cli.js';
import { cleanDiagnostic } from '../../compiler/backends/opencode/events.js';
import { isRecord } from '../../json.js';
import { ProviderBadResponseError } from './errors.js';
import type { ProviderSettings } from './settings.js';

/** Settings given with `--settings`: every hook off for this run. */
export const CLAUDE_REVIEW_SETTINGS = '{"disableAllHooks":true}';

/** The argv of one review (program first). */
export function claudeArgv(program: string, system: string, model?: string): string[] {
  const argv = [
    program,
    '-p',
    '--output-format',
    'json',
    '--tools',
    '',
    '--strict-mcp-config',
    '--disable-slash-commands',
  ];
  argv.push('--settings', CLAUDE_REVIEW_SETTINGS, '--no-session-persistence', '--system-prompt', system);
  if (model) argv.push('--model', model);
  return argv;
}

/** The `result` line of `claude -p --output-format stream-json` (`is_error`, `result`, ...), unchecked. */
type ClaudeResult = Record<string, unknown>;

function parseResult(stdout: string): ClaudeResult | undefined {
  const lines = stdout.trim().split('\n');
  for (let i = lines.length - 1; i >= 0; i -= 1) {
    try {
      const value: unknown = JSON.parse(lines[i]!);
      if (isRecord(value) && value.type === 'result') return value;
    } catch {
      // Not the result line.
    }
  }
  return undefined;
}

/** Builds the provider. */
export function createClaudeProvider(settings: ProviderSettings = {}): ReviewerProvider {
  return {
    name: 'claude',
    async review(request: ReviewRequest): Promise<ReviewResponse> {
      const program = locateAgent('claude', settings);
      const env = agentEnv(settings, {
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        CLAUDE_CODE_MAX_RETRIES: '1',
      });
      return withWorkdir(async (dir) => {
        const cwd = join(dir, 'work');
        mkdirSync(cwd, { mode: 0o700 });
        const outcome = await runAgent({
          name: 'claude',
          argv: claudeArgv(program, request.system, settings.model),
          cwd,
          env,
          input: request.user,
          settings,
          signal: request.signal,
        });
        const result = parseResult(outcome.stdout);
        if (result === undefined) {
          if (outcome.exitCode === 0)
            throw new ProviderBadResponseError('the claude reviewer printed no JSON result', {
              provider: 'claude',
            });
          throw classifyAgentFailure(
            'claude',
            errorLines(outcome.stderr) || `exit ${outcome.exitCode ?? outcome.signal ?? '?'}`,
          );
        }
        const text = typeof result.result === 'string' ? result.result : '';
        if (result.is_error === true || outcome.exitCode !== 0) {
          const status = typeof result.api_error_status === 'number' ? result.api_error_status : undefined;
          throw classifyAgentFailure(
            'claude',
            cleanDiagnostic(text || errorLines(outcome.stderr) || String(result.terminal_reason ?? 'error')),
            status,
          );
        }
        if (text.trim() === '')
          throw new ProviderBadResponseError('the claude reviewer finished without an answer', {
            provider: 'claude',
          });
        return { text, provider: 'claude', ...(settings.model ? { model: settings.model } : {}) };
      });
    },
  };
}
