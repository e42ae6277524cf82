import { scriptedModel, type ScriptedProvider, type ScriptedReply } from './providers/scripted/provider.js';
import { textOf, type ModelRequest } from './types.js';
import { SCRIPTED_PROVIDER } from './model-string.js';

/**
 * What the model string `scripted` answers when no scripted provider is registered: code written
 * against it (an agent, a client of the gateway) runs on a machine with no provider key, and every
 * answer says plainly that no real model is behind it.
 */
export function demoReply(request: ModelRequest): ScriptedReply {
  const lastUser = [...request.messages].reverse().find((m) => m.role === 'user');
  const said = lastUser ? textOf(lastUser.content).slice(0, 200) : '';
  return {
    text:
      `This is Sextant's scripted demo model, not a real LLM. You said: "${said}". ` +
      'For a real model, use a model string such as openai:gpt-4o-mini with OPENAI_API_KEY set.',
  };
}

/** The demo model as a provider named `scripted`. */
export function demoModel(): ScriptedProvider {
  return scriptedModel({ name: SCRIPTED_PROVIDER, replies: demoReply });
}
