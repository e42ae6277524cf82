/** The Anthropic Messages API behind the Provider interface (mapping rules in wire.ts). */
import { DEFAULTS } from '../../../defaults.js';
import { SextantError } from '../../../errors.js';
import type { Provider, ProviderCallOptions } from '../../provider.js';
import type { ModelRequest, ModelResponse, StreamEvent } from '../../types.js';
import type { UpstreamCallInfo } from '../../upstream-errors.js';
import { AnthropicStreamAssembler, messageFromAnthropic, requestToAnthropic, type AnthropicStreamEvent, type WireAnthropicMessage } from './wire.js';
import { parseChunk, postJson, readJson, streamSse, type Dispatcher } from '../http.js';

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
    yield* streamSse(
      response,
      {
        done: () => assembler.done,
        push(data, out) {
          const event = parseChunk<AnthropicStreamEvent>(data);
          // e.g. overloaded_error mid-stream: retryable only while nothing was sent.
          if (event.type === 'error') return event.error ?? {};
          assembler.push(event, out);
        },
        incomplete: () => (assembler.done ? undefined : 'the connection closed before message_stop'),
        finish: () => assembler.finish(),
      },
      info,
      signal,
    );
  }

  return { name, generate, stream };
}
