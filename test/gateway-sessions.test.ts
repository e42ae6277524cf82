/**
 * Sessions through the gateway: one trace per session (request + model spans in the store),
 * the loop detector's warning and stop, session budgets, and the cache headers.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGateway, type Gateway, parseGatewayConfig, type RunningServer } from '../src/gateway/index.js';
import { openStore, sqlTraceRepository, type SqlStore } from '../src/store/index.js';
import { createFakeUpstream, type FakeUpstream } from '../src/testing/index.js';
import { createStoreTracer, type StoreTracer } from '../src/trace/index.js';

let upstream: FakeUpstream;
let store: SqlStore;
let tracer: StoreTracer;
let gateway: Gateway;
let server: RunningServer;

beforeAll(async () => {
  upstream = await createFakeUpstream();
  store = await openStore({ url: ':memory:' });
  tracer = createStoreTracer({ repository: sqlTraceRepository(store), redact: false });
  const config = parseGatewayConfig({
    providers: { openai: { baseURL: `${upstream.url}/v1`, apiKey: 'upstream-key' } },
    models: { fast: 'openai:gpt-4o-mini' },
    budgets: [{ scope: 'session', window: 'total', limitUsd: 0.004 }],
  });
  gateway = await createGateway({ config, store, tracer });
  server = await gateway.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await gateway.close();
  await tracer.close();
  await store.close();
  await upstream.close();
});

beforeEach(() => upstream.reset());

async function chat(body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'fast', ...body }),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

describe('sessions', () => {
  it("groups a session's calls into one trace, with a request and a model span per call", async () => {
    upstream.enqueue({ text: 'first' }, { text: 'second' });
    const session = { 'x-sextant-session': 'trace-me', 'x-sextant-cache': 'bypass' };
    const a = await chat({ messages: [{ role: 'user', content: 'one' }] }, session);
    const b = await chat({ messages: [{ role: 'user', content: 'two' }] }, session);
    const other = await chat({ messages: [{ role: 'user', content: 'three' }] }, { 'x-sextant-cache': 'bypass' });
    const traceId = a.headers.get('x-sextant-trace-id')!;
    expect(b.headers.get('x-sextant-trace-id')).toBe(traceId);
    expect(other.headers.get('x-sextant-trace-id')).not.toBe(traceId);

    await tracer.flush();
    const stored = await sqlTraceRepository(store).get(traceId);
    expect(stored?.trace.session).toBe('trace-me');
    const requests = stored!.spans.filter((s) => s.kind === 'request');
    const models = stored!.spans.filter((s) => s.kind === 'model');
    expect(requests).toHaveLength(2);
    expect(models).toHaveLength(2);
    for (const model of models) expect(requests.map((r) => r.id)).toContain(model.parentId);
    // The request span holds the alias the client asked for; the model span, written by the pipeline, the model string it called.
    expect(requests[0].attributes['gen_ai.request.model']).toBe('fast');
    expect(models[0].attributes['gen_ai.request.model']).toBe('openai:gpt-4o-mini');
    expect(models[0].attributes['sextant.model.target']).toBe('openai:gpt-4o-mini');
    expect(models[0].attributes['sextant.decision.messages']).toEqual([{ role: 'user', content: 'one' }]);
    expect(requests[0].attributes['http.response.status_code']).toBe(200);
    // The store sums the model spans' costs into the session's trace.
    expect(stored!.trace.cost_usd).toBeCloseTo(
      models.reduce((sum, m) => sum + (m.attributes['sextant.cost.usd'] as number), 0),
      12,
    );
  });

  it('warns the model when a session repeats the same tool call, then refuses to go on', async () => {
    const looping = {
      messages: [
        { role: 'user', content: 'Where is order 1042?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'lookup', arguments: '{"id":"1042"}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: 'not found' },
      ],
    };
    const headers = { 'x-sextant-session': 'loopy', 'x-sextant-cache': 'bypass' };
    upstream.enqueue({ text: 'a' }, { text: 'b' }, { text: 'c' });
    const first = await chat(looping, headers);
    const second = await chat(looping, headers);
    expect(first.headers.get('x-sextant-loop-warning')).toBeNull();
    expect(second.headers.get('x-sextant-loop-warning')).toBeNull();
    const third = await chat(looping, headers);
    expect(third.status).toBe(200);
    expect(third.headers.get('x-sextant-loop-warning')).toMatch(/^repeat: /);
    // The corrective message went to the model, like the agent runtime's.
    const sent = upstream.requests[2].body.messages;
    expect(sent[sent.length - 1]).toMatchObject({ role: 'system' });
    expect(sent[sent.length - 1].content).toMatch(/stuck in a loop/);

    const fourth = await chat(looping, headers);
    expect(fourth.status).toBe(422);
    expect(fourth.body.error.code).toBe('loop_detected');
    expect(upstream.requests).toHaveLength(3);
    // Another session is not affected.
    upstream.enqueue({ text: 'fresh' });
    expect((await chat(looping, { 'x-sextant-session': 'other', 'x-sextant-cache': 'bypass' })).status).toBe(200);
  });

  it('applies the session budget per session', async () => {
    const costly = { messages: [{ role: 'user', content: 'expensive' }], max_tokens: 1000 };
    const headers = { 'x-sextant-session': 'spender', 'x-sextant-cache': 'bypass' };
    upstream.enqueue({ text: 'paid', usage: { inputTokens: 5000, outputTokens: 5000 } });
    const first = await chat(costly, headers);
    expect(first.status).toBe(200);
    expect(Number(first.headers.get('x-sextant-cost-usd'))).toBeCloseTo(0.00375, 8);
    const refused = await chat(costly, headers);
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ type: 'insufficient_quota', code: 'budget_exceeded' });
    expect(refused.headers.get('x-should-retry')).toBe('false');
    expect(refused.headers.get('x-sextant-trace-id')).toMatch(/^[0-9a-f]{32}$/);
    upstream.enqueue({ text: 'ok' });
    expect((await chat(costly, { 'x-sextant-session': 'saver', 'x-sextant-cache': 'bypass' })).status).toBe(200);
  });
});

describe('cache headers', () => {
  it('reports miss then hit (for plain and streamed calls), and bypass on request', async () => {
    upstream.enqueue({ text: 'cached answer' }, { text: 'fresh answer' });
    const body = { messages: [{ role: 'user', content: 'What is the capital of France?' }], temperature: 0 };
    const miss = await chat(body);
    expect(miss.headers.get('x-sextant-cache')).toBe('miss');
    const hit = await chat(body);
    expect(hit.headers.get('x-sextant-cache')).toBe('hit');
    expect(hit.body.choices[0].message.content).toBe('cached answer');
    expect(hit.headers.get('x-sextant-cost-usd')).toBe('0.00000000');
    // The hit's model span says what the cache saved and which target the answer came from, as the agent's model spans do.
    await tracer.flush();
    const hitTrace = await sqlTraceRepository(store).get(hit.headers.get('x-sextant-trace-id')!);
    const hitSpan = hitTrace!.spans.find((s) => s.kind === 'model')!;
    expect(hitSpan.attributes).toMatchObject({ 'sextant.cache.status': 'hit', 'sextant.model.target': 'openai:gpt-4o-mini', 'sextant.cost.usd': 0 });
    expect(hitSpan.attributes['sextant.cache.saved_usd']).toBeGreaterThan(0);

    const res = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'fast', stream: true, ...body }) });
    const text = await res.text();
    expect(text).toContain('"content":"cached answer"');
    expect(text).toMatch(/"sextant":\{"cache":"hit"/);
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    await tracer.flush();
    const streamed = (await sqlTraceRepository(store).get(res.headers.get('x-sextant-trace-id')!))!.spans.find((s) => s.kind === 'model')!;
    expect(streamed.attributes).toMatchObject({ 'gen_ai.request.stream': true, 'sextant.cache.status': 'hit' });
    expect(streamed.attributes['sextant.ttft_ms']).toBeGreaterThanOrEqual(0);

    const bypass = await chat(body, { 'x-sextant-cache': 'bypass' });
    expect(bypass.headers.get('x-sextant-cache')).toBe('bypass');
    expect(bypass.body.choices[0].message.content).toBe('fresh answer');
    expect(upstream.requests).toHaveLength(2);
  });
});
