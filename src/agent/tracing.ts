import type { ModelRequest, ModelResponse } from '../model/types.js';
import type { CheckDocument } from '../checks/types.js';
import { ATTR, type DecisionChoice, type DecisionSource, type DecisionTool } from '../trace/attributes.js';
import type { SpanHandle, StartSpanOptions, Tracer } from '../trace/tracer.js';

export type Span = SpanHandle;

/** What the loop writes to when no tracer is given: costs one property read per call. */
export const NOOP_SPAN: Span = { traceId: '', spanId: '', set() {}, event() {}, end() {} };

export function startSpan(tracer: Tracer | undefined, options: StartSpanOptions): Span {
  if (!tracer) return NOOP_SPAN;
  // A no-op parent means "no parent" (the run span when untraced never reaches here).
  const parent = options.parent === NOOP_SPAN ? undefined : options.parent;
  return tracer.startSpan(Object.assign({}, options, { parent }));
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
  documents: CheckDocument[] | (() => CheckDocument[]),
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
