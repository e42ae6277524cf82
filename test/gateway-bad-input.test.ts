/**
 * Bad input through the real HTTP server: each problem is a clear OpenAI-style error with the
 * right status, and nothing reaches the upstream.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGateway, type Gateway, parseGatewayConfig, type RunningServer } from '../src/gateway/index.js';
import { openStore, type SqlStore } from '../src/store/index.js';
import { createFakeUpstream, type FakeUpstream } from '../src/testing/index.js';

let upstream: FakeUpstream;
let store: SqlStore;
let gateway: Gateway;
let server: RunningServer;
let key: string;
let narrowKey: string;

beforeAll(async () => {
  upstream = await createFakeUpstream();
  store = await openStore({ url: ':memory:' });
  const config = parseGatewayConfig({
    providers: { openai: { baseURL: `${upstream.url}/v1`, apiKey: 'upstream-key' } },
    models: { fast: 'openai:gpt-4o-mini', smart: 'openai:gpt-4o' },
    server: { bodyLimitBytes: 64 * 1024 },
    auth: { required: true },
  });
  gateway = await createGateway({ config, store });
  server = await gateway.listen({ port: 0, host: '127.0.0.1' });
  key = (await gateway.keys.create({ tenant: 'acme', scopes: ['models:*', 'routes:*'] })).key;
  narrowKey = (await gateway.keys.create({ tenant: 'acme', scopes: ['models:fast', 'routes:chat'] })).key;
});

afterAll(async () => {
  await gateway.close();
  await store.close();
  await upstream.close();
});

beforeEach(() => upstream.reset());

async function post(path: string, body: string, headers: Record<string, string> = { authorization: `Bearer ${key}` }) {
  const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return {
    status: res.status,
    headers: res.headers,
    body: (await res.json()) as { error: { message: string; type: string; param: string | null; code: string | null } },
  };
}

const chat = (body: unknown, headers?: Record<string, string>) => post('/v1/chat/completions', typeof body === 'string' ? body : JSON.stringify(body), headers);
const hello = [{ role: 'user', content: 'Hi' }];

describe('bad input gets a clear OpenAI-style error', () => {
  it('malformed JSON: 400 saying the body is not JSON', async () => {
    const { status, body } = await chat('{"model": "fast", "messages": [');
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_request' });
    expect(body.error.message).toMatch(/not valid JSON/);
  });

  it('an empty body and a body that is not an object: 400', async () => {
    expect((await chat('')).body.error.message).toMatch(/empty/);
    expect((await chat('[1,2]')).body.error.message).toMatch(/JSON object/);
  });

  it('wrong types: 400 naming the parameter', async () => {
    const a = await chat({ model: 'fast', messages: 'hello' });
    expect(a.status).toBe(400);
    expect(a.body.error.param).toBe('messages');
    const b = await chat({ model: 'fast', messages: [{ role: 'user', content: 42 }] });
    expect(b.body.error.param).toBe('messages[0].content');
    const c = await chat({ model: 'fast', messages: hello, temperature: 'hot' });
    expect(c.body.error.param).toBe('temperature');
    const d = await chat({ model: 'fast', messages: [{ role: 'wizard', content: 'x' }] });
    expect(d.body.error.param).toBe('messages[0].role');
    const e = await chat({ messages: hello });
    expect(e.body.error.param).toBe('model');
    const f = await chat({ model: 'fast', messages: hello, n: 3 });
    expect(f.body.error.message).toMatch(/n=1/);
  });

  it('an oversized body: 413', async () => {
    const { status, body } = await chat({ model: 'fast', messages: [{ role: 'user', content: 'x'.repeat(70 * 1024) }] });
    expect(status).toBe(413);
    expect(body.error).toMatchObject({ type: 'invalid_request_error', code: 'payload_too_large' });
    expect(body.error.message).toContain(String(64 * 1024));
  });

  it('an unknown model: 404 listing the available models', async () => {
    const { status, body } = await chat({ model: 'gpt-5-ultra', messages: hello });
    expect(status).toBe(404);
    expect(body.error).toMatchObject({ code: 'unknown_model', param: 'model' });
    expect(body.error.message).toContain('fast, smart');
  });

  it('a missing or invalid key: 401', async () => {
    const missing = await chat({ model: 'fast', messages: hello }, {});
    expect(missing.status).toBe(401);
    expect(missing.body.error).toMatchObject({ type: 'authentication_error', code: 'unauthorized' });
    expect(missing.body.error.message).toMatch(/Missing API key/);
    const invalid = await chat(
      { model: 'fast', messages: hello },
      { authorization: 'Bearer sk-sx-0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
    );
    expect(invalid.status).toBe(401);
    expect(invalid.body.error.message).toMatch(/Invalid API key/);
  });

  it('a model or route the key may not use: 403', async () => {
    const model = await chat({ model: 'smart', messages: hello }, { authorization: `Bearer ${narrowKey}` });
    expect(model.status).toBe(403);
    expect(model.body.error.type).toBe('permission_error');
    const route = await post('/v1/embeddings', JSON.stringify({ model: 'fast', input: 'x' }), { authorization: `Bearer ${narrowKey}` });
    expect(route.status).toBe(403);
  });

  it('bad gateway headers: 400 naming the header', async () => {
    const { status, body } = await chat({ model: 'fast', messages: hello }, { authorization: `Bearer ${key}`, 'x-sextant-cache': 'sometimes' });
    expect(status).toBe(400);
    expect(body.error.param).toBe('x-sextant-cache');
  });

  it('an unknown route: 404 in the same format', async () => {
    const res = await fetch(`${server.url}/v1/completions/legacy`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
  });

  it('none of the above reached the upstream', () => {
    expect(upstream.requestCount).toBe(0);
  });

  it('the official client sees the same errors as typed exceptions', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'not-a-virtual-key', maxRetries: 0 });
    await expect(client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(
      OpenAI.AuthenticationError,
    );
    const allowed = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: narrowKey, maxRetries: 0 });
    await expect(allowed.chat.completions.create({ model: 'smart', messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(
      OpenAI.PermissionDeniedError,
    );
    upstream.enqueue({ text: 'fine' });
    const ok = await allowed.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'x' }] });
    expect(ok.choices[0].message.content).toBe('fine');
  });
});
