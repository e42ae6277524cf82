import type { Provider } from '../model/provider.js';
import { WIRE_FORMATS, wireFormatOf } from '../model/providers/index.js';
import type { GatewayConfig, ProviderConfig } from './config.js';

/** A provider's wire format: its `type`, else its name when that names one (`anthropic`, `scripted`), else OpenAI-compatible. */
function buildProvider(name: string, config: ProviderConfig): Provider {
  const format = wireFormatOf(config.type ?? name) ?? 'openai-compatible';
  return WIRE_FORMATS[format]({ name, baseURL: config.baseURL, apiKey: config.apiKey, headers: config.headers });
}

/** One Provider per configured provider; `overrides` (e.g. a scripted model with its own replies) win by name. */
export function buildProviders(config: GatewayConfig, overrides: Record<string, Provider> = {}): Record<string, Provider> {
  const built: Record<string, Provider> = {};
  for (const [name, provider] of Object.entries(config.providers)) built[name] = overrides[name] ?? buildProvider(name, provider);
  return { ...built, ...overrides };
}
