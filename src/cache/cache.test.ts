import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ModelRequest, ModelResponse, StreamEvent } from '../model/types.js';
import { compose, type Terminal } from '../pipeline/middleware.js';
import { openStore } from '../store/index.js';
import { createCache, type CacheOptions } from './cache.js';
import { createRuleVerifier } from './verifier.js';
import { cacheMiddleware } from './middleware.js';

const dir = mkdtempSync(join(tmpdir(), 'sextant-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in provider: answers with a counter so a cached answer is told apart from a fresh one. */
function upstream(reply: (request: ModelRequest, n: number) => Partial<ModelResponse> = () => ({})) {
  let calls = 0;
  const respond = (request: ModelRequest): ModelResponse => {
    calls++;
    return {
      id: `r${calls}`,
      model: 'gpt-4o-mini',
      message: { role: 'assistant', content: `answer ${calls}` },
      finishReason: 'stop',
      usage: { inputTokens: 1000, outputTokens: 500, totalTokens: 1500 },
      meta: { provider: 'scripted' },
      ...reply(request, calls),
    };
  };
  const terminal: Terminal = {
    generate: async (request) => respond(request),
    async *stream(request) {
      const response = respond(request);
      yield { type: 'start', id: response.id, model: response.model };
      yield { type: 'text-delta', delta: response.message.content ?? '' };
      yield { type: 'finish', response };
    },
    embed: async () => {
      throw new Error('not used');
    },
  };
  return { terminal, calls: () => calls };
}

async function pipeline(options: CacheOptions = {}, reply?: Parameters<typeof upstream>[0]) {
  const cache = await createCache(options);
  const up = upstream(reply);
  return { cache, up, model: compose([cacheMiddleware(cache)], up.terminal) };
}

const ask = (text: string, extra: Partial<ModelRequest> = {}): ModelRequest => ({
  model: 'openai:gpt-4o-mini',
  messages: [
    { role: 'system', content: 'You are a support agent.' },
    { role: 'user', content: text },
  ],
  ...extra,
});

describe('cache middleware', () => {
  it('serves an identical request from the exact cache, with the money it saved', async () => {
    const { model, up } = await pipeline();
    const first = await model.generate(ask('How do I reset my password?'));
    const second = await model.generate(ask('How do I reset my password?'));
    expect(first.meta.cache).toBe('miss');
    expect(second.meta.cache).toBe('hit');
    expect(second.message.content).toBe('answer 1');
    expect(second.meta.savedUsd).toBeGreaterThan(0);
    expect(second.cost?.totalUsd).toBe(0);
    expect(up.calls()).toBe(1);
  });

  it('serves a reworded question from the semantic cache', async () => {
    const { model, up } = await pipeline();
    await model.generate(ask('How do I reset my password?'));
    const reworded = await model.generate(ask('how do i reset my password'));
    expect(reworded.meta.cache).toBe('semantic-hit');
    expect(reworded.message.content).toBe('answer 1');
    expect(up.calls()).toBe(1);
  });

  it('with the paraphrase-aware verifier, serves a paraphrase that shares few words, and misses a more specific question', async () => {
    const { model, up } = await pipeline({ verifiers: [createRuleVerifier({ paraphrases: true })] });
    await model.generate(ask('What is the best way to learn Java?'));
    const paraphrase = await model.generate(ask('How can I learn Java?'));
    expect(paraphrase.meta.cache).toBe('semantic-hit');
    expect(paraphrase.message.content).toBe('answer 1');
    expect((await model.generate(ask('How can I learn Java for free?'))).meta.cache).toBe('miss');
    expect(up.calls()).toBe(2);
  });

  it('misses on near misses: a number, an entity, a negation, the intent, the tenant, the system prompt, an earlier turn', async () => {
    const { model, up } = await pipeline();
    const base = 'How much does shipping to Germany cost for 2 items?';
    await model.generate(ask(base, { metadata: { tenant: 'acme' } }));
    const variants: ModelRequest[] = [
      ask('How much does shipping to Germany cost for 3 items?', { metadata: { tenant: 'acme' } }),
      ask('How much does shipping to France cost for 2 items?', { metadata: { tenant: 'acme' } }),
      ask('Why does shipping to Germany cost so much for 2 items?', { metadata: { tenant: 'acme' } }),
      ask('How much does shipping to Germany not cost for 2 items?', { metadata: { tenant: 'acme' } }),
      ask(base, { metadata: { tenant: 'globex' } }),
      {
        ...ask(base, { metadata: { tenant: 'acme' } }),
        messages: [
          { role: 'system', content: 'You are a pirate.' },
          { role: 'user', content: base },
        ],
      },
      {
        ...ask(base, { metadata: { tenant: 'acme' } }),
        messages: [
          { role: 'system', content: 'You are a support agent.' },
          { role: 'user', content: 'I am a business customer.' },
          { role: 'assistant', content: 'Noted.' },
          { role: 'user', content: base },
        ],
      },
      ask(base, { metadata: { tenant: 'acme' }, temperature: 1.2 }),
    ];
    for (const request of variants) {
      const response = await model.generate(request);
      expect(response.meta.cache, JSON.stringify(request.messages.at(-1))).toBe('miss');
    }
    expect(up.calls()).toBe(1 + variants.length);
  });

  it('honours bypass and refresh per request', async () => {
    const { model, up } = await pipeline();
    await model.generate(ask('What is your refund policy?'));
    const bypassed = await model.generate(ask('What is your refund policy?'), { controls: { cacheBypass: true } });
    expect(bypassed.meta.cache).toBe('bypass');
    const refreshed = await model.generate(ask('What is your refund policy?'), { controls: { cacheRefresh: true } });
    expect(refreshed.meta.cache).toBe('refresh');
    expect(refreshed.message.content).toBe('answer 3');
    const after = await model.generate(ask('What is your refund policy?'));
    expect(after.message.content).toBe('answer 3');
    expect(up.calls()).toBe(3);
  });

  it('never caches errors, cut-off answers, or tool calls unless allowed', async () => {
    const toolCall = {
      message: { role: 'assistant' as const, content: null, toolCalls: [{ id: 't1', name: 'lookup', arguments: '{}' }] },
      finishReason: 'tool_calls' as const,
    };
    const { model, up } = await pipeline({}, (_r, n) => (n === 1 ? toolCall : n === 2 ? { finishReason: 'length' } : {}));
    await model.generate(ask('Look up order 17'));
    expect((await model.generate(ask('Look up order 17'))).meta.cache).toBe('miss');
    expect((await model.generate(ask('Look up order 17'))).meta.cache).toBe('miss');
    expect(up.calls()).toBe(3);

    const allowed = await pipeline({ cacheToolCalls: true }, () => toolCall);
    await allowed.model.generate(ask('Look up order 17'));
    expect((await allowed.model.generate(ask('Look up order 17'))).meta.cache).toBe('hit');

    let fail = true;
    const failing = await pipeline();
    const broken = compose([cacheMiddleware(failing.cache)], {
      ...failing.up.terminal,
      generate: async (request, context) => {
        if (fail) throw new Error('upstream down');
        return failing.up.terminal.generate(request, context);
      },
    });
    await expect(broken.generate(ask('Is the service up?'))).rejects.toThrow('upstream down');
    fail = false;
    expect((await broken.generate(ask('Is the service up?'))).meta.cache).toBe('miss');
  });

  it('replays a cached answer as a stream ending in one finish event', async () => {
    const { model } = await pipeline();
    const collect = async (stream: AsyncIterable<StreamEvent>) => {
      const events: StreamEvent[] = [];
      for await (const e of stream) events.push(e);
      return events;
    };
    const live = await collect(model.stream(ask('Where is my parcel?')));
    expect(live.at(-1)).toMatchObject({ type: 'finish', response: { meta: { cache: 'miss' } } });
    const replayed = await collect(model.stream(ask('Where is my parcel?')));
    expect(replayed.map((e) => e.type)).toEqual(['start', 'text-delta', 'finish']);
    expect(replayed[1]).toEqual({ type: 'text-delta', delta: 'answer 1' });
    expect(replayed.at(-1)).toMatchObject({ type: 'finish', response: { meta: { cache: 'hit' } } });
  });

  it('skips semantic lookup past the turn limit but keeps exact hits', async () => {
    const { model } = await pipeline({ maxTurns: 1 });
    const convo = (last: string): ModelRequest => ({
      model: 'm',
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello' },
        { role: 'user', content: last },
      ],
    });
    await model.generate(convo('How do I reset my password?'));
    expect((await model.generate(convo('how do i reset my password'))).meta.cache).toBe('miss');
    expect((await model.generate(convo('How do I reset my password?'))).meta.cache).toBe('hit');
  });
});

describe('cache policies', () => {
  it('expires entries after their TTL, default or per request', async () => {
    let clock = 1_000_000;
    const { model } = await pipeline({ ttlMs: 1000, now: () => clock });
    await model.generate(ask('What are your opening hours?'));
    await model.generate(ask('Do you ship abroad?'), { controls: { cacheTtlMs: 10_000 } });
    clock += 2000;
    expect((await model.generate(ask('What are your opening hours?'))).meta.cache).toBe('miss');
    expect((await model.generate(ask('Do you ship abroad?'))).meta.cache).toBe('hit');
  });

  it('evicts the least recently used entry past the entry limit', async () => {
    const { cache, model } = await pipeline({ maxEntries: 3, embedder: false });
    for (const q of ['q1', 'q2', 'q3']) await model.generate(ask(q));
    await model.generate(ask('q1'));
    await model.generate(ask('q4'));
    expect(cache.size).toBeLessThanOrEqual(3);
    expect((await model.generate(ask('q1'))).meta.cache).toBe('hit');
    expect((await model.generate(ask('q2'))).meta.cache).toBe('miss');
  });

  it('evicts the least frequently used entry with LFU, and respects the byte limit', async () => {
    const { model } = await pipeline({ maxEntries: 3, eviction: 'lfu', embedder: false });
    for (const q of ['q1', 'q2', 'q3']) await model.generate(ask(q));
    await model.generate(ask('q1'));
    await model.generate(ask('q2'));
    await model.generate(ask('q4'));
    expect((await model.generate(ask('q3'))).meta.cache).toBe('miss');
    expect((await model.generate(ask('q1'))).meta.cache).toBe('hit');

    const small = await pipeline({ maxBytes: 600, embedder: false });
    for (const q of ['a', 'b', 'c', 'd']) await small.model.generate(ask(q));
    expect(small.cache.bytes).toBeLessThanOrEqual(600);
    expect(small.cache.size).toBeLessThan(4);
  });

  it('invalidates by tag, tenant, exact key and age, and refuses an empty filter', async () => {
    let clock = 0;
    const { cache, model } = await pipeline({ now: () => clock });
    await model.generate(ask('Price of plan A?', { metadata: { tenant: 't1' } }), { controls: { cacheTags: ['pricing'] } });
    await model.generate(ask('Price of plan B?', { metadata: { tenant: 't1' } }));
    clock = 10_000;
    await model.generate(ask('Price of plan C?', { metadata: { tenant: 't2' } }));
    expect(await cache.invalidate({ tag: 'pricing' })).toBe(1);
    expect(await cache.invalidate({ olderThanMs: 5000 })).toBe(1);
    expect(await cache.invalidate({ tenant: 't2' })).toBe(1);
    expect(cache.size).toBe(0);
    await expect(cache.invalidate({})).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('rejects bad settings with a clear error', async () => {
    await expect(createCache({ threshold: 1.5 })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(createCache({ maxEntries: 0 })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});

describe('cache persistence and metrics (SQLite)', () => {
  it('keeps entries across a restart and shows metrics flushed by another process', async () => {
    const url = join(dir, 'cache.db');
    const store = await openStore({ url });
    const first = await pipeline({ store });
    await first.model.generate(ask('How do I export my invoices?'));
    await first.model.generate(ask('How do I export my invoices?'));
    await first.cache.close();
    await store.close();

    const reopened = await openStore({ url });
    const second = await pipeline({ store: reopened });
    expect(second.cache.size).toBe(1);
    expect((await second.model.generate(ask('how do i export my invoices'))).meta.cache).toBe('semantic-hit');
    await second.cache.flush();

    const reader = await openStore({ url });
    const { readMetrics } = await import('./metrics.js');
    const [row] = await readMetrics(reader);
    expect(row).toMatchObject({ tenant: 'default', model: 'openai:gpt-4o-mini', exactHits: 1, semanticHits: 1, misses: 1 });
    expect(row.savedUsd).toBeGreaterThan(0);
    expect(await second.cache.clear()).toBe(1);
    await second.cache.close();
    await reader.close();
    await reopened.close();
  });

  it('writes entries behind the call: a miss does not wait for the store, a failed write is reported and fails no call', async () => {
    const store = await openStore({ url: join(dir, 'write-behind.db') });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const errors: unknown[] = [];
    let fail = false;
    const slowStore = {
      ...store,
      writeBehind: async (queries: Parameters<typeof store.writeBehind>[0]) => {
        const failing = fail;
        await held;
        if (failing) throw new Error('disk I/O error');
        return store.writeBehind(queries);
      },
    };
    const { cache, model } = await pipeline({ store: slowStore, onError: (error) => errors.push(error) });
    // The store has not written anything yet; the call is answered and the next one hits.
    expect((await model.generate(ask('How do I export my invoices?'))).meta.cache).toBe('miss');
    expect((await model.generate(ask('How do I export my invoices?'))).meta.cache).toBe('hit');
    fail = true;
    expect((await model.generate(ask('How do I reset my password?'))).meta.cache).toBe('miss');
    fail = false;
    release();
    // close() waits for the writes handed over: the first entry is stored, the second reported.
    await cache.close();
    expect(errors).toEqual([expect.objectContaining({ code: 'STORE_ERROR', message: expect.stringMatching(/Cache insert failed: disk I\/O error/) })]);
    const reopened = await createCache({ store });
    expect(reopened.size).toBe(1);
    await reopened.close();
    await store.close();
  });
});
