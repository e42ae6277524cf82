import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SextantError } from '../src/errors.js';
import { createOpenAICompatible, createProviderRouter, parseModelString, type StreamEvent } from '../src/model/index.js';
import { compose, type Terminal } from '../src/pipeline/middleware.js';
import { createFakeUpstream, type FakeUpstream } from '../src/testing/index.js';

let upstream: FakeUpstream;
beforeAll(async () => {
  upstream = await createFakeUpstream();
});
afterAll(() => upstream.close());
beforeEach(() => upstream.reset());

const user = [{ role: 'user' as const, content: 'Hi' }];
const ctx = () => ({ signal: new AbortController().signal });

function thrown(fn: () => unknown): SextantError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SextantError);
    return error as SextantError;
  }
  throw new Error('expected an error');
}

describe('parseModelString', () => {
  it('splits provider and model at the first colon', () => {
    expect(parseModelString('openai:gpt-4o-mini')).toEqual({ provider: 'openai', model: 'gpt-4o-mini' });
    expect(parseModelString('anthropic:claude-sonnet-4-5')).toEqual({ provider: 'anthropic', model: 'claude-sonnet-4-5' });
    expect(parseModelString('ollama:llama3.1:8b')).toEqual({ provider: 'ollama', model: 'llama3.1:8b' });
    expect(parseModelString('openrouter:meta-llama/llama-3.1-8b-instruct')).toEqual({ provider: 'openrouter', model: 'meta-llama/llama-3.1-8b-instruct' });
  });

  it('reads a base URL plus model', () => {
    expect(parseModelString('http://localhost:8000/v1/|my-model')).toEqual({
      provider: 'openai-compatible',
      model: 'my-model',
      baseURL: 'http://localhost:8000/v1',
    });
  });

  it.each([
    ['', 'empty'],
    ['gpt-4o-mini', 'did you mean "openai:gpt-4o-mini"'],
    ['openai:', 'empty'],
    ['http://localhost:8000/v1', 'must be followed by |model'],
    ['http://localhost:8000/v1|', 'empty'],
    ['https://exa mple.com|m', 'not a valid URL'],
    ['op enai:x', 'not a provider name'],
  ])('rejects %j with the accepted forms', (model, why) => {
    const error = thrown(() => parseModelString(model));
    expect(error.code).toBe('INVALID_MODEL_STRING');
    expect(error.message).toContain(why);
    expect(error.message).toContain('provider:model');
    expect(error.message).toContain('http://localhost:8000/v1|my-model');
  });
});

