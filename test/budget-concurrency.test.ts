import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSextantError } from '../src/errors.js';
import { estimateMaxCost } from '../src/model/pricing.js';
import { countRequestTokens, preloadTokenizer } from '../src/model/tokens.js';
import type { ModelRequest, ModelResponse, StreamEvent } from '../src/model/types.js';
import { budgetMiddleware, budgetKey } from '../src/security/budget-middleware.js';
import { compose, type Terminal } from '../src/pipeline/middleware.js';
import { createMemoryBudgetLedger, toNanos, type BudgetLedger } from '../src/security/budget-ledger.js';
import { createRedisBudgetLedger } from '../src/security/budget-ledger-redis.js';
import { createSqlBudgetLedger, journalToSql } from '../src/security/budget-ledger-sql.js';
import { openStore, type SqlStore } from '../src/store/index.js';

// Exact token counts: the tokenizer loaded before the first count (until then counts are upper bounds).
await preloadTokenizer();

const MODEL = 'openai:gpt-4o-mini';
const MAX_TOKENS = 100;
const request = (tenant: string): ModelRequest => ({
  model: MODEL,
  maxTokens: MAX_TOKENS,
  messages: [{ role: 'user', content: 'What is the capital of France?' }],
  metadata: { tenant },
});
const inputTokens = countRequestTokens(request('t'));
/** A call's cost in whole nano-dollars, as the ledger counts it. */
const callNanos = toNanos(estimateMaxCost(request('t')).totalUsd);

function response(): ModelResponse {
  return {
    id: randomUUID(),
    model: 'gpt-4o-mini',
    message: { role: 'assistant', content: 'Paris.' },
    finishReason: 'stop',
    // The upstream uses every token it may: the real cost equals the reservation.
    usage: { inputTokens, outputTokens: MAX_TOKENS, totalTokens: inputTokens + MAX_TOKENS },
    meta: {},
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A priced stand-in upstream with a little latency, so 200 calls overlap. */
function terminal(counter: { calls: number }, options: { failEvery?: number; cutStream?: boolean } = {}): Terminal {
  return {
    async generate() {
      counter.calls++;
      await sleep(2 + Math.random() * 8);
      if (options.failEvery && counter.calls % options.failEvery === 0) throw new Error('upstream 500');
      return response();
    },
    async *stream(): AsyncIterable<StreamEvent> {
      counter.calls++;
      yield { type: 'start', id: 'x', model: 'gpt-4o-mini' };
      await sleep(2 + Math.random() * 5);
      yield { type: 'text-delta', delta: 'Par' };
      if (options.cutStream) throw new Error('connection reset');
      yield { type: 'text-delta', delta: 'is.' };
      yield { type: 'finish', response: response() };
    },
    async embed() {
      throw new Error('not used');
    },
  };
}

async function fire200(ledger: BudgetLedger, tenant: string, streaming = false) {
  const limitUsd = (50 * callNanos) / 1e9;
  const counter = { calls: 0 };
  const model = compose([budgetMiddleware({ ledger, budgets: [{ scope: 'tenant', window: 'day', limitUsd }] })], terminal(counter));
  const results = await Promise.allSettled(
    Array.from({ length: 200 }, async () => {
      if (!streaming) return model.generate(request(tenant));
      for await (const event of model.stream(request(tenant))) if (event.type === 'finish') return event.response;
      throw new Error('no finish');
    }),
  );
  const ok = results.filter((r) => r.status === 'fulfilled').length;
  const rejected = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason);
  const usage = await ledger.usage(budgetKey('tenant', tenant, 'day', Date.now()));
  return { ok, rejected, usage, limitUsd, upstreamCalls: counter.calls };
}

function expectNoOverspend(r: Awaited<ReturnType<typeof fire200>>) {
  expect(r.ok).toBe(50);
  expect(r.upstreamCalls).toBe(50);
  expect(r.rejected).toHaveLength(150);
  expect(r.rejected.every((e) => isSextantError(e, 'BUDGET_EXCEEDED'))).toBe(true);
  expect(r.usage.spentUsd).toBeLessThanOrEqual(r.limitUsd);
  expect(r.usage.spentUsd).toBeCloseTo(r.limitUsd, 9);
  expect(r.usage.reservedUsd).toBe(0);
}

describe('200 concurrent calls at a budget that allows 50', () => {
  let redis: Redis;
  let sqlite: SqlStore;
  let postgres: SqlStore;
  let admin: pg.Client;
  const prefix = `test:budget:${randomUUID()}:`;
  const schema = `budget_${randomUUID().replaceAll('-', '')}`;

  beforeAll(async () => {
    redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
    await redis.connect();
    sqlite = await openStore({ url: ':memory:' });
    admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/test' });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    postgres = await openStore({ url: `postgres://postgres@127.0.0.1:5432/test?options=-c%20search_path%3D${schema}` });
  });

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await sqlite.close();
    await postgres.close();
    await admin.query(`drop schema ${schema} cascade`);
    await admin.end();
  });

  it('in-process ledger', async () => {
    expectNoOverspend(await fire200(createMemoryBudgetLedger(), 'mem'));
  });

  it('Redis ledger (Lua check-and-reserve)', async () => {
    expectNoOverspend(await fire200(createRedisBudgetLedger({ redis, prefix }), 'redis'));
  });

  it('Redis ledger shared by two pipelines (two replicas)', async () => {
    const a = createRedisBudgetLedger({ redis, prefix });
    const second = redis.duplicate();
    const b = createRedisBudgetLedger({ redis: second, prefix });
    const [ra, rb] = await Promise.all([fire200(a, 'shared'), fire200(b, 'shared')]);
    second.disconnect();
    expect(ra.ok + rb.ok).toBe(50);
    expect(rb.usage.spentUsd).toBeLessThanOrEqual(ra.limitUsd);
  });

  it('Redis ledger journaled to SQL keeps a durable copy of the spend', async () => {
    const r = await fire200(journalToSql({ ledger: createRedisBudgetLedger({ redis, prefix }), store: sqlite }), 'journaled');
    expectNoOverspend(r);
    const durable = await createSqlBudgetLedger({ store: sqlite }).usage(budgetKey('tenant', 'journaled', 'day', Date.now()));
    expect(durable).toEqual({ spentUsd: r.usage.spentUsd, reservedUsd: 0 });
  });

  it('SQLite ledger', async () => {
    expectNoOverspend(await fire200(createSqlBudgetLedger({ store: sqlite }), 'sqlite'));
  });

  it('Postgres ledger', async () => {
    expectNoOverspend(await fire200(createSqlBudgetLedger({ store: postgres }), 'pg'));
  });

  it('streams settle on the finish event', async () => {
    expectNoOverspend(await fire200(createRedisBudgetLedger({ redis, prefix }), 'redis-stream', true));
  });
});

