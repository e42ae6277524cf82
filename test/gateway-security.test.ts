/**
 * The gateway's security wiring: key use recorded at close, key limits read once per request,
 * PII redacted before traces are stored (the default) and, when switched on, before requests go
 * upstream; trace retention started and stopped with the gateway.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createGateway, type GatewayConfigInput, parseGatewayConfig } from '../src/gateway/index.js';
import { createAuditLog } from '../src/security/audit.js';
import { openStore, sqlTraceRepository, type SqlStore } from '../src/store/index.js';
import { createFakeUpstream, type FakeUpstream } from '../src/testing/index.js';

const EMAIL = 'jane.doe@example.com';
let upstream: FakeUpstream;
const dir = mkdtempSync(join(tmpdir(), 'sextant-gateway-security-'));

beforeAll(async () => {
  upstream = await createFakeUpstream();
});

afterAll(async () => {
  await upstream.close();
  rmSync(dir, { recursive: true, force: true });
});

function configWith(extra: Partial<GatewayConfigInput> = {}) {
  return parseGatewayConfig({
    providers: { openai: { baseURL: `${upstream.url}/v1`, apiKey: 'upstream-key' } },
    models: { fast: 'openai:gpt-4o-mini' },
    ...extra,
  });
}

async function chat(
  app: { request: (path: string, init: RequestInit) => Response | Promise<Response> },
  content: string,
  headers: Record<string, string> = {},
  stream = false,
) {
  return app.request('/v1/chat/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-sextant-cache': 'bypass', ...headers },
    body: JSON.stringify({ model: 'fast', stream, messages: [{ role: 'user', content }] }),
  });
}

describe('keys at close', () => {
  it("writes a key's last use and its key.used audit entry on close, so a reopened store has them", async () => {
    const path = join(dir, 'keys.db');
    let store: SqlStore = await openStore({ url: path });
    const gateway = await createGateway({ config: configWith(), store });
    const { key, record } = await gateway.keys.create({ tenant: 'acme' });
    const res = await chat(gateway.app, 'hello', { authorization: `Bearer ${key}` });
    expect(res.status).toBe(200);
    await gateway.close();
    await store.close();

    store = await openStore({ url: path });
    try {
      const entries = await createAuditLog({ store }).list();
      expect(entries.filter((e) => e.action === 'key.used' && e.target === record.keyId)).toHaveLength(1);
      const row = await store.db.selectFrom('api_keys').select('last_used_at').where('id', '=', record.keyId).executeTakeFirstOrThrow();
      expect(row.last_used_at).not.toBeNull();
    } finally {
      await store.close();
    }
  });
});

describe('key limits', () => {
  it("enforces a key's rpm from its authentication, without reading the key again", async () => {
    const store = await openStore({ url: ':memory:' });
    const gateway = await createGateway({ config: configWith(), store });
    try {
      const { key } = await gateway.keys.create({ tenant: 'acme', limits: { rpm: 2, budgets: [{ window: 'day', limitUsd: 5 }] } });
      const get = vi.spyOn(gateway.keys, 'get');
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await chat(gateway.app, `hello ${i}`, { authorization: `Bearer ${key}` })).status);
      expect(statuses).toEqual([200, 200, 429]);
      expect(get).not.toHaveBeenCalled();
    } finally {
      await gateway.close();
      await store.close();
    }
  });
});

describe('PII redaction', () => {
  it("stores a chat's spans with the email redacted, plain and streamed, by default", async () => {
    const store = await openStore({ url: ':memory:' });
    const gateway = await createGateway({ config: configWith(), store });
    const plain = await chat(gateway.app, `Please write to ${EMAIL} about order 1042`);
    const streamed = await chat(gateway.app, `Also cc ${EMAIL}`, {}, true);
    await streamed.text();
    expect(plain.status).toBe(200);
    // The client's answer is not redacted: only what is stored.
    expect(((await plain.json()) as any).choices[0].message.content).toContain(EMAIL);
    await gateway.close();
    try {
      for (const res of [plain, streamed]) {
        const stored = await sqlTraceRepository(store).get(res.headers.get('x-sextant-trace-id')!);
        const text = JSON.stringify(stored!.spans);
        expect(stored!.spans.map((s) => s.kind).sort()).toEqual(['model', 'request']);
        expect(text).not.toContain(EMAIL);
        expect(text).toContain('[EMAIL]');
      }
    } finally {
      await store.close();
    }
  });

  it('stores spans as they were when the config turns redaction off', async () => {
    const store = await openStore({ url: ':memory:' });
    const gateway = await createGateway({ config: configWith({ security: { redactStored: false } }), store });
    const res = await chat(gateway.app, `Please write to ${EMAIL}`);
    await gateway.close();
    try {
      const stored = await sqlTraceRepository(store).get(res.headers.get('x-sextant-trace-id')!);
      expect(JSON.stringify(stored!.spans)).toContain(EMAIL);
    } finally {
      await store.close();
    }
  });

  it('sends placeholders upstream and restores them in the answer when redactUpstream is on, plain and streamed', async () => {
    const store = await openStore({ url: ':memory:' });
    const gateway = await createGateway({ config: configWith({ security: { redactUpstream: true } }), store });
    try {
      upstream.reset();
      // The fake upstream echoes the last user message: what it saw comes back, with the value put back.
      const plain = await chat(gateway.app, `Write to ${EMAIL}`);
      expect(((await plain.json()) as any).choices[0].message.content).toContain(EMAIL);
      const streamed = await chat(gateway.app, `Stream to ${EMAIL}`, {}, true);
      const frames = await streamed.text();
      const text = frames
        .split('\n')
        .filter((l) => l.startsWith('data: {'))
        .map((l) => JSON.parse(l.slice(6)).choices?.[0]?.delta?.content ?? '')
        .join('');
      expect(text).toContain(EMAIL);
      const sent = JSON.stringify(upstream.requests.map((r) => r.body.messages));
      expect(sent).not.toContain(EMAIL);
      expect(sent).toContain('[EMAIL_1]');
    } finally {
      await gateway.close();
      await store.close();
    }
  });

  it('sends requests upstream unchanged by default', async () => {
    const store = await openStore({ url: ':memory:' });
    const gateway = await createGateway({ config: configWith(), store });
    try {
      upstream.reset();
      await chat(gateway.app, `Write to ${EMAIL}`);
      expect(JSON.stringify(upstream.requests[0].body.messages)).toContain(EMAIL);
    } finally {
      await gateway.close();
      await store.close();
    }
  });
});

describe('trace retention', () => {
  it('prunes finished traces past the configured age while running, and stops with the gateway', async () => {
    const store = await openStore({ url: ':memory:' });
    const log = vi.fn();
    const gateway = await createGateway({ config: configWith({ tracing: { retentionMaxAgeMs: 1, retentionIntervalMs: 20 } }), store, log });
    const res = await chat(gateway.app, 'hello');
    const traceId = res.headers.get('x-sextant-trace-id')!;
    const traces = sqlTraceRepository(store);
    await vi.waitFor(async () => expect(await traces.get(traceId)).toBeUndefined(), { timeout: 5_000, interval: 20 });
    await gateway.close();
    await store.close();
    // A prune still scheduled would fail on the closed store and be logged.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(log).not.toHaveBeenCalled();
  });
});
