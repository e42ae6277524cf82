import { costOf } from '../model/pricing.js';
import type { ModelResponse } from '../model/types.js';

/** What a hit on this answer saves: its own cost, or the table price when it came unpriced. */
export function savedUsdOf(response: ModelResponse): number {
  if (response.cost && !response.cost.unpriced) return response.cost.totalUsd;
  return costOf(response.model, response.usage).totalUsd;
}

/** What an entry weighs against the cache's byte limit. */
export function sizeOf(response: ModelResponse, queryText: string | undefined, vector: Float32Array | undefined): number {
  return JSON.stringify(response).length + (queryText?.length ?? 0) + (vector?.byteLength ?? 0);
}

/** Whether an answer may be cached: never errors or cut-off answers; tool calls only when allowed. */
export function cacheable(response: ModelResponse, cacheToolCalls: boolean): boolean {
  if (response.finishReason === 'error' || response.finishReason === 'length' || response.finishReason === 'content_filter') return false;
  if (!cacheToolCalls && (response.message.toolCalls?.length ?? 0) > 0) return false;
  return true;
}
