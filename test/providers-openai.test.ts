import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SextantError } from '../src/errors.js';
import type { ModelRequest, StreamEvent } from '../src/model/index.js';
import { createOpenAICompatible, parseRetryAfter } from '../src/model/index.js';
import { createFakeUpstream, type FakeUpstream } from '../src/testing/index.js';
import { collect, failure } from './support/async.js';

let upstream: FakeUpstream;
const KEY = 'sk-test-secret-key-123456';

beforeAll(async () => {
  upstream = await createFakeUpstream({ apiKey: KEY });
});
afterAll(() => upstream.close());
beforeEach(() => upstream.reset());

const provider = () => createOpenAICompatible({ baseURL: `${upstream.url}/v1`, apiKey: KEY });
const ask = (extra: Partial<ModelRequest> = {}): ModelRequest => ({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'Hello' }],
  ...extra,
});

describe('OpenAI-compatible provider: requests', () => {
  it('maps every request field onto the chat completions body', async () => {
    const p = createOpenAICompatible({
      name: 'azure',
      baseURL: `${upstream.url}/v1`,
      apiKey: KEY,
      apiKeyHeader: 'api-key',
      headers: { 'x-extra': 'yes' },
      query: { 'api-version': '2024-10-21' },
    });
    await p.generate({
      model: 'my-deployment',
      messages: [
        { role: 'system', content: 'Be brief.' },
        {
          role: 'user',
          name: 'ann',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image', url: 'https://example.com/a.png', detail: 'low' },
          ],
        },
        { role: 'assistant', content: null, toolCalls: [{ id: 'call_1', name: 'lookup', arguments: '{"q":"a"}' }] },
        { role: 'tool', toolCallId: 'call_1', content: 'found' },
      ],
      tools: [{ name: 'lookup', description: 'Look up', parameters: { type: 'object', properties: { q: { type: 'string' } } }, strict: true }],
      toolChoice: { name: 'lookup' },
      parallelToolCalls: false,
      responseFormat: { type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true },
      temperature: 0.2,
      topP: 0.9,
      maxTokens: 100,
      stop: ['END'],
      seed: 7,
      providerOptions: { azure: { logprobs: true }, openai: { ignored: true } },
    });
    const [received] = upstream.requests;
    expect(received.headers['api-key']).toBe(KEY);
    expect(received.headers.authorization).toBeUndefined();
    expect(received.headers['x-extra']).toBe('yes');
    expect(received.body).toEqual({
      model: 'my-deployment',
      messages: [
        { role: 'system', content: 'Be brief.' },
        {
          role: 'user',
          name: 'ann',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'low' } },
          ],
        },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"a"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'found' },
      ],
      tools: [
        {
          type: 'function',
          function: { name: 'lookup', description: 'Look up', parameters: { type: 'object', properties: { q: { type: 'string' } } }, strict: true },
        },
      ],
      tool_choice: { type: 'function', function: { name: 'lookup' } },
      parallel_tool_calls: false,
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object' }, strict: true } },
      temperature: 0.2,
      top_p: 0.9,
      max_tokens: 100,
      stop: ['END'],
      seed: 7,
      logprobs: true,
    });
  });

  it('sends the api-version query and JSON mode', async () => {
    const p = createOpenAICompatible({ baseURL: `${upstream.url}/v1`, apiKey: KEY, query: { 'api-version': '2024-10-21' } });
    upstream.enqueue({ text: '{"ok":true}' });
    const response = await p.generate(ask({ responseFormat: { type: 'json' }, toolChoice: 'required' }));
    expect(response.message.content).toBe('{"ok":true}');
    expect(upstream.requests[0].body.response_format).toEqual({ type: 'json_object' });
    expect(upstream.requests[0].body.tool_choice).toBe('required');
    expect(upstream.requests[0].headers.authorization).toBe(`Bearer ${KEY}`);
  });
});

