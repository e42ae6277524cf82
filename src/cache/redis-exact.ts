import type { Redis } from 'ioredis';
import { SextantError } from '../errors.js';
import type { SharedAnswer, SharedExactCache } from './entry.js';

export interface RedisExactCacheOptions {
  redis: Redis;
  /** Prefix of every key this cache writes, e.g. `sextant:cache:`. */
  prefix?: string;
}

/**
 * The exact cache on Redis, shared by every replica. Answers live under `<prefix>e:<key>` with
 * Redis's own expiry; `<prefix>t:<tag>` and `<prefix>s:<scope>` sets index them for invalidation.
 * Capacity is Redis's business (maxmemory with an allkeys-lru or -lfu policy).
 */
export function createRedisExactCache(options: RedisExactCacheOptions): SharedExactCache {
  const { redis } = options;
  const prefix = options.prefix ?? 'sextant:cache:';
  const entryKey = (k: string) => `${prefix}e:${k}`;
  const wrap = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      throw new SextantError('STORE_ERROR', `Redis cache ${what} failed: ${(error as Error).message}`, { cause: error, context: { prefix } });
    }
  };
  const deleteKeys = async (keys: string[]): Promise<number> => (keys.length === 0 ? 0 : redis.del(...keys));

  return {
    get: (exactKey) =>
      wrap('get', async () => {
        const raw = await redis.get(entryKey(exactKey));
        return raw ? (JSON.parse(raw) as SharedAnswer) : undefined;
      }),
    set: (exactKey, answer, ttlMs) =>
      wrap('set', async () => {
        const multi = redis.multi();
        if (ttlMs !== undefined) multi.set(entryKey(exactKey), JSON.stringify(answer), 'PX', Math.max(1, Math.round(ttlMs)));
        else multi.set(entryKey(exactKey), JSON.stringify(answer));
        for (const tag of answer.tags) multi.sadd(`${prefix}t:${tag}`, exactKey);
        multi.sadd(`${prefix}s:${answer.scopeKey}`, exactKey);
        await multi.exec();
      }),
    invalidate: (filter) =>
      wrap('invalidate', async () => {
        const keys = new Set(filter.keys ?? []);
        const indexes: string[] = [];
        if (filter.tag !== undefined) indexes.push(`${prefix}t:${filter.tag}`);
        if (filter.scopeKey !== undefined) indexes.push(`${prefix}s:${filter.scopeKey}`);
        for (const index of indexes) for (const k of await redis.smembers(index)) keys.add(k);
        const removed = await deleteKeys([...keys].map(entryKey));
        await deleteKeys(indexes);
        return removed;
      }),
    clear: () =>
      wrap('clear', async () => {
        let removed = 0;
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
          cursor = next;
          removed += await deleteKeys(keys.filter((k) => k.startsWith(`${prefix}e:`)));
          await deleteKeys(keys.filter((k) => !k.startsWith(`${prefix}e:`)));
        } while (cursor !== '0');
        return removed;
      }),
  };
}
