import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drain, scriptedTerminal } from '../../test/support/pipeline-terminal.js';
import { createOpenAICompatible } from '../model/providers/openai-compatible/provider.js';
import { createProviderRouter } from '../model/router.js';
import type { ModelResponse } from '../model/types.js';
import { createFakeUpstream, type FakeUpstream } from '../testing/fake-upstream.js';
import { createPipeline, type MiddlewareInsertion } from './create-pipeline.js';
import type { Middleware } from './middleware.js';

const request = { model: 'primary:gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hello' }] };

/** Records the order in which slot middleware see a call. */
function tag(name: string, seen: string[]): Middleware {
  return {
    name,
    generate(req, context, next) {
      seen.push(name);
      return next(req, context);
    },
  };
}

describe('createPipeline', () => {
  it('runs the slots and its own middleware in the documented order', async () => {
    const seen: string[] = [];
    const pipeline = createPipeline({
      terminal: scriptedTerminal([{ text: 'ok' }]),
      redact: tag('redact', seen),
      tracing: tag('tracing', seen),
      rateLimit: tag('rate-limit', seen),
      budget: tag('budget', seen),
      cache: tag('cache', seen),
    });
    expect(pipeline.order).toEqual([
      'redact',
      'tracing',
      'rate-limit',
      'budget',
      'cache',
      'total-timeout',
      'fallback',
      'retry',
      'attempt-timeout',
      'circuit-breaker',
      'usage-cost',
    ]);
    const response = await pipeline.generate(request);
    expect(seen).toEqual(['redact', 'tracing', 'rate-limit', 'budget', 'cache']);
    expect(response.cost?.unpriced).toBeUndefined();
    expect(response.meta.attempts).toBe(1);
  });

  it('puts your middleware at named insertion points, beside stages that are off too, and lists it in order', async () => {
    const seen: string[] = [];
    const pipeline = createPipeline({
      terminal: scriptedTerminal([{ text: 'ok' }]),
      tracing: tag('tracing', seen),
      budget: tag('budget', seen),
      cache: tag('cache', seen),
      retry: false,
      middleware: [
        { before: 'cache', use: tag('before-cache', seen) },
        { after: 'budget', use: tag('after-budget', seen) },
        { before: 'redact', use: tag('outermost', seen) },
        { after: 'retry', use: tag('after-retry', seen) },
        { after: 'usage-cost', use: tag('innermost', seen) },
        { before: 'cache', use: tag('before-cache-2', seen) },
      ],
    });
    const names = ['outermost', 'tracing', 'budget', 'after-budget', 'before-cache', 'before-cache-2', 'cache'];
    expect(pipeline.order).toEqual([...names, 'total-timeout', 'fallback', 'after-retry', 'attempt-timeout', 'circuit-breaker', 'usage-cost', 'innermost']);
    await pipeline.generate(request);
    expect(seen).toEqual([...names, 'after-retry', 'innermost']);
  });

  it('refuses an insertion point that names no stage, or both or neither of before and after', () => {
    const use = tag('mine', []);
    const terminal = scriptedTerminal([{ text: 'ok' }]);
    const invalid = (middleware: unknown) => () => createPipeline({ terminal, middleware: middleware as MiddlewareInsertion[] });
    expect(invalid([{ before: 'cahce', use }])).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('unknown stage "cahce"') }),
    );
    expect(invalid([{ before: 'cache', after: 'budget', use }])).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(invalid([{ use }])).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(invalid([{ after: 'budget', use: () => undefined }])).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('middleware[0]') }),
    );
  });

  it('leaves out what is turned off', () => {
    const pipeline = createPipeline({ terminal: scriptedTerminal([{ text: 'ok' }]), timeouts: false, retry: false, breaker: false, fallback: false });
    expect(pipeline.order).toEqual(['usage-cost']);
    expect(pipeline.breaker).toBeUndefined();
  });
});

