/**
 * The pipeline's added latency per call: the same request sent straight to the provider and
 * through createPipeline, against the fake upstream at 0 ms latency, plain and streaming.
 * Calls of each mode are interleaved (rotating order every iteration) after a warm-up, so
 * drift and machine load hit every mode alike. Also measured in-process (a terminal that
 * answers at once, no HTTP) to show the middleware's own cost without network noise.
 *
 *   npx tsx bench/pipeline.ts [iterations=2000]
 *
 * Modes: `direct` (provider call), `core` (createPipeline: total timeout, fallback, retry,
 * attempt timeout, circuit breaker, usage/cost, provider router), `full` (core plus the
 * security slots: redact, rate limit, budget with in-memory limiter and ledger), `all` (every
 * middleware on: full plus the exact response cache and a tracing middleware writing one model
 * span per call to a store tracer over SQLite in a temporary directory). `core` and `full` send
 * the same request every call (an agent or client resending a conversation: token counts and
 * PII scans are memoized by text); `all` sends a new user message on every call, so the cache
 * misses and stores each time and the new text is scanned and counted afresh — the worst case.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCache, type Cache } from '../src/cache/cache.js';
import { cacheMiddleware } from '../src/cache/middleware.js';
import { createOpenAICompatible } from '../src/model/providers/openai-compatible/provider.js';
import { createProviderRouter } from '../src/model/router.js';
import type { ModelRequest, ModelResponse, StreamEvent } from '../src/model/types.js';
import { budgetMiddleware } from '../src/security/budget-middleware.js';
import { createPipeline } from '../src/pipeline/create-pipeline.js';
import type { Model } from '../src/model/model.js';
import type { Middleware, Terminal } from '../src/pipeline/middleware.js';
import { rateLimitMiddleware } from '../src/security/rate-limit-middleware.js';
import { redactMiddleware } from '../src/security/redact-middleware.js';
import { createMemoryBudgetLedger } from '../src/security/budget-ledger.js';
import { createSqlBudgetLedger } from '../src/security/budget-ledger-sql.js';
import { createMemoryRateLimiter } from '../src/security/rate-limiter.js';
import { openStore } from '../src/store/db.js';
import { sqlTraceRepository } from '../src/store/traces.js';
import { createFakeUpstream } from '../src/testing/fake-upstream.js';
import { ATTR } from '../src/trace/attributes.js';
import { createStoreTracer } from '../src/trace/store-tracer.js';
import type { SpanHandle, Tracer } from '../src/trace/tracer.js';

const iterations = Number(process.argv[2] ?? 2000);
const warmup = Math.min(500, Math.ceil(iterations / 4));

const request: ModelRequest = {
  model: 'fake:gpt-4o-mini',
  messages: [
    { role: 'system', content: 'You are a support agent for Acme. Answer briefly.' },
    { role: 'user', content: 'Where is my order #4411? It was due on Monday.' },
  ],
  maxTokens: 256,
  metadata: { tenant: 'bench', keyId: 'key-bench' },
};
const bareRequest = { ...request, model: 'gpt-4o-mini' };
let sequence = 0;
/** A request with a user message never sent before. */
const freshRequest = (): ModelRequest => ({
  ...request,
  messages: [request.messages[0], { role: 'user', content: `Where is my order #${4411 + sequence++}? It was due on Monday.` }],
});
const replyText = 'Your order #4411 left our warehouse on Tuesday and should arrive within two days.';

type Call = () => Promise<unknown>;

async function drain(events: AsyncIterable<StreamEvent>): Promise<void> {
  for await (const _ of events) void _;
}

