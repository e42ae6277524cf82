import { createServer } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../src/defaults.js';
import { createAnthropic, type ModelRequest, type StreamEvent } from '../src/model/index.js';
import { createFakeUpstream, type FakeUpstream } from '../src/testing/index.js';
import { collect, failure } from './support/async.js';

let upstream: FakeUpstream;
const KEY = 'sk-ant-test-secret-000111';

beforeAll(async () => {
  upstream = await createFakeUpstream({ apiKey: KEY });
});
afterAll(() => upstream.close());
beforeEach(() => upstream.reset());

const provider = () => createAnthropic({ baseURL: upstream.url, apiKey: KEY });
const ask = (extra: Partial<ModelRequest> = {}): ModelRequest => ({
  model: 'claude-sonnet-4-5',
  messages: [{ role: 'user', content: 'Hello' }],
  ...extra,
});
type Finish = Extract<StreamEvent, { type: 'finish' }>;

describe('Anthropic provider: requests', () => {
  it('hoists system messages, maps tool calls and merges consecutive tool results into one user turn', async () => {
    await provider().generate({
      model: 'claude-sonnet-4-5',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'system', content: 'Answer in French.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Weather and time?' },
            { type: 'image', url: 'https://example.com/map.png' },
          ],
        },
        {
          role: 'assistant',
          content: 'Let me check.',
          toolCalls: [
            { id: 'toolu_1', name: 'weather', arguments: '{"city":"Paris"}' },
            { id: 'toolu_2', name: 'time', arguments: '{"tz":"CET"}' },
          ],
        },
        { role: 'tool', toolCallId: 'toolu_1', content: '18C' },
        { role: 'tool', toolCallId: 'toolu_2', content: 'no such zone', isError: true },
        { role: 'user', content: 'Thanks' },
      ],
      tools: [{ name: 'weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }],
      toolChoice: 'required',
      parallelToolCalls: false,
      temperature: 0.3,
      topP: 0.8,
      stop: ['END'],
      seed: 1,
    });
    const [received] = upstream.requests;
    expect(received.path).toBe('/v1/messages');
    expect(received.headers['x-api-key']).toBe(KEY);
    expect(received.headers['anthropic-version']).toBe(DEFAULTS.providers.anthropicVersion);
    expect(received.body).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: DEFAULTS.providers.anthropicMaxTokens,
      system: 'Be brief.\n\nAnswer in French.',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Weather and time?' },
            { type: 'image', source: { type: 'url', url: 'https://example.com/map.png' } },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Let me check.' },
            { type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Paris' } },
            { type: 'tool_use', id: 'toolu_2', name: 'time', input: { tz: 'CET' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: '18C' },
            { type: 'tool_result', tool_use_id: 'toolu_2', content: 'no such zone', is_error: true },
            { type: 'text', text: 'Thanks' },
          ],
        },
      ],
      tools: [{ name: 'weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
      temperature: 0.3,
      top_p: 0.8,
      stop_sequences: ['END'],
    });
  });

  it('maps tool choices and sends the request max tokens', async () => {
    await provider().generate(ask({ maxTokens: 50, toolChoice: { name: 'weather' }, tools: [{ name: 'weather', parameters: { type: 'object' } }] }));
    await provider().generate(ask({ toolChoice: 'none', tools: [{ name: 'weather', parameters: { type: 'object' } }] }));
    expect(upstream.requests[0].body.max_tokens).toBe(50);
    expect(upstream.requests[0].body.tool_choice).toEqual({ type: 'tool', name: 'weather' });
    expect(upstream.requests[1].body.tool_choice).toEqual({ type: 'none' });
  });
});

