/**
 * The model span, written once for both fronts: the pipeline's `tracing` stage opens a `model`
 * span per call (chat, streamed chat, embeddings) under the span the caller names in its call
 * options, and records usage, cost, cache verdict and saving, target, attempts, latency, time to
 * first token and, for chat, the decision record. The agent hangs it under its step span, the
 * gateway under its request span. Cost lives on the model span: the store sums model spans
 * into a trace's total, which for a gateway session spans many requests.
 *
 * A call without `CallOptions.trace` gets no span, rather than a root span of its own: every
 * model call belongs to something (a run, a request) that owns the trace, and a stray root per
 * call (a cache verifier's, a judge's) would split one run over many traces and count its cost
 * there. Callers that want the span pass `trace: callTrace({ parent })`.
 *
 * The outermost tracing stage a call passes writes its span and marks the call's trace as taken:
 * a pipeline with a tracing stage wrapped in another (e.g. the agent's tracing over a user's own
 * traced pipeline) writes one span, not two, and the store counts its cost once.
 */
import { toSextantError } from '../errors.js';
import type { EmbeddingResponse, ModelRequest, ModelResponse, StreamEvent } from '../model/types.js';
import { abortError } from '../model/abort.js';
import type { CallTrace } from '../model/model.js';
import type { CallContext, Middleware, StreamNext } from '../pipeline/middleware.js';
import { ATTR, OPERATIONS, type DecisionSource } from './attributes.js';
import { decisionAttributes } from './decision.js';
import type { SpanHandle, Tracer } from './tracer.js';

export interface CallTraceOptions {
  /** The caller's span the model span hangs under: the agent's step span, the gateway's request span. */
  parent: SpanHandle;
  /** The sources an answer rests on (DECISION_SOURCES), asked for only when the call answers rather than calling tools. */
  sources?: () => DecisionSource[];
}

/** The mark a tracing stage leaves on a call once it has opened the call's model span. */
const SPAN_OPEN = Object.freeze({ spanOpen: true as const });

/** What a CallTrace is inside this file, its only maker and reader. */
type TraceSlot = CallTraceOptions | typeof SPAN_OPEN;

/** The `trace` call option: puts the call's model span under `parent`. */
export function callTrace(options: CallTraceOptions): CallTrace {
  const slot: TraceSlot = { parent: options.parent, sources: options.sources };
  return slot as unknown as CallTrace;
}

/** The caller's request for a span, unless the call has none, a no-op parent (an untraced caller's), or a stage further out took it. */
function requested(context: CallContext): CallTraceOptions | undefined {
  const slot = context.trace as TraceSlot | undefined;
  if (!slot || 'spanOpen' in slot || slot.parent.spanId === '') return undefined;
  return slot;
}

export interface TracingMiddlewareOptions {
  tracer: Tracer;
}

/**
 * The context for the stages below: the call's trace marked as taken. A copy, not the caller's
 * context changed: a stage further out that calls on twice (a retry of its own) gets a span each time.
 */
function taken(context: CallContext): CallContext {
  return Object.assign({}, context, { trace: SPAN_OPEN as unknown as CallTrace });
}

function openSpan(tracer: Tracer, slot: CallTraceOptions, name: string, attributes: Record<string, unknown>): SpanHandle {
  return tracer.startSpan({ kind: 'model', name, parent: slot.parent, attributes });
}

function chatSpan(tracer: Tracer, slot: CallTraceOptions, request: ModelRequest, stream: boolean): SpanHandle {
  return openSpan(tracer, slot, `chat ${request.model}`, {
    // Named keys before the spreads: an object that starts with a spread and then adds keys is promoted by Node 20 (README, Benchmarks).
    [ATTR.OPERATION]: OPERATIONS.CHAT,
    [ATTR.REQUEST_MODEL]: request.model,
    [ATTR.STREAM]: stream,
    ...(request.temperature !== undefined ? { [ATTR.TEMPERATURE]: request.temperature } : {}),
    ...(request.maxTokens !== undefined ? { [ATTR.MAX_TOKENS]: request.maxTokens } : {}),
  });
}

/** What every answered call records, chat or embeddings. */
function outcomeAttributes(response: ModelResponse | EmbeddingResponse, elapsedMs: number): Record<string, unknown> {
  const { meta } = response;
  return {
    [ATTR.PROVIDER]: meta.provider,
    [ATTR.RESPONSE_MODEL]: response.model,
    [ATTR.INPUT_TOKENS]: response.usage.inputTokens,
    [ATTR.COST_USD]: response.cost?.totalUsd ?? 0,
    [ATTR.LATENCY_MS]: meta.latencyMs ?? elapsedMs,
    ...(meta.target ? { [ATTR.TARGET]: meta.target } : {}),
    ...(meta.cache ? { [ATTR.CACHE_STATUS]: meta.cache } : {}),
    ...(meta.savedUsd !== undefined ? { [ATTR.CACHE_SAVED_USD]: meta.savedUsd } : {}),
    ...(meta.attempts !== undefined ? { [ATTR.ATTEMPTS]: meta.attempts } : {}),
  };
}

