import { SextantError } from '../errors.js';
import { normalize, type Embedder } from './embedder.js';

export interface OpenAIEmbedderOptions {
  /** Base URL up to and including `/v1`, e.g. `http://127.0.0.1:11434/v1` (Ollama) or `https://api.openai.com/v1`. */
  baseUrl: string;
  model: string;
  /** Length of the vectors the model returns (checked on every answer). */
  dimensions: number;
  apiKey?: string;
  /** Sent as `dimensions` to models that can shorten their vectors (OpenAI text-embedding-3-*). */
  requestDimensions?: boolean;
  /** Texts per HTTP request. */
  batchSize?: number;
  headers?: Record<string, string>;
}

/** Embeddings from any OpenAI-compatible `/v1/embeddings` endpoint: OpenAI, Ollama, vLLM, TEI, LiteLLM... */
export function createOpenAIEmbedder(options: OpenAIEmbedderOptions): Embedder {
  const url = `${options.baseUrl.replace(/\/+$/, '')}/embeddings`;
  const batchSize = options.batchSize ?? 64;
  const fail = (message: string, extra: Record<string, unknown> = {}, status?: number, cause?: unknown) =>
    new SextantError(status === undefined ? 'UPSTREAM_BAD_RESPONSE' : 'UPSTREAM_ERROR', message, {
      status,
      cause,
      retryable: status === undefined || status === 429 || status >= 500,
      context: { url, model: options.model, ...extra },
    });

  const embedBatch = async (input: string[], signal?: AbortSignal): Promise<Float32Array[]> => {
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        signal,
        headers: { 'content-type': 'application/json', ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}), ...options.headers },
        body: JSON.stringify({ model: options.model, input, ...(options.requestDimensions ? { dimensions: options.dimensions } : {}) }),
      });
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw new SextantError('ABORTED', 'Embedding request aborted', { cause: error });
      throw new SextantError('NETWORK_ERROR', `Cannot reach ${url}: ${(error as Error).message}`, { cause: error, retryable: true, context: { url } });
    }
    const text = await res.text();
    if (!res.ok) throw fail(`Embeddings endpoint answered ${res.status}: ${text.slice(0, 300)}`, {}, res.status);
    let body: { data?: { index?: number; embedding?: unknown }[] };
    try {
      body = JSON.parse(text);
    } catch (error) {
      throw fail(`Embeddings endpoint sent invalid JSON: ${text.slice(0, 100)}`, {}, undefined, error);
    }
    const data = body.data;
    if (!Array.isArray(data) || data.length !== input.length)
      throw fail(`Expected ${input.length} embeddings, got ${Array.isArray(data) ? data.length : 'none'}`);
    const ordered = [...data].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
    return ordered.map((item) => {
      const e = item.embedding;
      if (!Array.isArray(e) || e.length !== options.dimensions || !e.every((x) => typeof x === 'number')) {
        throw fail(`Expected an embedding of ${options.dimensions} numbers, got ${Array.isArray(e) ? `${e.length} items` : typeof e}`, {
          got: Array.isArray(e) ? e.length : typeof e,
        });
      }
      return normalize(Float32Array.from(e as number[]));
    });
  };

  return {
    id: `openai-compatible:${options.baseUrl}:${options.model}:d${options.dimensions}`,
    dimensions: options.dimensions,
    async embed(texts, embedOptions = {}) {
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += batchSize) out.push(...(await embedBatch(texts.slice(i, i + batchSize), embedOptions.signal)));
      return out;
    },
  };
}