/** One model span per call, with usage and cost, as the gateway and the agent runtime write them. */
function tracingMiddleware(tracer: Tracer): Middleware {
  const start = (request: ModelRequest, stream: boolean) =>
    tracer.startSpan({ kind: 'model', name: `chat ${request.model}`, attributes: { [ATTR.REQUEST_MODEL]: request.model, [ATTR.STREAM]: stream } });
  const finish = (span: SpanHandle, response: ModelResponse) => {
    span.set({
      [ATTR.RESPONSE_MODEL]: response.model,
      [ATTR.INPUT_TOKENS]: response.usage.inputTokens,
      [ATTR.OUTPUT_TOKENS]: response.usage.outputTokens,
      [ATTR.COST_USD]: response.cost?.totalUsd ?? 0,
    });
    span.end('ok');
  };
  return {
    name: 'tracing',
    async generate(req, context, next) {
      const span = start(req, false);
      try {
        const response = await next(req, context);
        finish(span, response);
        return response;
      } catch (error) {
        span.end('error', { message: String(error) });
        throw error;
      }
    },
    async *stream(req, context, next) {
      const span = start(req, true);
      let ended = false;
      try {
        for await (const event of next(req, context)) {
          if (event.type === 'finish') {
            finish(span, event.response);
            ended = true;
          }
          yield event;
        }
      } finally {
        if (!ended) span.end('error', { message: 'stream ended without finish' });
      }
    },
  };
}

const dataDir = mkdtempSync(join(tmpdir(), 'sextant-bench-pipeline-'));
const store = await openStore({ url: join(dataDir, 'sextant.db') });
const tracer = createStoreTracer({ repository: sqlTraceRepository(store), redact: false });
const caches: Cache[] = [];

async function pipelines(terminal: Terminal): Promise<{ core: Model; full: Model; all: Model }> {
  const resilience = { fallback: { targets: { 'fake:gpt-4o-mini': ['fake:gpt-4o'] } } };
  const security = () => ({
    redact: redactMiddleware(),
    rateLimit: rateLimitMiddleware({ limiter: createMemoryRateLimiter(), limits: [{ scope: 'tenant', rpm: 1e9, tpm: 1e12 }] }),
    budget: budgetMiddleware({ ledger: createMemoryBudgetLedger(), budgets: [{ scope: 'tenant', window: 'day', limitUsd: 1e9 }] }),
  });
  const cache = await createCache({ embedder: false });
  caches.push(cache);
  return {
    core: createPipeline({ terminal, ...resilience }),
    full: createPipeline({ terminal, ...resilience, ...security() }),
    all: createPipeline({ terminal, ...resilience, ...security(), tracing: tracingMiddleware(tracer), cache: cacheMiddleware(cache) }),
  };
}

/** Runs every mode `iterations` times, interleaved, and returns each mode's latencies in µs. */
async function measure(modes: Record<string, Call>): Promise<Record<string, number[]>> {
  const names = Object.keys(modes);
  for (let i = 0; i < warmup; i++) for (const name of names) await modes[name]();
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = 0; i < iterations; i++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(i + k) % names.length];
      const start = process.hrtime.bigint();
      await modes[name]();
      samples[name].push(Number(process.hrtime.bigint() - start) / 1000);
    }
  }
  return samples;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const rows: string[][] = [];
const figures: Record<string, number> = {};
const round = (x: number) => Math.round(x * 10) / 10;

function report(label: string, samples: Record<string, number[]>): void {
  const base50 = percentile(samples.direct, 50);
  const base99 = percentile(samples.direct, 99);
  for (const [name, values] of Object.entries(samples)) {
    const p50 = percentile(values, 50);
    const p99 = percentile(values, 99);
    rows.push([
      label,
      name,
      round(p50).toString(),
      round(p99).toString(),
      name === 'direct' ? '-' : round(p50 - base50).toString(),
      name === 'direct' ? '-' : round(p99 - base99).toString(),
      (p50 / base50).toFixed(3),
    ]);
    const key = `${label}_${name}`;
    figures[`${key}_p50_us`] = round(p50);
    figures[`${key}_p99_us`] = round(p99);
    if (name !== 'direct') {
      figures[`${key}_added_p50_us`] = round(p50 - base50);
      figures[`${key}_added_p99_us`] = round(p99 - base99);
      figures[`${key}_ratio_vs_direct`] = Number((p50 / base50).toFixed(3));
    }
  }
}

