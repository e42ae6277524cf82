import type { ModelRequest, ModelResponse } from '../model/types.js';
import { ATTR, type DecisionChoice, type DecisionSource, type DecisionTool } from './attributes.js';

const NO_TOOLS: DecisionTool[] = [];
/** Per tool list (an agent's, the same array every call): its decision-record form, made once. Read-only once made. */
const offeredCache = new WeakMap<object, DecisionTool[]>();

function toolsOffered(specs: ModelRequest['tools']): DecisionTool[] {
  if (!specs) return NO_TOOLS;
  let tools = offeredCache.get(specs);
  if (!tools) {
    tools = specs.map((t) => ({ name: t.name, ...(t.description ? { description: t.description } : {}) }));
    offeredCache.set(specs, tools);
  }
  return tools;
}

/**
 * The decision record of one model call: what the model was shown, what it chose, the rationale
 * it stated (reasoning, or text beside its tool calls) and the sources an answer rests on.
 * `sources` is called only for an answer: a tool-call step then does not walk the run's results.
 */
export function decisionAttributes(request: ModelRequest, response: ModelResponse, sources?: () => DecisionSource[]): Record<string, unknown> {
  const message = response.message;
  const calls = message.toolCalls ?? [];
  const choice: DecisionChoice = calls.length
    ? { type: 'tool_calls', toolCalls: calls.map((c) => ({ id: c.id, name: c.name, arguments: c.arguments })) }
    : { type: 'answer', text: typeof message.content === 'string' ? message.content : '' };
  const rationale = message.reasoning ?? (calls.length && message.content ? message.content : undefined);
  const cited = calls.length ? undefined : sources?.();
  return {
    [ATTR.DECISION_MESSAGES]: request.messages,
    [ATTR.DECISION_TOOLS]: toolsOffered(request.tools),
    [ATTR.DECISION_CHOICE]: choice,
    ...(rationale ? { [ATTR.DECISION_RATIONALE]: rationale } : {}),
    ...(cited?.length ? { [ATTR.DECISION_SOURCES]: cited } : {}),
  };
}
