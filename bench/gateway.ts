/**
 * The gateway's added latency: a paced load generator drives the fake upstream directly, then the
 * gateway in front of the same upstream, at the same fixed rate with the same mix of plain and
 * streaming chat requests, in one run. The upstream and the gateway each run in their own process
 * (this file, re-run with --role), the load generator in this one, so none of them shares an event loop.
 * The gateway runs as `sextant serve` would: store-backed tracing to a SQLite file, usage and
 * cost accounting, retry/timeout/fallback/breaker middleware; the response cache is off (every
 * request must reach the upstream for the comparison to mean anything), or with --cache misses on
 * with every request a new one (each misses, reaches the upstream and stores an entry).
 *
 *   npx tsx bench/gateway.ts [--rate 500] [--seconds 10] [--rounds 5] [--connections 128] [--stream-share 0.5] [--cache off|misses] [--max-rate 1500] [--profile dir] [--heap-profile file]
 *
 * Open loop: request i is sent at start + i/rate whatever happened to earlier ones (over a pool of
 * up to --connections keep-alive connections; a request waiting for a free one is timed from when
 * it was handed to the pool), so the load really is a fixed rate; how late the generator itself sent
 * (on a busy machine) is reported as its send lag. (autocannon's overallRate is not: each connection
 * sends its per-second quota back to back, then idles until the next second, so its latencies are
 * those of bursts of concurrent requests.) Each latency runs from the request's send to the end of
 * its whole body, streams included. A rate counts as held when every request succeeded and the
 * achieved rate (responses over the time from the first send to the last response) is within 3%
 * of the target. The --seconds of each side are measured in --rounds interleaved rounds (direct,
 * gateway, direct, gateway...), so a spell of load from elsewhere on the machine falls on both
 * sides alike instead of on whichever ran during it; percentiles are over all rounds' requests,
 * and each round's added p99 is printed too. Also printed: CPU per request of each process, how
 * long the gateway's event loop was held up (what a request arriving meanwhile waits), its GC
 * pauses and the bytes per request promoted to the old heap (what drives full collections, the
 * longest pauses), and the first second after an idle spell.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';

const { values } = parseArgs({
  options: {
    role: { type: 'string' },
    upstream: { type: 'string' },
    db: { type: 'string' },
    rate: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '5' },
    /** `off` (default): every request reaches the upstream, nothing else. `misses`: the response cache on, as `sextant serve` runs by default, and every request new, so each one misses and stores an entry. */
    cache: { type: 'string', default: 'off' },
    connections: { type: 'string', default: '128' },
    'stream-share': { type: 'string', default: '0.5' },
    'max-rate': { type: 'string', default: '1500' },
    /** Write a V8 CPU profile of the gateway process into this directory (open it in Chrome DevTools). */
    profile: { type: 'string' },
    /**
     * Write a sampling heap profile of the gateway's first measured round to this file (.heapprofile,
     * Chrome DevTools): where the objects that outlived the young generation were allocated. The
     * sampling slows that round.
     */
    'heap-profile': { type: 'string' },
  },
});

