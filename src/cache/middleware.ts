import type { ModelRequest, ModelResponse, StreamEvent } from '../model/types.js';
import type { CallContext, Middleware } from '../pipeline/middleware.js';
import type { Cache, LookupResult } from './cache.js';
import { replayAsStream } from './replay.js';

function served(result: Extract<LookupResult, { status: 'hit' | 'semantic-hit' }>, startedAt: number): ModelResponse {
  const { response } = result;
  return Object.assign({}, response, {
    // A cached answer costs nothing now; `savedUsd` says what it would have cost.
    cost: { inputUsd: 0, outputUsd: 0, totalUsd: 0 },
    meta: Object.assign({}, response.meta, { cache: result.status, savedUsd: result.savedUsd, latencyMs: performance.now() - startedAt }),
  });
}

function tenantOf(context: CallContext): string | undefined {
  return context.metadata.tenant;
}

function storeOptions(context: CallContext, lookup: LookupResult | undefined, latencyMs: number) {
  return {
    tenant: tenantOf(context),
    tags: context.controls.cacheTags,
    ttlMs: context.controls.cacheTtlMs,
    latencyMs,
    lookup: lookup?.status === 'miss' ? lookup : undefined,
  };
}

/**
 * The cache as pipeline middleware. Reads the tenant from `context.metadata` and the per-call
 * switches from `context.controls` (cacheBypass, cacheRefresh, cacheTags, cacheTtlMs); sets
 * `meta.cache` and, on hits, `meta.savedUsd`. Streams replay cached answers as events.
 */
export function cacheMiddleware(cache: Cache): Middleware {
  return {
    name: 'cache',

    async generate(request: ModelRequest, context, next) {
      if (context.controls.cacheBypass) {
        const response = await next(request, context);
        return { ...response, meta: Object.assign({}, response.meta, { cache: 'bypass' }) };
      }
      const startedAt = performance.now();
      const lookup = context.controls.cacheRefresh ? undefined : await cache.lookup(request, { tenant: tenantOf(context), signal: context.signal });
      if (lookup && lookup.status !== 'miss') return served(lookup, startedAt);
      const callStarted = performance.now();
      const response = await next(request, context);
      await cache.store(request, response, storeOptions(context, lookup, performance.now() - callStarted));
      return { ...response, meta: Object.assign({}, response.meta, { cache: lookup ? 'miss' : 'refresh' }) };
    },

    async *stream(request: ModelRequest, context, next): AsyncIterable<StreamEvent> {
      if (context.controls.cacheBypass) {
        for await (const event of next(request, context)) {
          yield event.type === 'finish'
            ? { ...event, response: { ...event.response, meta: Object.assign({}, event.response.meta, { cache: 'bypass' }) } }
            : event;
        }
        return;
      }
      const startedAt = performance.now();
      const lookup = context.controls.cacheRefresh ? undefined : await cache.lookup(request, { tenant: tenantOf(context), signal: context.signal });
      if (lookup && lookup.status !== 'miss') {
        yield* replayAsStream(served(lookup, startedAt));
        return;
      }
      const callStarted = performance.now();
      for await (const event of next(request, context)) {
        if (event.type !== 'finish') {
          yield event;
          continue;
        }
        // Only a stream that finished is stored: one that broke off throws before reaching here.
        await cache.store(request, event.response, storeOptions(context, lookup, performance.now() - callStarted));
        yield { ...event, response: { ...event.response, meta: Object.assign({}, event.response.meta, { cache: lookup ? 'miss' : 'refresh' }) } };
      }
    },
  };
}
