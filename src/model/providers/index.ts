/**
 * The provider registry, keyed by wire format: the one list the provider router (presets and
 * base-URL model strings), the gateway's configured providers and its config schema read.
 * A new wire format is a folder beside these and one line in WIRE_FORMATS.
 */
import type { Provider } from '../provider.js';
import { createAnthropic } from './anthropic/provider.js';
import { createOpenAICompatible, type OpenAICompatibleOptions } from './openai-compatible/provider.js';
import { demoReply } from './scripted/demo-reply.js';
import { scriptedModel } from './scripted/provider.js';

/**
 * What a provider is built from: the OpenAI-compatible options (the widest set), with a name.
 * A wire format ignores what it has no use for (Anthropic: `apiKeyHeader`, `query`).
 */
export type ProviderSettings = OpenAICompatibleOptions & { name: string };

export const WIRE_FORMATS = {
  'openai-compatible': (settings: ProviderSettings): Provider => createOpenAICompatible(settings),
  anthropic: (settings: ProviderSettings): Provider => createAnthropic(settings),
  // Configured by name alone, it is the demo model: it answers that it is not a real LLM.
  scripted: (settings: ProviderSettings): Provider => scriptedModel({ name: settings.name, replies: demoReply }),
};

export type WireFormat = keyof typeof WIRE_FORMATS;

/** Other spellings accepted in configuration: `type: openai` is the OpenAI-compatible format. */
const WIRE_FORMAT_ALIASES: Record<string, WireFormat> = { openai: 'openai-compatible' };

/** Every accepted spelling, for a config schema's enum. */
export const WIRE_FORMAT_NAMES = [...Object.keys(WIRE_FORMATS), ...Object.keys(WIRE_FORMAT_ALIASES)] as [string, ...string[]];

/** The wire format a name or alias stands for, if any. */
export function wireFormatOf(name: string): WireFormat | undefined {
  if (Object.hasOwn(WIRE_FORMATS, name)) return name as WireFormat;
  return Object.hasOwn(WIRE_FORMAT_ALIASES, name) ? WIRE_FORMAT_ALIASES[name] : undefined;
}
