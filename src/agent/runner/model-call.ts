import { SextantError, toSextantError } from '../../errors.js';
import { addUsage, type Message, type ModelRequest, type ModelResponse, type StreamEvent } from '../../model/types.js';
import type { CheckDocument } from '../../checks/types.js';
import type { CallTrace } from '../../model/model.js';
import type { DecisionSource } from '../../trace/attributes.js';
import { callTrace } from '../../trace/tracing-middleware.js';
import { NOOP_SPAN, type Span } from '../tracing.js';
import type { StepRecord } from '../types.js';
import { documentsOf } from './conversation.js';
import { outputFormat } from './output.js';
import { admitCall } from './cost-reservation.js';
import { requestMetadata, type RunContext } from './run-context.js';
import { abortReason } from './stop.js';

/**
 * One model call of the agent's own steps: the conversation with the agent's instructions,
 * tools and output format, admitted against the run's cost limit first, streamed when the run
 * streams (every delta reaches the run's events), and accounted in the run's usage and cost.
 */
export async function callModel(
  ctx: RunContext,
  messages: Message[],
  step: number,
  extra: Partial<ModelRequest> = {},
  signal?: AbortSignal,
): Promise<ModelResponse> {
  const { agent, options } = ctx;
  const emit = options.emit;
  const request: ModelRequest = {
    model: agent.modelName,
    messages: [...ctx.systemMessages, ...messages],
    ...(ctx.toolSpecs.length ? { tools: ctx.toolSpecs } : {}),
    ...(agent.outputSchema ? { responseFormat: outputFormat(agent.outputSchema) } : {}),
    ...agent.request,
    metadata: requestMetadata(ctx),
    ...extra,
  };
  const onEvent = emit && options.stream ? (event: StreamEvent) => forward(event, step, emit) : options.stream ? ignore : undefined;
  return invokeModel(ctx, request, { parent: ctx.stepSpan, onEvent, signal, decisionSources: true });
}

export interface InvokeOptions {
  /** The span the model span hangs under (the step's, or a check's). */
  parent: Span;
  /** Stream the call, handing each event here as it arrives. */
  onEvent?: (event: StreamEvent) => void;
  signal?: AbortSignal;
  /** Record the run's sources in the decision record (the agent's own steps). */
  decisionSources?: boolean;
}

/**
 * Every model call a run makes goes through here: admitted against the run's cost limit,
 * traced as a model span, made with the run's signal, and accounted in the run's usage and cost.
 */
export async function invokeModel(ctx: RunContext, request: ModelRequest, options: InvokeOptions): Promise<ModelResponse> {
  const signal = options.signal ?? ctx.signal;
  const callOptions = { signal, trace: modelSpanUnder(ctx, options.parent, options.decisionSources === true) };
  const release = admitCall(ctx, request);
  try {
    let response: ModelResponse | undefined;
    if (options.onEvent) {
      for await (const event of ctx.agent.model.stream(request, callOptions)) {
        if (event.type === 'finish') response = event.response;
        else options.onEvent(event);
      }
      if (!response) throw new SextantError('STREAM_INTERRUPTED', 'the model stream ended without a finish event', { context: { model: request.model } });
    } else {
      response = await ctx.agent.model.generate(request, callOptions);
    }
    account(ctx, response);
    return response;
  } catch (error) {
    throw callError(error, signal);
  } finally {
    release();
  }
}

/** What a failed call of the run throws: the run's own abort reason (timeout or cancel) when it was aborted, else the error as a SextantError. */
export function callError(error: unknown, signal: AbortSignal): SextantError {
  return signal.aborted ? abortReason(signal) : toSextantError(error);
}

/**
 * Where the call's model span goes (the tracing middleware writes it): under `parent`, with the
 * run's documents as the answer's sources on the agent's own steps. Nothing when untraced.
 */
export function modelSpanUnder(ctx: RunContext, parent: Span, withSources: boolean): CallTrace | undefined {
  if (!ctx.agent.tracer || parent === NOOP_SPAN) return undefined;
  return callTrace({ parent, ...(withSources ? { sources: () => documentsOf(ctx.state, ctx.agent.tools).map(decisionSource) } : {}) });
}

function decisionSource(d: CheckDocument): DecisionSource {
  return d.kind === 'retrieval'
    ? { kind: 'document', id: d.id, title: String(d.metadata?.document ?? d.id), ...(typeof d.metadata?.score === 'number' ? { score: d.metadata.score } : {}) }
    : { kind: 'tool_result', id: d.id, title: String(d.metadata?.tool ?? '') };
}

function ignore(): void {}

/** A model stream event as the run's event (the finish event is the step's, sent by the loop). */
function forward(event: StreamEvent, step: number, emit: NonNullable<RunContext['options']['emit']>): void {
  switch (event.type) {
    case 'text-delta':
      return emit({ type: 'text-delta', step, delta: event.delta });
    case 'reasoning-delta':
      return emit({ type: 'reasoning-delta', step, delta: event.delta });
    case 'tool-call-start':
      return emit({ type: 'tool-call-start', step, index: event.index, toolCallId: event.id, toolName: event.name });
    case 'tool-call-delta':
      return emit({ type: 'tool-call-delta', step, index: event.index, argumentsDelta: event.argumentsDelta });
  }
}

/** Adds a response's usage and cost to the run's. */
export function account(ctx: RunContext, response: Pick<ModelResponse, 'usage' | 'cost'>): void {
  const { state } = ctx;
  state.usage = addUsage(state.usage, response.usage);
  if (response.cost) {
    state.cost = {
      inputUsd: state.cost.inputUsd + response.cost.inputUsd,
      outputUsd: state.cost.outputUsd + response.cost.outputUsd,
      totalUsd: state.cost.totalUsd + response.cost.totalUsd,
      ...(state.cost.unpriced || response.cost.unpriced ? { unpriced: true } : {}),
    };
  }
}

export function stepRecord(index: number, response: ModelResponse, began: number): StepRecord {
  return {
    index,
    response: {
      id: response.id,
      model: response.model,
      message: response.message,
      finishReason: response.finishReason,
      usage: response.usage,
      costUsd: response.cost?.totalUsd ?? 0,
    },
    toolResults: [],
    durationMs: performance.now() - began,
  };
}
