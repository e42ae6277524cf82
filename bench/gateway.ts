/**
 * The gateway's added latency: autocannon drives the fake upstream directly, then the gateway in
 * front of the same upstream, at the same fixed rate with the same mix of plain and streaming
 * chat requests, in one run. The upstream and the gateway each run in their own process (this
 * file, re-run with --role), the load generator in this one, so none of them shares an event loop.
 * The gateway runs as `sextant serve` would: store-backed tracing to a SQLite file, usage and
 * cost accounting, retry/timeout/fallback/breaker middleware; the response cache is off (every
 * request must reach the upstream for the comparison to mean anything).
 *
 *   npx tsx bench/gateway.ts [--rate 500] [--seconds 10] [--connections 10] [--stream-share 0.5] [--max-rate 1500]
 *
 * Latencies are taken from each response's own timing (autocannon's 'response' event, float ms),
 * not from autocannon's integer-millisecond histogram, so sub-millisecond differences show. A rate
 * counts as held when the achieved rate is within 3% of the target with no errors or non-2xx.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

/** The slice of autocannon's API used here (it ships no types). */
interface AutocannonResult {
  requests: { total: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}
interface AutocannonInstance {
  on(event: 'response', listener: (client: unknown, status: number, bytes: number, responseTimeMs: number) => void): void;
  on(event: 'done', listener: (result: AutocannonResult) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
}
const autocannon = createRequire(import.meta.url)('autocannon') as (options: Record<string, unknown>) => AutocannonInstance;

const { values } = parseArgs({
  options: {
    role: { type: 'string' },
    upstream: { type: 'string' },
    db: { type: 'string' },
    rate: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '10' },
    'stream-share': { type: 'string', default: '0.5' },
    'max-rate': { type: 'string', default: '1500' },
  },
});

/** Child roles: print one JSON line with the URL, then serve until SIGTERM/SIGINT. */
async function runRole(): Promise<boolean> {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => process.exit(0));
  if (values.role === 'upstream') {
    const { createFakeUpstream } = await import('../src/testing/index.js');
    const upstream = await createFakeUpstream({ record: false });
    console.log(JSON.stringify({ url: upstream.url }));
    return true;
  }
  if (values.role === 'gateway') {
    const { createGateway, parseGatewayConfig, startServer } = await import('../src/gateway/index.js');
    const { Hono } = await import('hono');
    const { openStore } = await import('../src/store/index.js');
    const store = await openStore({ url: values.db });
    const config = parseGatewayConfig({
      providers: { openai: { baseURL: `${values.upstream}/v1`, apiKey: 'bench' } },
      models: { fast: 'openai:gpt-4o-mini' },
      cache: { enabled: false },
    });
    const gateway = await createGateway({ config, store });
    // The gateway's own account of its overhead (x-sextant-overhead-ms, plain calls), sent to the parent on request.
    const overheads: number[] = [];
    const outer = new Hono();
    outer.use(async (c, next) => {
      await next();
      const value = c.res.headers.get('x-sextant-overhead-ms');
      if (value !== null) overheads.push(Number(value));
    });
    outer.get('/bench/overheads', (c) => c.json(overheads.splice(0)));
    outer.route('/', gateway.app);
    const server = await startServer(outer, { port: 0, host: '127.0.0.1' });
    console.log(JSON.stringify({ url: server.url }));
    return true;
  }
  return false;
}

function startChild(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let buffer = '';
    child.stdout!.on('data', (data: Buffer) => {
      buffer += data.toString();
      const line = buffer.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve({ child, url: (JSON.parse(line) as { url: string }).url });
    });
    child.once('exit', (code) => reject(new Error(`child ${args.join(' ')} exited with ${code}`)));
  });
}

interface Measured {
  targetRate: number;
  achievedRate: number;
  errors: number;
  non2xx: number;
  latencies: number[];
}

function body(model: string, stream: boolean, i: number) {
  return JSON.stringify({ model, stream, messages: [{ role: 'system', content: 'You are a terse assistant.' }, { role: 'user', content: `Question number ${i}: what is the capital of France?` }] });
}

