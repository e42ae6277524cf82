import type { ModelRequest, ModelResponse } from '../model/types.js';
import { ATTR, type DecisionChoice, type DecisionSource, type DecisionTool } from './attributes.js';

/**
 * A source an answer may rest on, as the caller holds it: a retrieved document or a tool result.
 * Plain data rather than the checks' CheckDocument (which has this shape), since checks/ sits above trace/.
 */
export interface SourceRecord {
  /** The document id for retrievals, the tool call id for tool results. */
  id: string;
  kind: 'retrieval' | 'tool-result';
  /** `document` (title) and `score` for retrievals, `tool` for tool results. */
  metadata?: Record<string, unknown>;
}

const NO_TOOLS: DecisionTool[] = [];
/** Per tool list (the agent's, the same array every call): its decision-record form, made once. Read-only once made. */
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
 * it stated (reasoning, or text beside its tool calls) and the sources an answer rests on
 * (`documents` may be a function, called only for an answer: a tool-call step then does not walk
 * the run's results).
 */
export function decisionAttributes(
  request: ModelRequest,
  response: ModelResponse,
  documents: SourceRecord[] | (() => SourceRecord[]),
): Record<string, unknown> {
  const message = response.message;
  const tools = toolsOffered(request.tools);
  const calls = message.toolCalls ?? [];
  const choice: DecisionChoice = calls.length
    ? { type: 'tool_calls', toolCalls: calls.map((c) => ({ id: c.id, name: c.name, arguments: c.arguments })) }
    : { type: 'answer', text: typeof message.content === 'string' ? message.content : '' };
  const rationale = message.reasoning ?? (calls.length && message.content ? message.content : undefined);
  const sources: DecisionSource[] = calls.length
    ? []
    : (typeof documents === 'function' ? documents() : documents).map((d) =>
        d.kind === 'retrieval'
          ? {
              kind: 'document',
              id: d.id,
              title: String(d.metadata?.document ?? d.id),
              ...(typeof d.metadata?.score === 'number' ? { score: d.metadata.score } : {}),
            }
          : { kind: 'tool_result', id: d.id, title: String(d.metadata?.tool ?? '') },
      );
  return {
    [ATTR.DECISION_MESSAGES]: request.messages,
    [ATTR.DECISION_TOOLS]: tools,
    [ATTR.DECISION_CHOICE]: choice,
    ...(rationale ? { [ATTR.DECISION_RATIONALE]: rationale } : {}),
    ...(sources.length ? { [ATTR.DECISION_SOURCES]: sources } : {}),
  };
}
