/**
 * `anthropic-style`: the messages dialect (Anthropic, and the anthropic-compatible endpoints of
 * GLM, Kimi, MiniMax…). Wire format: `POST <url>` verbatim, `x-api-key: <key>`,
 * `anthropic-version: 2023-06-01`, body `{model, system, messages:[user], temperature:0,
 * max_tokens}`, text = the `text` of every text block of `content[]` joined by newlines
 * (thinking blocks are ignored).
 */
import type { ReviewRequest, ReviewResponse, ReviewerProvider } from '../types.js';
import { postJson, prepareHttpCall } from './http.js';
import { ProviderBadResponseError } from './errors.js';
import type { ProviderSettings } from './settings.js';
import { DEFAULT_MAX_TOKENS, describeShape } from './openai-compatible.js';

const NAME = 'anthropic-style';

/** Default `anthropic-version` header. */
export const DEFAULT_ANTHROPIC_VERSION = '2023-06-01';

/** The request body of the messages dialect (shared with minimax). */
export function buildAnthropicBody(
  request: Pick<ReviewRequest, 'system' | 'user'>,
  model: string,
  maxTokens: number,
): Record<string, unknown> {
  return {
    model,
    system: request.system,
    messages: [{ role: 'user', content: request.user }],
    temperature: 0,
    max_tokens: maxTokens,
  };
}

/**
 * The answer text of a messages response. Blocks other than `text` (`thinking`,
 * `redacted_thinking`, `tool_use`) contribute nothing. An `{type:"error"}` body, a missing
 * `content` array or an answer with no text is a {@link ProviderBadResponseError}.
 */
export function extractAnthropicText(json: unknown, provider: string = NAME): string {
  if (isRecord(json) && json['type'] === 'error') {
    throw new ProviderBadResponseError(`${provider} answered an error object${describeShape(json)}`, {
      provider,
    });
  }
  const content = isRecord(json) ? json['content'] : undefined;
  if (!Array.isArray(content)) {
    throw new ProviderBadResponseError(`${provider} answer has no content[] array${describeShape(json)}`, {
      provider,
    });
  }
  const text = content
    .map((block: unknown) =>
      isRecord(block) && block['type'] === 'text' && typeof block['text'] === 'string' ? block['text'] : '',
    )
    .filter((part) => part !== '')
    .join('\n')
    .trim();
  if (text === '') {
    const stop =
      isRecord(json) && typeof json['stop_reason'] === 'string'
        ? ` (stop_reason: ${json['stop_reason']})`
        : '';
    throw new ProviderBadResponseError(`${provider} answered no text${stop}`, { provider });
  }
  return text;
}

/** One messages-dialect review; `auth` decides the header carrying the key. */
export async function reviewWithMessagesApi(
  name: 'anthropic-style' | 'minimax',
  settings: ProviderSettings,
  request: ReviewRequest,
  auth: 'x-api-key' | 'bearer',
): Promise<ReviewResponse> {
  const call = prepareHttpCall(name, settings);
  const model = call.endpoint.model;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (auth === 'x-api-key') {
    headers['x-api-key'] = call.apiKey;
    headers['anthropic-version'] = settings.anthropicVersion?.trim() || DEFAULT_ANTHROPIC_VERSION;
  } else {
    headers['authorization'] = `Bearer ${call.apiKey}`;
  }
  const result = await postJson({
    ...call.transport,
    provider: name,
    url: call.endpoint.url,
    headers,
    body: buildAnthropicBody(request, model, settings.maxTokens ?? DEFAULT_MAX_TOKENS),
    secrets: [call.apiKey],
    ...(request.signal === undefined ? {} : { signal: request.signal }),
  });
  const answeredModel =
    isRecord(result.json) && typeof result.json['model'] === 'string' ? result.json['model'] : model;
  return { text: extractAnthropicText(result.json, name), provider: name, model: answeredModel };
}

/** Builds the provider. Key and endpoint are resolved at each review, before any request. */
export function createAnthropicStyleProvider(settings: ProviderSettings = {}): ReviewerProvider {
  return {
    name: NAME,
    review: (request) => reviewWithMessagesApi(NAME, settings, request, 'x-api-key'),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
