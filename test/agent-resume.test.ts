import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineAgent, defineTool, memoryCheckpointStore, parseRunState } from '../src/agent/index.js';
import { scriptedModel } from '../src/model/providers/scripted/provider.js';

const lookup = defineTool({ name: 'lookup', description: 'l', input: z.object({}), execute: () => 'order A1 shipped' });

describe('resuming a completed run', () => {
  it('returns the recorded result without calling the model or the tools again (from its state, its JSON, or its run id)', async () => {
    let toolRuns = 0;
    const counted = defineTool({ name: 'lookup', description: 'l', input: z.object({}), execute: () => (toolRuns++, 'order A1 shipped') });
    const model = scriptedModel({ replies: [{ toolCalls: [{ name: 'lookup' }] }, { text: '{"status":"shipped"}' }] });
    const checkpoints = memoryCheckpointStore();
    const agent = defineAgent({ model, tools: [counted], checkpoints, outputSchema: z.object({ status: z.string() }) });
    const done = await agent.run('where is A1?', { runId: 'run-done' });
    expect(done.stopReason).toBe('completed');
    expect(done.state.completed).toEqual({ text: '{"status":"shipped"}', output: { status: 'shipped' }, detail: done.stopDetail });

    for (const from of [done.state, parseRunState(JSON.stringify(done.state)), 'run-done']) {
      const again = await agent.resume(from);
      expect(again).toMatchObject({ runId: 'run-done', stopReason: 'completed', stopDetail: done.stopDetail, text: done.text, output: { status: 'shipped' } });
      expect(again.steps).toHaveLength(2);
      expect(again.usage).toEqual(done.usage);
    }
    expect(model.requests).toHaveLength(2);
    expect(toolRuns).toBe(1);
  });

  it('a run stopped short of completion still continues on resume', async () => {
    const model = scriptedModel({ replies: [{ toolCalls: [{ name: 'lookup' }] }, { text: 'Order A1 shipped.' }] });
    const agent = defineAgent({ model, tools: [lookup], limits: { answerOnLimit: false } });
    const stopped = await agent.run('where is A1?', { limits: { maxSteps: 1 } });
    expect(stopped.stopReason).toBe('max_steps');
    expect(stopped.state.completed).toBeUndefined();
    const resumed = await agent.resume(stopped.state, { limits: { maxSteps: 5 } });
    expect(resumed).toMatchObject({ stopReason: 'completed', output: 'Order A1 shipped.' });
    expect(model.requests).toHaveLength(2);
  });

  it('keeps the loop detector’s window across a resume: the checkpoint holds the steps, the window is rebuilt from them', async () => {
    const same = { toolCalls: [{ name: 'lookup' }] };
    const model = scriptedModel({ replies: [same, same, same, same, same, same, { text: 'gave up' }] });
    const agent = defineAgent({ model, tools: [lookup], limits: { answerOnLimit: false } });
    const first = await agent.run('where is A1?', { limits: { maxSteps: 2 } });
    expect(first.stopReason).toBe('max_steps');
    const saved = JSON.stringify(first.state);
    expect(saved).not.toContain('observations');
    // The third identical call is a repeat only if the first two are remembered.
    const resumed = await agent.resume(parseRunState(saved), { limits: { maxSteps: 10 } });
    expect(resumed.stopReason).toBe('loop_detected');
    expect(resumed.loop?.steps[0]).toBe(1);
  });

  it('refuses a state whose completion record is malformed', async () => {
    const model = scriptedModel({ replies: [{ text: 'hi' }] });
    const agent = defineAgent({ model });
    const { state } = await agent.run('hello');
    await expect(agent.resume({ ...state, completed: { text: 3 } } as never)).rejects.toMatchObject({
      code: 'RUN_STATE_INVALID',
      message: expect.stringContaining('completed.text'),
    });
  });
});
