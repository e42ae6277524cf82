import { describe, expect, it } from 'vitest';
import { scriptedModel } from '../src/model/providers/scripted/provider.js';
import { scriptedModel as fromTesting } from '../src/testing/index.js';
import { createProviderRouter } from '../src/model/router.js';
import type { ModelRequest, StreamEvent } from '../src/model/types.js';
import { isSextantError } from '../src/errors.js';

const request: ModelRequest = { model: 'm', messages: [{ role: 'user', content: 'hello there' }] };

describe('scriptedModel', () => {
  it('answers text, tool calls (objects or raw strings), usage and price; records the requests', async () => {
    const model = scriptedModel({
      pricing: { inputUsdPerMillion: 1_000_000, outputUsdPerMillion: 2_000_000 },
      replies: [
        { text: 'hi', usage: { inputTokens: 3, outputTokens: 1 } },
        {
          toolCalls: [
            { name: 'a', arguments: { x: 1 } },
            { name: 'b', arguments: '{"broken":', id: 'my-id' },
          ],
        },
      ],
    });
    const first = await model.generate(request);
    expect(first).toMatchObject({
      message: { role: 'assistant', content: 'hi' },
      finishReason: 'stop',
      usage: { inputTokens: 3, outputTokens: 1, totalTokens: 4 },
      cost: { totalUsd: 5 },
    });
    const second = await model.generate(request);
    expect(second.finishReason).toBe('tool_calls');
    expect(second.message.toolCalls).toEqual([
      { id: 'call_1_0', name: 'a', arguments: '{"x":1}' },
      { id: 'my-id', name: 'b', arguments: '{"broken":' },
    ]);
    expect(second.usage.inputTokens).toBe(3); // estimated: 11 characters / 4
    expect(model.requests).toHaveLength(2);
    await expect(model.generate(request)).rejects.toThrow(/has 2 replies; call 3 has none/);
  });

  it('streams text deltas and tool-call deltas, ending with one finish event carrying the whole response', async () => {
    const model = scriptedModel({
      chunkSize: 3,
      replies: () => ({ text: 'abcdefg', reasoning: 'because', toolCalls: [{ name: 't', arguments: { q: 'xy' } }] }),
    });
    const events: StreamEvent[] = [];
    for await (const e of model.stream(request)) events.push(e);
    expect(events.map((e) => e.type)).toEqual([
      'start',
      'reasoning-delta',
      'text-delta',
      'text-delta',
      'text-delta',
      'tool-call-start',
      'tool-call-delta',
      'tool-call-delta',
      'tool-call-delta',
      'tool-call-delta',
      'finish',
    ]);
    const args = events
      .filter((e) => e.type === 'tool-call-delta')
      .map((e) => (e as { argumentsDelta: string }).argumentsDelta)
      .join('');
    expect(args).toBe('{"q":"xy"}');
    const finish = events.at(-1) as Extract<StreamEvent, { type: 'finish' }>;
    expect(finish.response.message).toMatchObject({ content: 'abcdefg', reasoning: 'because', toolCalls: [{ name: 't', arguments: '{"q":"xy"}' }] });
  });

  it('throws scripted errors; delays and hangs end on abort with the abort reason', async () => {
    const model = scriptedModel({
      replies: [
        { error: { code: 'UPSTREAM_RATE_LIMITED', message: 'slow down', status: 429, retryable: true, retryAfterMs: 1000 } },
        { hang: true },
        { delayMs: 60_000, text: 'late' },
      ],
    });
    const rateLimited = await model.generate(request).catch((e: unknown) => e);
    expect(isSextantError(rateLimited, 'UPSTREAM_RATE_LIMITED')).toBe(true);
    expect(rateLimited).toMatchObject({ status: 429, retryable: true, retryAfterMs: 1000 });

    const controller = new AbortController();
    const hanging = model.generate(request, { signal: controller.signal });
    controller.abort();
    expect(isSextantError(await hanging.catch((e: unknown) => e), 'ABORTED')).toBe(true);

    const delayedStream = model.stream(request, { signal: AbortSignal.timeout(10) });
    const delayed = delayedStream[Symbol.asyncIterator]().next();
    await expect(delayed).rejects.toBeDefined();
  });

  it('plugs into the provider router as `scripted` and is exported from sextant/testing', async () => {
    expect(fromTesting).toBe(scriptedModel);
    const scripted = scriptedModel({ replies: [{ text: 'routed' }] });
    const router = createProviderRouter({ providers: { scripted } });
    const response = await router.generate({ ...request, model: 'scripted:any-model' }, {});
    expect(response.message.content).toBe('routed');
    expect(scripted.requests[0].model).toBe('any-model');
  });
});
