import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineAgent, defineTool } from '../src/agent/index.js';
import { createOpenAICompatible } from '../src/model/providers/openai-compatible/provider.js';
import { createFakeUpstream, type FakeUpstream } from '../src/testing/fake-upstream.js';

let upstream: FakeUpstream;
beforeAll(async () => {
  upstream = await createFakeUpstream();
});
afterAll(() => upstream.close());

async function eventually(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
}

describe('time limit over a real HTTP upstream', () => {
  it('cancels a hanging tool and a hanging model call through one signal; the upstream sees its connection closed', async () => {
    upstream.reset();
    let toolSignal: AbortSignal | undefined;
    const hangs = defineTool({
      name: 'export_report',
      description: 'Exports a report',
      input: z.object({ month: z.string() }),
      timeoutMs: 60_000,
      execute: (_input, ctx) => {
        toolSignal = ctx.signal;
        return new Promise(() => {});
      },
    });
    const provider = createOpenAICompatible({ name: 'fake', baseURL: `${upstream.url}/v1` });
    const agent = defineAgent({ model: provider, modelName: 'gpt-4o-mini', tools: [hangs], limits: { timeoutMs: 150 } });

    // The model (over HTTP) asks for the tool; the tool hangs until the time limit aborts it.
    upstream.enqueue({ toolCalls: [{ name: 'export_report', arguments: { month: '2026-10' } }] });
    const toolRun = await agent.run('export October');
    expect(toolRun.stopReason).toBe('timeout');
    expect(toolRun.steps).toHaveLength(1);
    expect(toolSignal?.aborted).toBe(true);
    expect(upstream.clientClosedCount).toBe(0);

    // The model call itself hangs: the limit aborts the HTTP request and the server sees the close.
    upstream.enqueue({ fault: 'hang' });
    const modelRun = await agent.run('export October');
    expect(modelRun.stopReason).toBe('timeout');
    expect(modelRun.stopDetail).toBe('reached the time limit of 150ms');
    await eventually(() => upstream.clientClosedCount === 1);
    expect(upstream.clientClosedCount).toBe(1);
  });

  it('streams over the upstream and aborts a hanging stream the same way', async () => {
    upstream.reset();
    upstream.enqueue({ text: 'Hello from the wire.' }, { fault: 'hang' });
    const provider = createOpenAICompatible({ name: 'fake', baseURL: `${upstream.url}/v1` });
    const agent = defineAgent({ model: provider, modelName: 'gpt-4o-mini', limits: { timeoutMs: 150 } });
    const stream = agent.stream('hi');
    let text = '';
    for await (const event of stream) if (event.type === 'text-delta') text += event.delta;
    expect(text).toBe('Hello from the wire.');
    expect((await stream.result).stopReason).toBe('completed');

    const hung = await agent.stream('hi').result;
    expect(hung.stopReason).toBe('timeout');
    await eventually(() => upstream.clientClosedCount === 1);
    expect(upstream.clientClosedCount).toBe(1);
  });
});
