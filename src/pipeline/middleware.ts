import type { CallControls, CallOptions, CallTrace, Model } from '../model/model.js';
import type { EmbeddingRequest, EmbeddingResponse, ModelRequest, ModelResponse, RequestMetadata, StreamEvent } from '../model/types.js';
import { priceOf, type PriceTable } from '../model/pricing.js';
import { type Deadline, NEVER_ABORTED } from './signals.js';

/** What travels with one call through the pipeline, beside the request itself. */
export interface CallContext {
  /** Aborting it cancels the in-flight upstream call. Middleware may narrow it (timeouts). */
  signal: AbortSignal;
  /** The deadline that made `signal`, when a timeout middleware did: a nested one links to it directly. */
  deadline?: Deadline;
  metadata: RequestMetadata;
  controls: CallControls;
  /** Scratch space for middleware, keyed by middleware name. */
  state: Map<string, unknown>;
  /** performance.now() when the call entered the pipeline. */
  startedAt: number;
  /** From CallOptions.trace; once the tracing middleware has opened the call's model span, the stages below see it marked as taken. */
  trace?: CallTrace;
  /**
   * The prices this pipeline costs calls at, over the bundled table (see compose's `prices`):
   * usage/cost prices a response and the budget reserves for a call from this one value, so
   * what a call may cost and what it did cost never come from two tables.
   */
  readonly prices?: PriceTable;
}

export type GenerateNext = (request: ModelRequest, context: CallContext) => Promise<ModelResponse>;
export type StreamNext = (request: ModelRequest, context: CallContext) => AsyncIterable<StreamEvent>;
export type EmbedNext = (request: EmbeddingRequest, context: CallContext) => Promise<EmbeddingResponse>;

/**
 * A middleware wraps the call below it. Each handler is optional: a missing one passes the
 * call through untouched, so a middleware that only cares about plain calls costs nothing on streams.
 */
export interface Middleware {
  readonly name: string;
  generate?(request: ModelRequest, context: CallContext, next: GenerateNext): Promise<ModelResponse>;
  stream?(request: ModelRequest, context: CallContext, next: StreamNext): AsyncIterable<StreamEvent>;
  embed?(request: EmbeddingRequest, context: CallContext, next: EmbedNext): Promise<EmbeddingResponse>;
}

/** The innermost handler of a pipeline: normally the provider router. */
export interface Terminal {
  generate: GenerateNext;
  stream: StreamNext;
  embed: EmbedNext;
}

export interface ComposeOptions {
  /** Prices that take precedence over the bundled table: every call's context carries them, and `priceOf` answers from them. */
  prices?: PriceTable;
}

function newContext(metadata: RequestMetadata | undefined, options: CallOptions | undefined, prices: PriceTable | undefined): CallContext {
  return {
    signal: options?.signal ?? NEVER_ABORTED,
    deadline: undefined,
    metadata: metadata ?? {},
    controls: options?.controls ?? {},
    state: new Map(),
    startedAt: performance.now(),
    trace: options?.trace,
    prices,
  };
}

/**
 * Chains middleware around a terminal. The first middleware in the list is the outermost:
 * it sees the request first and the response last.
 */
export function compose(middlewares: readonly Middleware[], terminal: Terminal, options: ComposeOptions = {}): Model {
  const { prices } = options;
  let generate: GenerateNext = terminal.generate;
  let stream: StreamNext = terminal.stream;
  let embed: EmbedNext = terminal.embed;
  for (let i = middlewares.length - 1; i >= 0; i--) {
    const m = middlewares[i];
    if (m.generate) {
      const inner = generate;
      const handler = m.generate.bind(m);
      generate = (request, context) => handler(request, context, inner);
    }
    if (m.stream) {
      const inner = stream;
      const handler = m.stream.bind(m);
      stream = (request, context) => handler(request, context, inner);
    }
    if (m.embed) {
      const inner = embed;
      const handler = m.embed.bind(m);
      embed = (request, context) => handler(request, context, inner);
    }
  }
  return {
    generate: (request, call) => generate(request, newContext(request.metadata, call, prices)),
    stream: (request, call) => stream(request, newContext(request.metadata, call, prices)),
    embed: (request, call) => embed(request, newContext(request.metadata, call, prices)),
    priceOf: (model) => priceOf(model, prices),
  };
}
