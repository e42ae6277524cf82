/** The Anthropic Messages API behind the Provider interface (mapping rules in anthropic-wire.ts). */
import { DEFAULTS } from '../../defaults.js';
import { SextantError, isSextantError } from '../../errors.js';
import type { Provider, ProviderCallOptions } from '../provider.js';
import type { ModelRequest, ModelResponse, StreamEvent } from '../types.js';
import { providerAbortError, streamInterruptedError, type UpstreamCallInfo } from '../upstream-errors.js';
import { AnthropicStreamAssembler, messageFromAnthropic, requestToAnthropic, type AnthropicStreamEvent, type WireAnthropicMessage } from './anthropic-wire.js';
import { parseChunk, postJson, readJson, readSse, type Dispatcher } from './http.js';

export interface AnthropicOptions {
  /** Name used in model strings, errors and traces. Default `anthropic`. */
  name?: string;
  apiKey?: string;
  /** Without the `/v1` segment, like the official SDK. Default `https://api.anthropic.com`. */
  baseURL?: string;
  /** The `anthropic-version` header. Default DEFAULTS.providers.anthropicVersion. */
  version?: string;
  /** Anthropic requires max_tokens; used when the request sets none. Default DEFAULTS.providers.anthropicMaxTokens. */
  defaultMaxTokens?: number;
  /** Extra headers on every call (e.g. `anthropic-beta`). */
  headers?: Record<string, string>;
  /** The undici dispatcher calls go through (a ProxyAgent, a Pool with other limits). Default: the shared keep-alive pool. */
  dispatcher?: Dispatcher;
}

export const ANTHROPIC_BASE_URL = 'https://api.anthropic.com';

export function createAnthropic(options: AnthropicOptions = {}): Provider {
  const name = options.name ?? 'anthropic';
  const url = new URL(`${(options.baseURL ?? ANTHROPIC_BASE_URL).replace(/\/+$/, '')}/v1/messages`);
  const headers: Record<string, string> = { 'anthropic-version': options.version ?? DEFAULTS.providers.anthropicVersion, ...options.headers };
  if (options.apiKey) headers['x-api-key'] = options.apiKey;
  const maxTokens = options.defaultMaxTokens ?? DEFAULTS.providers.anthropicMaxTokens;
  const info: UpstreamCallInfo = { provider: name, apiKey: options.apiKey };
  const post = (body: unknown, signal: AbortSignal | undefined) => postJson({ ...info, url, headers, body, signal, dispatcher: options.dispatcher });

  async function generate(request: ModelRequest, callOptions?: ProviderCallOptions): Promise<ModelResponse> {
    const signal = callOptions?.signal;
    const response = await post(requestToAnthropic(request, name, maxTokens), signal);
    const wire = await readJson<WireAnthropicMessage>(response, info, signal);
    if (!Array.isArray(wire.content)) {
      throw new SextantError('UPSTREAM_BAD_RESPONSE', `${name}: the message has no content array`, { context: { provider: name } });
    }
    return messageFromAnthropic(wire, request);
  }

  async function* stream(request: ModelRequest, callOptions?: ProviderCallOptions): AsyncGenerator<StreamEvent> {
    const signal = callOptions?.signal;
    const response = await post({ ...requestToAnthropic(request, name, maxTokens), stream: true }, signal);
    const assembler = new AnthropicStreamAssembler(request);
    const state = { outputSent: false, chunks: 0, upstreamType: undefined as string | undefined };
    const events: StreamEvent[] = [];
    try {
      for await (const sse of readSse(response.body)) {
        // Read on to the end of the body after message_stop (as Anthropic's own client does), so the connection goes back to the pool.
        if (assembler.done) continue;
        state.chunks++;
        const event = parseChunk<AnthropicStreamEvent>(sse.data);
        if (event.type === 'error') {
          // e.g. overloaded_error mid-stream: retryable only while nothing was sent.
          state.upstreamType = event.error?.type;
          throw new SextantError('UPSTREAM_ERROR', event.error?.message ?? 'error event in the stream');
        }
        assembler.push(event, events);
        for (const out of events) {
          if (out.type !== 'start') state.outputSent = true;
          yield out;
        }
        events.length = 0;
      }
    } catch (error) {
      if (signal?.aborted) throw providerAbortError(info, signal, error);
      if (isSextantError(error, 'STREAM_INTERRUPTED')) throw error;
      throw streamInterruptedError(info, error instanceof Error ? error.message : String(error), state, error);
    }
    if (!assembler.done) throw streamInterruptedError(info, 'the connection closed before message_stop', state);
    yield { type: 'finish', response: assembler.finish() };
  }

  return { name, generate, stream };
}
