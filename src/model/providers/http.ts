/**
 * The one place providers touch the network: POST a JSON body over undici's request API and a
 * keep-alive connection pool, map failures to SextantError, read JSON or SSE back. The caller's
 * AbortSignal goes to the request, so aborting closes the connection.
 */
import { Agent, type Dispatcher } from 'undici';
import { DEFAULTS } from '../../defaults.js';
import { SextantError, isSextantError } from '../../errors.js';
import type { ModelResponse, StreamEvent } from '../types.js';
import { badResponseError, fetchError, providerAbortError, streamInterruptedError, upstreamHttpError, type UpstreamCallInfo } from '../upstream-errors.js';

export type { Dispatcher } from 'undici';

/** A 2xx upstream response: the body is a Node stream (async-iterable bytes, `.text()`). */
export type UpstreamResponse = Dispatcher.ResponseData;

let sharedDispatcher: Dispatcher | undefined;

/**
 * The process-wide pool providers send through unless given their own dispatcher: one keep-alive
 * pool per origin (undici's Agent), shared by every provider, so calls to one upstream reuse
 * warm connections whichever provider instance or route makes them.
 */
export function defaultDispatcher(): Dispatcher {
  const settings = DEFAULTS.providers.http;
  sharedDispatcher ??= new Agent({
    connections: settings.connectionsPerOrigin,
    pipelining: settings.pipelining,
    keepAliveTimeout: settings.keepAliveTimeoutMs,
    connect: { timeout: settings.connectTimeoutMs },
  });
  return sharedDispatcher;
}

export interface PostOptions extends UpstreamCallInfo {
  url: URL;
  headers: Record<string, string>;
  body: unknown;
  signal?: AbortSignal;
  /** Default: defaultDispatcher(). */
  dispatcher?: Dispatcher;
}

/** Response headers as a Headers object (error paths only: Retry-After parsing). */
function toHeaders(raw: Record<string, string | string[] | undefined>): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.append(name, value);
  }
  return headers;
}

/** POSTs JSON and returns the response when it is 2xx; any other outcome is thrown as a SextantError. */
export async function postJson(options: PostOptions): Promise<UpstreamResponse> {
  const { signal } = options;
  if (signal?.aborted) throw providerAbortError(options, signal);
  let response: UpstreamResponse;
  try {
    response = await (options.dispatcher ?? defaultDispatcher()).request({
      origin: options.url.origin,
      path: options.url.pathname + options.url.search,
      method: 'POST',
      headers: { 'content-type': 'application/json', ...options.headers },
      body: JSON.stringify(options.body),
      signal,
    });
  } catch (error) {
    throw fetchError(options, error, signal);
  }
  if (response.statusCode >= 200 && response.statusCode < 300) return response;
  let text = '';
  try {
    text = await response.body.text();
  } catch (error) {
    if (signal?.aborted) throw providerAbortError(options, signal, error);
  }
  throw upstreamHttpError(options, response.statusCode, toHeaders(response.headers), text);
}

/** Reads a whole JSON body; a body that is not JSON is UPSTREAM_BAD_RESPONSE. */
export async function readJson<T>(response: UpstreamResponse, info: UpstreamCallInfo, signal?: AbortSignal): Promise<T> {
  let text: string;
  try {
    text = await response.body.text();
  } catch (error) {
    if (signal?.aborted) throw providerAbortError(info, signal, error);
    throw fetchError(info, error, signal);
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw badResponseError(info, `body is not valid JSON (${text.slice(0, 80)})`, error);
  }
}

export interface SseEvent {
  /** The `event:` field; undefined for plain `data:` events (OpenAI). */
  event?: string;
  data: string;
}

/**
 * Parses a Server-Sent Events body (a Node stream or a web ReadableStream: any async iterable of
 * bytes). Yields complete events only; an event cut off by the end of the body is dropped (the
 * caller decides from its own terminal marker whether the stream ended cleanly). A consumer that
 * stops early ends the iteration of the body, which destroys it and closes the connection.
 */