describe('createPipeline against real HTTP upstreams', () => {
  let primary: FakeUpstream;
  let backup: FakeUpstream;
  beforeAll(async () => {
    [primary, backup] = await Promise.all([createFakeUpstream({ record: false }), createFakeUpstream({ record: false })]);
  });
  afterAll(() => Promise.all([primary.close(), backup.close()]));

  function pipelineFor() {
    const terminal = createProviderRouter({
      providers: {
        primary: createOpenAICompatible({ name: 'primary', baseURL: `${primary.url}/v1` }),
        backup: createOpenAICompatible({ name: 'backup', baseURL: `${backup.url}/v1` }),
      },
    });
    return createPipeline({
      terminal,
      retry: { maxAttempts: 2, baseDelayMs: 1 },
      fallback: { targets: { 'primary:gpt-4o-mini': ['backup:gpt-4o'] } },
      breaker: { failureThreshold: 2, coolDownMs: 60_000 },
    });
  }

  it('retries, falls back, opens the circuit, then skips the sick upstream', async () => {
    primary.reset();
    backup.reset();
    const pipeline = pipelineFor();
    primary.enqueue({ fault: 'status', status: 500 }, { fault: 'status', status: 503 });
    backup.enqueue({ text: 'from backup' }, { text: 'from backup again' });

    const first = await pipeline.generate(request);
    expect(first.message.content).toBe('from backup');
    expect(first.meta).toMatchObject({ target: 'backup:gpt-4o', provider: 'backup', attempts: 3 });
    expect(first.meta.fallbacks).toEqual([expect.objectContaining({ target: 'primary:gpt-4o-mini', code: 'UPSTREAM_ERROR', attempts: 2 })]);
    expect(first.cost?.totalUsd).toBeGreaterThan(0);
    expect(pipeline.breaker?.state('primary:gpt-4o-mini')).toBe('open');

    const second = await pipeline.generate(request);
    expect(second.message.content).toBe('from backup again');
    expect(second.meta.fallbacks).toEqual([expect.objectContaining({ code: 'CIRCUIT_OPEN', skipped: true })]);
    expect(primary.requestCount).toBe(2);
  });

  it('costs a stream whose upstream sent no usage from a token count, never $0', async () => {
    primary.reset();
    primary.enqueue({ text: 'Streaming without usage still costs money.', usage: false });
    const { events, error } = await drain(pipelineFor().stream(request));
    expect(error).toBeUndefined();
    const response = (events.at(-1) as { type: 'finish'; response: ModelResponse }).response;
    expect(response.usage.estimated).toBe(true);
    expect(response.usage.outputTokens).toBeGreaterThan(0);
    expect(response.cost?.totalUsd).toBeGreaterThan(0);
  });

  it("honours the upstream's Retry-After on a 429 and answers on the retry", async () => {
    primary.reset();
    primary.enqueue({ fault: 'rate-limit', retryAfterMs: 20 }, { text: 'after the wait' });
    const response = await pipelineFor().generate(request);
    expect(response.message.content).toBe('after the wait');
    expect(response.meta.retries).toEqual([{ attempt: 1, code: 'UPSTREAM_RATE_LIMITED', delayMs: 20 }]);
  });

  it('does not retry an exhausted quota; falls back instead', async () => {
    primary.reset();
    backup.reset();
    primary.enqueue({ fault: 'quota' });
    backup.enqueue({ text: 'backup pays' });
    const response = await pipelineFor().generate(request);
    expect(response.message.content).toBe('backup pays');
    expect(response.meta.fallbacks).toEqual([expect.objectContaining({ code: 'UPSTREAM_QUOTA_EXCEEDED', attempts: 1 })]);
    expect(primary.requestCount).toBe(1);
  });

  it('never replays a stream cut after output', async () => {
    primary.reset();
    backup.reset();
    primary.enqueue({ fault: 'cut-stream', afterChunks: 3 });
    const { events, error } = await drain(pipelineFor().stream(request));
    expect(events.some((e) => e.type === 'text-delta')).toBe(true);
    expect(error?.code).toBe('STREAM_INTERRUPTED');
    expect(error?.context.outputSent).toBe(true);
    expect(primary.requestCount).toBe(1);
    expect(backup.requestCount).toBe(0);
  });
});
