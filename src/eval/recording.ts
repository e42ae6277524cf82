import { SextantError } from '../errors.js';
import type { AssistantMessage, Message } from '../model/types.js';
import type { StoredSpan, TraceRepository } from '../store/traces.js';
import { ATTR, type DecisionChoice, type DecisionTool } from '../trace/attributes.js';

/** One model call of a recorded run. */
export interface RecordedModelCall {
  step: number;
  messages: Message[];
  tools: DecisionTool[];
  choice: DecisionChoice;
  /** The assistant message exactly as returned, when it was recorded. */
  message?: AssistantMessage;
  responseId: string;
  model: string;
  finishReason: string;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/** One tool execution of a recorded run: what the model was given back. */
export interface RecordedToolCall {
  step: number;
  id: string;
  name: string;
  input: unknown;
  output: string;
  isError: boolean;
}

/** What a run did, read from its trace: enough to serve it again and to compare against. */
export interface Recording {
  runId: string;
  agent: string | null;
  /** The conversation the run started from (session history included), without system messages. */
  input: Message[];
  modelCalls: RecordedModelCall[];
  toolCalls: RecordedToolCall[];
  steps: number;
  stopReason: string | null;
  output: unknown;
}

function attr<T>(span: StoredSpan, name: string): T | undefined {
  return span.attributes[name] as T | undefined;
}

function stepIndexOf(span: StoredSpan, byId: Map<string, StoredSpan>): number {
  for (let s: StoredSpan | undefined = span; s; s = s.parentId ? byId.get(s.parentId) : undefined) {
    if (s.kind === 'step') return Number(attr(s, ATTR.STEP_INDEX) ?? 0);
  }
  return 0;
}

/** Reads a run's behaviour from its spans (stored or in memory). */
export function recordingFromSpans(spans: StoredSpan[]): Recording {
  const byId = new Map(spans.map((s) => [s.id, s]));
  const root = spans.find((s) => s.parentId === null && s.kind === 'run');
  if (!root) throw new SextantError('INVALID_REQUEST', 'The trace has no run span: only agent runs can be replayed');
  const ordered = [...spans].sort((a, b) => a.startedAt - b.startedAt);
  const modelCalls: RecordedModelCall[] = ordered
    .filter((s) => s.kind === 'model' && attr(s, ATTR.DECISION_CHOICE) !== undefined)
    .map((s) => ({
      step: stepIndexOf(s, byId),
      messages: attr<Message[]>(s, ATTR.DECISION_MESSAGES) ?? [],
      tools: attr<DecisionTool[]>(s, ATTR.DECISION_TOOLS) ?? [],
      choice: attr<DecisionChoice>(s, ATTR.DECISION_CHOICE)!,
      message: attr<AssistantMessage>(s, ATTR.RESPONSE_MESSAGE),
      responseId: String(attr(s, ATTR.RESPONSE_ID) ?? s.id),
      model: String(attr(s, ATTR.RESPONSE_MODEL) ?? attr(s, ATTR.REQUEST_MODEL) ?? 'replay'),
      finishReason: String(attr(s, ATTR.FINISH_REASON) ?? 'stop'),
      inputTokens: Number(attr(s, ATTR.INPUT_TOKENS) ?? 0),
      outputTokens: Number(attr(s, ATTR.OUTPUT_TOKENS) ?? 0),
      costUsd: Number(attr(s, ATTR.COST_USD) ?? 0),
    }));
  const toolCalls: RecordedToolCall[] = ordered
    .filter((s) => s.kind === 'tool')
    .map((s) => {
      const output = attr(s, ATTR.TOOL_OUTPUT);
      return {
        step: stepIndexOf(s, byId),
        id: String(attr(s, ATTR.TOOL_CALL_ID) ?? s.id),
        name: String(attr(s, ATTR.TOOL_NAME) ?? s.name),
        input: attr(s, ATTR.TOOL_INPUT),
        output:
          typeof output === 'string'
            ? output
            : output === undefined
              ? s.error
                ? `Error (${s.error.code ?? 'TOOL_ERROR'}): ${s.error.message}`
                : ''
              : JSON.stringify(output),
        isError: attr(s, ATTR.TOOL_IS_ERROR) === true || s.status === 'error',
      };
    });
  const first = modelCalls[0]?.messages ?? [];
  const input = first.filter((m) => m.role !== 'system');
  if (input.length === 0) {
    const text = attr(root, ATTR.RUN_INPUT);
    if (typeof text === 'string') input.push({ role: 'user', content: text });
  }
  return {
    runId: String(attr(root, ATTR.RUN_ID) ?? root.traceId),
    agent: (attr<string>(root, ATTR.AGENT_NAME) ?? root.name) || null,
    input,
    modelCalls,
    toolCalls,
    steps: spans.filter((s) => s.kind === 'step').length,
    stopReason: attr<string>(root, ATTR.STOP_REASON) ?? (root.status === 'ok' ? 'completed' : root.status),
    output: attr(root, ATTR.RUN_OUTPUT),
  };
}

/** Loads a recorded run from the trace store. */
export async function loadRecording(options: { repository: TraceRepository; runId: string }): Promise<Recording> {
  const found = await options.repository.get(options.runId);
  if (!found) throw new SextantError('NOT_FOUND', `No recorded run "${options.runId}"`, { context: { runId: options.runId } });
  if (found.trace.status === 'running') {
    throw new SextantError('INVALID_REQUEST', `Run ${options.runId} is still running: replay it once it has finished`, { context: { runId: options.runId } });
  }
  return recordingFromSpans(found.spans);
}