function finishChat(span: SpanHandle, slot: CallTraceOptions, request: ModelRequest, response: ModelResponse, began: number, firstTokenMs?: number): void {
  const { usage } = response;
  const ttft = response.meta.timeToFirstTokenMs ?? firstTokenMs;
  span.set(outcomeAttributes(response, performance.now() - began));
  span.set({
    [ATTR.RESPONSE_ID]: response.id,
    [ATTR.FINISH_REASON]: response.finishReason,
    [ATTR.OUTPUT_TOKENS]: usage.outputTokens,
    [ATTR.RESPONSE_MESSAGE]: response.message,
    ...(usage.cachedInputTokens !== undefined ? { [ATTR.CACHED_INPUT_TOKENS]: usage.cachedInputTokens } : {}),
    ...(usage.reasoningTokens !== undefined ? { [ATTR.REASONING_TOKENS]: usage.reasoningTokens } : {}),
    ...(ttft !== undefined ? { [ATTR.TTFT_MS]: ttft } : {}),
  });
  span.set(decisionAttributes(request, response, slot.sources));
  span.end('ok');
}

/** A failed call: 'interrupted' when the caller aborted it (its reason is the error), 'error' otherwise (timeouts included). */
function fail(span: SpanHandle, error: unknown, signal: AbortSignal): void {
  const err = signal.aborted ? abortError(signal) : toSextantError(error);
  span.end(signal.aborted ? 'interrupted' : 'error', { code: err.code, message: err.message });
}

async function* tracedStream(
  tracer: Tracer,
  slot: CallTraceOptions,
  request: ModelRequest,
  context: CallContext,
  next: StreamNext,
): AsyncGenerator<StreamEvent> {
  // Opened on the first read, not when the stream is made: a stream never read leaves no open span behind.
  const span = chatSpan(tracer, slot, request, true);
  const began = performance.now();
  let firstTokenMs: number | undefined;
  let settled = false;
  try {
    for await (const event of next(request, taken(context))) {
      if (firstTokenMs === undefined && event.type !== 'start') firstTokenMs = performance.now() - began;
      if (event.type === 'finish') {
        // Ended before the event goes out: the caller's time with it is not the model's, and a caller that stops here still gets an 'ok' span.
        settled = true;
        finishChat(span, slot, request, event.response, began, firstTokenMs);
      }
      yield event;
    }
    if (!settled) {
      settled = true;
      span.end('error', { code: 'STREAM_INTERRUPTED', message: 'The model stream ended without a finish event' });
    }
  } catch (error) {
    if (!settled) {
      settled = true;
      fail(span, error, context.signal);
    }
    throw error;
  } finally {
    if (!settled) {
      span.end('interrupted', { code: 'ABORTED', message: 'The caller stopped reading the stream before it finished' });
    }
  }
}

/** The pipeline's `tracing` stage: see the file's header. Name: 'tracing'. */
export function tracingMiddleware({ tracer }: TracingMiddlewareOptions): Middleware {
  return {
    name: 'tracing',
    async generate(request, context, next) {
      const slot = requested(context);
      if (!slot) return next(request, context);
      const span = chatSpan(tracer, slot, request, false);
      const began = performance.now();
      let response: ModelResponse;
      try {
        response = await next(request, taken(context));
      } catch (error) {
        fail(span, error, context.signal);
        throw error;
      }
      finishChat(span, slot, request, response, began);
      return response;
    },
    stream(request, context, next) {
      const slot = requested(context);
      return slot ? tracedStream(tracer, slot, request, context, next) : next(request, context);
    },
    async embed(request, context, next) {
      const slot = requested(context);
      if (!slot) return next(request, context);
      const span = openSpan(tracer, slot, `embeddings ${request.model}`, {
        [ATTR.OPERATION]: OPERATIONS.EMBEDDINGS,
        [ATTR.REQUEST_MODEL]: request.model,
      });
      const began = performance.now();
      let response: EmbeddingResponse;
      try {
        response = await next(request, taken(context));
      } catch (error) {
        fail(span, error, context.signal);
        throw error;
      }
      span.set(outcomeAttributes(response, performance.now() - began));
      span.end('ok');
      return response;
    },
  };
}