const upstream = await createFakeUpstream({ record: false, script: [], respond: () => ({ text: replyText }) });
try {
  const provider = createOpenAICompatible({ name: 'fake', baseURL: `${upstream.url}/v1` });
  const http = await pipelines(createProviderRouter({ providers: { fake: provider } }));
  report(
    'http_plain',
    await measure({
      direct: () => provider.generate(bareRequest),
      core: () => http.core.generate(request),
      full: () => http.full.generate(request),
      all: () => http.all.generate(freshRequest()),
    }),
  );
  report(
    'http_stream',
    await measure({
      direct: () => drain(provider.stream(bareRequest)),
      core: () => drain(http.core.stream(request)),
      full: () => drain(http.full.stream(request)),
      all: () => drain(http.all.stream(freshRequest())),
    }),
  );

  // In-process: an answer built at once, so only the middleware's own work is timed.
  const answer = (model: string): ModelResponse => ({
    id: 'r',
    model,
    message: { role: 'assistant', content: replyText },
    finishReason: 'stop',
    usage: { inputTokens: 40, outputTokens: 18, totalTokens: 58 },
    meta: {},
  });
  const instant: Terminal = {
    generate: async (req) => answer(req.model),
    async *stream(req) {
      yield { type: 'start', id: 'r', model: req.model };
      for (const word of replyText.split(/(?<= )/)) yield { type: 'text-delta', delta: word };
      yield { type: 'finish', response: answer(req.model) };
    },
    embed: async () => ({ model: 'x', embeddings: [], usage: { inputTokens: 0 }, meta: {} }),
  };
  const ctx = { signal: new AbortController().signal, metadata: {}, controls: {}, state: new Map(), startedAt: 0 };
  const local = await pipelines(instant);
  report(
    'inproc_plain',
    await measure({
      direct: () => instant.generate(request, ctx),
      core: () => local.core.generate(request),
      full: () => local.full.generate(request),
      all: () => local.all.generate(freshRequest()),
    }),
  );
  report(
    'inproc_stream',
    await measure({
      direct: () => drain(instant.stream(request, ctx)),
      core: () => drain(local.core.stream(request)),
      full: () => drain(local.full.stream(request)),
      all: () => drain(local.all.stream(freshRequest())),
    }),
  );

  // The durable ledger the gateway budgets with: one reserve and one settle per budgeted call, on SQLite.
  const sqlLedger = createSqlBudgetLedger({ store });
  const holds = [{ key: 'tenant:bench:day', limitUsd: 1e9 }];
  const ledgerSamples: number[] = [];
  for (let i = 0; i < warmup + iterations; i++) {
    const start = process.hrtime.bigint();
    await sqlLedger.reserve({ id: `r${i}`, holds, amountUsd: 0.001, ttlMs: 60_000 });
    await sqlLedger.settle({ id: `r${i}`, keys: [holds[0].key], actualUsd: 0.0005 });
    if (i >= warmup) ledgerSamples.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  figures.sqlite_ledger_reserve_settle_p50_us = round(percentile(ledgerSamples, 50));
  figures.sqlite_ledger_reserve_settle_p99_us = round(percentile(ledgerSamples, 99));
} finally {
  await upstream.close();
  for (const cache of caches) await cache.close();
  await tracer.close();
  const traced = tracer.stats();
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
  figures.trace_spans_written = traced.written;
  figures.trace_spans_dropped = traced.dropped;
}

const header = ['call', 'mode', 'p50 µs', 'p99 µs', 'added p50 µs', 'added p99 µs', 'p50 ratio'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
console.log(`pipeline added latency, ${iterations} calls per mode (after ${warmup} warm-up), fake upstream at 0 ms`);
console.log(line(header));
for (const row of rows) console.log(line(row));
console.log(
  `SQLite budget ledger, reserve + settle per call: p50 ${figures.sqlite_ledger_reserve_settle_p50_us} µs, p99 ${figures.sqlite_ledger_reserve_settle_p99_us} µs`,
);
figures.iterations = iterations;
console.log(JSON.stringify(figures));
