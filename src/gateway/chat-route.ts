import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Context } from 'hono';
import { DEFAULTS } from '../defaults.js';
import { SextantError } from '../errors.js';
import type { ModelRequest, ModelResponse, StreamEvent } from '../model/types.js';
import type { Model } from '../model/model.js';
import { ATTR } from '../trace/attributes.js';
import { admitRequest, type CallScope, type CallScopeOptions, openCallScope, routeControls } from './call-scope.js';
import { HEADERS, resultHeaders } from './headers.js';
import { toHttpError } from './http-errors.js';
import { type ModelSpan, startModelSpan } from './model-span.js';
import { parseChatCompletionRequest } from './openai-request.js';
import { createChunkEncoder, SSE_DONE, sseErrorFrame, toChatCompletion } from './openai-response.js';
import { readJsonBody } from './read-body.js';
import { clientSignal, nodeResponse, RESPONSE_ALREADY_SENT } from './request-io.js';
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
      const callOptions = { signal, controls: routeControls(scope, route) };
      const span = startModelSpan(options.tracer, scope.span, { operation: 'chat', model: route.requested, stream: parsed.stream });
      if (parsed.stream) {
        const events = model.stream(request, callOptions);
        return await streamResponse({ c, scope, span, request, signal, started, includeUsage: parsed.includeUsage, requested: route.requested, events });
      }
      let response: ModelResponse;
      try {
        response = await model.generate(request, callOptions);
      } catch (error) {
        span.fail(error, signal.aborted);
        throw error;
      }
      span.finish(request, response);
      const headers = Object.assign(scopeHeaders(scope), resultHeaders(response, performance.now() - started, scope.span?.traceId));
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
  c: Context;
  scope: CallScope;
  span: ModelSpan;
  request: ModelRequest;
  signal: AbortSignal;
  started: number;
  includeUsage: boolean;
  requested: string;
  events: AsyncIterable<StreamEvent>;
}

/** A stream's SSE text, one piece per pipeline event. */
interface SseSource {
  /** The next text to send; undefined once the stream is over (after `[DONE]` and the pipeline's end, or after an error frame). Never throws. */
  next(): Promise<string | undefined>;
  /** The client went away: ends the spans as interrupted and closes the pipeline's stream. */
  cancel(): Promise<void>;
}

function sseSource(options: StreamResponseOptions, iterator: AsyncIterator<StreamEvent>, first: IteratorResult<StreamEvent>): SseSource {
  const { scope, span, request, signal, started, includeUsage, requested } = options;
  const encoder = createChunkEncoder({ includeUsage, id: `chatcmpl-${randomUUID()}`, model: requested });
  let pending: IteratorResult<StreamEvent> | undefined = first;
  let firstTokenMs: number | undefined;
  let doneSent = false;
  /** Set once the request span has ended (end of stream, error or cancel): nothing is sent or recorded after it. */
  let over = false;
  return {
    async next() {
      if (over) return undefined;
      try {
        const step = pending ?? (await iterator.next());
        pending = undefined;
        if (over) return undefined;
        if (step.done) {
          over = true;
          scope.end(200);
          return doneSent ? undefined : SSE_DONE;
        }
        const event = step.value;
        if (firstTokenMs === undefined && event.type !== 'start') firstTokenMs = performance.now() - started;
        if (event.type !== 'finish') return encoder.encode(event).join('');
        const stats = resultHeaders(event.response, performance.now() - started, scope.span?.traceId);
        const trailer = {
          sextant: {
            cache: stats[HEADERS.CACHE],
            cost_usd: stats[HEADERS.COST],
            overhead_ms: stats[HEADERS.OVERHEAD],
            target: stats[HEADERS.TARGET],
            trace_id: stats[HEADERS.TRACE_ID],
          },
        };
        span.finish(request, event.response, firstTokenMs);
        scope.span?.set({ [ATTR.CACHE_STATUS]: stats[HEADERS.CACHE] });
        doneSent = true;
        return encoder.encode(event, trailer).join('') + SSE_DONE;
      } catch (error) {
        if (over) return undefined;
        over = true;
        span.fail(error, signal.aborted);
        const http = toHttpError(error);
        scope.end(http.status, error);
        return sseErrorFrame(http.body);
      }
    },
    async cancel() {
      if (over) return;
      over = true;
      const closed = new SextantError('ABORTED', 'The client closed the stream');
      span.fail(closed, true);
      scope.end(499, closed);
      await iterator.return?.();
    },
  };
}

/** Waits until the response can take more, or is gone. */
function drained(outgoing: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      outgoing.off('drain', done).off('close', done);
      resolve();
    };
    outgoing.on('drain', done).on('close', done);
  });
}

/**
 * Writes the SSE text straight to Node's response (headers with the first frames, backpressure
 * honoured) instead of through a web ReadableStream that node-server reads back: a stream and
 * its reader's promises per frame were a tenth of the gateway's CPU.
 */
async function pipeToNode(source: SseSource, outgoing: ServerResponse, headers: Record<string, string>): Promise<void> {
  outgoing.writeHead(200, headers);
  outgoing.once('close', () => {
    if (!outgoing.writableFinished) void source.cancel();
  });
  for (let text = await source.next(); text !== undefined; text = await source.next()) {
    if (outgoing.destroyed) return;
    // Frames produced in the same turn of the event loop (an upstream read holding several events) leave in one
    // write: uncorked after the turn's I/O callbacks, not on nextTick, which can run between two events of one read.
    if (outgoing.writableCorked === 0) {
      outgoing.cork();
      setImmediate(() => outgoing.uncork());
    }
    if (!outgoing.write(text)) await drained(outgoing);
  }
  if (!outgoing.destroyed) outgoing.end();
}

function webStream(source: SseSource): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const text = await source.next();
      if (text === undefined) controller.close();
      else controller.enqueue(bytes.encode(text));
    },
    cancel: () => source.cancel(),
  });
}

/**
 * Streams the pipeline's events as SSE. The first event is awaited before the headers go out,
 * so a call refused or failed before any output gets a real HTTP error status; an error after
 * that becomes an SSE error frame. After the finish event the client gets `[DONE]` at once,
 * while the pipeline's after-stream work (cache store, budget settle, trace) finishes behind it.
 */
async function streamResponse(options: StreamResponseOptions): Promise<Response> {
  const iterator = options.events[Symbol.asyncIterator]();
  let first: IteratorResult<StreamEvent>;
  try {
    first = await iterator.next();
  } catch (error) {
    options.span.fail(error, options.signal.aborted);
    throw error;
  }
  const source = sseSource(options, iterator, first);
  const headers = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...scopeHeaders(options.scope) };
  const outgoing = nodeResponse(options.c);
  if (!outgoing) return new Response(webStream(source), { status: 200, headers });
  void pipeToNode(source, outgoing, headers);
  return new Response(null, { headers: { [RESPONSE_ALREADY_SENT]: 'true' } });
}
