/**
 * The one place providers touch the network: POST a JSON body, map failures to SextantError,
 * read JSON or SSE back. The caller's AbortSignal goes to fetch, so aborting closes the connection.
 */
import { SextantError } from '../../errors.js';
import { abortError, badResponseError, fetchError, upstreamHttpError, type UpstreamCallInfo } from '../upstream-errors.js';

export type FetchFunction = typeof globalThis.fetch;

export interface PostOptions extends UpstreamCallInfo {
  url: string;
  headers: Record<string, string>;
  body: unknown;
  signal?: AbortSignal;
  fetch?: FetchFunction;
}

/** POSTs JSON and returns the response when it is 2xx; any other outcome is thrown as a SextantError. */
export async function postJson(options: PostOptions): Promise<Response> {
  const doFetch = options.fetch ?? globalThis.fetch;
  if (options.signal?.aborted) throw abortError(options, options.signal);
  let response: Response;
  try {
    response = await doFetch(options.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...options.headers },
      body: JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (error) {
    throw fetchError(options, error, options.signal);
  }
  if (response.ok) return response;
  let text = '';
  try {
    text = await response.text();
  } catch (error) {
    if (options.signal?.aborted) throw abortError(options, options.signal, error);
  }
  throw upstreamHttpError(options, response.status, response.headers, text);
}

/** Reads a whole JSON body; a body that is not JSON is UPSTREAM_BAD_RESPONSE. */
export async function readJson<T>(response: Response, info: UpstreamCallInfo, signal?: AbortSignal): Promise<T> {
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    if (signal?.aborted) throw abortError(info, signal, error);
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
 * Parses a Server-Sent Events body. Yields complete events only; an event cut off by the end
 * of the body is dropped (the caller decides from its own terminal marker whether the stream
 * ended cleanly). Cancels the body when the consumer stops early, which closes the connection.
 */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let event: string | undefined;
  let data: string[] = [];
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        finished = true;
        return;
      }
      buffer += decoder.decode(value, { stream: true });
      let newline: number;
      while ((newline = buffer.indexOf('\n')) !== -1) {
        let line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (line.endsWith('\r')) line = line.slice(0, -1);
        if (line === '') {
          if (data.length > 0) yield { event, data: data.join('\n') };
          event = undefined;
          data = [];
        } else if (line.startsWith('data:')) {
          data.push(line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5));
        } else if (line.startsWith('event:')) {
          event = line.slice(6).trim();
        }
        // Comments (`:`), `id:` and `retry:` lines carry nothing the providers use.
      }
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
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
