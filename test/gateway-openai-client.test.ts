/**
 * The official `openai` npm client, pointed at the gateway by its base URL only, in front of
 * the fake upstream: plain, streaming, tool calls (both ways), embeddings, models, errors.
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
let client: OpenAI;

beforeAll(async () => {
  upstream = await createFakeUpstream();
  store = await openStore({ url: ':memory:' });
  const config = parseGatewayConfig({
    providers: { openai: { baseURL: `${upstream.url}/v1`, apiKey: 'upstream-key', modelPrefixes: ['gpt-'] } },
    models: { fast: { targets: ['openai:gpt-4o-mini'] }, embed: 'openai:text-embedding-3-small' },
    cache: { enabled: false },
  });
  gateway = await createGateway({ config, store });
  server = await gateway.listen({ port: 0, host: '127.0.0.1' });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'any-placeholder', maxRetries: 0 });
});

afterAll(async () => {
  await gateway.close();
  await store.close();
  await upstream.close();
});

beforeEach(() => upstream.reset());

describe('the official openai client through the gateway', () => {
  it('answers a plain chat completion, with the x-sextant headers', async () => {
    upstream.enqueue({ text: 'Hello from upstream', usage: { inputTokens: 12, outputTokens: 4 } });
    const { data, response } = await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'Hi' }] }).withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.choices[0].message).toMatchObject({ role: 'assistant', content: 'Hello from upstream' });
    expect(data.choices[0].finish_reason).toBe('stop');
    expect(data.usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 4, total_tokens: 16 });
    expect(response.headers.get('x-sextant-cache')).toBe('bypass');
    expect(Number(response.headers.get('x-sextant-cost-usd'))).toBeGreaterThan(0);
    expect(Number(response.headers.get('x-sextant-overhead-ms'))).toBeGreaterThanOrEqual(0);
    expect(response.headers.get('x-sextant-trace-id')).toMatch(/^[0-9a-f]{32}$/);
    expect(response.headers.get('x-sextant-target')).toBe('openai:gpt-4o-mini');
    // The upstream got the provider's own model name and key, never the client's placeholder.
    expect(upstream.requests[0].body.model).toBe('gpt-4o-mini');
    expect(upstream.requests[0].headers.authorization).toBe('Bearer upstream-key');
  });

  it('routes a bare vendor model name by the provider prefix', async () => {
    upstream.enqueue({ text: 'ok' });
    const completion = await client.chat.completions.create({ model: 'gpt-4.1-nano', messages: [{ role: 'user', content: 'Hi' }] });
    expect(completion.choices[0].message.content).toBe('ok');
    expect(upstream.requests[0].body.model).toBe('gpt-4.1-nano');
  });

  it('streams text as chat.completion.chunk frames, with the usage chunk when asked', async () => {
    upstream.enqueue({ text: 'one two three four', usage: { inputTokens: 5, outputTokens: 4 } });
    const stream = await client.chat.completions.create({
      model: 'fast',
      messages: [{ role: 'user', content: 'count' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    let finish: string | null = null;
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      if (chunk.choices[0]?.delta.content) text += chunk.choices[0].delta.content;
      if (chunk.choices[0]?.finish_reason) finish = chunk.choices[0].finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('one two three four');
    expect(finish).toBe('stop');
    expect(usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 });
  });

  it('passes tool definitions up and tool calls back, plain and streamed', async () => {
    const tools: OpenAI.ChatCompletionTool[] = [
      {
        type: 'function',
        function: {
          name: 'lookup_order',
          description: 'Find an order',
          parameters: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
        },
      },
    ];
    upstream.enqueue({ toolCalls: [{ id: 'call_1', name: 'lookup_order', arguments: { id: '1042' } }] });
    const plain = await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'Where is 1042?' }], tools, tool_choice: 'auto' });
    expect(plain.choices[0].finish_reason).toBe('tool_calls');
    expect(plain.choices[0].message.tool_calls).toEqual([{ id: 'call_1', type: 'function', function: { name: 'lookup_order', arguments: '{"id":"1042"}' } }]);
    expect(upstream.requests[0].body.tools[0].function.name).toBe('lookup_order');
    expect(upstream.requests[0].body.tool_choice).toBe('auto');

    // The tool result goes back up as a tool message; the streamed answer calls a second tool.
    upstream.enqueue({ text: 'Checking carrier.', toolCalls: [{ id: 'call_2', name: 'lookup_order', arguments: { id: '1043' } }] });
    const runner = client.chat.completions.stream({
      model: 'fast',
      tools,
      messages: [
        { role: 'user', content: 'Where is 1042?' },
        { role: 'assistant', content: null, tool_calls: plain.choices[0].message.tool_calls },
        { role: 'tool', tool_call_id: 'call_1', content: '{"status":"shipped"}' },
      ],
    });
    const final = await runner.finalChatCompletion();
    expect(final.choices[0].message.content).toBe('Checking carrier.');
    expect(final.choices[0].message.tool_calls?.[0]).toMatchObject({
      id: 'call_2',
      type: 'function',
      function: { name: 'lookup_order', arguments: '{"id":"1043"}' },
    });
    expect(final.choices[0].finish_reason).toBe('tool_calls');
    const sent = upstream.requests[1].body.messages;
    expect(sent[1]).toMatchObject({ role: 'assistant', tool_calls: [{ id: 'call_1', function: { name: 'lookup_order' } }] });
    expect(sent[2]).toMatchObject({ role: 'tool', tool_call_id: 'call_1', content: '{"status":"shipped"}' });
  });

  it('serves embeddings, in the base64 form the client asks for by default and as floats', async () => {
    const decoded = await client.embeddings.create({ model: 'embed', input: ['alpha', 'beta'] });
    expect(decoded.data).toHaveLength(2);
    expect(decoded.data[0].embedding.length).toBeGreaterThan(0);
    const floats = await client.embeddings.create({ model: 'embed', input: 'alpha', encoding_format: 'float' });
    // Float32 through base64 and plain JSON floats agree to float32 precision.
    floats.data[0].embedding.forEach((v, i) => expect(decoded.data[0].embedding[i]).toBeCloseTo(v, 5));
  });

  it('lists the models it serves', async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(expect.arrayContaining(['fast', 'embed']));
  });

  it('turns an unknown model into a 404 NotFoundError naming the available models', async () => {
    const error = await client.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    const e = error as InstanceType<typeof OpenAI.NotFoundError>;
    expect(e.status).toBe(404);
    expect(e.code).toBe('unknown_model');
    expect(e.param).toBe('model');
    expect(e.message).toContain('fast');
  });

  it('turns an upstream failure into an OpenAI error the client raises', async () => {
    upstream.enqueue({ fault: 'status', status: 400, message: 'bad thing' });
    const error = await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as Error).message).toContain('bad thing');
  });

  it('raises an error that breaks a stream after it began, as an SSE error frame', async () => {
    // A cut after output cannot be retried or fallen back from: the client must see the error.
    upstream.enqueue({ fault: 'cut-stream', afterChunks: 3 });
    const stream = await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'one two three four five six' }], stream: true });
    const seen: string[] = [];
    const error = await (async () => {
      for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? '');
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as Error).message).toMatch(/stream/i);
    expect(seen.join('')).not.toBe('');
  });
});
