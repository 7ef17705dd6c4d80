/**
 * `openai-compatible`: the chat-completions dialect (OpenAI, DeepSeek, Gemini's OpenAI endpoint…).
 * Wire format: `POST <url>` verbatim, `Authorization: Bearer <key>`, body
 * `{model, messages:[system, user], temperature:0, max_tokens, response_format:{type:"json_object"}}`,
 * text from `choices[0].message.content`.
 */
import type { ReviewRequest, ReviewResponse, ReviewerProvider } from '../types.js';
import { postJson, prepareHttpCall } from './http.js';
import { ProviderBadResponseError } from './errors.js';
import type { ProviderSettings } from './settings.js';

const NAME = 'openai-compatible';

/** Default output budget of every HTTP provider. */
export const DEFAULT_MAX_TOKENS = 4096;

/** The request body for `request` (exported for tests and the eval script). */
export function buildOpenAIBody(
  request: Pick<ReviewRequest, 'system' | 'user'>,
  model: string,
  maxTokens: number,
): Record<string, unknown> {
  return {
    model,
    messages: [
      { role: 'system', content: request.system },
      { role: 'user', content: request.user },
    ],
    temperature: 0,
    max_tokens: maxTokens,
    response_format: { type: 'json_object' },
  };
}

/**
 * The answer text of a chat-completions response: `choices[0].message.content`, a string or an
 * array of `{type:"text", text}` parts (some compatible servers). Anything else, or an empty
 * answer, is a {@link ProviderBadResponseError} naming what was missing.
 */
export function extractOpenAIText(json: unknown, provider: string = NAME): string {
  const choices = isRecord(json) ? json['choices'] : undefined;
  const first = Array.isArray(choices) ? (choices[0] as unknown) : undefined;
  const message = isRecord(first) ? first['message'] : undefined;
  if (!isRecord(message)) {
    throw new ProviderBadResponseError(`${provider} answer has no choices[0].message${describeShape(json)}`, {
      provider,
    });
  }
  const content = message['content'];
  let text: string;
  if (typeof content === 'string') {
    text = content;
  } else if (Array.isArray(content)) {
    text = content
      .map((part: unknown) =>
        isRecord(part) && typeof part['text'] === 'string' && (part['type'] ?? 'text') === 'text'
          ? part['text']
          : '',
      )
      .join('');
  } else if (content === null || content === undefined) {
    text = '';
  } else {
    text = JSON.stringify(content);
  }
  if (text.trim() === '') {
    const finish =
      isRecord(first) && typeof first['finish_reason'] === 'string'
        ? ` (finish_reason: ${first['finish_reason']})`
        : '';
    const refusal = typeof message['refusal'] === 'string' ? ' (the model refused)' : '';
    throw new ProviderBadResponseError(`${provider} answered an empty message${finish}${refusal}`, {
      provider,
    });
  }
  return text;
}

/** Builds the provider. Key and endpoint are resolved at each review, before any request. */
export function createOpenAICompatibleProvider(settings: ProviderSettings = {}): ReviewerProvider {
  return {
    name: NAME,
    async review(request: ReviewRequest): Promise<ReviewResponse> {
      const call = prepareHttpCall(NAME, settings);
      const model = call.endpoint.model;
      const result = await postJson({
        ...call.transport,
        provider: NAME,
        url: call.endpoint.url,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${call.apiKey}` },
        body: buildOpenAIBody(request, model, settings.maxTokens ?? DEFAULT_MAX_TOKENS),
        secrets: [call.apiKey],
        ...(request.signal === undefined ? {} : { signal: request.signal }),
      });
      const answeredModel =
        isRecord(result.json) && typeof result.json['model'] === 'string' ? result.json['model'] : model;
      return { text: extractOpenAIText(result.json), provider: NAME, model: answeredModel };
    },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** ` (top-level keys: a, b)` or ` (an error: ...)` — shape only, no content. */
export function describeShape(json: unknown): string {
  if (!isRecord(json)) return ` (got ${Array.isArray(json) ? 'an array' : typeof json})`;
  const error = json['error'];
  if (isRecord(error) && typeof error['message'] === 'string')
    return ` (error: ${error['message'].slice(0, 200)})`;
  return ` (top-level keys: ${Object.keys(json).slice(0, 8).join(', ') || 'none'})`;
}
