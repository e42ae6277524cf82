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
 * - the per-attempt timeout inside retry, so a stalled attempt is cut and retried; inside
 *   fallback too, so it knows which target is being tried and applies that target's own
 *   timeout when it has one (`timeouts.perTargetMs`, the gateway's routes). One stage for
 *   both: a separate per-target stage would need the general one raised above every
 *   target's timeout so as not to cut a longer one short.
 * - the circuit breaker inside the attempt timeout, so it counts every attempt (timeouts
 *   included) of the target fallback chose; its CIRCUIT_OPEN is not retried, so an opening
 *   circuit stops retries at once and fallback moves on.
 * - usage/cost innermost, so each response is costed for the model that actually answered.
 *
 * Slots for middleware from other folders (redact, rate limit, budget, cache, tracing) take
 * Middleware values: pipeline/ must not import cache/, security/ or trace/.
 *
 * Users add their own middleware at named insertion points, `middleware: [{ before: 'cache',
 * use: m }, { after: 'usage-cost', use: n }]`: `before` puts it directly outside a stage (it
 * sees the request first), `after` directly inside. A stage turned off still names its place.
 * Several entries at one place keep their list order; between two stages the `after` entries
 * of the outer one come before the `before` entries of the inner one.
 */
import { SextantError } from '../errors.js';
import type { PriceTable } from '../model/pricing.js';
import { circuitBreaker, createCircuitBreaker, type CircuitBreaker, type CircuitBreakerOptions } from './circuit-breaker.js';
import { fallback, type FallbackOptions } from './fallback.js';
import type { Model } from '../model/model.js';
import { compose, type Middleware, type Terminal } from './middleware.js';
import { retry, type RetryOptions } from './retry.js';
import { attemptTimeout, totalTimeout } from './timeout.js';
import { usageCost } from './usage-cost.js';

/** The stages of the standard pipeline, outermost first: the names insertion points refer to. */
export const PIPELINE_STAGES = [
  'redact',
  'tracing',
  'rate-limit',
  'budget',
  'cache',
  'total-timeout',
  'fallback',
  'retry',
  'attempt-timeout',
  'circuit-breaker',
  'usage-cost',
] as const;

export type PipelineStage = (typeof PIPELINE_STAGES)[number];

/** A user's middleware and its place: directly outside (`before`) or directly inside (`after`) a stage. */
export type MiddlewareInsertion = { before: PipelineStage; use: Middleware } | { after: PipelineStage; use: Middleware };

export interface PipelineTimeouts {
  /** The whole call; see totalTimeout. */
  totalMs?: number;
  /** One plain attempt; see attemptTimeout. */
  attemptMs?: number;
  streamFirstEventMs?: number;
  streamIdleMs?: number;
  /** Targets' own attempt timeouts (`provider:model` → ms); see attemptTimeout. */
  perTargetMs?: Readonly<Record<string, number>>;
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
  /** Your own middleware at named insertion points (see the header). An unknown stage is CONFIG_INVALID. */
  middleware?: readonly MiddlewareInsertion[];
}

export interface Pipeline extends Model {
  /** The breaker in use, to read circuit states (admin API, dashboard). */
  readonly breaker: CircuitBreaker | undefined;
  /** Middleware names, outermost first, inserted ones included: what this pipeline runs, in order. */
  readonly order: readonly string[];
}

function isBreaker(value: CircuitBreaker | CircuitBreakerOptions): value is CircuitBreaker {
  return typeof (value as CircuitBreaker).acquire === 'function';
}

function invalidInsertion(index: number, message: string): SextantError {
  return new SextantError('CONFIG_INVALID', `middleware[${index}]: ${message}`, { context: { option: `middleware[${index}]`, stages: PIPELINE_STAGES } });
}

/** The inserted middleware per stage, validated: each entry names one known stage, before or after it, and a named Middleware. */
function insertionsByStage(entries: readonly MiddlewareInsertion[]): Map<PipelineStage, { before: Middleware[]; after: Middleware[] }> {
  const byStage = new Map<PipelineStage, { before: Middleware[]; after: Middleware[] }>();
  entries.forEach((entry, index) => {
    const { before, after } = entry as { before?: unknown; after?: unknown };
    if ((before === undefined) === (after === undefined)) throw invalidInsertion(index, 'give exactly one of `before` and `after`');
    const side = before === undefined ? 'after' : 'before';
    const stage = (before ?? after) as PipelineStage;
    if (!PIPELINE_STAGES.includes(stage)) throw invalidInsertion(index, `unknown stage "${String(stage)}" (stages: ${PIPELINE_STAGES.join(', ')})`);
    const use: unknown = entry.use;
    if (typeof use !== 'object' || use === null || !(use as Middleware).name)
      throw invalidInsertion(index, '`use` must be a Middleware (an object with a `name`)');
    let at = byStage.get(stage);
    if (!at) byStage.set(stage, (at = { before: [], after: [] }));
    at[side].push(use as Middleware);
  });
  return byStage;
}

export function createPipeline(options: PipelineOptions): Pipeline {
  const breaker =
    options.breaker === false ? undefined : options.breaker && isBreaker(options.breaker) ? options.breaker : createCircuitBreaker(options.breaker || {});
  const timeouts = options.timeouts === false ? undefined : (options.timeouts ?? {});
  const stages: Record<PipelineStage, Middleware | false | undefined> = {
    redact: options.redact,
    tracing: options.tracing,
    'rate-limit': options.rateLimit,
    budget: options.budget,
    cache: options.cache,
    'total-timeout': timeouts && totalTimeout({ ms: timeouts.totalMs }),
    fallback: options.fallback !== false && fallback({ ...options.fallback, breaker }),
    retry: options.retry !== false && retry(options.retry),
    'attempt-timeout':
      timeouts &&
      attemptTimeout({
        ms: timeouts.attemptMs,
        streamFirstEventMs: timeouts.streamFirstEventMs,
        streamIdleMs: timeouts.streamIdleMs,
        perTargetMs: timeouts.perTargetMs,
      }),
    'circuit-breaker': breaker && circuitBreaker({ breaker }),
    'usage-cost': usageCost(),
  };
  const inserted = insertionsByStage(options.middleware ?? []);
  const middlewares: Middleware[] = [];
  for (const stage of PIPELINE_STAGES) {
    const at = inserted.get(stage);
    if (at) middlewares.push(...at.before);
    const own = stages[stage];
    if (own) middlewares.push(own);
    if (at) middlewares.push(...at.after);
  }
  return { ...compose(middlewares, options.terminal, { prices: options.prices }), breaker, order: middlewares.map((m) => m.name) };
}