async function load(url: string, model: string, rate: number, seconds: number): Promise<Measured> {
  const connections = Math.min(Number(values.connections), rate);
  const streamShare = Number(values['stream-share']);
  // A fixed cycle of plain and streaming requests in the asked proportion (10 slots).
  const slots = Array.from({ length: 10 }, (_, i) => i < Math.round(streamShare * 10));
  const requests = slots.map((stream, i) => ({ method: 'POST' as const, path: '/v1/chat/completions', headers: { 'content-type': 'application/json' }, body: body(model, stream, i) }));
  const latencies: number[] = [];
  const instance = autocannon({ url, connections, overallRate: rate, duration: seconds, requests });
  instance.on('response', (_client, status, _bytes, responseTime) => {
    if (status >= 200 && status < 300) latencies.push(responseTime);
  });
  const result = await new Promise<AutocannonResult>((resolve, reject) => {
    instance.on('done', resolve);
    instance.on('error', reject);
  });
  return { targetRate: rate, achievedRate: result.requests.total / seconds, errors: result.errors + result.timeouts, non2xx: result.non2xx, latencies };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const held = (m: Measured) => m.errors === 0 && m.non2xx === 0 && m.achievedRate >= 0.97 * m.targetRate;

/** The highest rate held for a few seconds, stepping up by `step`. */
async function highestSustained(url: string, model: string, step: number, max: number): Promise<number> {
  let best = 0;
  for (let rate = step; rate <= max; rate += step) {
    const m = await load(url, model, rate, 4);
    if (!held(m)) break;
    best = rate;
  }
  return best;
}

async function main() {
  if (await runRole()) return;
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  const dir = mkdtempSync(join(tmpdir(), 'sextant-bench-gateway-'));
  const upstream = await startChild(['--role', 'upstream']);
  const gateway = await startChild(['--role', 'gateway', '--upstream', upstream.url, '--db', join(dir, 'bench.db')]);
  try {
    // Warm both paths (JIT, connection pools, tokenizer tables) before measuring.
    await load(upstream.url, 'gpt-4o-mini', Math.min(rate, 200), 3);
    await load(gateway.url, 'fast', Math.min(rate, 200), 3);

    const direct = await load(upstream.url, 'gpt-4o-mini', rate, seconds);
    await fetch(`${gateway.url}/bench/overheads`);
    const through = await load(gateway.url, 'fast', rate, seconds);
    const self = ((await (await fetch(`${gateway.url}/bench/overheads`)).json()) as number[]).sort((a, b) => a - b);
    const d = [...direct.latencies].sort((a, b) => a - b);
    const g = [...through.latencies].sort((a, b) => a - b);
    const figures: Record<string, number | boolean> = {
      rate_rps: rate,
      stream_share: Number(values['stream-share']),
      direct_achieved_rps: Math.round(direct.achievedRate),
      gateway_achieved_rps: Math.round(through.achievedRate),
      rate_held: held(direct) && held(through),
    };
    for (const p of [50, 95, 99]) {
      const dp = percentile(d, p);
      const gp = percentile(g, p);
      figures[`direct_p${p}_ms`] = Number(dp.toFixed(3));
      figures[`gateway_p${p}_ms`] = Number(gp.toFixed(3));
      figures[`added_p${p}_ms`] = Number((gp - dp).toFixed(3));
      figures[`ratio_p${p}_vs_direct`] = Number((gp / dp).toFixed(3));
    }
    for (const p of [50, 95, 99]) figures[`self_reported_overhead_p${p}_ms`] = Number(percentile(self, p).toFixed(3));
    console.log(`fixed rate ${rate} req/s for ${seconds}s, ${Math.round(Number(values['stream-share']) * 100)}% streaming, ${values.connections} connections`);
    console.log(`  achieved: direct ${figures.direct_achieved_rps} req/s, gateway ${figures.gateway_achieved_rps} req/s (errors ${direct.errors + through.errors}, non-2xx ${direct.non2xx + through.non2xx})`);
    for (const p of [50, 95, 99]) {
      console.log(`  p${p}: direct ${figures[`direct_p${p}_ms`]} ms, gateway ${figures[`gateway_p${p}_ms`]} ms, added ${figures[`added_p${p}_ms`]} ms (x${figures[`ratio_p${p}_vs_direct`]})`);
    }

    console.log(`  the gateway's own overhead (x-sextant-overhead-ms, plain calls): p50 ${figures.self_reported_overhead_p50_ms} ms, p95 ${figures.self_reported_overhead_p95_ms} ms, p99 ${figures.self_reported_overhead_p99_ms} ms`);
    const maxRate = Number(values['max-rate']);
    const step = Math.max(50, Math.round(rate / 5));
    figures.direct_max_sustained_rps = await highestSustained(upstream.url, 'gpt-4o-mini', step, maxRate);
    figures.gateway_max_sustained_rps = await highestSustained(gateway.url, 'fast', step, maxRate);
    figures.max_sustained_ratio_vs_direct = Number(((figures.gateway_max_sustained_rps as number) / (figures.direct_max_sustained_rps as number)).toFixed(3));
    console.log(`  highest sustained rate (steps of ${step} req/s, 4 s each, up to ${maxRate}): direct ${figures.direct_max_sustained_rps} req/s, gateway ${figures.gateway_max_sustained_rps} req/s`);
    console.log(JSON.stringify(figures));
  } finally {
    upstream.child.kill();
    gateway.child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
