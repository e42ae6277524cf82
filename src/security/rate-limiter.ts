import type { Redis } from 'ioredis';
import { DEFAULTS } from '../defaults.js';
import { toSextantError } from '../errors.js';

/** One token bucket: `limit` units per window (requests or tokens), refilled continuously. */
export interface RateBucket {
  key: string;
  limit: number;
  cost: number;
}

export type AcquireResult = { ok: true } | { ok: false; key: string; limit: number; retryAfterMs: number };

/**
 * Token buckets, all-or-nothing: `acquire` takes `cost` from every bucket only if every one has it.
 * `adjust` charges (or refunds) after the fact — tokens are known only once a call is done — and
 * may push a bucket into debt, which the next call then waits out.
 */
export interface RateLimiter {
  acquire(buckets: RateBucket[]): Promise<AcquireResult>;
  adjust(bucket: RateBucket): Promise<void>;
}

export interface RateLimiterOptions {
  windowMs?: number;
  now?: () => number;
}

export function createMemoryRateLimiter(options: RateLimiterOptions = {}): RateLimiter {
  const windowMs = options.windowMs ?? DEFAULTS.rateLimit.windowMs;
  const now = options.now ?? Date.now;
  const state = new Map<string, { tokens: number; at: number }>();
  const refill = (b: RateBucket, t: number) => {
    const s = state.get(b.key) ?? { tokens: b.limit, at: t };
    s.tokens = Math.min(b.limit, s.tokens + ((t - s.at) * b.limit) / windowMs);
    s.at = t;
    state.set(b.key, s);
    return s;
  };
  return {
    async acquire(buckets) {
      const t = now();
      for (const b of buckets) {
        const s = refill(b, t);
        if (s.tokens < b.cost) {
          return { ok: false, key: b.key, limit: b.limit, retryAfterMs: Math.ceil(((b.cost - s.tokens) * windowMs) / b.limit) };
        }
      }
      for (const b of buckets) refill(b, t).tokens -= b.cost;
      return { ok: true };
    },
    async adjust(bucket) {
      refill(bucket, now()).tokens -= bucket.cost;
    },
  };
}

/* KEYS: bucket hashes. ARGV: now, windowMs, then (limit, cost) per bucket, then `adjust` (1: charge without a check). */
const ACQUIRE = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local adjust = ARGV[3 + 2 * #KEYS] == '1'
local levels = {}
for i = 1, #KEYS do
  local limit = tonumber(ARGV[1 + 2 * i])
  local cost = tonumber(ARGV[2 + 2 * i])
  local s = redis.call('HMGET', KEYS[i], 'tokens', 'at')
  local tokens = tonumber(s[1] or limit)
  local at = tonumber(s[2] or now)
  tokens = math.min(limit, tokens + (now - at) * limit / window)
  levels[i] = tokens
  if not adjust and tokens < cost then
    return { i, tostring(math.ceil((cost - tokens) * window / limit)) }
  end
end
for i = 1, #KEYS do
  local cost = tonumber(ARGV[2 + 2 * i])
  redis.call('HSET', KEYS[i], 'tokens', tostring(levels[i] - cost), 'at', tostring(now))
  redis.call('PEXPIRE', KEYS[i], 2 * window)
end
return { 0 }
`;

/** Shared buckets in Redis, checked and taken by one Lua script (atomic across replicas). */
export function createRedisRateLimiter(options: RateLimiterOptions & { redis: Redis; prefix?: string }): RateLimiter {
  const { redis } = options;
  const prefix = options.prefix ?? 'sextant:rate:';
  const windowMs = options.windowMs ?? DEFAULTS.rateLimit.windowMs;
  const now = options.now ?? Date.now;
  async function run(buckets: RateBucket[], adjust: boolean): Promise<AcquireResult> {
    const args: (string | number)[] = [now(), windowMs];
    for (const b of buckets) args.push(b.limit, b.cost);
    args.push(adjust ? '1' : '0');
    try {
      const result = (await redis.eval(ACQUIRE, buckets.length, ...buckets.map((b) => prefix + b.key), ...args)) as [number, string?];
      if (result[0] === 0) return { ok: true };
      const b = buckets[result[0] - 1];
      return { ok: false, key: b.key, limit: b.limit, retryAfterMs: Number(result[1]) };
    } catch (error) {
      throw toSextantError(error, 'STORE_ERROR');
    }
  }
  return {
    acquire: (buckets) => (buckets.length === 0 ? Promise.resolve({ ok: true }) : run(buckets, false)),
    async adjust(bucket) {
      await run([bucket], true);
    },
  };
}
