import { SextantError, toSextantError } from '../../errors.js';
import { addUsage, type Message, type ModelRequest, type ModelResponse, type StreamEvent } from '../../model/types.js';
import { ATTR, OPERATIONS } from '../../trace/attributes.js';
import { decisionAttributes, startSpan, type Span } from '../tracing.js';
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
  const { agent } = ctx;
  const signal = options.signal ?? ctx.signal;
  const stream = options.onEvent !== undefined;
  const release = admitCall(ctx, request);
  const span = startSpan(agent.tracer, {
    kind: 'model',
    name: `chat ${request.model}`,
    parent: options.parent,
    attributes: { [ATTR.OPERATION]: OPERATIONS.CHAT, [ATTR.REQUEST_MODEL]: request.model, [ATTR.STREAM]: stream },
  });
  const began = performance.now();
  let firstTokenMs: number | undefined;
  try {
    let response: ModelResponse | undefined;
    if (options.onEvent) {
      for await (const event of agent.model.stream(request, { signal })) {
        if (firstTokenMs === undefined && event.type !== 'start') firstTokenMs = performance.now() - began;
        if (event.type === 'finish') response = event.response;
        else options.onEvent(event);
      }
      if (!response) throw new SextantError('STREAM_INTERRUPTED', 'the model stream ended without a finish event', { context: { model: request.model } });
    } else {
      response = await agent.model.generate(request, { signal });
    }
    account(ctx, response);
    if (agent.tracer) recordResponse(ctx, span, request, response, performance.now() - began, firstTokenMs, options.decisionSources === true);
    span.end('ok');
    return response;
  } catch (error) {
    const err = signal.aborted ? abortReason(signal) : toSextantError(error);
    span.end(signal.aborted ? 'interrupted' : 'error', { code: err.code, message: err.message });
    throw err;
  } finally {
    release();
  }
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

function recordResponse(
  ctx: RunContext,
  span: Span,
  request: ModelRequest,
  response: ModelResponse,
  elapsedMs: number,
  firstTokenMs: number | undefined,
  withSources: boolean,
): void {
  span.set({
    [ATTR.PROVIDER]: response.meta.provider,
    [ATTR.RESPONSE_MODEL]: response.model,
    [ATTR.RESPONSE_ID]: response.id,
    [ATTR.FINISH_REASON]: response.finishReason,
    [ATTR.INPUT_TOKENS]: response.usage.inputTokens,
    [ATTR.OUTPUT_TOKENS]: response.usage.outputTokens,
    ...(response.usage.cachedInputTokens !== undefined ? { [ATTR.CACHED_INPUT_TOKENS]: response.usage.cachedInputTokens } : {}),
    ...(response.usage.reasoningTokens !== undefined ? { [ATTR.REASONING_TOKENS]: response.usage.reasoningTokens } : {}),
    [ATTR.COST_USD]: response.cost?.totalUsd ?? 0,
    [ATTR.LATENCY_MS]: response.meta.latencyMs ?? elapsedMs,
    ...((response.meta.timeToFirstTokenMs ?? firstTokenMs) !== undefined ? { [ATTR.TTFT_MS]: response.meta.timeToFirstTokenMs ?? firstTokenMs } : {}),
    ...(response.meta.cache ? { [ATTR.CACHE_STATUS]: response.meta.cache } : {}),
    ...(response.meta.attempts !== undefined ? { [ATTR.ATTEMPTS]: response.meta.attempts } : {}),
    'sextant.model.response': response.message,
  });
  span.set(decisionAttributes(request, response, withSources ? () => documentsOf(ctx.state, ctx.agent.tools) : []));
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
