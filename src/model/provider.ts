import type { ModelPrice } from './pricing.js';
import type { EmbeddingRequest, EmbeddingResponse, ModelRequest, ModelResponse, StreamEvent } from './types.js';

export interface ProviderCallOptions {
  /** Cancels the in-flight HTTP request when aborted. */
  signal?: AbortSignal;
}

/**
 * A provider speaks one upstream's wire format. It receives requests whose `model` is the
 * provider's own model name (the `provider:` prefix already removed by the router).
 */
export interface Provider {
  /** Provider name used in model strings and traces: `openai`, `anthropic`, `scripted`, ... */
  readonly name: string;
  generate(request: ModelRequest, options?: ProviderCallOptions): Promise<ModelResponse>;
  stream(request: ModelRequest, options?: ProviderCallOptions): AsyncIterable<StreamEvent>;
  embed?(request: EmbeddingRequest, options?: ProviderCallOptions): Promise<EmbeddingResponse>;
  /** The price this provider costs its own calls at, when it costs them itself (a scripted model with `pricing`). */
  priceOf?(model: string): ModelPrice | undefined;
}
