import type { Redis } from 'ioredis';
import { toSextantError } from '../errors.js';
import { denial, fromNanos, toNanos, type BudgetLedger } from './budget-ledger.js';

/*
 * Layout per budget key K: a hash `<prefix>K` with `spent`, `reserved` and one `r:<id>` field per
 * open reservation (its amount), and a sorted set `<prefix>K:exp` of reservation ids by expiry.
 * KEYS = the n hashes then the n sorted sets. Amounts are integer nano-dollars.
 */
const RESERVE = `
local n = #KEYS / 2
local id = ARGV[1]
local amount = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local expiresAt = tonumber(ARGV[4])
for i = 1, n do
  local h, z = KEYS[i], KEYS[n + i]
  for _, rid in ipairs(redis.call('ZRANGEBYSCORE', z, '-inf', now)) do
    local a = redis.call('HGET', h, 'r:' .. rid)
    if a then
      redis.call('HINCRBY', h, 'reserved', -tonumber(a))
      redis.call('HDEL', h, 'r:' .. rid)
    end
    redis.call('ZREM', z, rid)
  end
end
for i = 1, n do
  local h = KEYS[i]
  local limit = tonumber(ARGV[5 + 2 * (i - 1)])
  local spent = tonumber(redis.call('HGET', h, 'spent') or '0')
  local reserved = tonumber(redis.call('HGET', h, 'reserved') or '0')
  if spent + reserved + amount > limit then
    return { i, tostring(spent), tostring(reserved) }
  end
end
for i = 1, n do
  local h, z = KEYS[i], KEYS[n + i]
  local ttl = tonumber(ARGV[6 + 2 * (i - 1)])
  redis.call('HINCRBY', h, 'reserved', amount)
  redis.call('HSET', h, 'r:' .. id, amount)
  redis.call('ZADD', z, expiresAt, id)
  if ttl > 0 then
    redis.call('EXPIRE', h, ttl)
    redis.call('EXPIRE', z, ttl)
  end
end
return { 0 }
`;

const SETTLE = `
local n = #KEYS / 2
local id = ARGV[1]
local actual = tonumber(ARGV[2])
for i = 1, n do
  local h, z = KEYS[i], KEYS[n + i]
  local a = redis.call('HGET', h, 'r:' .. id)
  if a then
    redis.call('HINCRBY', h, 'reserved', -tonumber(a))
    redis.call('HDEL', h, 'r:' .. id)
    redis.call('ZREM', z, id)
  end
  if actual > 0 then redis.call('HINCRBY', h, 'spent', actual) end
end
return 0
`;

export interface RedisBudgetLedgerOptions {
  redis: Redis;
  /** Prefix of every key this ledger writes (e.g. `sextant:budget:`). */
  prefix?: string;
  now?: () => number;
}

/** Seconds a window's counters live in Redis: past its end plus a margin, forever for `total`. */
function windowTtlSeconds(key: string): number {
  if (key.includes(':day:')) return 3 * 86_400;
  if (key.includes(':month:')) return 33 * 86_400;
  return 0;
}

/**
 * The shared ledger: one Lua script checks every hold and reserves in a single atomic step, so
 * any number of gateway replicas and workers never overspend together.
 */
export function createRedisBudgetLedger(options: RedisBudgetLedgerOptions): BudgetLedger {
  const { redis } = options;
  const prefix = options.prefix ?? 'sextant:budget:';
  const now = options.now ?? Date.now;
  const keysFor = (keys: string[]) => [...keys.map((k) => prefix + k), ...keys.map((k) => `${prefix}${k}:exp`)];

  async function run<T>(script: string, keys: string[], args: (string | number)[]): Promise<T> {
    try {
      return (await redis.eval(script, keys.length, ...keys, ...args)) as T;
    } catch (error) {
      throw toSextantError(error, 'STORE_ERROR');
    }
  }

  return {
    async reserve({ id, holds, amountUsd, ttlMs }) {
      if (holds.length === 0) return { ok: true };
      const amount = toNanos(amountUsd);
      const t = now();
      const args: (string | number)[] = [id, amount, t, t + ttlMs];
      for (const hold of holds) args.push(toNanos(hold.limitUsd, 'down'), windowTtlSeconds(hold.key));
      const result = await run<[number, string?, string?]>(RESERVE, keysFor(holds.map((h) => h.key)), args);
      if (result[0] === 0) return { ok: true };
      const hold = holds[result[0] - 1];
      return { ok: false, denied: denial(hold.key, toNanos(hold.limitUsd, 'down'), Number(result[1]), Number(result[2]), amount) };
    },
    async settle({ id, keys, actualUsd }) {
      if (keys.length > 0) await run(SETTLE, keysFor(keys), [id, toNanos(actualUsd)]);
    },
    async release({ id, keys }) {
      if (keys.length > 0) await run(SETTLE, keysFor(keys), [id, 0]);
    },
    async usage(key) {
      const [spent, reserved] = await redis.hmget(prefix + key, 'spent', 'reserved');
      return { spentUsd: fromNanos(Number(spent ?? 0)), reservedUsd: fromNanos(Number(reserved ?? 0)) };
    },
  };
}
