/**
 * `minimax`: MiniMax through its anthropic-compatible endpoint. Same body and text extraction as
 * `anthropic-style`, but the key goes in `Authorization: Bearer`. The default URL
 * follows `MINIMAX_REGION` (`cn` → api.minimaxi.com, else api.minimax.io) + `/anthropic/v1/messages`;
 * `MINIMAX_BASE_URL` (trailing `/` stripped) overrides it.
 */
import type { ReviewerProvider } from '../types.js';
import { reviewWithMessagesApi } from './anthropic-style.js';
import type { ProviderSettings } from './settings.js';

/** Builds the provider. Key and endpoint are resolved at each review, before any request. */
export function createMinimaxProvider(settings: ProviderSettings = {}): ReviewerProvider {
  return {
    name: 'minimax',
    review: (request) => reviewWithMessagesApi('minimax', settings, request, 'bearer'),
  };
}