/** Child roles: print one JSON line with the URL, then serve until SIGTERM/SIGINT. */
async function runRole(): Promise<boolean> {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => process.exit(0));
  // CPU time used so far, asked for by the parent: a per-request cost that other load on the machine does not blur.
  process.on('message', () => process.send?.(process.cpuUsage()));
  if (values.role === 'upstream') {
    const { createFakeUpstream } = await import('../src/testing/index.js');
    const upstream = await createFakeUpstream({ record: false });
    console.log(JSON.stringify({ url: upstream.url }));
    return true;
  }
  if (values.role === 'proxy') {
    const { createServer } = await import('node:http');
    const { Agent } = await import('undici');
    const agent = new Agent();
    const server = createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (part: Buffer) => parts.push(part));
      req.on('end', () => {
        const controller = new AbortController();
        res.once('close', () => {
          if (!res.writableFinished) controller.abort();
        });
        const body = JSON.stringify(JSON.parse(Buffer.concat(parts).toString('utf8')));
        agent
          .request({
            origin: values.upstream!,
            path: req.url!,
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
            signal: controller.signal,
          })
          .then(async (upstreamResponse) => {
            res.writeHead(upstreamResponse.statusCode, { 'content-type': String(upstreamResponse.headers['content-type']) });
            for await (const part of upstreamResponse.body) res.write(part);
            res.end();
          })
          .catch(() => res.destroy());
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    console.log(JSON.stringify({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}` }));
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
      cache: { enabled: values.cache === 'misses' },
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
    // How long the event loop was held up (a synchronous SQLite batch, GC): what every request arriving meanwhile waits.
    const { monitorEventLoopDelay } = await import('node:perf_hooks');
    const loop = monitorEventLoopDelay({ resolution: 1 });
    // GC in the same spans: pauses (a full collection stops the loop, and requests queue behind it) and
    // what scavenges promoted to the old heap (what makes full collections come).
    const { GCProfiler } = await import('node:v8');
    let gcProfiler = new GCProfiler();
    gcProfiler.start();
    const gcFigures = () => {
      const stats = gcProfiler.stop().statistics;
      gcProfiler = new GCProfiler();
      gcProfiler.start();
      const oldSpace = (heap: { heapSpaceStatistics: { spaceName: string; spaceUsedSize: number }[] }) =>
        heap.heapSpaceStatistics
          .filter((space) => space.spaceName === 'old_space' || space.spaceName === 'lo_space')
          .reduce((total, space) => total + space.spaceUsedSize, 0);
      const pauses = stats.map((entry) => entry.cost / 1000);
      const promotedBytes = stats
        .filter((entry) => entry.gcType === 'Scavenge')
        .reduce((total, entry) => total + Math.max(0, oldSpace(entry.afterGC) - oldSpace(entry.beforeGC)), 0);
      return {
        pauses: stats.length,
        fullPauses: stats.filter((entry) => entry.gcType === 'MarkSweepCompact').length,
        totalMs: pauses.reduce((a, b) => a + b, 0),
        maxMs: Math.max(0, ...pauses),
        promotedBytes,
      };
    };
    loop.enable();
    outer.get('/bench/loop', (c) => {
      const figures = { p50: loop.percentile(50) / 1e6, p99: loop.percentile(99) / 1e6, max: loop.max / 1e6, gc: gcFigures() };
      loop.reset();
      return c.json(figures);
    });
    if (values['heap-profile']) {
      // Objects collected by a minor GC are left out: what remains is what outlived the young generation.
      const { Session } = await import('node:inspector/promises');
      const { writeFileSync } = await import('node:fs');
      const session = new Session();
      session.connect();
      await session.post('HeapProfiler.enable');
      const sampling = { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: false };
      outer.post('/bench/heap-profile/start', async (c) => c.json(await session.post('HeapProfiler.startSampling', sampling as never)));
      outer.post('/bench/heap-profile/stop', async (c) => {
        const { profile } = await session.post('HeapProfiler.stopSampling');
        writeFileSync(values['heap-profile']!, JSON.stringify(profile));
        return c.json({});
      });
    }
    outer.route('/', gateway.app);
    const server = await startServer(outer, { port: 0, host: '127.0.0.1' });
    console.log(JSON.stringify({ url: server.url }));
    return true;
  }
  return false;
}

/** A child's CPU time so far (user + system), in microseconds. */
function cpuMicros(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once('message', (usage) => resolve((usage as NodeJS.CpuUsage).user + (usage as NodeJS.CpuUsage).system));
    child.send('cpu');
  });
}

function startChild(args: string[], nodeArgs: string[] = []): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', new URL(import.meta.url).pathname, ...args], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
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
  /** How late the generator sent each request against its schedule (its own pacing accuracy), ms. */
  sendLags: number[];
}

function body(model: string, stream: boolean, i: number) {
  return JSON.stringify({
    model,
    stream,
    messages: [
      { role: 'system', content: 'You are a terse assistant.' },
      { role: 'user', content: `Question number ${i}: what is the capital of France?` },
    ],
  });
}

/** The idle spell before the after-idle figures: longer than undici's and Node's keep-alive timeouts (4-5 s), so pooled connections are gone. */
const IDLE_MS = 6_000;

/** Longest a response may take after the last send before it counts as an error. */
const DRAIN_MS = 10_000;

/** Numbers questions across all loads, so with --cache misses no request repeats an earlier one. */
let nextQuestion = 0;

/** A client pool to one side, kept across its rounds like a real client's. */
function clientPool(url: string): Pool {
  return new Pool(url, { connections: Number(values.connections), pipelining: 1 });
}

async function load(pool: Pool, model: string, rate: number, seconds: number): Promise<Measured> {
  const streamShare = Number(values['stream-share']);
  // A fixed cycle of plain and streaming requests in the asked proportion (10 slots); with --cache misses each request is a new question.
  const bodies = Array.from({ length: 10 }, (_, i) => body(model, i < Math.round(streamShare * 10), i));
  const bodyOf = values.cache === 'misses' ? (i: number) => body(model, i % 10 < Math.round(streamShare * 10), nextQuestion++) : (i: number) => bodies[i % 10];
  const total = Math.round(rate * seconds);
  const intervalMs = 1000 / rate;
  const m: Measured = { targetRate: rate, achievedRate: 0, errors: 0, non2xx: 0, latencies: [], sendLags: [] };
  const inFlight = new Set<Promise<void>>();
  let lastResponse = 0;

  const send = (i: number, due: number) => {
    const began = performance.now();
    m.sendLags.push(began - due);
    const call = pool
      .request({ path: '/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json' }, body: bodyOf(i) })
      .then(async (response) => {
        await response.body.text();
        lastResponse = performance.now();
        if (response.statusCode >= 200 && response.statusCode < 300) m.latencies.push(lastResponse - began);
        else m.non2xx++;
      })
      .catch(() => void m.errors++)
      .finally(() => inFlight.delete(call));
    inFlight.add(call);
  };

  const start = performance.now() + 5;
  await new Promise<void>((resolve) => {
    let sent = 0;
    const tick = () => {
      const now = performance.now();
      for (; sent < total && start + sent * intervalMs <= now; sent++) send(sent, start + sent * intervalMs);
      if (sent === total) return resolve();
      setTimeout(tick, Math.max(0, start + sent * intervalMs - performance.now()));
    };
    setTimeout(tick, 5);
  });
  const drained = await Promise.race([Promise.all(inFlight).then(() => true), new Promise<false>((r) => setTimeout(() => r(false), DRAIN_MS).unref())]);
  if (!drained) m.errors += inFlight.size;
  const answered = m.latencies.length + m.non2xx;
  m.achievedRate = answered / (Math.max(lastResponse - start, seconds * 1000) / 1000);
  return m;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const held = (m: Measured) => m.errors === 0 && m.non2xx === 0 && m.achievedRate >= 0.97 * m.targetRate;

/** The highest rate held for a few seconds, stepping up by `step`. */
async function highestSustained(url: string, model: string, step: number, max: number): Promise<number> {
  let best = 0;
  const pool = clientPool(url);
  for (let rate = step; rate <= max; rate += step) {
    const m = await load(pool, model, rate, 4);
    if (!held(m)) break;
    best = rate;
  }
  await pool.destroy();
  return best;
}

async function main() {
  if (await runRole()) return;
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  const dir = mkdtempSync(join(tmpdir(), 'sextant-bench-gateway-'));
  const upstream = await startChild(['--role', 'upstream']);
  const profile = values.profile ? ['--cpu-prof', '--cpu-prof-dir', values.profile] : [];
  const heapProfile = values['heap-profile'] ? ['--heap-profile', values['heap-profile']] : [];
  const gateway = await startChild(
    ['--role', 'gateway', '--upstream', upstream.url, '--db', join(dir, 'bench.db'), '--cache', values.cache!, ...heapProfile],
    profile,
  );
  const proxy = await startChild(['--role', 'proxy', '--upstream', upstream.url]);
  try {
    const directPool = clientPool(upstream.url);
    const gatewayPool = clientPool(gateway.url);
    const proxyPool = clientPool(proxy.url);
    // Every side warmed at the target rate first (JIT, connection pools, tokenizer tables).
    await load(directPool, 'gpt-4o-mini', rate, 3);
    await load(gatewayPool, 'fast', rate, 3);
    await load(proxyPool, 'gpt-4o-mini', rate, 3);
    await fetch(`${gateway.url}/bench/overheads`);
    const rounds = Math.max(1, Number(values.rounds));
    const direct: Measured[] = [];
    const through: Measured[] = [];
    const proxied: Measured[] = [];
    const loops: {
      p50: number;
      p99: number;
      max: number;
      gc: { pauses: number; fullPauses: number; totalMs: number; maxMs: number; promotedBytes: number };
    }[] = [];
    let upstreamCpu = 0;
    let gatewayCpu = 0;
    let proxyCpu = 0;
    /** One round on one side: its requests go into `into`; returns the CPU time the side's process spent on them. */
    const measure = async (child: ChildProcess, pool: Pool, model: string, into: Measured[]) => {
      const before = await cpuMicros(child);
      into.push(await load(pool, model, rate, seconds / rounds));
      return (await cpuMicros(child)) - before;
    };
    for (let round = 0; round < rounds; round++) {
      upstreamCpu += await measure(upstream.child, directPool, 'gpt-4o-mini', direct);
      await fetch(`${gateway.url}/bench/loop`);
      const heapProfiled = values['heap-profile'] && round === 0;
      if (heapProfiled) await fetch(`${gateway.url}/bench/heap-profile/start`, { method: 'POST' });
      gatewayCpu += await measure(gateway.child, gatewayPool, 'fast', through);
      if (heapProfiled) await fetch(`${gateway.url}/bench/heap-profile/stop`, { method: 'POST' });
      loops.push((await (await fetch(`${gateway.url}/bench/loop`)).json()) as (typeof loops)[number]);
      proxyCpu += await measure(proxy.child, proxyPool, 'gpt-4o-mini', proxied);
    }
    await Promise.all([directPool.destroy(), gatewayPool.destroy(), proxyPool.destroy()]);
    const self = ((await (await fetch(`${gateway.url}/bench/overheads`)).json()) as number[]).sort((a, b) => a - b);
    const sum = <T>(items: T[], of: (item: T) => number) => items.reduce((total, item) => total + of(item), 0);
    const sorted = (ms: Measured[], of: (m: Measured) => number[]) => ms.flatMap(of).sort((a, b) => a - b);
    const d = sorted(direct, (m) => m.latencies);
    const g = sorted(through, (m) => m.latencies);
    const answered = (ms: Measured[]) => sum(ms, (m) => m.latencies.length + m.non2xx);
    const roundP99 = (ms: Measured[]) =>
      ms.map((m) =>
        percentile(
          [...m.latencies].sort((a, b) => a - b),
          99,
        ),
      );
    const directRoundP99 = roundP99(direct);
    const addedRoundP99Of = (side: Measured[]) => roundP99(side).map((p99, i) => Number((p99 - directRoundP99[i]).toFixed(3)));
    const addedRoundP99 = addedRoundP99Of(through);
    const proxyAddedRoundP99 = addedRoundP99Of(proxied);
    const b = sorted(proxied, (m) => m.latencies);
    const figures: Record<string, number | boolean> = {
      rate_rps: rate,
      stream_share: Number(values['stream-share']),
      cache_misses: values.cache === 'misses',
      rounds,
      direct_achieved_rps: Math.round(Math.min(...direct.map((m) => m.achievedRate))),
      gateway_achieved_rps: Math.round(Math.min(...through.map((m) => m.achievedRate))),
      direct_rate_held: direct.every(held),
      gateway_rate_held: through.every(held),
      direct_send_lag_p99_ms: Number(
        percentile(
          sorted(direct, (m) => m.sendLags),
          99,
        ).toFixed(3),
      ),
      gateway_send_lag_p99_ms: Number(
        percentile(
          sorted(through, (m) => m.sendLags),
          99,
        ).toFixed(3),
      ),
    };
    for (const p of [50, 95, 99]) {
      const dp = percentile(d, p);
      const gp = percentile(g, p);
      figures[`direct_p${p}_ms`] = Number(dp.toFixed(3));
      figures[`gateway_p${p}_ms`] = Number(gp.toFixed(3));
      figures[`added_p${p}_ms`] = Number((gp - dp).toFixed(3));
      figures[`ratio_p${p}_vs_direct`] = Number((gp / dp).toFixed(3));
      figures[`proxy_added_p${p}_ms`] = Number((percentile(b, p) - dp).toFixed(3));
    }
    figures.proxy_rate_held = proxied.every(held);
    for (const p of [50, 95, 99]) figures[`self_reported_overhead_p${p}_ms`] = Number(percentile(self, p).toFixed(3));
    figures.added_p99_ms_median_round = Number([...addedRoundP99].sort((a, b) => a - b)[Math.floor(rounds / 2)].toFixed(3));
    figures.added_p99_ms_worst_round = Math.max(...addedRoundP99);
    // The loop histogram is per gateway round: the worst round's figures.
    figures.gateway_loop_delay_p50_ms = Number(Math.max(...loops.map((l) => l.p50)).toFixed(3));
    figures.gateway_loop_delay_p99_ms = Number(Math.max(...loops.map((l) => l.p99)).toFixed(3));
    figures.gateway_loop_delay_max_ms = Number(Math.max(...loops.map((l) => l.max)).toFixed(3));
    figures.gateway_gc_pauses = sum(loops, (l) => l.gc.pauses);
    figures.gateway_gc_full_pauses = sum(loops, (l) => l.gc.fullPauses);
    figures.gateway_gc_pause_total_ms = Number(sum(loops, (l) => l.gc.totalMs).toFixed(1));
    figures.gateway_gc_pause_max_ms = Number(Math.max(...loops.map((l) => l.gc.maxMs)).toFixed(2));
    figures.gateway_promoted_bytes_per_request = Math.round(sum(loops, (l) => l.gc.promotedBytes) / answered(through));
    figures.upstream_cpu_us_per_request = Math.round(upstreamCpu / answered(direct));
    figures.gateway_cpu_us_per_request = Math.round(gatewayCpu / answered(through));
    figures.gateway_cpu_ratio_vs_upstream = Number((figures.gateway_cpu_us_per_request / figures.upstream_cpu_us_per_request).toFixed(2));
    figures.proxy_cpu_us_per_request = Math.round(proxyCpu / answered(proxied));
    console.log(
      `fixed rate ${rate} req/s for ${seconds}s a side in ${rounds} interleaved rounds, ${Math.round(Number(values['stream-share']) * 100)}% streaming, ${values.connections} connections, response cache ${values.cache === 'misses' ? 'on (every request a miss that stores an entry)' : 'off'}`,
    );
    console.log(
      `  achieved (slowest round): direct ${figures.direct_achieved_rps} req/s, gateway ${figures.gateway_achieved_rps} req/s, target ${figures.direct_rate_held ? 'held' : 'NOT held'} direct, ${figures.gateway_rate_held ? 'held' : 'NOT held'} through the gateway (errors ${sum([...direct, ...through], (m) => m.errors)}, non-2xx ${sum([...direct, ...through], (m) => m.non2xx)}; generator send lag p99 ${figures.direct_send_lag_p99_ms} / ${figures.gateway_send_lag_p99_ms} ms)`,
    );
    for (const p of [50, 95, 99]) {
      console.log(
        `  p${p}: direct ${figures[`direct_p${p}_ms`]} ms, gateway ${figures[`gateway_p${p}_ms`]} ms, added ${figures[`added_p${p}_ms`]} ms (x${figures[`ratio_p${p}_vs_direct`]})`,
      );
    }

    console.log(
      `  the floor, a bare Node proxy in the same rounds (node:http + undici, no pipeline): added p50 ${figures.proxy_added_p50_ms} ms, p95 ${figures.proxy_added_p95_ms} ms, p99 ${figures.proxy_added_p99_ms} ms (per round ${proxyAddedRoundP99.join(', ')}), ${figures.proxy_cpu_us_per_request} us CPU per request, rate ${figures.proxy_rate_held ? 'held' : 'NOT held'}`,
    );
    console.log(
      `  added p99 per round: ${addedRoundP99.join(', ')} ms (median ${figures.added_p99_ms_median_round}); the gateway's GC per round: ${loops.map((l) => `${l.gc.pauses} pauses ${l.gc.totalMs.toFixed(0)} ms (${l.gc.fullPauses} full, longest ${l.gc.maxMs.toFixed(1)} ms)`).join('; ')}; promoted to the old heap ${figures.gateway_promoted_bytes_per_request} bytes per request`,
    );
    console.log(
      `  CPU per request (user + system): gateway ${figures.gateway_cpu_us_per_request} us, the upstream itself ${figures.upstream_cpu_us_per_request} us (x${figures.gateway_cpu_ratio_vs_upstream}); at ${rate} req/s the gateway needs ${((figures.gateway_cpu_us_per_request * rate) / 1e4).toFixed(0)}% of a core`,
    );
    console.log(
      `  the gateway's own overhead (x-sextant-overhead-ms, plain calls): p50 ${figures.self_reported_overhead_p50_ms} ms, p95 ${figures.self_reported_overhead_p95_ms} ms, p99 ${figures.self_reported_overhead_p99_ms} ms`,
    );
    console.log(
      `  the gateway's event loop held up (monitorEventLoopDelay, 1 ms resolution, worst round): p50 ${figures.gateway_loop_delay_p50_ms} ms, p99 ${figures.gateway_loop_delay_p99_ms} ms, max ${figures.gateway_loop_delay_max_ms} ms`,
    );
    // The first second after an idle spell, each side after the same idle time, against its own steady state above.
    const idle = () => new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    await idle();
    const afterIdle = async (url: string, model: string) => {
      const pool = clientPool(url);
      const m = await load(pool, model, rate, 1);
      await pool.destroy();
      return [...m.latencies].sort((a, b) => a - b);
    };
    const directAfterIdle = await afterIdle(upstream.url, 'gpt-4o-mini');
    await idle();
    const gatewayAfterIdle = await afterIdle(gateway.url, 'fast');
    for (const p of [50, 99]) {
      figures[`direct_after_idle_p${p}_ms`] = Number(percentile(directAfterIdle, p).toFixed(3));
      figures[`gateway_after_idle_p${p}_ms`] = Number(percentile(gatewayAfterIdle, p).toFixed(3));
      figures[`added_after_idle_p${p}_ms`] = Number((percentile(gatewayAfterIdle, p) - percentile(directAfterIdle, p)).toFixed(3));
    }
    console.log(
      `  first second after ${IDLE_MS / 1000} s idle: p50 direct ${figures.direct_after_idle_p50_ms} ms, gateway ${figures.gateway_after_idle_p50_ms} ms; p99 direct ${figures.direct_after_idle_p99_ms} ms, gateway ${figures.gateway_after_idle_p99_ms} ms`,
    );
    const maxRate = Number(values['max-rate']);
    const step = Math.max(50, Math.round(rate / 5));
    figures.direct_max_sustained_rps = await highestSustained(upstream.url, 'gpt-4o-mini', step, maxRate);
    figures.gateway_max_sustained_rps = await highestSustained(gateway.url, 'fast', step, maxRate);
    figures.max_sustained_ratio_vs_direct = Number(((figures.gateway_max_sustained_rps as number) / (figures.direct_max_sustained_rps as number)).toFixed(3));
    console.log(
      `  highest sustained rate (steps of ${step} req/s, 4 s each, up to ${maxRate}): direct ${figures.direct_max_sustained_rps} req/s, gateway ${figures.gateway_max_sustained_rps} req/s`,
    );
    console.log(JSON.stringify(figures));
  } finally {
    upstream.child.kill();
    gateway.child.kill();
    proxy.child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
