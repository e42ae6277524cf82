import { textOf, type ModelRequest } from '../../types.js';
import type { ScriptedReply } from './provider.js';

/**
 * What the `scripted` demo model answers (the gateway's demo model, and the model string `scripted`
 * when no scripted provider is registered): a fresh machine with no provider key still gets a
 * working endpoint or agent, and the answer says plainly that no real model is behind it.
 */
export function demoReply(request: ModelRequest): ScriptedReply {
  const lastUser = [...request.messages].reverse().find((m) => m.role === 'user');
  const said = lastUser ? textOf(lastUser.content).slice(0, 200) : '';
  return {
    text:
      `This is Sextant's scripted demo model, not a real LLM. You said: "${said}". ` +
      'For a real model, use a model string such as openai:gpt-4o-mini with OPENAI_API_KEY (or ANTHROPIC_API_KEY) set; ' +
      'to serve real models, start with `sextant serve --config sextant.yaml`.',
  };
}
