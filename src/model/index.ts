/** The normalized model layer: types, the Provider interface, providers and pricing. */
export * from './types.js';
export type { Provider, ProviderCallOptions } from './provider.js';
export { parseRetryAfter, type UpstreamCallInfo } from './upstream-errors.js';
export { createOpenAICompatible, OPENAI_BASE_URL, type OpenAICompatibleOptions } from './providers/openai-compatible.js';