describe('createProviderRouter', () => {
  it('is the pipeline terminal: resolves the provider, sends the bare model, sets meta', async () => {
    const router = createProviderRouter({ env: { OPENAI_API_KEY: 'sk-router-1', OPENAI_BASE_URL: `${upstream.url}/v1` } });
    const terminal: Terminal = router;
    const model = compose([], terminal);
    upstream.enqueue({ text: 'routed' });
    const response = await model.generate({ model: 'openai:gpt-4o-mini', messages: user });
    expect(response.message.content).toBe('routed');
    expect(response.meta).toMatchObject({ provider: 'openai', target: 'openai:gpt-4o-mini' });
    expect(upstream.requests[0].body.model).toBe('gpt-4o-mini');
    expect(upstream.requests[0].headers.authorization).toBe('Bearer sk-router-1');
  });

  it('routes anthropic, ollama (no key), and a base URL (no key) from the environment', async () => {
    const router = createProviderRouter({
      env: { ANTHROPIC_API_KEY: 'sk-ant-router', ANTHROPIC_BASE_URL: upstream.url, OLLAMA_BASE_URL: `${upstream.url}/v1`, OPENAI_API_KEY: 'sk-must-not-leak' },
    });
    const a = await router.generate({ model: 'anthropic:claude-sonnet-4-5', messages: user }, ctx());
    const o = await router.generate({ model: 'ollama:llama3.1:8b', messages: user }, ctx());
    const u = await router.generate({ model: `${upstream.url}/v1|local-model`, messages: user }, ctx());
    expect([a.meta.provider, o.meta.provider, u.meta.provider]).toEqual(['anthropic', 'ollama', 'openai-compatible']);
    expect(upstream.requests.map((r) => [r.api, r.body.model])).toEqual([
      ['anthropic-messages', 'claude-sonnet-4-5'],
      ['openai-chat', 'llama3.1:8b'],
      ['openai-chat', 'local-model'],
    ]);
    expect(upstream.requests[0].headers['x-api-key']).toBe('sk-ant-router');
    expect(upstream.requests[1].headers.authorization).toBeUndefined();
    expect(upstream.requests[2].headers.authorization).toBeUndefined();
  });

  it('routes azure with the api-key header and api-version query', async () => {
    const router = createProviderRouter({
      env: { AZURE_OPENAI_API_KEY: 'az-key', AZURE_OPENAI_BASE_URL: `${upstream.url}/v1`, AZURE_OPENAI_API_VERSION: 'preview' },
    });
    await router.generate({ model: 'azure:my-deployment', messages: user }, ctx());
    expect(upstream.requests[0].headers['api-key']).toBe('az-key');
    expect(upstream.requests[0].body.model).toBe('my-deployment');
    const error = thrown(() => createProviderRouter({ env: { AZURE_OPENAI_API_KEY: 'k' } }).resolve('azure:x'));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('AZURE_OPENAI_ENDPOINT');
  });

  it('streams through the router and marks the finish event', async () => {
    const router = createProviderRouter({ env: { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: `${upstream.url}/v1` } });
    upstream.enqueue({ text: 'a streamed answer' });
    const events: StreamEvent[] = [];
    for await (const event of router.stream({ model: 'openai:gpt-4o-mini', messages: user }, ctx())) events.push(event);
    const finish = events.at(-1) as Extract<StreamEvent, { type: 'finish' }>;
    expect(finish.response.message.content).toBe('a streamed answer');
    expect(finish.response.meta).toMatchObject({ provider: 'openai', target: 'openai:gpt-4o-mini' });
  });

  it('embeds through the router; a provider without embeddings says so', async () => {
    const router = createProviderRouter({ env: { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: `${upstream.url}/v1`, ANTHROPIC_API_KEY: 'k' } });
    const response = await router.embed({ model: 'openai:text-embedding-3-small', input: ['a', 'b'] }, ctx());
    expect(response.embeddings).toHaveLength(2);
    expect(response.meta).toMatchObject({ provider: 'openai', target: 'openai:text-embedding-3-small' });
    await expect(router.embed({ model: 'anthropic:claude-sonnet-4-5', input: ['a'] }, ctx())).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('uses registered providers by name, before presets', async () => {
    const mine = createOpenAICompatible({ name: 'mine', baseURL: `${upstream.url}/v1` });
    const router = createProviderRouter({ providers: { scripted: mine, openai: mine }, env: {} });
    expect(router.providerNames).toContain('scripted');
    const response = await router.generate({ model: 'scripted:whatever', messages: user }, ctx());
    expect(response.meta).toMatchObject({ provider: 'mine', target: 'scripted:whatever' });
    expect(router.resolve('openai:gpt-4o').provider).toBe(mine);
  });

  it('passes the call signal: aborting closes the upstream connection', async () => {
    const router = createProviderRouter({ env: { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: `${upstream.url}/v1` } });
    upstream.enqueue({ fault: 'hang' });
    const controller = new AbortController();
    const call = router.generate({ model: 'openai:gpt-4o-mini', messages: user }, { signal: controller.signal });
    for (let i = 0; i < 200 && upstream.requestCount === 0; i++) await new Promise((r) => setTimeout(r, 10));
    controller.abort();
    await expect(call).rejects.toMatchObject({ code: 'ABORTED' });
    for (let i = 0; i < 200 && upstream.clientClosedCount === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(upstream.clientClosedCount).toBe(1);
  });

  it('creates providers lazily and caches them per name, base URL and key', () => {
    const env: Record<string, string> = { OPENAI_API_KEY: 'k1' };
    const router = createProviderRouter({ env });
    const first = router.resolve('openai:gpt-4o').provider;
    expect(router.resolve('openai:gpt-4o-mini').provider).toBe(first);
    env.OPENAI_API_KEY = 'k2';
    expect(router.resolve('openai:gpt-4o').provider).not.toBe(first);
  });
});

describe('createProviderRouter: bad configuration', () => {
  const router = createProviderRouter({ env: {} });

  it('an unknown provider lists the known ones', async () => {
    const error = thrown(() => router.resolve('foo:bar'));
    expect(error.code).toBe('UNKNOWN_PROVIDER');
    expect(error.message).toContain('"foo"');
    expect(error.context.known).toEqual(
      expect.arrayContaining(['openai', 'anthropic', 'ollama', 'azure', 'groq', 'together', 'openrouter', 'vllm', 'lmstudio', 'llamacpp']),
    );
    await expect(router.generate({ model: 'foo:bar', messages: user }, ctx())).rejects.toMatchObject({ code: 'UNKNOWN_PROVIDER' });
  });

  it.each([
    ['openai:gpt-4o', 'OPENAI_API_KEY'],
    ['anthropic:claude-sonnet-4-5', 'ANTHROPIC_API_KEY'],
    ['groq:llama-3.1-8b-instant', 'GROQ_API_KEY'],
    ['together:meta-llama/Llama-3-8b', 'TOGETHER_API_KEY'],
    ['openrouter:openai/gpt-4o', 'OPENROUTER_API_KEY'],
  ])('%s without a key names %s', (model, envVar) => {
    const error = thrown(() => router.resolve(model));
    expect(error.code).toBe('MISSING_API_KEY');
    expect(error.message).toContain(envVar);
    expect(error.context.envVar).toBe(envVar);
  });

  it('local servers need no key', () => {
    for (const name of ['ollama', 'vllm', 'lmstudio', 'llamacpp']) expect(router.resolve(`${name}:m`).provider.name).toBe(name);
  });

  it('a malformed model string fails the stream too, before any event', async () => {
    const iterate = async () => {
      for await (const _ of router.stream({ model: 'gpt-4o', messages: user }, ctx())) void _;
    };
    await expect(iterate()).rejects.toMatchObject({ code: 'INVALID_MODEL_STRING' });
  });
});
