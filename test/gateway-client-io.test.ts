/** The gateway reads bodies and watches clients straight from Node's request: limits, chunked bodies, and a client that leaves. */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { createGateway, type Gateway, parseGatewayConfig, type RunningServer } from '../src/gateway/index.js';
import { openStore, type SqlStore } from '../src/store/index.js';
import { createFakeUpstream, type FakeUpstream } from '../src/testing/index.js';
import { createMemoryTracer } from '../src/trace/index.js';

let upstream: FakeUpstream;
let store: SqlStore;
let gateway: Gateway;
let server: RunningServer;
const LIMIT = 4096;
const tracer = createMemoryTracer();

beforeAll(async () => {
  upstream = await createFakeUpstream();
  store = await openStore({ url: ':memory:' });
  const config = parseGatewayConfig({
    providers: { openai: { baseURL: `${upstream.url}/v1`, apiKey: 'k' } },
    models: { fast: 'openai:gpt-4o-mini' },
    server: { bodyLimitBytes: LIMIT },
    cache: { enabled: false },
  });
  gateway = await createGateway({ config, store, tracer });
  server = await gateway.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await gateway.close();
  await store.close();
  await upstream.close();
});

beforeEach(() => upstream.reset());

/** A POST whose body goes out in pieces with no content-length (chunked), as streaming clients send it. */
function chunkedPost(pieces: (string | Buffer)[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (part: string) => (body += part));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    for (const piece of pieces) req.write(piece);
    req.end();
  });
}

const eventually = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
};

it('reads a chunked body split inside a multi-byte character', async () => {
  const json = JSON.stringify({ model: 'fast', messages: [{ role: 'user', content: 'héllo ✓' }] });
  const bytes = Buffer.from(json);
  // ✓ is three bytes: cut after its first.
  const at = Buffer.byteLength(json.slice(0, json.indexOf('✓'))) + 1;
  const { status, body } = await chunkedPost([bytes.subarray(0, at), bytes.subarray(at)]);
  expect(status).toBe(200);
  expect(JSON.parse(body).choices[0].message.content).toBe('Echo: héllo ✓');
});

it('answers 413 to a chunked body past the limit (no content-length to refuse it up front) and keeps serving', async () => {
  const { status, body } = await chunkedPost(['{"model":"fast","messages":[{"role":"user","content":"', 'x'.repeat(LIMIT), '"}]}']);
  expect(status).toBe(413);
  expect(JSON.parse(body).error).toMatchObject({ code: 'payload_too_large' });
  expect(upstream.requestCount).toBe(0);
  const ok = await chunkedPost([JSON.stringify({ model: 'fast', messages: [{ role: 'user', content: 'again' }] })]);
  expect(ok.status).toBe(200);
});

it('a client that leaves mid-call closes the upstream connection, plain and streamed, and its model span ends interrupted', async () => {
  upstream.enqueue({ fault: 'hang' });
  const plain = new AbortController();
  const pending = fetch(`${server.url}/v1/chat/completions`, {
    method: 'POST',
    body: JSON.stringify({ model: 'fast', messages: [{ role: 'user', content: 'Hi' }] }),
    signal: plain.signal,
  });
  await eventually(() => upstream.requestCount === 1);
  plain.abort();
  await expect(pending).rejects.toThrow();
  await eventually(() => upstream.clientClosedCount === 1);
  expect(upstream.clientClosedCount).toBe(1);

  upstream.reset();
  upstream.enqueue({ text: 'a long answer that streams slowly, word by word, for a while', chunkDelayMs: 100 });
  const streamed = new AbortController();
  const res = await fetch(`${server.url}/v1/chat/completions`, {
    method: 'POST',
    body: JSON.stringify({ model: 'fast', stream: true, messages: [{ role: 'user', content: 'Hi' }] }),
    signal: streamed.signal,
  });
  const reader = res.body!.getReader();
  await reader.read();
  streamed.abort();
  await eventually(() => upstream.clientClosedCount === 1);
  expect(upstream.clientClosedCount).toBe(1);
  const models = () => tracer.spans.filter((s) => s.kind === 'model' && s.status !== 'ok');
  await eventually(() => models().length === 2);
  expect(models().map((s) => [s.status, s.error?.code])).toEqual([
    ['interrupted', 'ABORTED'],
    ['interrupted', 'ABORTED'],
  ]);
});