export async function* readSse(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  let event: string | undefined;
  let data: string[] = [];
  for await (const bytes of body) {
    buffer += decoder.decode(bytes, { stream: true });
    let start = 0;
    let newline: number;
    while ((newline = buffer.indexOf('\n', start)) !== -1) {
      const end = newline > start && buffer.charCodeAt(newline - 1) === 13 ? newline - 1 : newline;
      const line = buffer.slice(start, end);
      start = newline + 1;
      if (line === '') {
        if (data.length > 0) yield { event, data: data.length === 1 ? data[0] : data.join('\n') };
        event = undefined;
        data = [];
      } else if (line.startsWith('data:')) {
        data.push(line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5));
      } else if (line.startsWith('event:')) {
        event = line.slice(6).trim();
      }
      // Comments (`:`), `id:` and `retry:` lines carry nothing the providers use.
    }
    buffer = buffer.slice(start);
  }
}

/** The JSON of one SSE data line, or a thrown error the caller turns into STREAM_INTERRUPTED. */
export function parseChunk<T>(data: string): T {
  try {
    return JSON.parse(data) as T;
  } catch (error) {
    throw new SextantError('UPSTREAM_BAD_RESPONSE', `malformed stream chunk (${data.slice(0, 80)})`, { cause: error });
  }
}

/** Turns one wire format's SSE events into StreamEvents; the provider makes one per stream. */
export interface SseDecoder {
  /** Data that ends the stream without being an event (OpenAI's `[DONE]`). */
  readonly endMarker?: string;
  /** True once the format's last event was pushed (Anthropic's message_stop). */
  done?(): boolean;
  /** One event's data: appends the StreamEvents it makes to `out`, or returns the upstream's error event. */
  push(data: string, out: StreamEvent[]): { type?: string; message?: string } | undefined;
  /** Why a body that ended here is incomplete (`sawEndMarker`: the end marker came), or undefined when the answer is whole. */
  incomplete(sawEndMarker: boolean): string | undefined;
  finish(): ModelResponse;
}

/**
 * The read loop both wire formats share: SSE events through the decoder, then the finish event.
 * After the end the body is still read to its close, as the vendors' own clients do, so the
 * connection goes back to the pool. An error event mid-stream (e.g. overloaded) and a body cut
 * short become STREAM_INTERRUPTED, retryable only while nothing was sent; an abort throws the
 * signal's own reason.
 */
export async function* streamSse(response: UpstreamResponse, decoder: SseDecoder, info: UpstreamCallInfo, signal?: AbortSignal): AsyncGenerator<StreamEvent> {
  const state = { outputSent: false, chunks: 0, upstreamType: undefined as string | undefined };
  const events: StreamEvent[] = [];
  let sawEndMarker = false;
  try {
    for await (const sse of readSse(response.body)) {
      if (sawEndMarker || decoder.done?.()) continue;
      if (sse.data === decoder.endMarker) {
        sawEndMarker = true;
        continue;
      }
      state.chunks++;
      const error = decoder.push(sse.data, events);
      if (error) {
        state.upstreamType = error.type;
        throw new SextantError('UPSTREAM_ERROR', error.message ?? 'error event in the stream');
      }
      for (const event of events) {
        if (event.type !== 'start') state.outputSent = true;
        yield event;
      }
      events.length = 0;
    }
  } catch (error) {
    if (signal?.aborted) throw providerAbortError(info, signal, error);
    if (isSextantError(error, 'STREAM_INTERRUPTED')) throw error;
    throw streamInterruptedError(info, error instanceof Error ? error.message : String(error), state, error);
  }
  const incomplete = decoder.incomplete(sawEndMarker);
  if (incomplete) throw streamInterruptedError(info, incomplete, state);
  yield { type: 'finish', response: decoder.finish() };
}
