import { textOf, type ModelRequest } from '../model/types.js';
import type { Provider } from '../model/provider.js';
import { createAnthropic } from '../model/providers/anthropic.js';
import { createOpenAICompatible } from '../model/providers/openai-compatible.js';
import { scriptedModel, type ScriptedReply } from '../model/providers/scripted.js';
import type { GatewayConfig, ProviderConfig } from './config.js';

/**
 * What the `scripted` demo model answers: a fresh machine with no provider key still gets a
 * working endpoint (for wiring up a client, the dashboard, traces), and the answer says plainly
 * that no real model is behind it.
 */
export function demoReply(request: ModelRequest): ScriptedReply {
  const lastUser = [...request.messages].reverse().find((m) => m.role === 'user');
  const said = lastUser ? textOf(lastUser.content).slice(0, 200) : '';
  return {
    text:
      `This is Sextant's scripted demo model, not a real LLM. You said: "${said}". ` +
      'To serve real models, set OPENAI_API_KEY or ANTHROPIC_API_KEY, or start with `sextant serve --config sextant.yaml`.',
  };
}

function buildProvider(name: string, config: ProviderConfig): Provider {
  const type = config.type ?? (name === 'anthropic' || name === 'scripted' ? name : 'openai');
  if (type === 'scripted') return scriptedModel({ name, replies: demoReply });
  if (type === 'anthropic') return createAnthropic({ name, baseURL: config.baseURL, apiKey: config.apiKey, headers: config.headers });
  return createOpenAICompatible({ name, baseURL: config.baseURL, apiKey: config.apiKey, headers: config.headers });
}

/** One Provider per configured provider; `overrides` (e.g. a scripted model with its own replies) win by name. */
export function buildProviders(config: GatewayConfig, overrides: Record<string, Provider> = {}): Record<string, Provider> {
  const built: Record<string, Provider> = {};
  for (const [name, provider] of Object.entries(config.providers)) built[name] = overrides[name] ?? buildProvider(name, provider);
  return { ...built, ...overrides };
}
