import type { Cost, ResponseMeta } from '../model/types.js';
import type { CallControls } from '../model/model.js';
import { invalidRequest } from './http-errors.js';

/** Request and response headers the gateway reads and writes, in one place. */
export const HEADERS = {
  /** Request: groups calls into one session (one trace, loop detection, session budget). */
  SESSION: 'x-sextant-session',
  /** Request: `bypass` (skip the cache) or `refresh` (ignore a cached answer, store the new one). Response: hit | semantic-hit | miss | bypass | refresh. */
  CACHE: 'x-sextant-cache',
  /** Request: per-entry cache TTL in seconds. */
  CACHE_TTL: 'x-sextant-cache-ttl',
  /** Request: comma-separated tags stored with the cache entry, for invalidation. */
  CACHE_TAGS: 'x-sextant-cache-tags',
  /** Response: the call's cost in USD, or `unknown` when the model has no price. */
  COST: 'x-sextant-cost-usd',
  /** Response: time spent in the gateway itself (total minus time waiting on the upstream), in ms. */
  OVERHEAD: 'x-sextant-overhead-ms',
  TRACE_ID: 'x-sextant-trace-id',
  /** Response: the concrete `provider:model` that answered (after routing and fallbacks). */
  TARGET: 'x-sextant-target',
  /** Response: the loop detector's warning for the session: `<pattern>: <detail>`. */
  LOOP_WARNING: 'x-sextant-loop-warning',
} as const;

/** Session ids are opaque to us but end up in traces and headers: keep them short and printable. */
const SESSION_PATTERN = /^[\x21-\x7e]{1,200}$/;

export function readSession(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (!SESSION_PATTERN.test(value)) throw invalidRequest(`Header ${HEADERS.SESSION} must be 1-200 printable characters without spaces`, HEADERS.SESSION);
  return value;
}

export function readCacheControls(get: (name: string) => string | undefined): CallControls {
  const controls: CallControls = {};
  const mode = get(HEADERS.CACHE);
  if (mode === 'bypass') controls.cacheBypass = true;
  else if (mode === 'refresh') controls.cacheRefresh = true;
  else if (mode !== undefined && mode !== '') throw invalidRequest(`Header ${HEADERS.CACHE} must be "bypass" or "refresh", got "${mode}"`, HEADERS.CACHE);
  const ttl = get(HEADERS.CACHE_TTL);
  if (ttl !== undefined && ttl !== '') {
    const seconds = Number(ttl);
    if (!(Number.isFinite(seconds) && seconds > 0))
      throw invalidRequest(`Header ${HEADERS.CACHE_TTL} must be a positive number of seconds, got "${ttl}"`, HEADERS.CACHE_TTL);
    controls.cacheTtlMs = seconds * 1000;
  }
  const tags = get(HEADERS.CACHE_TAGS);
  if (tags)
    controls.cacheTags = tags
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
  return controls;
}

/** Milliseconds the upstream took, recorded by the gateway's timing terminal in `meta.upstreamMs`; none for a cache hit. */
export function upstreamMsOf(response: { meta: ResponseMeta }): number {
  if (response.meta.cache === 'hit' || response.meta.cache === 'semantic-hit') return 0;
  const value = response.meta.upstreamMs;
  return typeof value === 'number' ? value : 0;
}

function formatMs(ms: number): string {
  return Math.max(0, ms).toFixed(3);
}

/** The x-sextant-* response headers (and the same figures for the last stream chunk). */
export function resultHeaders(response: { meta: ResponseMeta; cost?: Cost }, totalMs: number, traceId: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {
    [HEADERS.CACHE]: response.meta.cache ?? 'bypass',
    [HEADERS.COST]: response.cost && !response.cost.unpriced ? response.cost.totalUsd.toFixed(8) : 'unknown',
    [HEADERS.OVERHEAD]: formatMs(totalMs - upstreamMsOf(response)),
  };
  if (response.meta.target) headers[HEADERS.TARGET] = response.meta.target;
  if (traceId) headers[HEADERS.TRACE_ID] = traceId;
  return headers;
}
