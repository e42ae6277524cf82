/** Routes through the real pipeline: fallbacks to another provider, and per-target timeouts. */
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { createGateway, type Gateway, parseGatewayConfig, type RunningServer } from '../src/gateway/index.js';
import { openStore, type SqlStore } from '../src/store/index.js';
import { createFakeUpstream, type FakeUpstream } from '../src/testing/index.js';

let primary: FakeUpstream;
let backup: FakeUpstream;
let store: SqlStore;
let gateway: Gateway;
let server: RunningServer;

beforeAll(async () => {
  [primary, backup] = await Promise.all([createFakeUpstream(), createFakeUpstream()]);
  store = await openStore({ url: ':memory:' });
  const config = parseGatewayConfig({
    providers: {
      openai: { baseURL: `${primary.url}/v1`, apiKey: 'k1' },
      backup: { type: 'openai-compatible', baseURL: `${backup.url}/v1`, apiKey: 'k2' },
    },
    models: {
      resilient: { targets: ['openai:gpt-4o-mini'], fallbacks: ['backup:gpt-4o-mini'] },
      impatient: { targets: [{ model: 'openai:gpt-4o', timeoutMs: 100 }], fallbacks: ['backup:gpt-4o'] },
    },
    cache: { enabled: false },
  });
  gateway = await createGateway({ config, store });
  server = await gateway.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await gateway.close();
  await store.close();
  await Promise.all([primary.close(), backup.close()]);
});

beforeEach(() => {
  primary.reset();
  backup.reset();
});

const chat = (model: string, stream = false) =>
  fetch(`${server.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'Hi' }] }) });

it('falls back to the next target when the first is out of quota, plain and streamed', async () => {
  primary.enqueue({ fault: 'quota' }, { fault: 'quota' });
  backup.enqueue({ text: 'from backup' }, { text: 'streamed from backup' });
  const res = await chat('resilient');
  expect(res.status).toBe(200);
  expect(res.headers.get('x-sextant-target')).toBe('backup:gpt-4o-mini');
  expect(((await res.json()) as any).choices[0].message.content).toBe('from backup');

  const streamed = await (await chat('resilient', true)).text();
  expect(streamed).toContain('"target":"backup:gpt-4o-mini"');
  expect([...streamed.matchAll(/"content":"([^"]*)"/g)].map((m) => m[1]).join('')).toBe('streamed from backup');
});

it('cuts a target at its own timeout and moves on', async () => {
  primary.enqueue({ fault: 'hang' }, { fault: 'hang' }, { fault: 'hang' });
  backup.enqueue({ text: 'patient backup' });
  const res = await chat('impatient');
  expect(res.status).toBe(200);
  expect(res.headers.get('x-sextant-target')).toBe('backup:gpt-4o');
  expect(primary.clientClosedCount).toBeGreaterThan(0);
});

it('reports every failed target when all fail', async () => {
  primary.enqueue({ fault: 'quota' });
  backup.enqueue({ fault: 'quota' });
  const res = await chat('resilient');
  expect(res.status).toBe(502);
  const body = (await res.json()) as any;
  expect(body.error.code).toBe('all_targets_failed');
  expect(body.error.message).toContain('openai:gpt-4o-mini');
  expect(body.error.message).toContain('backup:gpt-4o-mini');
});