describe('OpenAI-compatible provider: plain responses', () => {
  it('maps text, finish reason and usage with cached and reasoning tokens', async () => {
    upstream.enqueue({ text: 'Hi there', reasoning: 'thinking', usage: { inputTokens: 50, outputTokens: 12, cachedInputTokens: 32, reasoningTokens: 5 } });
    const response = await provider().generate(ask());
    expect(response.message).toEqual({ role: 'assistant', content: 'Hi there', reasoning: 'thinking' });
    expect(response.finishReason).toBe('stop');
    expect(response.model).toBe('gpt-4o-mini');
    expect(response.usage).toEqual({ inputTokens: 50, outputTokens: 12, totalTokens: 62, cachedInputTokens: 32, reasoningTokens: 5 });
  });

  it('maps parallel tool calls', async () => {
    upstream.enqueue({
      toolCalls: [
        { id: 'call_a', name: 'weather', arguments: { city: 'Paris' } },
        { id: 'call_b', name: 'time', arguments: '{"tz":"CET"}' },
      ],
    });
    const response = await provider().generate(ask());
    expect(response.finishReason).toBe('tool_calls');
    expect(response.message.content).toBeNull();
    expect(response.message.toolCalls).toEqual([
      { id: 'call_a', name: 'weather', arguments: '{"city":"Paris"}' },
      { id: 'call_b', name: 'time', arguments: '{"tz":"CET"}' },
    ]);
  });

  it('marks a response without usage', async () => {
    upstream.enqueue({ text: 'x', usage: false, finishReason: 'length' });
    const response = await provider().generate(ask());
    expect(response.usage).toEqual({ inputTokens: 0, outputTokens: 0, totalTokens: 0 });
    expect(response.meta.usageMissing).toBe(true);
    expect(response.finishReason).toBe('length');
  });
});

describe('OpenAI-compatible provider: streaming', () => {
  it('streams text and reasoning deltas and ends with one finish carrying the assembled response', async () => {
    upstream.enqueue({
      text: 'Hello streaming world',
      reasoning: 'let me think',
      usage: { inputTokens: 9, outputTokens: 4, cachedInputTokens: 2, reasoningTokens: 1 },
    });
    const events = await collect(provider().stream(ask()));
    expect(upstream.requests[0].body.stream).toBe(true);
    expect(upstream.requests[0].body.stream_options).toEqual({ include_usage: true });
    expect(events[0]).toMatchObject({ type: 'start', model: 'gpt-4o-mini' });
    const text = events.filter((e) => e.type === 'text-delta').map((e) => (e as { delta: string }).delta);
    expect(text.length).toBeGreaterThan(1);
    expect(text.join('')).toBe('Hello streaming world');
    expect(
      events
        .filter((e) => e.type === 'reasoning-delta')
        .map((e) => (e as { delta: string }).delta)
        .join(''),
    ).toBe('let me think');
    const finishes = events.filter((e) => e.type === 'finish');
    expect(finishes).toHaveLength(1);
    expect(events.at(-1)).toBe(finishes[0]);
    const { response } = finishes[0] as Extract<StreamEvent, { type: 'finish' }>;
    expect(response.message).toEqual({ role: 'assistant', content: 'Hello streaming world', reasoning: 'let me think' });
    expect(response.usage).toEqual({ inputTokens: 9, outputTokens: 4, totalTokens: 13, cachedInputTokens: 2, reasoningTokens: 1 });
    expect(response.finishReason).toBe('stop');
  });

  it('streams parallel tool calls with argument deltas, by index', async () => {
    upstream.enqueue({
      toolCalls: [
        { id: 'call_a', name: 'weather', arguments: { city: 'Paris', unit: 'C' } },
        { id: 'call_b', name: 'time', arguments: { tz: 'CET' } },
      ],
    });
    const events = await collect(provider().stream(ask()));
    const starts = events.filter((e) => e.type === 'tool-call-start');
    expect(starts).toEqual([
      { type: 'tool-call-start', index: 0, id: 'call_a', name: 'weather' },
      { type: 'tool-call-start', index: 1, id: 'call_b', name: 'time' },
    ]);
    const deltas = events.filter((e): e is Extract<StreamEvent, { type: 'tool-call-delta' }> => e.type === 'tool-call-delta');
    expect(deltas.filter((d) => d.index === 0).length).toBeGreaterThan(1);
    expect(
      deltas
        .filter((d) => d.index === 0)
        .map((d) => d.argumentsDelta)
        .join(''),
    ).toBe('{"city":"Paris","unit":"C"}');
    const { response } = events.at(-1) as Extract<StreamEvent, { type: 'finish' }>;
    expect(response.finishReason).toBe('tool_calls');
    expect(response.message.content).toBeNull();
    expect(response.message.toolCalls).toEqual([
      { id: 'call_a', name: 'weather', arguments: '{"city":"Paris","unit":"C"}' },
      { id: 'call_b', name: 'time', arguments: '{"tz":"CET"}' },
    ]);
  });

  it('marks a stream without usage so the cost can be estimated', async () => {
    upstream.enqueue({ text: 'no usage here', usage: false });
    const events = await collect(provider().stream(ask()));
    const { response } = events.at(-1) as Extract<StreamEvent, { type: 'finish' }>;
    expect(response.message.content).toBe('no usage here');
    expect(response.meta.usageMissing).toBe(true);
  });
});

