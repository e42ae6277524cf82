import { describe, expect, it } from 'vitest';
import { drain, scriptedTerminal } from '../../test/support/pipeline-terminal.js';
import { scriptedModel, type ScriptedReply } from '../model/providers/scripted/provider.js';
import { createProviderRouter } from '../model/router.js';
import type { ModelRequest, ModelResponse, StreamEvent } from '../model/types.js';
import { createPipeline } from '../pipeline/create-pipeline.js';
import type { Model } from '../model/model.js';
import { compose, type Middleware, type Terminal } from '../pipeline/middleware.js';
import { ATTR } from './attributes.js';
import { createMemoryTracer, type MemoryTracer } from './memory-tracer.js';
import { noopTracer } from './noop.js';
import { callTrace, tracingMiddleware } from './tracing-middleware.js';

const ask = (text = 'Where is order 1042?'): ModelRequest => ({ model: 'scripted:m', messages: [{ role: 'user', content: text }], temperature: 0 });

/** A pipeline over the scripted provider (the router records its target), one attempt per call, traced into a memory tracer, with a parent span to hang model spans under. */
function traced(replies: ScriptedReply[], options: { cache?: Middleware; timeouts?: { attemptMs: number } } = {}) {
  const tracer = createMemoryTracer();
  const provider = scriptedModel({ replies });
  const pipeline = createPipeline({
    terminal: createProviderRouter({ providers: { scripted: provider } }),
    tracing: tracingMiddleware({ tracer }),
    cache: options.cache,
    timeouts: options.timeouts,
    retry: { maxAttempts: 1 },
    prices: { m: { input: 1, output: 2 } },
  });
  const parent = tracer.startSpan({ kind: 'step', name: 'step 1' });
  return { tracer, pipeline, parent };
}

const modelSpans = (tracer: MemoryTracer) => tracer.spans.filter((s) => s.kind === 'model');

/** Serves the second identical call from memory, as the cache does: cost 0, the saving and the original target in meta. */
function memoCache(): Middleware {
  let stored: ModelResponse | undefined;
  const hit = (): ModelResponse =>
    Object.assign({}, stored!, { cost: { inputUsd: 0, outputUsd: 0, totalUsd: 0 }, meta: Object.assign({}, stored!.meta, { cache: 'hit', savedUsd: 0.0042 }) });
  return {
    name: 'cache',
    async generate(request, context, next) {
      if (stored) return hit();
      stored = await next(request, context);
      return stored;
    },
    async *stream(request, context, next): AsyncGenerator<StreamEvent> {
      if (!stored) {
        for await (const event of next(request, context)) {
          if (event.type === 'finish') stored = event.response;
          yield event;
        }
        return;
      }
      const response = hit();
      yield { type: 'start', id: response.id, model: response.model };
      yield { type: 'text-delta', delta: String(response.message.content) };
      yield { type: 'finish', response };
    },
  };
}

/** A Model as the terminal of another pipeline, handing on the call's signal, controls and trace. */
function modelTerminal(model: Model): Terminal {
  return {
    generate: (request, context) => model.generate(request, { signal: context.signal, controls: context.controls, trace: context.trace }),
    stream: (request, context) => model.stream(request, { signal: context.signal, controls: context.controls, trace: context.trace }),
    embed: (request, context) => model.embed(request, { signal: context.signal, controls: context.controls, trace: context.trace }),
  };
}

