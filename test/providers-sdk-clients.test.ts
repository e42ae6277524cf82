/**
 * The official OpenAI and Anthropic clients talk to the fake upstream: proof that it speaks the
 * real wire formats, so tests run against it mean something for the real APIs.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFakeUpstream, fakeEmbedding, type FakeUpstream } from '../src/testing/index.js';

let upstream: FakeUpstream;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  upstream = await createFakeUpstream({ apiKey: 'sk-sdk', models: ['gpt-4o-mini', 'text-embedding-3-small'] });
  openai = new OpenAI({ apiKey: 'sk-sdk', baseURL: `${upstream.url}/v1`, maxRetries: 0 });
  anthropic = new Anthropic({ apiKey: 'sk-sdk', baseURL: upstream.url, maxRetries: 0 });
});
afterAll(() => upstream.close());
beforeEach(() => upstream.reset());

const weatherTool = {
  type: 'function' as const,
  function: { name: 'weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
};

describe('the official openai client against the fake upstream', () => {
  it('creates a completion with usage', async () => {
    upstream.enqueue({ text: 'Hello from the fake', usage: { inputTokens: 11, outputTokens: 4, cachedInputTokens: 3 } });
    const completion = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] });
    expect(completion.choices[0].message.content).toBe('Hello from the fake');
    expect(completion.choices[0].finish_reason).toBe('stop');
    expect(completion.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 4, total_tokens: 15, prompt_tokens_details: { cached_tokens: 3 } });
  });

  it('streams chunks with the include_usage final chunk', async () => {
    upstream.enqueue({ text: 'one two three', usage: { inputTokens: 5, outputTokens: 3 } });
    const stream = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Count' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('one two three');
    expect(usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 3 });
  });

  it('assembles streamed parallel tool calls with its own stream helper', async () => {
    upstream.enqueue({
      toolCalls: [
        { id: 'call_1', name: 'weather', arguments: { city: 'Paris' } },
        { id: 'call_2', name: 'weather', arguments: { city: 'Oslo' } },
      ],
    });
    const stream = openai.chat.completions.stream({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Weather?' }], tools: [weatherTool] });
    const final = await stream.finalChatCompletion();
    expect(final.choices[0].finish_reason).toBe('tool_calls');
    expect(final.choices[0].message.tool_calls?.map((c) => (c.type === 'function' ? [c.id, c.function.name, c.function.arguments] : []))).toEqual([
      ['call_1', 'weather', '{"city":"Paris"}'],
      ['call_2', 'weather', '{"city":"Oslo"}'],
    ]);
  });

  it('creates embeddings (the client asks for base64 and decodes it)', async () => {
    const response = await openai.embeddings.create({ model: 'text-embedding-3-small', input: ['refund policy', 'shipping'], dimensions: 32 });
    expect(upstream.requests[0].body.encoding_format).toBe('base64');
    expect(response.data).toHaveLength(2);
    const expected = fakeEmbedding('refund policy', 32);
    response.data[0].embedding.forEach((value, i) => expect(value).toBeCloseTo(expected[i], 5));
  });

  it('lists models', async () => {
    const models = [];
    for await (const model of openai.models.list()) models.push(model.id);
    expect(models).toEqual(['gpt-4o-mini', 'text-embedding-3-small']);
  });

  it('reads the rate-limit and quota errors as the real API sends them', async () => {
    upstream.enqueue({ fault: 'rate-limit', retryAfterSeconds: 1, retryAfterMs: 800 }, { fault: 'quota' });
    const limited = await openai.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect((limited as InstanceType<typeof OpenAI.RateLimitError>).headers.get('retry-after-ms')).toBe('800');
    const quota = await openai.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(quota).toMatchObject({ status: 429, code: 'insufficient_quota', type: 'insufficient_quota' });
  });
});

describe('the official anthropic client against the fake upstream', () => {
  it('creates a message with cache usage', async () => {
    upstream.enqueue({ text: 'Bonjour', usage: { inputTokens: 100, outputTokens: 5, cachedInputTokens: 60, cacheWriteTokens: 10 } });
    const message = await anthropic.messages.create({ model: 'claude-fake', max_tokens: 100, messages: [{ role: 'user', content: 'Hi' }] });
    expect(message.content).toEqual([{ type: 'text', text: 'Bonjour' }]);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.usage).toMatchObject({ input_tokens: 30, cache_read_input_tokens: 60, cache_creation_input_tokens: 10, output_tokens: 5 });
  });

  it('streams text, thinking and tool use through its stream helper', async () => {
    upstream.enqueue({ reasoning: 'need the weather', text: 'Checking.', toolCalls: [{ id: 'toolu_1', name: 'weather', arguments: { city: 'Paris' } }] });
    const stream = anthropic.messages.stream({
      model: 'claude-fake',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'Weather?' }],
      tools: [{ name: 'weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
    });
    let streamed = '';
    stream.on('text', (delta) => (streamed += delta));
    const final = await stream.finalMessage();
    expect(streamed).toBe('Checking.');
    expect(final.stop_reason).toBe('tool_use');
    expect(final.content).toEqual([
      { type: 'thinking', thinking: 'need the weather', signature: 'fake-signature' },
      { type: 'text', text: 'Checking.' },
      { type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Paris' } },
    ]);
  });

  it('reads the overloaded error', async () => {
    upstream.enqueue({ fault: 'status', status: 529 });
    const error = await anthropic.messages.create({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(error).toMatchObject({ status: 529, error: { type: 'error', error: { type: 'overloaded_error' } } });
  });
});
