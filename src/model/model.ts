import type { ModelPrice } from './pricing.js';
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

declare const callTraceBrand: unique symbol;

/**
 * Where a traced caller wants the call's model span: under its own span (the agent's step, the
 * gateway's request), made by trace/'s `callTrace({ parent, sources })` and read by its tracing
 * middleware. model/ sits below trace/, so here it is opaque: carried along, never read.
 */
export interface CallTrace {
  readonly [callTraceBrand]: true;
}

export interface CallOptions {
  signal?: AbortSignal;
  controls?: CallControls;
  /** Where the call's model span goes; without it the tracing middleware writes none. */
  trace?: CallTrace;
}

/**
 * What the agent runtime, checks and the gateway call: in practice a composed pipeline. It lives
 * here, below the pipeline, so that everything that only calls a model depends on this type alone.
 */
export interface Model {
  generate(request: ModelRequest, options?: CallOptions): Promise<ModelResponse>;
  stream(request: ModelRequest, options?: CallOptions): AsyncIterable<StreamEvent>;
  embed(request: EmbeddingRequest, options?: CallOptions): Promise<EmbeddingResponse>;
  /** The price this model costs a call to `model` at, when it costs its calls (a pipeline, a provider with its own pricing). */
  priceOf?(model: string): ModelPrice | undefined;
}