describe('tracingMiddleware', () => {
  it('writes one model span under the caller’s span, with usage, cost, target, attempts, latency and the decision record', async () => {
    const { tracer, pipeline, parent } = traced([{ text: 'It ships today.', usage: { inputTokens: 100, outputTokens: 20 } }]);
    const sources = [{ kind: 'tool_result' as const, id: 'call_1', title: 'crm' }];
    await pipeline.generate(ask(), { trace: callTrace({ parent, sources: () => sources }) });
    const [span] = modelSpans(tracer);
    expect(span).toMatchObject({ name: 'chat scripted:m', parentId: parent.spanId, traceId: parent.traceId, status: 'ok' });
    expect(span.attributes).toMatchObject({
      [ATTR.OPERATION]: 'chat',
      [ATTR.REQUEST_MODEL]: 'scripted:m',
      [ATTR.STREAM]: false,
      [ATTR.TEMPERATURE]: 0,
      [ATTR.PROVIDER]: 'scripted',
      [ATTR.TARGET]: 'scripted:m',
      [ATTR.RESPONSE_MODEL]: 'm',
      [ATTR.RESPONSE_ID]: 'scripted-0',
      [ATTR.FINISH_REASON]: 'stop',
      [ATTR.INPUT_TOKENS]: 100,
      [ATTR.OUTPUT_TOKENS]: 20,
      [ATTR.ATTEMPTS]: 1,
      [ATTR.RESPONSE_MESSAGE]: { role: 'assistant', content: 'It ships today.' },
      [ATTR.DECISION_MESSAGES]: ask().messages,
      [ATTR.DECISION_TOOLS]: [],
      [ATTR.DECISION_CHOICE]: { type: 'answer', text: 'It ships today.' },
      [ATTR.DECISION_SOURCES]: sources,
    });
    expect(span.attributes[ATTR.COST_USD]).toBeCloseTo(0.00014, 10);
    expect(span.attributes[ATTR.LATENCY_MS]).toBeGreaterThanOrEqual(0);
  });

  it('asks for sources only when the call answers: a tool-call step records the calls and the rationale beside them', async () => {
    const { tracer, pipeline, parent } = traced([{ text: 'Let me look it up.', toolCalls: [{ name: 'crm', arguments: { id: 1042 }, id: 'c1' }] }]);
    let asked = 0;
    await pipeline.generate(ask(), { trace: callTrace({ parent, sources: () => (asked++, []) }) });
    expect(asked).toBe(0);
    expect(modelSpans(tracer)[0].attributes).toMatchObject({
      [ATTR.DECISION_CHOICE]: { type: 'tool_calls', toolCalls: [{ id: 'c1', name: 'crm', arguments: '{"id":1042}' }] },
      [ATTR.DECISION_RATIONALE]: 'Let me look it up.',
    });
  });

  it('records what a cache hit saved and which target first answered, plain and streamed', async () => {
    const { tracer, pipeline, parent } = traced([{ text: 'cached' }], { cache: memoCache() });
    await pipeline.generate(ask(), { trace: callTrace({ parent }) });
    await pipeline.generate(ask(), { trace: callTrace({ parent }) });
    await drain(pipeline.stream(ask(), { trace: callTrace({ parent }) }));
    const [miss, hit, streamedHit] = modelSpans(tracer);
    expect(miss.attributes[ATTR.CACHE_SAVED_USD]).toBeUndefined();
    for (const span of [hit, streamedHit]) {
      expect(span.attributes).toMatchObject({ [ATTR.CACHE_STATUS]: 'hit', [ATTR.CACHE_SAVED_USD]: 0.0042, [ATTR.TARGET]: 'scripted:m', [ATTR.COST_USD]: 0 });
    }
  });

  it('times a stream’s first token, and ends its span before the finish event reaches the caller', async () => {
    const { tracer, pipeline, parent } = traced([{ text: 'a streamed answer', delayMs: 40 }]);
    for await (const event of pipeline.stream(ask(), { trace: callTrace({ parent }) })) {
      if (event.type === 'finish') expect(modelSpans(tracer)).toHaveLength(1);
    }
    const [span] = modelSpans(tracer);
    expect(span).toMatchObject({ status: 'ok', attributes: { [ATTR.STREAM]: true, [ATTR.OUTPUT_TOKENS]: 5 } });
    expect(span.attributes[ATTR.TTFT_MS]).toBeGreaterThanOrEqual(35);
    expect(span.attributes[ATTR.DECISION_CHOICE]).toEqual({ type: 'answer', text: 'a streamed answer' });
  });

  it('traces embeddings', async () => {
    const tracer = createMemoryTracer();
    const model = compose([tracingMiddleware({ tracer })], scriptedTerminal([{ text: 'unused' }]));
    const parent = tracer.startSpan({ kind: 'request', name: 'POST /v1/embeddings' });
    await model.embed({ model: 'openai:text-embedding-3-small', input: ['a', 'b'] }, { trace: callTrace({ parent }) });
    expect(modelSpans(tracer)[0]).toMatchObject({
      name: 'embeddings openai:text-embedding-3-small',
      status: 'ok',
      attributes: { [ATTR.OPERATION]: 'embeddings', [ATTR.RESPONSE_MODEL]: 'openai:text-embedding-3-small', [ATTR.INPUT_TOKENS]: 0, [ATTR.COST_USD]: 0 },
    });
  });

  it('ends the span as an error when the call fails, a timeout included', async () => {
    const { tracer, pipeline, parent } = traced([{ error: { code: 'UPSTREAM_ERROR', message: 'upstream returned 500' } }, { hang: true }], {
      timeouts: { attemptMs: 20 },
    });
    await expect(pipeline.generate(ask(), { trace: callTrace({ parent }) })).rejects.toThrow('upstream returned 500');
    await expect(pipeline.generate(ask(), { trace: callTrace({ parent }) })).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(modelSpans(tracer).map((s) => [s.status, s.error?.code])).toEqual([
      ['error', 'UPSTREAM_ERROR'],
      ['error', 'TIMEOUT'],
    ]);
  });

  it('ends the span as interrupted when the caller aborts, plain or streamed, or stops reading a stream', async () => {
    const { tracer, pipeline, parent } = traced([{ hang: true }, { text: 'slow', delayMs: 1000 }, { text: 'read no further than the first event' }]);
    const plain = new AbortController();
    const call = pipeline.generate(ask(), { signal: plain.signal, trace: callTrace({ parent }) });
    setTimeout(() => plain.abort(), 10);
    await expect(call).rejects.toBeDefined();
    const streamed = new AbortController();
    setTimeout(() => streamed.abort(), 10);
    await drain(pipeline.stream(ask(), { signal: streamed.signal, trace: callTrace({ parent }) }));
    for await (const event of pipeline.stream(ask(), { trace: callTrace({ parent }) })) if (event.type === 'start') break;
    expect(modelSpans(tracer).map((s) => [s.status, s.error?.code])).toEqual([
      ['interrupted', 'ABORTED'],
      ['interrupted', 'ABORTED'],
      ['interrupted', 'ABORTED'],
    ]);
  });

  it('writes no span for a call without a parent, or with a no-op tracer’s', async () => {
    const { tracer, pipeline } = traced([{ text: 'one' }, { text: 'two' }]);
    await pipeline.generate(ask());
    await pipeline.generate(ask(), { trace: callTrace({ parent: noopTracer.startSpan({ kind: 'step', name: 'untraced' }) }) });
    expect(modelSpans(tracer)).toHaveLength(0);
  });

  it('writes a span per call when a stage further out calls on twice with the same context', async () => {
    const tracer = createMemoryTracer();
    const twice: Middleware = {
      name: 'twice',
      async generate(request, context, next) {
        await next(request, context);
        return next(request, context);
      },
    };
    const pipeline = createPipeline({
      terminal: createProviderRouter({ providers: { scripted: scriptedModel({ replies: [{ text: 'one' }, { text: 'two' }] }) } }),
      tracing: tracingMiddleware({ tracer }),
      middleware: [{ before: 'tracing', use: twice }],
    });
    await pipeline.generate(ask(), { trace: callTrace({ parent: tracer.startSpan({ kind: 'step', name: 'step 1' }) }) });
    expect(modelSpans(tracer).map((s) => s.attributes[ATTR.RESPONSE_MESSAGE])).toEqual([
      { role: 'assistant', content: 'one' },
      { role: 'assistant', content: 'two' },
    ]);
  });

  it('writes one span, not two, when a traced pipeline is wrapped in another traced one', async () => {
    const { tracer, pipeline: inner, parent } = traced([{ text: 'one' }, { text: 'two' }]);
    const outer = compose([tracingMiddleware({ tracer })], modelTerminal(inner));
    await outer.generate(ask(), { trace: callTrace({ parent }) });
    await drain(outer.stream(ask(), { trace: callTrace({ parent }) }));
    const spans = modelSpans(tracer);
    expect(spans).toHaveLength(2);
    expect(spans.every((s) => s.parentId === parent.spanId)).toBe(true);
  });
});
