import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineAgent, defineTool, ToolRetryRequest, type Tool } from '../src/agent/index.js';
import { scriptedModel, type ScriptedReply } from '../src/model/providers/scripted/provider.js';

const lookup = defineTool({
  name: 'lookup',
  description: 'l',
  input: z.object({ id: z.string() }),
  idempotent: true,
  execute: ({ id }) => `record ${id}: not found`,
});
const list = defineTool({
  name: 'list',
  description: 'pages through items',
  input: z.object({ page: z.number() }),
  idempotent: true,
  execute: ({ page }) => ({ items: [`item-${page * 2}`, `item-${page * 2 + 1}`], next: page < 5 ? page + 1 : null }),
});

function agentWith(replies: (index: number) => ScriptedReply, tools: Tool[] = [lookup, list]) {
  const model = scriptedModel({ replies: (_request, index) => replies(index) });
  return { model, agent: defineAgent({ model, tools, limits: { maxSteps: 20, answerOnLimit: false } }) };
}

describe('loop detector in the run loop', () => {
  it('repeat: warns the model once, then stops with loop_detected and the evidence', async () => {
    const { model, agent } = agentWith(() => ({ toolCalls: [{ name: 'lookup', arguments: { id: '42' } }] }));
    const result = await agent.run('find 42');
    expect(result.stopReason).toBe('loop_detected');
    expect(result.loop).toMatchObject({ pattern: 'repeat', steps: [1, 2, 3, 4] });
    expect(result.stopDetail).toContain('lookup({"id":"42"}) called 4 times');
    expect(result.steps).toHaveLength(4);
    // The corrective message was sent after step 3.
    const corrective = model.requests[3].messages.at(-1);
    expect(corrective).toMatchObject({ role: 'user' });
    expect(String(corrective?.content)).toContain('stuck in a loop');
  });

  it('the same call with keys in another order is the same call (canonical arguments)', async () => {
    const two = defineTool({ name: 'two', description: 't', input: z.object({ a: z.number(), b: z.number() }), execute: () => 'same' });
    const { agent } = agentWith((i) => ({ toolCalls: [{ name: 'two', arguments: i % 2 ? '{"a":1,"b":2}' : '{"b":2,"a":1}' }] }), [two]);
    expect((await agent.run('x')).loop?.pattern).toBe('repeat');
  });

  it('cycle: A, B, A, B with nothing new', async () => {
    const { agent } = agentWith((i) => ({ toolCalls: [i % 2 ? { name: 'list', arguments: { page: 9 } } : { name: 'lookup', arguments: { id: '7' } }] }));
    const result = await agent.run('x');
    expect(result.stopReason).toBe('loop_detected');
    expect(result.state.loop.warnedAtStep).toBe(4);
    expect(result.loop?.pattern).toMatch(/cycle|repeat/);
  });

  it('no progress: new arguments, same result every time', async () => {
    const { agent } = agentWith(
      (i) => ({ toolCalls: [{ name: 'lookup', arguments: { id: `x${i}` } }] }),
      [defineTool({ name: 'lookup', description: 'l', input: z.object({ id: z.string() }), execute: () => 'no match' })],
    );
    const result = await agent.run('x');
    expect(result.stopReason).toBe('loop_detected');
    expect(result.loop?.pattern).toBe('no_progress');
  });

  it('error loop: the same error again and again', async () => {
    const broken = defineTool({
      name: 'broken',
      description: 'b',
      input: z.object({ n: z.number() }),
      execute: ({ n }) => {
        throw new Error(`connection refused (attempt ${n})`);
      },
    });
    const { agent } = agentWith((i) => ({ toolCalls: [{ name: 'broken', arguments: { n: i } }] }), [broken]);
    const result = await agent.run('x');
    expect(result.loop?.pattern).toBe('error_loop');
    expect(result.loop?.detail).toContain('connection refused (attempt #)');
  });

  it('legitimate repetition does not trigger it: paging, a poller, a tool-requested retry', async () => {
    const paging = agentWith((i) => (i < 6 ? { toolCalls: [{ name: 'list', arguments: { page: i } }] } : { text: 'all 12 items' }));
    expect((await paging.agent.run('list all')).stopReason).toBe('completed');

    let polls = 0;
    const status = defineTool({
      name: 'job_status',
      description: 's',
      input: z.object({ job: z.string() }),
      poller: true,
      execute: () => (++polls < 8 ? 'running' : 'done'),
    });
    const polling = agentWith((i) => (i < 8 ? { toolCalls: [{ name: 'job_status', arguments: { job: 'j1' } }] } : { text: 'job done' }), [status]);
    expect((await polling.agent.run('wait')).stopReason).toBe('completed');

    let tries = 0;
    const busy = defineTool({
      name: 'book',
      description: 'b',
      input: z.object({ slot: z.string() }),
      execute: () => {
        if (++tries < 5) throw new ToolRetryRequest('calendar busy, retry');
        return 'booked';
      },
    });
    const retrying = agentWith((i) => (i < 5 ? { toolCalls: [{ name: 'book', arguments: { slot: '10:00' } }] } : { text: 'booked' }), [busy]);
    const result = await retrying.agent.run('book');
    expect(result.stopReason).toBe('completed');
    expect(result.steps[0].toolResults[0].retryRequested).toBe(true);
  });

  it('can be turned off', async () => {
    const model = scriptedModel({ replies: () => ({ toolCalls: [{ name: 'lookup', arguments: { id: '1' } }] }) });
    const agent = defineAgent({ model, tools: [lookup], loopDetector: false, limits: { maxSteps: 6, answerOnLimit: false } });
    expect((await agent.run('x')).stopReason).toBe('max_steps');
  });
});
