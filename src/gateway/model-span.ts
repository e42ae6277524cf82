import { decisionAttributes } from '../trace/decision-record.js';
import { toSextantError } from '../errors.js';
import type { EmbeddingResponse, ModelRequest, ModelResponse } from '../model/types.js';
import { ATTR, OPERATIONS } from '../trace/attributes.js';
import type { SpanHandle, Tracer } from '../trace/tracer.js';

/**
 * The `model` span of a gateway call, child of its `request` span: the same attributes the
 * agent runtime writes for its model calls (usage, cost, cache, decision record), so traces
 * read the same whichever front made the call. Cost lives here, not on the request span: the
 * store sums model spans into the trace's total, which for a session spans many requests.
 */
export interface ModelSpan {
  finish(request: ModelRequest, response: ModelResponse, firstTokenMs?: number): void;
  finishEmbedding(response: EmbeddingResponse): void;
  fail(error: unknown, aborted: boolean): void;
}

const NOOP: ModelSpan = { finish() {}, finishEmbedding() {}, fail() {} };

function costAndMeta(response: { cost?: ModelResponse['cost']; meta: ModelResponse['meta'] }): Record<string, unknown> {
  const { meta } = response;
  return {
    [ATTR.PROVIDER]: meta.provider,
    [ATTR.COST_USD]: response.cost?.totalUsd ?? 0,
    ...(meta.latencyMs !== undefined ? { [ATTR.LATENCY_MS]: meta.latencyMs } : {}),
    ...(meta.cache ? { [ATTR.CACHE_STATUS]: meta.cache } : {}),
    ...(meta.savedUsd !== undefined ? { [ATTR.CACHE_SAVED_USD]: meta.savedUsd } : {}),
    ...(meta.attempts !== undefined ? { [ATTR.ATTEMPTS]: meta.attempts } : {}),
    ...(meta.target ? { 'sextant.model.target': meta.target } : {}),
  };
}

export function startModelSpan(
  tracer: Tracer | undefined,
  parent: SpanHandle | undefined,
  options: { operation: 'chat' | 'embeddings'; model: string; stream?: boolean },
): ModelSpan {
  if (!tracer || !parent) return NOOP;
  const span = tracer.startSpan({
    kind: 'model',
    name: `${options.operation} ${options.model}`,
    parent,
    attributes: {
      [ATTR.OPERATION]: options.operation === 'chat' ? OPERATIONS.CHAT : OPERATIONS.EMBEDDINGS,
      [ATTR.REQUEST_MODEL]: options.model,
      ...(options.stream !== undefined ? { [ATTR.STREAM]: options.stream } : {}),
    },
  });
  return {
    finish(request, response, firstTokenMs) {
      const usage = response.usage;
      // Named keys before the spreads: an object that starts with a spread and then adds keys is promoted by Node 20 (README, Benchmarks).
      span.set({
        [ATTR.RESPONSE_MODEL]: response.model,
        [ATTR.RESPONSE_ID]: response.id,
        [ATTR.FINISH_REASON]: response.finishReason,
        [ATTR.INPUT_TOKENS]: usage.inputTokens,
        [ATTR.OUTPUT_TOKENS]: usage.outputTokens,
        ...(usage.cachedInputTokens !== undefined ? { [ATTR.CACHED_INPUT_TOKENS]: usage.cachedInputTokens } : {}),
        ...(usage.reasoningTokens !== undefined ? { [ATTR.REASONING_TOKENS]: usage.reasoningTokens } : {}),
        ...((response.meta.timeToFirstTokenMs ?? firstTokenMs) !== undefined ? { [ATTR.TTFT_MS]: response.meta.timeToFirstTokenMs ?? firstTokenMs } : {}),
        'sextant.model.response': response.message,
        ...costAndMeta(response),
        ...decisionAttributes(request, response, []),
      });
      span.end('ok');
    },
    finishEmbedding(response) {
      span.set({ [ATTR.RESPONSE_MODEL]: response.model, [ATTR.INPUT_TOKENS]: response.usage.inputTokens, ...costAndMeta(response) });
      span.end('ok');
    },
    fail(error, aborted) {
      const err = toSextantError(error);
      span.end(aborted ? 'interrupted' : 'error', { code: err.code, message: err.message });
    },
  };
}
