/**
 * The standard pipeline, in the one order Sextant uses (outermost first):
 *
 *   redact → tracing → rate-limit → budget → cache → total timeout → fallback → retry
 *     → per-attempt timeout → circuit breaker → usage/cost → terminal (provider router)
 *
 * Why this order:
 * - redact first, so nothing after it (spans, cache keys, upstreams) sees what it removes;
 *   tracing next, so rate-limit, budget and cache decisions appear in the trace.
 * - rate-limit and budget before the cache: a request refused there never reaches anything;
 *   the cache sits above every upstream concern so a hit costs no retries, timeouts or money.
 * - the total timeout bounds everything below it: every attempt, backoff wait and fallback.
 * - fallback outside retry: a transient blip (one 503, a reset connection) is retried on the
 *   same model, which keeps answers consistent and is cheaper than switching; only when a
 *   target is really down (retries exhausted, Retry-After too long, circuit open) does the
 *   call move to the next target. Inside-out, each retry would walk the whole chain and
 *   switch models on every blip, multiplying calls by chain length × attempts.
 * - the per-attempt timeout inside retry, so a stalled attempt is cut and retried.
 * - the circuit breaker inside the attempt timeout, so it counts every attempt (timeouts
 *   included) of the target fallback chose; its CIRCUIT_OPEN is not retried, so an opening
 *   circuit stops retries at once and fallback moves on.
 * - usage/cost innermost, so each response is costed for the model that actually answered.
 *
 * Slots for middleware from other folders (redact, rate limit, budget, cache, tracing) take
 * Middleware values: pipeline/ must not import cache/ or security/.
 */
import type { PriceTable } from '../model/pricing.js';
import { circuitBreaker, createCircuitBreaker, type CircuitBreaker, type CircuitBreakerOptions } from './circuit-breaker.js';
import { fallback, type FallbackOptions } from './fallback.js';
import { compose, type Middleware, type Model, type Terminal } from './middleware.js';
import { retry, type RetryOptions } from './retry.js';
import { attemptTimeout, totalTimeout } from './timeout.js';
import { usageCost } from './usage-cost.js';

export interface PipelineTimeouts {
  /** The whole call; see totalTimeout. */
  totalMs?: number;
  /** One plain attempt; see attemptTimeout. */
  attemptMs?: number;
  streamFirstEventMs?: number;
  streamIdleMs?: number;
}

export interface PipelineOptions {
  /** The innermost handler: normally the provider router. */
  terminal: Terminal;
  redact?: Middleware;
  tracing?: Middleware;
  rateLimit?: Middleware;
  budget?: Middleware;
  cache?: Middleware;
  /** `false` turns both timeouts off. */
  timeouts?: PipelineTimeouts | false;
  retry?: RetryOptions | false;
  /** Fallback chains; without targets each call goes to its own model only. */
  fallback?: Omit<FallbackOptions, 'breaker'> | false;
  /** A breaker shared with other pipelines (or the gateway's admin view), or options for a new one; `false` turns it off. */
  breaker?: CircuitBreaker | CircuitBreakerOptions | false;
  /** Prices that take precedence over the bundled table: responses are costed, budgets reserved and `priceOf` answered at them. */
  prices?: PriceTable;
}

export interface Pipeline extends Model {
  /** The breaker in use, to read circuit states (admin API, dashboard). */
  readonly breaker: CircuitBreaker | undefined;
  /** Middleware names, outermost first: what this pipeline runs, in order. */
  readonly order: readonly string[];
}

function isBreaker(value: CircuitBreaker | CircuitBreakerOptions): value is CircuitBreaker {
  return typeof (value as CircuitBreaker).acquire === 'function';
}

export function createPipeline(options: PipelineOptions): Pipeline {
  const breaker =
    options.breaker === false ? undefined : options.breaker && isBreaker(options.breaker) ? options.breaker : createCircuitBreaker(options.breaker || {});
  const timeouts = options.timeouts === false ? undefined : (options.timeouts ?? {});
  const middlewares = [
    options.redact,
    options.tracing,
    options.rateLimit,
    options.budget,
    options.cache,
    timeouts && totalTimeout({ ms: timeouts.totalMs }),
    options.fallback !== false && fallback({ ...options.fallback, breaker }),
    options.retry !== false && retry(options.retry),
    timeouts && attemptTimeout({ ms: timeouts.attemptMs, streamFirstEventMs: timeouts.streamFirstEventMs, streamIdleMs: timeouts.streamIdleMs }),
    breaker && circuitBreaker({ breaker }),
    usageCost(),
  ].filter((m): m is Middleware => Boolean(m));
  return { ...compose(middlewares, options.terminal, { prices: options.prices }), breaker, order: middlewares.map((m) => m.name) };
}
