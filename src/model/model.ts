import type { EmbeddingRequest, EmbeddingResponse, ModelRequest, ModelResponse, StreamEvent } from './types.js';

/** Per-request switches a caller can set (gateway headers map onto these). */
export interface CallControls {
  /** Skip the cache entirely for this call. */
  cacheBypass?: boolean;
  /** Ignore a cached answer but store the fresh one. */
  cacheRefresh?: boolean;
  /** Extra cache tags for invalidation. */
  cacheTags?: string[];
  /** Per-entry cache TTL override, in ms. */
  cacheTtlMs?: number;
  /** Model strings to fall back to, in order, for this call (replaces the pipeline's configured chain). */
  fallbacks?: string[];
}

export interface CallOptions {
  signal?: AbortSignal;
  controls?: CallControls;
}

/**
 * What the agent runtime, checks and the gateway call: in practice a composed pipeline. It lives
 * here, below the pipeline, so that everything that only calls a model depends on this type alone.
 */
export interface Model {
  generate(request: ModelRequest, options?: CallOptions): Promise<ModelResponse>;
  stream(request: ModelRequest, options?: CallOptions): AsyncIterable<StreamEvent>;
  embed(request: EmbeddingRequest, options?: CallOptions): Promise<EmbeddingResponse>;
}