describe('Anthropic provider: plain responses', () => {
  it('maps text, thinking, stop reason and usage with cache reads and writes', async () => {
    upstream.enqueue({
      text: 'Bonjour',
      reasoning: 'French greeting',
      usage: { inputTokens: 1000, outputTokens: 20, cachedInputTokens: 600, cacheWriteTokens: 300 },
    });
    const response = await provider().generate(ask());
    expect(response.message).toEqual({ role: 'assistant', content: 'Bonjour', reasoning: 'French greeting' });
    expect(response.finishReason).toBe('stop');
    // inputTokens counts every input token: 100 uncached + 600 read + 300 written.
    expect(response.usage).toEqual({ inputTokens: 1000, outputTokens: 20, totalTokens: 1020, cachedInputTokens: 600, cacheWriteTokens: 300 });
  });

  it('maps tool_use blocks to tool calls', async () => {
    upstream.enqueue({
      toolCalls: [
        { id: 'toolu_a', name: 'weather', arguments: { city: 'Paris' } },
        { id: 'toolu_b', name: 'time', arguments: {} },
      ],
    });
    const response = await provider().generate(ask());
    expect(response.finishReason).toBe('tool_calls');
    expect(response.message.content).toBeNull();
    expect(response.message.toolCalls).toEqual([
      { id: 'toolu_a', name: 'weather', arguments: '{"city":"Paris"}' },
      { id: 'toolu_b', name: 'time', arguments: '{}' },
    ]);
  });

  it('maps max_tokens to length', async () => {
    upstream.enqueue({ text: 'cut', finishReason: 'length' });
    expect((await provider().generate(ask())).finishReason).toBe('length');
  });

  it('structured output goes through a forced tool and comes back as the message text', async () => {
    upstream.enqueue({ toolCalls: [{ name: 'answer', arguments: { city: 'Paris', temp: 18 } }] });
    const schema = { type: 'object', properties: { city: { type: 'string' }, temp: { type: 'number' } }, required: ['city', 'temp'] };
    const response = await provider().generate(ask({ responseFormat: { type: 'json_schema', name: 'answer', schema } }));
    expect(upstream.requests[0].body.tools).toEqual([
      { name: 'answer', description: 'Give your final answer as the input of this tool.', input_schema: schema },
    ]);
    expect(upstream.requests[0].body.tool_choice).toEqual({ type: 'tool', name: 'answer' });
    expect(JSON.parse(response.message.content!)).toEqual({ city: 'Paris', temp: 18 });
    expect(response.message.toolCalls).toBeUndefined();
    expect(response.finishReason).toBe('stop');
  });

  it('JSON mode with other tools lets the model pick a tool or the output tool', async () => {
    upstream.enqueue({ toolCalls: [{ name: 'json_output', arguments: { ok: true } }] });
    const response = await provider().generate(ask({ responseFormat: { type: 'json' }, tools: [{ name: 'weather', parameters: { type: 'object' } }] }));
    expect(upstream.requests[0].body.tool_choice).toEqual({ type: 'any' });
    expect(upstream.requests[0].body.tools.map((t: { name: string }) => t.name)).toEqual(['weather', 'json_output']);
    expect(response.message.content).toBe('{"ok":true}');
  });
});

describe('Anthropic provider: streaming', () => {
  it('maps text, thinking and usage events and ends with one finish', async () => {
    upstream.enqueue({
      text: 'Hello from Claude',
      reasoning: 'short thought',
      usage: { inputTokens: 40, outputTokens: 7, cachedInputTokens: 30, cacheWriteTokens: 0 },
    });
    const events = await collect(provider().stream(ask()));
    expect(upstream.requests[0].body.stream).toBe(true);
    expect(events[0]).toMatchObject({ type: 'start', model: 'claude-sonnet-4-5' });
    expect(events.filter((e) => e.type === 'text-delta').length).toBeGreaterThan(1);
    expect(
      events
        .filter((e) => e.type === 'reasoning-delta')
        .map((e) => (e as { delta: string }).delta)
        .join(''),
    ).toBe('short thought');
    expect(events.filter((e) => e.type === 'finish')).toHaveLength(1);
    const { response } = events.at(-1) as Finish;
    expect(response.message).toEqual({ role: 'assistant', content: 'Hello from Claude', reasoning: 'short thought' });
    expect(response.usage).toEqual({ inputTokens: 40, outputTokens: 7, totalTokens: 47, cachedInputTokens: 30, cacheWriteTokens: 0 });
    expect(response.finishReason).toBe('stop');
  });

  it('streams parallel tool calls with input_json deltas', async () => {
    upstream.enqueue({
      text: 'Checking.',
      toolCalls: [
        { id: 'toolu_a', name: 'weather', arguments: { city: 'Paris' } },
        { id: 'toolu_b', name: 'time', arguments: {} },
      ],
    });
    const events = await collect(provider().stream(ask()));
    expect(events.filter((e) => e.type === 'tool-call-start')).toEqual([
      { type: 'tool-call-start', index: 0, id: 'toolu_a', name: 'weather' },
      { type: 'tool-call-start', index: 1, id: 'toolu_b', name: 'time' },
    ]);
    const deltas = events.filter((e): e is Extract<StreamEvent, { type: 'tool-call-delta' }> => e.type === 'tool-call-delta');
    expect(deltas.length).toBeGreaterThan(2);
    expect(deltas.every((d) => d.index === 0 || d.index === 1)).toBe(true);
    const { response } = events.at(-1) as Finish;
    expect(response.finishReason).toBe('tool_calls');
    expect(response.message.content).toBe('Checking.');
    expect(response.message.toolCalls).toEqual([
      { id: 'toolu_a', name: 'weather', arguments: '{"city":"Paris"}' },
      { id: 'toolu_b', name: 'time', arguments: '{}' },
    ]);
  });

  it('streams structured output as text', async () => {
    upstream.enqueue({ toolCalls: [{ name: 'answer', arguments: { a: 1, b: 'two' } }] });
    const events = await collect(provider().stream(ask({ responseFormat: { type: 'json_schema', name: 'answer', schema: { type: 'object' } } })));
    expect(events.some((e) => e.type === 'tool-call-start')).toBe(false);
    const text = events
      .filter((e) => e.type === 'text-delta')
      .map((e) => (e as { delta: string }).delta)
      .join('');
    expect(JSON.parse(text)).toEqual({ a: 1, b: 'two' });
    const { response } = events.at(-1) as Finish;
    expect(response.message.content).toBe(text);
    expect(response.finishReason).toBe('stop');
  });
});