describe('OpenAI-compatible provider: embeddings', () => {
  it('embeds a batch in input order, deterministically', async () => {
    const p = provider();
    const a = await p.embed!({ model: 'text-embedding-3-small', input: ['refund policy', 'shipping time'], dimensions: 16 });
    const b = await p.embed!({ model: 'text-embedding-3-small', input: ['refund policy'], dimensions: 16 });
    expect(a.embeddings).toHaveLength(2);
    expect(a.embeddings[0]).toHaveLength(16);
    expect(b.embeddings[0]).toEqual(a.embeddings[0]);
    expect(a.usage.inputTokens).toBeGreaterThan(0);
    expect(upstream.requests[0].body).toEqual({
      model: 'text-embedding-3-small',
      input: ['refund policy', 'shipping time'],
      encoding_format: 'float',
      dimensions: 16,
    });
  });
});

describe('OpenAI-compatible provider: errors', () => {
  it('429 with Retry-After seconds is retryable rate limiting', async () => {
    upstream.enqueue({ fault: 'rate-limit', retryAfterSeconds: 2 });
    const error = await failure(provider().generate(ask()));
    expect(error).toMatchObject({ code: 'UPSTREAM_RATE_LIMITED', status: 429, retryable: true, retryAfterMs: 2000 });
    expect(error.message).toContain('Rate limit reached');
  });

  it('429 prefers retry-after-ms, and reads Retry-After as an HTTP date', async () => {
    upstream.enqueue({ fault: 'rate-limit', retryAfterSeconds: 9, retryAfterMs: 250 }, { fault: 'rate-limit', retryAfterDate: new Date(Date.now() + 30_000) });
    expect((await failure(provider().generate(ask()))).retryAfterMs).toBe(250);
    const dated = await failure(provider().generate(ask()));
    expect(dated.retryAfterMs).toBeGreaterThan(25_000);
    expect(dated.retryAfterMs).toBeLessThanOrEqual(30_000);
  });

  it('429 insufficient_quota is not retryable', async () => {
    upstream.enqueue({ fault: 'quota' });
    const error = await failure(provider().generate(ask()));
    expect(error).toMatchObject({ code: 'UPSTREAM_QUOTA_EXCEEDED', status: 429, retryable: false });
  });

  it.each([
    [400, 'INVALID_REQUEST'],
    [404, 'NOT_FOUND'],
    [403, 'FORBIDDEN'],
    [409, 'INVALID_REQUEST'],
  ])('%i is not retryable (%s)', async (status, code) => {
    upstream.enqueue({ fault: 'status', status, message: 'bad thing' });
    const error = await failure(provider().generate(ask()));
    expect(error).toMatchObject({ code, status, retryable: false });
    expect(error.message).toContain('bad thing');
  });

  it.each([500, 503])('%i is a retryable upstream error', async (status) => {
    upstream.enqueue({ fault: 'status', status });
    expect(await failure(provider().generate(ask()))).toMatchObject({ code: 'UPSTREAM_ERROR', status, retryable: true });
  });

  it('401 keeps the message and never the key', async () => {
    const p = createOpenAICompatible({ baseURL: `${upstream.url}/v1`, apiKey: 'sk-wrong-key-987654' });
    const error = await failure(p.generate(ask()));
    expect(error).toMatchObject({ code: 'UNAUTHORIZED', status: 401, retryable: false });
    expect(error.message).toContain('Incorrect API key');
    expect(JSON.stringify({ ...error.toJSON(), stack: error.stack })).not.toContain('sk-wrong-key-987654');
  });

  it('a reset connection and a refused connection are retryable network errors', async () => {
    upstream.enqueue({ fault: 'reset' });
    expect(await failure(provider().generate(ask()))).toMatchObject({ code: 'NETWORK_ERROR', retryable: true });
    const closed = await createFakeUpstream();
    const url = closed.url;
    await closed.close();
    const p = createOpenAICompatible({ baseURL: `${url}/v1` });
    expect(await failure(p.generate(ask()))).toMatchObject({ code: 'NETWORK_ERROR', retryable: true });
  });

  it('a body that is not JSON is a bad response', async () => {
    upstream.enqueue({ fault: 'malformed-json' });
    expect(await failure(provider().generate(ask()))).toMatchObject({ code: 'UPSTREAM_BAD_RESPONSE', retryable: false });
  });

  it('a stream cut before any output is retryable; after output it is not', async () => {
    upstream.enqueue({ fault: 'cut-stream', afterChunks: 1 }, { fault: 'cut-stream', afterChunks: 4 });
    const before = await failure(collect(provider().stream(ask())));
    expect(before).toMatchObject({ code: 'STREAM_INTERRUPTED', context: { outputSent: false } });
    expect(before.retryable).toBe(true);

    const seen: StreamEvent[] = [];
    const after = await failure(
      (async () => {
        for await (const event of provider().stream(ask())) seen.push(event);
      })(),
    );
    expect(after).toMatchObject({ code: 'STREAM_INTERRUPTED', retryable: false, context: { outputSent: true } });
    expect(seen.some((e) => e.type === 'text-delta')).toBe(true);
    expect(seen.some((e) => e.type === 'finish')).toBe(false);
  });

  it('a malformed chunk interrupts the stream', async () => {
    upstream.enqueue({ fault: 'malformed-json' });
    const error = await failure(collect(provider().stream(ask())));
    expect(error.code).toBe('STREAM_INTERRUPTED');
    expect(error.message).toContain('malformed stream chunk');
  });

  it('an error status on a stream request is mapped before any event', async () => {
    upstream.enqueue({ fault: 'rate-limit', retryAfterMs: 100 });
    expect(await failure(collect(provider().stream(ask())))).toMatchObject({ code: 'UPSTREAM_RATE_LIMITED', retryAfterMs: 100 });
  });
});

