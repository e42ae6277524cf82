/**
 * Prices and costs. The table (prices.json) holds USD per million tokens per model family,
 * taken from the providers' public price lists at the date it records. Model strings are
 * matched through their spellings (provider prefix, dated versions, aliases): see model-names.ts.
 */
import { DEFAULTS } from '../defaults.js';
import { lookupModel } from './model-names.js';
import table from './prices.json' with { type: 'json' };
import { countRequestTokens } from './tokens.js';
import type { Cost, ModelRequest, Usage } from './types.js';

/** USD per million tokens. Reasoning tokens are output tokens and billed at `output`. */
export interface ModelPrice {
  input: number;
  output: number;
  /** Prompt-cache reads; `input` when absent. */
  cachedInput?: number;
  /** Prompt-cache writes (Anthropic); `input` when absent. */
  cacheWrite?: number;
  provider?: string;
  note?: string;
}

export type PriceTable = Readonly<Record<string, ModelPrice>>;

/** The bundled price table. */
export const PRICES: PriceTable = table.models;
/** When the bundled prices were taken (YYYY-MM), to judge how stale they may be. */
export const PRICES_TAKEN_AT: string = table._about.takenAt;

const PER_MILLION = 1_000_000;

/** The price of a model, or undefined when neither `prices` nor the bundled table knows it. */
export function priceOf(model: string, prices?: PriceTable): ModelPrice | undefined {
  return (prices && lookupModel(prices, model)) ?? lookupModel(PRICES, model);
}

/**
 * What a call cost. `usage.cachedInputTokens` and `usage.cacheWriteTokens` are parts of
 * `inputTokens` and are billed at their own rates. A model without a price costs 0 and is
 * marked `unpriced`, so a total is never silently wrong.
 */
export function costOf(model: string, usage: Usage, prices?: PriceTable): Cost {
  const price = priceOf(model, prices);
  if (!price) return { inputUsd: 0, outputUsd: 0, totalUsd: 0, unpriced: true };
  const cached = usage.cachedInputTokens ?? 0;
  const written = usage.cacheWriteTokens ?? 0;
  const uncached = Math.max(0, usage.inputTokens - cached - written);
  const inputUsd = (uncached * price.input + cached * (price.cachedInput ?? price.input) + written * (price.cacheWrite ?? price.input)) / PER_MILLION;
  const outputUsd = (usage.outputTokens * price.output) / PER_MILLION;
  return { inputUsd, outputUsd, totalUsd: inputUsd + outputUsd };
}

export interface MaxCostEstimate extends Cost {
  /** Prompt tokens counted locally (messages, tools, response schema). */
  inputTokens: number;
  /** `request.maxTokens`, or the default assumed when the request sets none. */
  maxOutputTokens: number;
}

export interface EstimateMaxCostOptions {
  prices?: PriceTable;
  /** Output tokens assumed when the request sets no maxTokens. */
  defaultMaxOutputTokens?: number;
}

/**
 * The most a call can cost: its prompt counted locally, billed uncached, plus `maxTokens`
 * (or a default) of output. The budget middleware reserves this before the call and
 * settles with the real cost after it.
 */
export function estimateMaxCost(request: ModelRequest, options: EstimateMaxCostOptions = {}): MaxCostEstimate {
  const inputTokens = countRequestTokens(request);
  const maxOutputTokens = request.maxTokens ?? options.defaultMaxOutputTokens ?? DEFAULTS.pipeline.defaultMaxOutputTokens;
  const cost = costOf(request.model, { inputTokens, outputTokens: maxOutputTokens, totalTokens: inputTokens + maxOutputTokens }, options.prices);
  return { ...cost, inputTokens, maxOutputTokens };
}
