/**
 * The gateway's pipeline as a user extends and traces it: middleware at a named insertion point
 * sees every /v1 call, and the pipeline's tracing stage writes each call's model span under the
 * gateway's request span, embeddings included.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createGateway, type Gateway, parseGatewayConfig, type RunningServer } from '../src/gateway/index.js';
import type { Middleware } from '../src/pipeline/index.js';
import { openStore, type SqlStore } from '../src/store/index.js';
import { createFakeUpstream, type FakeUpstream } from '../src/testing/index.js';
import { ATTR, createMemoryTracer } from '../src/trace/index.js';

const tracer = createMemoryTracer();
const seen: { route: string; model: string; session?: string; user?: string }[] = [];
const recorder: Middleware = {
  name: 'recorder',
  generate(request, context, next) {
    seen.push({ route: 'chat', model: request.model, session: context.metadata.session });
    return next(request, context);
  },
  embed(request, context, next) {
    seen.push({ route: 'embeddings', model: request.model, session: context.metadata.session, user: context.metadata.user });
    return next(request, context);
  },
};

let upstream: FakeUpstream;
let store: SqlStore;
let gateway: Gateway;
let server: RunningServer;
const config = () =>
  parseGatewayConfig({
    providers: { openai: { baseURL: 'http://127.0.0.1:9/v1', apiKey: 'upstream-key' } },
    models: { fast: 'openai:gpt-4o-mini', embed: 'openai:text-embedding-3-small' },
  });

beforeAll(async () => {
  upstream = await createFakeUpstream();
  store = await openStore({ url: ':memory:' });
  const base = config();
  base.providers.openai.baseURL = `${upstream.url}/v1`;
  gateway = await createGateway({ config: base, store, tracer, middleware: [{ before: 'cache', use: recorder }] });
  server = await gateway.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await gateway.close();
  await store.close();
  await upstream.close();
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });

it('runs your middleware where you put it, for chat and embeddings calls', async () => {
  expect(gateway.pipeline.order.indexOf('recorder')).toBe(gateway.pipeline.order.indexOf('cache') - 1);
  upstream.enqueue({ text: 'hello' });
  const session = { 'x-sextant-session': 's-1' };
  expect((await post('/v1/chat/completions', { model: 'fast', messages: [{ role: 'user', content: 'Hi' }] }, session)).status).toBe(200);
  expect((await post('/v1/embeddings', { model: 'embed', input: ['alpha'] }, session)).status).toBe(200);
  expect(seen).toEqual([
    { route: 'chat', model: 'openai:gpt-4o-mini', session: 's-1' },
    { route: 'embeddings', model: 'openai:text-embedding-3-small', session: 's-1', user: undefined },
  ]);
});

it("hangs an embeddings call's model span under its request span, and keeps the request's `user`, as chat does", async () => {
  const res = await post('/v1/embeddings', { model: 'embed', input: ['beta'], user: 'u-7' });
  expect(res.status).toBe(200);
  expect(seen.at(-1)?.user).toBe('u-7');
  const traceId = res.headers.get('x-sextant-trace-id');
  const spans = tracer.spans.filter((s) => s.traceId === traceId);
  const request = spans.find((s) => s.kind === 'request')!;
  const model = spans.find((s) => s.kind === 'model')!;
  expect(request.attributes).toMatchObject({ [ATTR.OPERATION]: 'embeddings', [ATTR.REQUEST_MODEL]: 'embed' });
  expect(model).toMatchObject({ parentId: request.id, name: 'embeddings openai:text-embedding-3-small', status: 'ok' });
  expect(model.attributes).toMatchObject({ [ATTR.OPERATION]: 'embeddings', [ATTR.TARGET]: 'openai:text-embedding-3-small', [ATTR.PROVIDER]: 'openai' });
  expect(model.attributes[ATTR.INPUT_TOKENS]).toBeGreaterThan(0);
});

it('refuses middleware at a stage the pipeline does not have', async () => {
  await expect(createGateway({ config: config(), store, middleware: [{ after: 'cahce' as 'cache', use: recorder }] })).rejects.toMatchObject({
    code: 'CONFIG_INVALID',
  });
});
