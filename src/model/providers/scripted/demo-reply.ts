import { textOf, type ModelRequest } from '../../types.js';
import type { ScriptedReply } from './provider.js';

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