describe('budget settlement', () => {
  const limitUsd = 1;
  const key = (tenant: string) => budgetKey('tenant', tenant, 'total', Date.now());

  it('a failed call releases its reservation', async () => {
    const ledger = createMemoryBudgetLedger();
    const model = compose([budgetMiddleware({ ledger, budgets: [{ scope: 'tenant', window: 'total', limitUsd }] })], terminal({ calls: 0 }, { failEvery: 1 }));
    await expect(model.generate(request('f'))).rejects.toThrow('upstream 500');
    expect(await ledger.usage(key('f'))).toEqual({ spentUsd: 0, reservedUsd: 0 });
  });

  it('a stream cut mid-way settles the prompt and the output seen', async () => {
    const ledger = createMemoryBudgetLedger();
    const model = compose(
      [budgetMiddleware({ ledger, budgets: [{ scope: 'tenant', window: 'total', limitUsd }] })],
      terminal({ calls: 0 }, { cutStream: true }),
    );
    await expect(async () => {
      for await (const event of model.stream(request('c'))) void event;
    }).rejects.toThrow('connection reset');
    const usage = await ledger.usage(key('c'));
    expect(usage.reservedUsd).toBe(0);
    expect(usage.spentUsd).toBeGreaterThan(0);
    expect(usage.spentUsd).toBeLessThan(callNanos / 1e9);
  });

  it('BUDGET_EXCEEDED says which budget, its limit, spent, reserved and remaining', async () => {
    const ledger = createMemoryBudgetLedger();
    const tiny = (1.5 * callNanos) / 1e9;
    const model = compose([budgetMiddleware({ ledger, budgets: [{ scope: 'tenant', window: 'total', limitUsd: tiny }] })], terminal({ calls: 0 }));
    await model.generate(request('e'));
    const error = await model.generate(request('e')).catch((e: unknown) => e);
    expect(isSextantError(error, 'BUDGET_EXCEEDED')).toBe(true);
    const context = (error as { context: Record<string, number | string> }).context;
    expect(context).toMatchObject({ budget: key('e'), scope: 'tenant', id: 'e', window: 'total', reservedUsd: 0 });
    expect(context.limitUsd).toBeCloseTo(tiny, 9);
    expect(context.spentUsd).toBeCloseTo(callNanos / 1e9, 9);
    expect(context.remainingUsd).toBeCloseTo(tiny - callNanos / 1e9, 8);
  });

  it('calls without the scope in their metadata are not held', async () => {
    const ledger = createMemoryBudgetLedger();
    const model = compose([budgetMiddleware({ ledger, budgets: [{ scope: 'session', window: 'total', limitUsd: 0 }] })], terminal({ calls: 0 }));
    await expect(model.generate(request('n'))).resolves.toBeDefined();
    await expect(model.generate({ ...request('n'), metadata: { session: 's1' } })).rejects.toThrow(/Budget session:s1:total/);
  });

  it('expired reservations are released', async () => {
    let t = 1_000_000;
    const ledger = createMemoryBudgetLedger({ now: () => t });
    const holds = [{ key: 'k', limitUsd: 1 }];
    expect((await ledger.reserve({ id: 'a', holds, amountUsd: 1, ttlMs: 1000 })).ok).toBe(true);
    expect((await ledger.reserve({ id: 'b', holds, amountUsd: 1, ttlMs: 1000 })).ok).toBe(false);
    t += 1001;
    expect((await ledger.reserve({ id: 'b', holds, amountUsd: 1, ttlMs: 1000 })).ok).toBe(true);
  });
});
