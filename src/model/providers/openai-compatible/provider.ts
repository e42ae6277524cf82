/**
 * One adapter for every server that speaks OpenAI chat completions: OpenAI, Azure OpenAI,
 * vLLM, Ollama, llama.cpp server, LM Studio, OpenRouter, Groq, Together.
 */
import { SextantError, isSextantError } from '../../../errors.js';
import type { Provider, ProviderCallOptions } from '../../provider.js';
import type { EmbeddingRequest, EmbeddingResponse, ModelRequest, ModelResponse, StreamEvent } from '../../types.js';
import type { UpstreamCallInfo } from '../../upstream-errors.js';
import { parseChunk, postJson, readJson, streamSse, type Dispatcher } from '../http.js';
import { ChunkAssembler, completionFromWire, requestToWire, type WireChunk, type WireCompletion } from './wire.js';

export interface OpenAICompatibleOptions {
  /** Name used in model strings, errors and traces. Default `openai`. */
  name?: string;
  /** Up to and including the version segment, e.g. `https://api.openai.com/v1`, `http://localhost:11434/v1`. */
  baseURL?: string;
  /** Sent as `Authorization: Bearer <key>` (or in `apiKeyHeader`). Local servers need none. */
  apiKey?: string;
  /** Header that carries the raw key instead of `Authorization: Bearer` (Azure: `api-key`). */
  apiKeyHeader?: string;
  /** Extra headers on every call (OpenRouter's HTTP-Referer, an organization header...). */
  headers?: Record<string, string>;
  /** Query parameters on every call (Azure: `{ 'api-version': '2024-10-21' }`). */
  query?: Record<string, string>;
  /** The undici dispatcher calls go through (a ProxyAgent, a Pool with other limits). Default: the shared keep-alive pool. */
  dispatcher?: Dispatcher;
}

export const OPENAI_BASE_URL = 'https://api.openai.com/v1';

interface WireEmbeddings {
  model?: string;
  data?: { index?: number; embedding?: number[] }[];
  usage?: { prompt_tokens?: number };
}

export function createOpenAICompatible(options: OpenAICompatibleOptions = {}): Provider {
  const name = options.name ?? 'openai';
  const base = (options.baseURL ?? OPENAI_BASE_URL).replace(/\/+$/, '');
  const query = options.query && Object.keys(options.query).length ? `?${new URLSearchParams(options.query)}` : '';
  const headers: Record<string, string> = { ...options.headers };
  if (options.apiKey) {
    if (options.apiKeyHeader) headers[options.apiKeyHeader] = options.apiKey;
    else headers.authorization = `Bearer ${options.apiKey}`;
  }
  const info: UpstreamCallInfo = { provider: name, apiKey: options.apiKey };
  const urls = { chat: new URL(`${base}/chat/completions${query}`), embeddings: new URL(`${base}/embeddings${query}`) };
  const post = (url: URL, body: unknown, signal: AbortSignal | undefined) => postJson({ url, headers, body, signal, dispatcher: options.dispatcher, ...info });

  async function generate(request: ModelRequest, callOptions?: ProviderCallOptions): Promise<ModelResponse> {
    const signal = callOptions?.signal;
    const response = await post(urls.chat, requestToWire(request, name), signal);
    const wire = await readJson<WireCompletion>(response, info, signal);
    try {
      return completionFromWire(wire, request.model);
    } catch (error) {
      throw isSextantError(error) ? new SextantError(error.code, `${name}: ${error.message}`, { context: { provider: name } }) : error;
    }
  }

  async function* stream(request: ModelRequest, callOptions?: ProviderCallOptions): AsyncGenerator<StreamEvent> {
    const signal = callOptions?.signal;
    const body = Object.assign(requestToWire(request, name), { stream: true, stream_options: { include_usage: true } });
    const response = await post(urls.chat, body, signal);
    const assembler = new ChunkAssembler(request.model);
    yield* streamSse(
      response,
      {
        endMarker: '[DONE]',
        push(data, out) {
          const chunk = parseChunk<WireChunk>(data);
          if (chunk.error) return chunk.error;
          assembler.push(chunk, out);
        },
        // Servers that end the body without [DONE] after a complete answer lose nothing; anything else was cut.
        incomplete: (sawDone) => (sawDone || assembler.sawFinishAndUsage ? undefined : 'the connection closed before [DONE]'),
        finish: () => assembler.finish(),
      },
      info,
      signal,
    );
  }

  async function embed(request: EmbeddingRequest, callOptions?: ProviderCallOptions): Promise<EmbeddingResponse> {
    const signal = callOptions?.signal;
    const body: Record<string, unknown> = { model: request.model, input: request.input, encoding_format: 'float' };
    if (request.dimensions !== undefined) body.dimensions = request.dimensions;
    const response = await post(urls.embeddings, body, signal);
    const wire = await readJson<WireEmbeddings>(response, info, signal);
    if (!Array.isArray(wire.data) || wire.data.length !== request.input.length) {
      throw new SextantError('UPSTREAM_BAD_RESPONSE', `${name} returned ${wire.data?.length ?? 'no'} embeddings for ${request.input.length} inputs`, {
        context: { provider: name },
      });
    }
    const data = [...wire.data].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
    return {
      model: wire.model ?? request.model,
      embeddings: data.map((d) => d.embedding ?? []),
      usage: { inputTokens: wire.usage?.prompt_tokens ?? 0 },
      meta: {},
    };
  }

  return { name, generate, stream, embed };
}
