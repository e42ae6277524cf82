import { SextantError } from '../errors.js';
import { countRequestTokens } from '../model/tokens.js';
import type { ModelRequest, RequestMetadata, Usage } from '../model/types.js';
import type { AuditLog } from './audit.js';
import type { RateBucket, RateLimiter } from './rate-limiter.js';
import type { CallContext, Middleware } from '../pipeline/middleware.js';

export interface RateLimitRule {
  scope: 'key' | 'tenant';
  /** Requests per minute. */
  rpm?: number;
  /** Tokens (input + output) per minute. */
  tpm?: number;
  /** Applies to this one key/tenant only; without it, to each one. */
  id?: string;
}

export interface RateLimitMiddlewareOptions {
  limiter: RateLimiter;
  limits?: RateLimitRule[];
  /** More limits per call, e.g. the calling key's own rpm/tpm (`keyRateLimits`). */
  resolve?: (context: CallContext) => RateLimitRule[] | Promise<RateLimitRule[]>;
  /** Rejected calls are appended here as `rate.limited`. */
  audit?: AuditLog;
}

const SCOPE_FIELD: Record<RateLimitRule['scope'], keyof RequestMetadata> = { key: 'keyId', tenant: 'tenant' };

/**
 * Requests and tokens per minute, per key and tenant. A call takes one request and its prompt's
 * tokens up front; its output tokens (and any miscount of the prompt) are charged when it ends.
 * RATE_LIMITED carries `retryAfterMs` (the gateway sends it as Retry-After).
 */
export function rateLimitMiddleware(options: RateLimitMiddlewareOptions): Middleware {
  const { limiter, audit } = options;

  async function acquire(request: ModelRequest | null, context: CallContext): Promise<{ tpm: RateBucket[]; charged: number }> {
    const rules = [...(options.limits ?? []), ...((await options.resolve?.(context)) ?? [])];
    const buckets: RateBucket[] = [];
    const tpm: RateBucket[] = [];
    let charged = 0;
    for (const rule of rules) {
      const id = context.metadata[SCOPE_FIELD[rule.scope]];
      if (typeof id !== 'string' || (rule.id !== undefined && rule.id !== id)) continue;
      if (rule.rpm) buckets.push({ key: `${rule.scope}:${id}:rpm`, limit: rule.rpm, cost: 1 });
      if (rule.tpm && request) {
        charged ||= countRequestTokens(request);
        const bucket = { key: `${rule.scope}:${id}:tpm`, limit: rule.tpm, cost: charged };
        if (charged > rule.tpm) {
          throw new SextantError('RATE_LIMITED', `The prompt alone (${charged} tokens) exceeds ${rule.scope} ${id}'s limit of ${rule.tpm} tokens per minute`, {
            status: 429,
            context: { bucket: bucket.key, limit: rule.tpm, promptTokens: charged },
          });
        }
        buckets.push(bucket);
        tpm.push(bucket);
      }
    }
    const result = await limiter.acquire(buckets);
    if (!result.ok) {
      await audit?.append({
        actor: context.metadata.keyId ?? 'system',
        action: 'rate.limited',
        target: result.key,
        tenant: context.metadata.tenant,
        details: { limit: result.limit, retryAfterMs: result.retryAfterMs, model: request?.model },
      });
      throw new SextantError('RATE_LIMITED', `Rate limit ${result.key} (${result.limit} per minute) reached; retry in ${result.retryAfterMs} ms`, {
        status: 429,
        retryable: true,
        retryAfterMs: result.retryAfterMs,
        context: { bucket: result.key, limit: result.limit, retryAfterMs: result.retryAfterMs },
      });
    }
    return { tpm, charged };
  }

  async function settle(held: { tpm: RateBucket[]; charged: number }, usage: Usage | undefined) {
    if (!usage) return;
    const delta = usage.totalTokens - held.charged;
    for (const bucket of held.tpm) if (delta !== 0) await limiter.adjust({ ...bucket, cost: delta });
  }

  return {
    name: 'rate-limit',
    async generate(request, context, next) {
      const held = await acquire(request, context);
      const response = await next(request, context);
      await settle(held, response.usage);
      return response;
    },
    async *stream(request, context, next) {
      const held = await acquire(request, context);
      for await (const event of next(request, context)) {
        if (event.type === 'finish') await settle(held, event.response.usage);
        yield event;
      }
    },
    async embed(request, context, next) {
      // Embeddings count against requests per minute; their tokens are not metered here.
      await acquire(null, context);
      return next(request, context);
    },
  };
}

/** Limits from the calling key's own rpm/tpm (`sextant keys create --rpm 60 --tpm 100000`). */
export function keyRateLimits(options: { limitsOf: (keyId: string) => Promise<{ rpm?: number; tpm?: number } | undefined> }) {
  return async (context: CallContext): Promise<RateLimitRule[]> => {
    const keyId = context.metadata.keyId;
    if (!keyId) return [];
    const limits = await options.limitsOf(keyId);
    return limits && (limits.rpm || limits.tpm) ? [{ scope: 'key', id: keyId, rpm: limits.rpm, tpm: limits.tpm }] : [];
  };
}
