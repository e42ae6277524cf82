/** The normalized model layer: types, the Provider interface, providers and pricing. */
export * from './types.js';
export type { CallControls, CallOptions, Model } from './model.js';
export type { Provider, ProviderCallOptions } from './provider.js';
export { parseRetryAfter, type UpstreamCallInfo } from './upstream-errors.js';
export { countTokens, preloadTokenizer, tokenizerReady } from './tokens.js';
export { createOpenAICompatible, OPENAI_BASE_URL, type OpenAICompatibleOptions } from './providers/openai-compatible/provider.js';
export { createAnthropic, ANTHROPIC_BASE_URL, type AnthropicOptions } from './providers/anthropic/provider.js';
export { WIRE_FORMATS, WIRE_FORMAT_NAMES, wireFormatOf, type ProviderSettings, type WireFormat } from './providers/index.js';
export { demoReply } from './providers/scripted/demo-reply.js';
export { defaultDispatcher, type Dispatcher } from './providers/http.js';
export { parseModelString, MODEL_STRING_FORMS, URL_PROVIDER, type ParsedModelString } from './model-string.js';
export { PROVIDER_PRESETS, type Env, type ProviderPreset } from './presets.js';
export { createProviderRouter, type ProviderRouter, type ProviderRouterOptions, type ResolvedTarget, type RouterCallContext } from './router.js';
export {
  scriptedModel,
  type ScriptedModelOptions,
  type ScriptedProvider,
  type ScriptedReplies,
  type ScriptedReply,
  type ScriptedToolCall,
} from './providers/scripted/provider.js';
