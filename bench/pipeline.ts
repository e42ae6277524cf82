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
 * security slots: redact, rate limit, budget with in-memory limiter and ledger).
 */
import { createOpenAICompatible } from '../src/model/providers/openai-compatible.js';
import { createProviderRouter } from '../src/model/router.js';
import type { ModelRequest, ModelResponse, StreamEvent } from '../src/model/types.js';
import { budgetMiddleware } from '../src/pipeline/budget.js';
import { createPipeline } from '../src/pipeline/create-pipeline.js';
import type { Model, Terminal } from '../src/pipeline/middleware.js';
import { rateLimitMiddleware } from '../src/pipeline/rate-limit.js';
import { redactMiddleware } from '../src/pipeline/redact.js';
import { createMemoryBudgetLedger } from '../src/security/budget-ledger.js';
import { createMemoryRateLimiter } from '../src/security/rate-limiter.js';
import { createFakeUpstream } from '../src/testing/fake-upstream.js';

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
const replyText = 'Your order #4411 left our warehouse on Tuesday and should arrive within two days.';

type Call = () => Promise<unknown>;

async function drain(events: AsyncIterable<StreamEvent>): Promise<void> {
  for await (const _ of events) void _;
}

function pipelines(terminal: Terminal): { core: Model; full: Model } {
  const resilience = { fallback: { targets: { 'fake:gpt-4o-mini': ['fake:gpt-4o'] } } };
  return {
    core: createPipeline({ terminal, ...resilience }),
    full: createPipeline({
      terminal,
      ...resilience,
      redact: redactMiddleware(),
      rateLimit: rateLimitMiddleware({ limiter: createMemoryRateLimiter(), limits: [{ scope: 'tenant', rpm: 1e9, tpm: 1e12 }] }),
      budget: budgetMiddleware({ ledger: createMemoryBudgetLedger(), budgets: [{ scope: 'tenant', window: 'day', limitUsd: 1e9 }] }),
    }),
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
    rows.push([label, name, round(p50).toString(), round(p99).toString(), name === 'direct' ? '-' : round(p50 - base50).toString(), name === 'direct' ? '-' : round(p99 - base99).toString(), (p50 / base50).toFixed(3)]);
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
  const http = pipelines(createProviderRouter({ providers: { fake: provider } }));
  report(
    'http_plain',
    await measure({ direct: () => provider.generate(bareRequest), core: () => http.core.generate(request), full: () => http.full.generate(request) }),
  );
  report(
    'http_stream',
    await measure({
      direct: () => drain(provider.stream(bareRequest)),
      core: () => drain(http.core.stream(request)),
      full: () => drain(http.full.stream(request)),
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
  const local = pipelines(instant);
  report('inproc_plain', await measure({ direct: () => instant.generate(request, ctx), core: () => local.core.generate(request), full: () => local.full.generate(request) }));
  report(
    'inproc_stream',
    await measure({ direct: () => drain(instant.stream(request, ctx)), core: () => drain(local.core.stream(request)), full: () => drain(local.full.stream(request)) }),
  );
} finally {
  await upstream.close();
}

const header = ['call', 'mode', 'p50 µs', 'p99 µs', 'added p50 µs', 'added p99 µs', 'p50 ratio'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
console.log(`pipeline added latency, ${iterations} calls per mode (after ${warmup} warm-up), fake upstream at 0 ms`);
console.log(line(header));
for (const row of rows) console.log(line(row));
figures.iterations = iterations;
console.log(JSON.stringify(figures));
