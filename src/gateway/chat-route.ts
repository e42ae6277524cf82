import { randomUUID } from 'node:crypto';
import type { Context } from 'hono';
import { DEFAULTS } from '../defaults.js';
import { SextantError } from '../errors.js';
import type { ModelRequest, ModelResponse, StreamEvent } from '../model/types.js';
import type { Model } from '../pipeline/middleware.js';
import { ATTR } from '../trace/attributes.js';
import { admitRequest, type CallScope, type CallScopeOptions, openCallScope } from './call-scope.js';
import { HEADERS, resultHeaders } from './headers.js';
import { toHttpError } from './http-errors.js';
import { type ModelSpan, startModelSpan } from './model-span.js';
import { parseChatCompletionRequest } from './openai-request.js';
import { createChunkEncoder, SSE_DONE, sseErrorFrame, toChatCompletion } from './openai-response.js';
import { readJsonBody } from './read-body.js';
import { clientSignal } from './request-io.js';
import type { RouteTable } from './route-table.js';

export interface CallRouteOptions extends CallScopeOptions {
  routes: RouteTable;
  /** The pipeline every call goes through: the request's model is the route's first target, its fallbacks the rest. */
  model: Model;
  /** Bodies above this get a 413. Default DEFAULTS.gateway.bodyLimitBytes. */
  bodyLimitBytes?: number;
}

const ROUTE = '/v1/chat/completions';
const bytes = new TextEncoder();

function scopeHeaders(scope: CallScope): Record<string, string> {
  const headers: Record<string, string> = {};
  if (scope.span) headers[HEADERS.TRACE_ID] = scope.span.traceId;
  if (scope.loopWarning) headers[HEADERS.LOOP_WARNING] = `${scope.loopWarning.pattern}: ${scope.loopWarning.detail}`.replace(/[^\x20-\x7e]/g, '?');
  return headers;
}

/** POST /v1/chat/completions: OpenAI's chat API, plain JSON or SSE, through the pipeline. */
export function chatCompletionsHandler(options: CallRouteOptions) {
  const bodyLimitBytes = options.bodyLimitBytes ?? DEFAULTS.gateway.bodyLimitBytes;
  return async (c: Context): Promise<Response> => {
    const started = performance.now();
    const scope = await openCallScope(c, ROUTE, options);
    try {
      const parsed = parseChatCompletionRequest(await readJsonBody(c, bodyLimitBytes));
      const route = options.routes.resolve(parsed.request.model);
      const admitted = admitRequest(scope, parsed.request, 'chat', options);
      const request: ModelRequest = { ...admitted, model: route.targets[0].model };
      scope.span?.set({ [ATTR.REQUEST_MODEL]: route.requested, [ATTR.STREAM]: parsed.stream });
      const { model } = options;
      const signal = clientSignal(c);
      const callOptions = { signal, controls: { ...scope.controls, fallbacks: route.targets.slice(1).map((t) => t.model) } };
      const span = startModelSpan(options.tracer, scope.span, { operation: 'chat', model: route.requested, stream: parsed.stream });
      if (parsed.stream) {
        const events = model.stream(request, callOptions);
        return await streamResponse({ scope, span, request, signal, started, includeUsage: parsed.includeUsage, requested: route.requested, events });
      }
      let response: ModelResponse;
      try {
        response = await model.generate(request, callOptions);
      } catch (error) {
        span.fail(error, signal.aborted);
        throw error;
      }
      span.finish(request, response);
      const headers = { ...scopeHeaders(scope), ...resultHeaders(response, performance.now() - started, scope.span?.traceId) };
      scope.span?.set({ [ATTR.CACHE_STATUS]: headers[HEADERS.CACHE] });
      scope.end(200);
      return c.json(toChatCompletion(response), 200, headers);
    } catch (error) {
      scope.end(toHttpError(error).status, error);
      throw error;
    }
  };
}

interface StreamResponseOptions {
  scope: CallScope;
  span: ModelSpan;
  request: ModelRequest;
  signal: AbortSignal;
  started: number;
  includeUsage: boolean;
  requested: string;
  events: AsyncIterable<StreamEvent>;
}

/**
 * Streams the pipeline's events as SSE. The first event is awaited before the headers go out,
 * so a call refused or failed before any output gets a real HTTP error status; an error after
 * that becomes an SSE error frame. After the finish event the client gets `[DONE]` at once,
 * while the pipeline's after-stream work (cache store, budget settle, trace) finishes behind it.
 */
async function streamResponse({ scope, span, request, signal, started, includeUsage, requested, events }: StreamResponseOptions): Promise<Response> {
  const iterator = events[Symbol.asyncIterator]();
  let pending: IteratorResult<StreamEvent> | undefined;
  let firstTokenMs: number | undefined;
  try {
    pending = await iterator.next();
  } catch (error) {
    span.fail(error, signal.aborted);
    throw error;
  }
  const encoder = createChunkEncoder({ includeUsage, id: `chatcmpl-${randomUUID()}`, model: requested });
  let finished = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const step = pending ?? (await iterator.next());
        pending = undefined;
        if (step.done) {
          if (!finished) controller.enqueue(bytes.encode(SSE_DONE));
          controller.close();
          scope.end(200);
          return;
        }
        const event = step.value;
        if (firstTokenMs === undefined && event.type !== 'start') firstTokenMs = performance.now() - started;
        let trailer: Record<string, unknown> | undefined;
        if (event.type === 'finish') {
          const stats = resultHeaders(event.response, performance.now() - started, scope.span?.traceId);
          trailer = { sextant: { cache: stats[HEADERS.CACHE], cost_usd: stats[HEADERS.COST], overhead_ms: stats[HEADERS.OVERHEAD], target: stats[HEADERS.TARGET], trace_id: stats[HEADERS.TRACE_ID] } };
          span.finish(request, event.response, firstTokenMs);
          scope.span?.set({ [ATTR.CACHE_STATUS]: stats[HEADERS.CACHE] });
        }
        const frames = encoder.encode(event, trailer);
        if (event.type === 'finish') {
          frames.push(SSE_DONE);
          finished = true;
        }
        controller.enqueue(bytes.encode(frames.join('')));
      } catch (error) {
        span.fail(error, signal.aborted);
        const http = toHttpError(error);
        controller.enqueue(bytes.encode(sseErrorFrame(http.body)));
        controller.close();
        scope.end(http.status, error);
      }
    },
    async cancel() {
      span.fail(new SextantError('ABORTED', 'The client closed the stream'), true);
      await iterator.return?.();
      scope.end(499, new SextantError('ABORTED', 'The client closed the stream'));
    },
  });
  const headers = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...scopeHeaders(scope) };
  return new Response(body, { status: 200, headers });
}