describe('OpenAI-compatible provider: aborts', () => {
  it('aborting a hanging call closes the connection and throws ABORTED', async () => {
    upstream.enqueue({ fault: 'hang' });
    const controller = new AbortController();
    const call = provider().generate(ask(), { signal: controller.signal });
    await waitFor(() => upstream.requestCount === 1);
    controller.abort();
    expect(await failure(call)).toMatchObject({ code: 'ABORTED', retryable: false });
    await waitFor(() => upstream.clientClosedCount === 1);
    expect(upstream.clientClosedCount).toBe(1);
  });

  it('an abort reason that is a SextantError (a timeout) is what the call throws', async () => {
    upstream.enqueue({ fault: 'hang' });
    const controller = new AbortController();
    const call = provider().generate(ask(), { signal: controller.signal });
    await waitFor(() => upstream.requestCount === 1);
    controller.abort(new SextantError('TIMEOUT', 'attempt timed out', { retryable: true }));
    expect(await failure(call)).toMatchObject({ code: 'TIMEOUT', retryable: true });
  });

  it('aborting mid-stream closes the connection', async () => {
    upstream.enqueue({ text: 'one two three four five six seven eight', chunkDelayMs: 30 });
    const controller = new AbortController();
    const seen: StreamEvent[] = [];
    const error = await failure(
      (async () => {
        for await (const event of provider().stream(ask(), { signal: controller.signal })) {
          seen.push(event);
          if (event.type === 'text-delta') controller.abort();
        }
      })(),
    );
    expect(error.code).toBe('ABORTED');
    await waitFor(() => upstream.clientClosedCount === 1);
    expect(upstream.clientClosedCount).toBe(1);
  });

  it('breaking out of a stream early closes the connection', async () => {
    upstream.enqueue({ text: 'one two three four five six seven eight', chunkDelayMs: 30 });
    for await (const event of provider().stream(ask())) {
      if (event.type === 'text-delta') break;
    }
    await waitFor(() => upstream.clientClosedCount === 1);
    expect(upstream.clientClosedCount).toBe(1);
  });
});

describe('parseRetryAfter', () => {
  const headers = (h: Record<string, string>) => new Headers(h);
  it('reads retry-after-ms, seconds and HTTP dates, and ignores garbage', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter(headers({ 'retry-after-ms': '1500', 'retry-after': '9' }), now)).toBe(1500);
    expect(parseRetryAfter(headers({ 'retry-after': '3' }), now)).toBe(3000);
    expect(parseRetryAfter(headers({ 'retry-after': 'Wed, 01 Jan 2025 00:00:10 GMT' }), now)).toBe(10_000);
    expect(parseRetryAfter(headers({ 'retry-after': 'Tue, 31 Dec 2024 00:00:00 GMT' }), now)).toBe(0);
    expect(parseRetryAfter(headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(parseRetryAfter(headers({}), now)).toBeUndefined();
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
}