describe('Anthropic provider: errors', () => {
  it('529 overloaded is retryable', async () => {
    upstream.enqueue({ fault: 'status', status: 529 });
    const error = await failure(provider().generate(ask()));
    expect(error).toMatchObject({ code: 'UPSTREAM_ERROR', status: 529, retryable: true, context: { upstreamType: 'overloaded_error' } });
    expect(error.message).toContain('Overloaded');
  });

  it('429 with Retry-After is retryable rate limiting', async () => {
    upstream.enqueue({ fault: 'rate-limit', retryAfterSeconds: 4 });
    expect(await failure(provider().generate(ask()))).toMatchObject({ code: 'UPSTREAM_RATE_LIMITED', retryable: true, retryAfterMs: 4000 });
  });

  it('an exhausted credit balance is a quota error, not retryable', async () => {
    upstream.enqueue({ fault: 'quota' });
    expect(await failure(provider().generate(ask()))).toMatchObject({ code: 'UPSTREAM_QUOTA_EXCEEDED', status: 402, retryable: false });
  });

  it('a bad key is UNAUTHORIZED without the key in the error', async () => {
    const p = createAnthropic({ baseURL: upstream.url, apiKey: 'sk-ant-wrong-424242' });
    const error = await failure(p.generate(ask()));
    expect(error).toMatchObject({ code: 'UNAUTHORIZED', status: 401, retryable: false });
    expect(JSON.stringify(error.toJSON())).not.toContain('sk-ant-wrong-424242');
  });

  it('a malformed body is a bad response; a malformed event interrupts the stream', async () => {
    upstream.enqueue({ fault: 'malformed-json' }, { fault: 'malformed-json' });
    expect((await failure(provider().generate(ask()))).code).toBe('UPSTREAM_BAD_RESPONSE');
    expect((await failure(collect(provider().stream(ask())))).code).toBe('STREAM_INTERRUPTED');
  });

  it('a stream cut mid-way says whether output was already sent', async () => {
    upstream.enqueue({ fault: 'cut-stream', afterChunks: 1 }, { fault: 'cut-stream', afterChunks: 5 });
    expect(await failure(collect(provider().stream(ask())))).toMatchObject({ code: 'STREAM_INTERRUPTED', retryable: true, context: { outputSent: false } });
    expect(await failure(collect(provider().stream(ask())))).toMatchObject({ code: 'STREAM_INTERRUPTED', retryable: false, context: { outputSent: true } });
  });

  it('an error event mid-stream interrupts it', async () => {
    // A raw upstream that sends message_start then an overloaded error event, as Anthropic does.
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(
        'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","model":"m","content":[],"usage":{"input_tokens":3,"output_tokens":1}}}\n\n',
      );
      res.end('event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    try {
      const error = await failure(collect(createAnthropic({ baseURL: `http://127.0.0.1:${port}`, apiKey: 'k' }).stream(ask())));
      expect(error).toMatchObject({ code: 'STREAM_INTERRUPTED', retryable: true, context: { upstreamType: 'overloaded_error', outputSent: false } });
      expect(error.message).toContain('Overloaded');
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('the fake rejects a request without max_tokens, as the real API does', async () => {
    const response = await fetch(`${upstream.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [] }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: Field required' } });
  });

  it('aborting a hanging call closes the connection', async () => {
    upstream.enqueue({ fault: 'hang' });
    const controller = new AbortController();
    const call = provider().generate(ask(), { signal: controller.signal });
    for (let i = 0; i < 200 && upstream.requestCount === 0; i++) await new Promise((r) => setTimeout(r, 10));
    controller.abort();
    expect((await failure(call)).code).toBe('ABORTED');
    for (let i = 0; i < 200 && upstream.clientClosedCount === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(upstream.clientClosedCount).toBe(1);
  });
});
