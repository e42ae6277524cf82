import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheMiddleware, createCache, createRedisExactCache, readMetrics } from '../src/cache/index.js';
import type { ModelRequest, ModelResponse } from '../src/model/types.js';
import { compose, type Terminal } from '../src/pipeline/middleware.js';
import { openStore } from '../src/store/index.js';

const schema = `cache_test_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
const pgUrl = `postgres://postgres@127.0.0.1:5432/test?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
const prefix = `sextant:test:${randomUUID()}:`;
let admin: pg.Client;
let redis: Redis;

beforeAll(async () => {
  admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/test' });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
});
afterAll(async () => {
  await admin.query(`DROP SCHEMA ${schema} CASCADE`);
  await admin.end();
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

function upstream() {
  let calls = 0;
  const respond = (): ModelResponse => ({
    id: `r${++calls}`,
    model: 'gpt-4o-mini',
    message: { role: 'assistant', content: `answer ${calls}` },
    finishReason: 'stop',
    usage: { inputTokens: 100, outputTokens: 50, totalTokens: 150 },
    meta: {},
  });
  const terminal: Terminal = {
    generate: async () => respond(),
    // eslint-disable-next-line require-yield
    stream: async function* () {
      throw new Error('not used');
    },
    embed: async () => {
      throw new Error('not used');
    },
  };
  return { terminal, calls: () => calls };
}

const ask = (text: string): ModelRequest => ({ model: 'openai:gpt-4o-mini', messages: [{ role: 'user', content: text }] });

describe('cache on Postgres', () => {
  it('persists entries with their vectors and sums metrics across processes', async () => {
    const store = await openStore({ url: pgUrl });
    expect(store.engine).toBe('postgres');
    const cache = await createCache({ store });
    const up = upstream();
    const model = compose([cacheMiddleware(cache)], up.terminal);
    await model.generate(ask('How do I change my billing address?'));
    expect((await model.generate(ask('How do I change my billing address?'))).meta.cache).toBe('hit');
    await cache.close();

    // A second process: loads the entry (vector from bytea) and adds its own counts.
    const store2 = await openStore({ url: pgUrl });
    const cache2 = await createCache({ store: store2 });
    const model2 = compose([cacheMiddleware(cache2)], upstream().terminal);
    expect((await model2.generate(ask('how do i change my billing address'))).meta.cache).toBe('semantic-hit');
    await cache2.close();
    const [row] = await readMetrics(store2);
    expect(row).toMatchObject({ exactHits: 1, semanticHits: 1, misses: 1 });
    await store.close();
    await store2.close();
  });
});

describe('exact cache on Redis', () => {
  it('shares exact answers between replicas and invalidates them by tag', async () => {
    const shared = createRedisExactCache({ redis, prefix });
    const a = compose([cacheMiddleware(await createCache({ shared, embedder: false }))], upstream().terminal);
    const upB = upstream();
    const cacheB = await createCache({ shared, embedder: false });
    const b = compose([cacheMiddleware(cacheB)], upB.terminal);

    await a.generate(ask('What are your support hours?'), { controls: { cacheTags: ['hours'] } });
    const fromB = await b.generate(ask('What are your support hours?'));
    expect(fromB.meta.cache).toBe('hit');
    expect(fromB.message.content).toBe('answer 1');
    expect(upB.calls()).toBe(0);
    const ttl = await redis.pttl((await redis.keys(`${prefix}e:*`))[0]);
    expect(ttl).toBeGreaterThan(0);

    await cacheB.invalidate({ tag: 'hours' });
    expect((await b.generate(ask('What are your support hours?'))).meta.cache).toBe('miss');
    expect(await shared.clear()).toBe(1);
    expect(await redis.keys(`${prefix}*`)).toEqual([]);
  });
});
