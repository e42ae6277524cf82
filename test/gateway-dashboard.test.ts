/** The dashboard's files and the JSON it reads: access rules, traces, cost, cache, keys. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createGateway, type Gateway, parseGatewayConfig, type RunningServer } from '../src/gateway/index.js';
import { openStore, sqlTraceRepository, type SqlStore } from '../src/store/index.js';
import { createFakeUpstream, type FakeUpstream } from '../src/testing/index.js';
import { createStoreTracer, type StoreTracer } from '../src/trace/index.js';

let upstream: FakeUpstream;
let store: SqlStore;
let tracer: StoreTracer;
let gateway: Gateway;
let server: RunningServer;
let adminKey: string;
let userKey: string;

beforeAll(async () => {
  upstream = await createFakeUpstream();
  store = await openStore({ url: ':memory:' });
  tracer = createStoreTracer({ repository: sqlTraceRepository(store), redact: false });
  const config = parseGatewayConfig({ providers: { openai: { baseURL: `${upstream.url}/v1`, apiKey: 'k' } }, models: { fast: 'openai:gpt-4o-mini' } });
  gateway = await createGateway({ config, store, tracer });
  server = await gateway.listen({ port: 0, host: '127.0.0.1' });
  adminKey = (await gateway.keys.create({ tenant: 'ops', scopes: ['admin'], name: 'dashboard' })).key;
  userKey = (await gateway.keys.create({ tenant: 'acme', scopes: ['models:*', 'routes:*'] })).key;
});

afterAll(async () => {
  await gateway.close();
  await tracer.close();
  await store.close();
  await upstream.close();
});

it('serves the dashboard files, and sends / there', async () => {
  const root = await fetch(`${server.url}/`, { redirect: 'manual' });
  expect(root.status).toBe(302);
  expect(root.headers.get('location')).toBe('/dashboard/');
  const page = await fetch(`${server.url}/dashboard/`);
  expect(page.headers.get('content-type')).toContain('text/html');
  expect(await page.text()).toContain('/dashboard/dashboard.js');
  const script = await fetch(`${server.url}/dashboard/dashboard.js`);
  expect(script.headers.get('content-type')).toContain('javascript');
  expect((await fetch(`${server.url}/dashboard/missing.js`)).status).toBe(404);
});

it('lets callers on this machine in without a key when no admin key is configured; elsewhere a key with the admin scope', async () => {
  expect((await fetch(`${server.url}/dashboard/api/overview`)).status).toBe(200);
  // Through app.fetch there is no socket: the request is not known to be local.
  expect((await gateway.app.request('/dashboard/api/overview')).status).toBe(401);
  expect((await gateway.app.request('/dashboard/api/overview', { headers: { authorization: `Bearer ${userKey}` } })).status).toBe(403);
  expect((await gateway.app.request('/dashboard/api/overview', { headers: { authorization: `Bearer ${adminKey}` } })).status).toBe(200);
});

it('shows the traces, cost, cache and keys of real calls', async () => {
  upstream.enqueue({ text: 'hello', usage: { inputTokens: 100, outputTokens: 50 } });
  const call = await fetch(`${server.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${userKey}`, 'x-sextant-session': 'dash-1' },
    body: JSON.stringify({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] }),
  });
  expect(call.status).toBe(200);
  await tracer.flush();
  const get = async (path: string) => (await (await fetch(`${server.url}/dashboard/api${path}`)).json()) as any;

  const { traces } = await get('/traces?session=dash-1');
  expect(traces).toHaveLength(1);
  expect(traces[0]).toMatchObject({ kind: 'request', session: 'dash-1', tenant: 'acme', status: 'completed' });
  const detail = await get(`/traces/${traces[0].id}`);
  expect(detail.spans.map((s: any) => s.kind).sort()).toEqual(['model', 'request']);

  const cost = await get('/cost?days=1');
  const acme = cost.byTenant.find((t: any) => t.tenant === 'acme');
  expect(acme.costUsd).toBeCloseTo((100 * 0.15 + 50 * 0.6) / 1e6, 12);
  expect(cost.byDay[0].inputTokens).toBeGreaterThanOrEqual(100);

  const cache = await get('/cache');
  expect(cache.enabled).toBe(true);
  expect(cache.scopes.some((s: any) => s.misses >= 1)).toBe(true);

  const { keys } = await get('/keys');
  expect(keys.map((k: any) => k.tenant).sort()).toEqual(['acme', 'ops']);
  expect(JSON.stringify(keys)).not.toContain(userKey);

  const overview = await get('/overview');
  expect(overview).toMatchObject({ keys: 2, store: { engine: 'sqlite' } });
  expect(overview.models.map((m: any) => m.id)).toEqual(['fast']);

  const bad = await fetch(`${server.url}/dashboard/api/traces?limit=-3`);
  expect(bad.status).toBe(400);
});
