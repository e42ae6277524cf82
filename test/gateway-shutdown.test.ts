/** Graceful shutdown: a stream in flight completes while the server closes; new requests are refused. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createGateway, type Gateway, parseGatewayConfig } from '../src/gateway/index.js';
import { openStore, type SqlStore } from '../src/store/index.js';
import { createFakeUpstream, type FakeUpstream } from '../src/testing/index.js';

let upstream: FakeUpstream;
let store: SqlStore;
let gateway: Gateway;

beforeAll(async () => {
  upstream = await createFakeUpstream({ chunkDelayMs: 30 });
  store = await openStore({ url: ':memory:' });
  const config = parseGatewayConfig({ providers: { openai: { baseURL: `${upstream.url}/v1`, apiKey: 'k' } }, models: { fast: 'openai:gpt-4o-mini' } });
  gateway = await createGateway({ config, store });
});

afterAll(async () => {
  await store.close();
  await upstream.close();
});

it('drains an in-flight stream to [DONE] while refusing new connections', async () => {
  const server = await gateway.listen({ port: 0, host: '127.0.0.1' });
  const words = 'one two three four five six seven eight nine ten';
  upstream.enqueue({ text: words });
  const res = await fetch(`${server.url}/v1/chat/completions`, {
    method: 'POST',
    body: JSON.stringify({ model: 'fast', stream: true, messages: [{ role: 'user', content: 'count to ten' }] }),
  });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let received = decoder.decode((await reader.read()).value);
  expect(server.inFlight()).toBe(1);

  const closed = gateway.close();
  const refused = await fetch(`${server.url}/health`).then(
    () => 'answered',
    (error: Error) => (error.cause as NodeJS.ErrnoException)?.code,
  );
  expect(refused).toBe('ECONNREFUSED');

  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    received += decoder.decode(value);
  }
  await closed;
  const text = [...received.matchAll(/"content":"([^"]*)"/g)].map((m) => m[1]).join('');
  expect(text).toBe(words);
  expect(received.trimEnd().endsWith('data: [DONE]')).toBe(true);
  expect(server.inFlight()).toBe(0);
});
