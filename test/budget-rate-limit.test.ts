import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSextantError } from '../src/errors.js';
import type { ModelRequest, ModelResponse } from '../src/model/types.js';
import { compose, type Terminal } from '../src/pipeline/middleware.js';
import { keyRateLimits, rateLimitMiddleware } from '../src/security/rate-limit-middleware.js';
import { createMemoryRateLimiter, createRedisRateLimiter, type RateLimiter } from '../src/security/rate-limiter.js';

const request: ModelRequest = { model: 'openai:gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], metadata: { tenant: 'acme', keyId: 'k1' } };
const response = (outputTokens: number): ModelResponse => ({
  id: 'r',
  model: 'm',
  message: { role: 'assistant', content: 'ok' },
  finishReason: 'stop',
  usage: { inputTokens: 10, outputTokens, totalTokens: 10 + outputTokens },
  meta: {},
});
const terminal = (outputTokens = 5): Terminal => ({
  generate: async () => {
    await new Promise((r) => setTimeout(r, 2));
    return response(outputTokens);
  },
  async *stream() {
    yield { type: 'finish', response: response(outputTokens) };
  },
  embed: async () => ({ model: 'e', embeddings: [[1]], usage: { inputTokens: 1 }, meta: {} }),
});

async function fire(limiter: RateLimiter, n: number, rules: Parameters<typeof rateLimitMiddleware>[0]['limits'], tenant = 'acme') {
  const model = compose([rateLimitMiddleware({ limiter, limits: rules })], terminal());
  const results = await Promise.allSettled(Array.from({ length: n }, () => model.generate({ ...request, metadata: { tenant, keyId: 'k1' } })));
  return { ok: results.filter((r) => r.status === 'fulfilled').length, errors: results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : [])) };
}

describe('rate limits', () => {
  let redis: Redis;
  const prefix = `test:rate:${randomUUID()}:`;
  beforeAll(async () => {
    redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
    await redis.connect();
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  for (const [name, make] of [
    ['in-process', () => createMemoryRateLimiter()],
    ['Redis', () => createRedisRateLimiter({ redis, prefix })],
  ] as const) {
    it(`${name}: 50 concurrent calls at 10 rpm — exactly 10 pass, the rest get RATE_LIMITED with a retry delay`, async () => {
      const { ok, errors } = await fire(make(), 50, [{ scope: 'tenant', rpm: 10 }], `t-${name}`);
      expect(ok).toBe(10);
      expect(errors).toHaveLength(40);
      const e = errors[0];
      expect(isSextantError(e, 'RATE_LIMITED')).toBe(true);
      expect((e as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(0);
      expect((e as { status: number }).status).toBe(429);
    });
  }

  it('buckets refill over the window', async () => {
    let t = 0;
    const limiter = createMemoryRateLimiter({ now: () => t, windowMs: 60_000 });
    const model = compose([rateLimitMiddleware({ limiter, limits: [{ scope: 'key', rpm: 2 }] })], terminal());
    await model.generate(request);
    await model.generate(request);
    const error = await model.generate(request).catch((e: unknown) => e);
    expect((error as { retryAfterMs: number }).retryAfterMs).toBe(30_000);
    t = 30_000;
    await expect(model.generate(request)).resolves.toBeDefined();
  });

  it('tokens per minute: the prompt is charged up front, the output after; debt blocks the next call', async () => {
    let t = 0;
    const limiter = createMemoryRateLimiter({ now: () => t });
    const model = compose([rateLimitMiddleware({ limiter, limits: [{ scope: 'tenant', tpm: 1000 }] })], terminal(2000));
    await model.generate(request); // 2010 tokens used against 1000/min: the bucket is now in debt
    await expect(model.generate(request)).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    t = 120_000;
    await expect(model.generate(request)).resolves.toBeDefined();
    const tiny = compose([rateLimitMiddleware({ limiter, limits: [{ scope: 'tenant', tpm: 3 }] })], terminal());
    await expect(tiny.generate(request)).rejects.toThrow(/prompt alone/);
  });

  it("a key's own limits come from its record", async () => {
    const limiter = createMemoryRateLimiter();
    const model = compose(
      [rateLimitMiddleware({ limiter, resolve: keyRateLimits({ limitsOf: async (id) => (id === 'k1' ? { rpm: 1 } : undefined) }) })],
      terminal(),
    );
    await model.generate(request);
    await expect(model.generate(request)).rejects.toMatchObject({ code: 'RATE_LIMITED', context: { bucket: 'key:k1:rpm' } });
    await expect(model.generate({ ...request, metadata: { keyId: 'other' } })).resolves.toBeDefined();
  });
});
