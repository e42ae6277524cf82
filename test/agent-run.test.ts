import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineAgent, defineTool, type AgentEvent } from '../src/agent/index.js';
import { scriptedModel } from '../src/model/providers/scripted/provider.js';
import { unwrapUntrusted } from '../src/security/index.js';
import { UNTRUSTED_CONTENT_POLICY } from '../src/security/index.js';

const weather = defineTool({
  name: 'get_weather',
  description: 'Current weather for a city',
  input: z.object({ city: z.string() }),
  output: z.object({ city: z.string(), tempC: z.number() }),
  idempotent: true,
  execute: async ({ city }) => ({ city, tempC: city === 'Paris' ? 18 : 25 }),
});

describe('agent run', () => {
  it('calls tools, feeds results back, and completes with the answer', async () => {
    const model = scriptedModel({
      replies: [{ toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }] }, { text: 'It is 18°C in Paris.' }],
    });
    const agent = defineAgent({ model, instructions: 'Be brief.', tools: [weather] });
    const result = await agent.run('Weather in Paris?');
    expect(result.stopReason).toBe('completed');
    expect(result.output).toBe('It is 18°C in Paris.');
    expect(result.steps).toHaveLength(2);
    expect(result.steps[0].toolResults[0]).toMatchObject({ name: 'get_weather', content: '{"city":"Paris","tempC":18}', isError: false });
    expect(result.usage.totalTokens).toBeGreaterThan(0);
    // The second request carries the system prompt (the instructions, then the policy for untrusted content), the tool call and its result, marked as untrusted.
    const second = model.requests[1];
    expect(second.messages[0]).toEqual({ role: 'system', content: 'Be brief.' });
    expect(second.messages[1]).toEqual({ role: 'system', content: UNTRUSTED_CONTENT_POLICY });
    expect(second.messages.at(-1)).toMatchObject({ role: 'tool', toolCallId: 'call_0_0' });
    expect(unwrapUntrusted(String(second.messages.at(-1)!.content))).toBe('{"city":"Paris","tempC":18}');
    expect(second.tools?.[0]).toMatchObject({ name: 'get_weather', parameters: { type: 'object', required: ['city'] } });
  });

  it('runs the parallel tool calls of a step concurrently, under the cap', async () => {
    let running = 0;
    let peak = 0;
    const slow = defineTool({
      name: 'slow',
      description: 'waits',
      input: z.object({ n: z.number() }),
      execute: async ({ n }) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 20));
        running--;
        return n * 2;
      },
    });
    const calls = Array.from({ length: 5 }, (_, n) => ({ name: 'slow', arguments: { n } }));
    const agent = defineAgent({ model: scriptedModel({ replies: [{ toolCalls: calls }, { text: 'done' }] }), tools: [slow], maxParallelTools: 2 });
    const result = await agent.run('go');
    expect(result.stopReason).toBe('completed');
    expect(peak).toBe(2);
    expect(result.steps[0].toolResults.map((r) => r.content)).toEqual(['0', '2', '4', '6', '8']);
  });

  it('returns tool failures to the model: thrown error, timeout, invalid input, invalid output, unknown tool', async () => {
    const failing = defineTool({
      name: 'failing',
      description: 'throws',
      input: z.object({}),
      execute: () => {
        throw new Error('database is down');
      },
    });
    const stuck = defineTool({
      name: 'stuck',
      description: 'never ends',
      input: z.object({}),
      timeoutMs: 30,
      retries: 1,
      // A timed-out call may have had its effect: only an idempotent tool's is repeated.
      idempotent: true,
      execute: () => new Promise(() => {}),
    });
    const liar = defineTool({
      name: 'liar',
      description: 'bad output',
      input: z.object({}),
      output: z.object({ ok: z.boolean() }),
      execute: () => ({ ok: 'yes' }) as never,
    });
    const model = scriptedModel({
      replies: [
        {
          toolCalls: [{ name: 'failing' }, { name: 'stuck' }, { name: 'get_weather', arguments: { town: 'Paris' } }, { name: 'liar' }, { name: 'nope' }],
        },
        { text: 'I could not find out.' },
      ],
    });
    const agent = defineAgent({ model, tools: [failing, stuck, weather, liar] });
    const result = await agent.run('go');
    expect(result.stopReason).toBe('completed');
    const [thrown, timedOut, invalidIn, invalidOut, unknown] = result.steps[0].toolResults;
    expect(thrown).toMatchObject({ isError: true, content: 'Error (TOOL_ERROR): database is down' });
    expect(timedOut).toMatchObject({ isError: true, attempts: 2 });
    expect(timedOut.content).toContain('TOOL_TIMEOUT');
    expect(invalidIn.content).toMatch(/TOOL_INPUT_INVALID.*city/);
    expect(invalidOut.content).toContain('TOOL_OUTPUT_INVALID');
    expect(unknown.content).toMatch(/TOOL_NOT_FOUND.*available tools: failing, stuck, get_weather, liar/);
    expect(model.requests[1].messages.filter((m) => m.role === 'tool')).toHaveLength(5);
  });

  it("stops with stopReason 'error' when a tool says its errors are fatal, or the model call fails", async () => {
    const fatal = defineTool({
      name: 'fatal',
      description: 'x',
      input: z.object({}),
      errorMode: 'throw',
      execute: () => {
        throw new Error('disk full');
      },
    });
    const agent = defineAgent({ model: scriptedModel({ replies: [{ toolCalls: [{ name: 'fatal' }] }] }), tools: [fatal] });
    const result = await agent.run('go');
    expect(result.stopReason).toBe('error');
    expect(result.error?.code).toBe('TOOL_ERROR');
    expect(result.stopDetail).toContain('disk full');

    const broken = defineAgent({ model: scriptedModel({ replies: [{ error: { code: 'UPSTREAM_ERROR', message: 'HTTP 500', status: 500 } }] }) });
    const failed = await broken.run('hi');
    expect(failed.stopReason).toBe('error');
    expect(failed.stopDetail).toBe('UPSTREAM_ERROR: HTTP 500');
  });

  it('streams step, text-delta, tool-call, tool-result and finish events', async () => {
    const model = scriptedModel({
      chunkSize: 4,
      replies: [{ text: 'Let me check.', toolCalls: [{ name: 'get_weather', arguments: { city: 'Rome' } }] }, { text: 'Rome: 25°C.' }],
    });
    const agent = defineAgent({ model, tools: [weather] });
    const stream = agent.stream('Weather in Rome?');
    const events: AgentEvent[] = [];
    for await (const event of stream) events.push(event);
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('step-start');
    expect(types).toContain('tool-call');
    expect(types).toContain('tool-result');
    expect(types.at(-1)).toBe('finish');
    const text = events
      .filter((e) => e.type === 'text-delta')
      .map((e) => (e as { delta: string }).delta)
      .join('');
    expect(text).toBe('Let me check.Rome: 25°C.');
    const result = await stream.result;
    expect(result.output).toBe('Rome: 25°C.');
    expect(events.at(-1)).toEqual({ type: 'finish', result });
  });

  it('rejects bad configuration and bad input with clear errors', async () => {
    const model = scriptedModel({ replies: [] });
    expect(() => defineAgent({ model, tools: [weather, weather] })).toThrow(/Two tools are named "get_weather"/);
    expect(() => defineAgent({ model, limits: { maxSteps: -1 } })).toThrow(/limits.maxSteps/);
    expect(() => defineAgent({ model: { generate: model.generate, stream: model.stream } as never })).toThrow(/modelName/);
    const agent = defineAgent({ model });
    await expect(agent.run([])).rejects.toThrow(/non-empty/);
    await expect(agent.run('x', { limits: { timeoutMs: 0 } })).rejects.toThrow(/timeoutMs/);
  });

  it('accepts a model string and builds the standard pipeline over the router', async () => {
    const scripted = scriptedModel({ replies: [{ text: 'from the pipeline' }] });
    const agent = defineAgent({ model: 'scripted:test-model', providers: { scripted } });
    const result = await agent.run('hi');
    expect(result.stopReason).toBe('completed');
    expect(result.output).toBe('from the pipeline');
    expect(scripted.requests[0].model).toBe('test-model');
  });
});
