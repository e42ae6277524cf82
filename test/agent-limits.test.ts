import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineAgent, defineTool, STOP_REASONS } from '../src/agent/index.js';
import { scriptedModel, type ScriptedReply } from '../src/model/providers/scripted/provider.js';

const searchDefinition = {
  name: 'search',
  description: 'Searches',
  input: z.object({ q: z.string() }),
  idempotent: true,
  execute: async ({ q }: { q: string }) => `results for ${q}`,
};
const search = defineTool(searchDefinition);

/** A model that keeps searching with new queries (so the loop detector stays quiet) until asked to answer now. */
function endlessSearcher(usage?: ScriptedReply['usage'], priced = false) {
  return scriptedModel({
    ...(priced ? { pricing: { inputUsdPerMillion: 1_000, outputUsdPerMillion: 1_000 } } : {}),
    replies: (request, index) =>
      request.toolChoice === 'none' ? { text: 'Best answer so far.', usage } : { toolCalls: [{ name: 'search', arguments: { q: `query ${index}` } }], usage },
  });
}

describe('limits', () => {
  it('max_steps: stops at the step limit, after one last answer-now call without tools', async () => {
    const model = endlessSearcher();
    const agent = defineAgent({ model, tools: [search], limits: { maxSteps: 3 } });
    const result = await agent.run('research');
    expect(result.stopReason).toBe('max_steps');
    expect(result.stopDetail).toBe('reached the limit of 3 steps');
    expect(result.output).toBe('Best answer so far.');
    expect(model.requests).toHaveLength(4);
    expect(model.requests[3].toolChoice).toBe('none');
    // The conversation ends with the request to answer and the answer, every tool call closed.
    expect(result.messages.slice(-2).map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(result.state.pending).toBeUndefined();
  });

  it('max_steps without answer-now returns the partial result; per-run limits override the agent', async () => {
    const model = endlessSearcher();
    const agent = defineAgent({ model, tools: [search], limits: { maxSteps: 10, answerOnLimit: false } });
    const result = await agent.run('research', { limits: { maxSteps: 2 } });
    expect(result.stopReason).toBe('max_steps');
    expect(result.output).toBeUndefined();
    expect(result.steps).toHaveLength(2);
    expect(model.requests).toHaveLength(2);
  });

  it('max_tokens: a call that overspends does not get its tools run', async () => {
    let executed = 0;
    const counted = defineTool({
      name: 'search',
      description: 's',
      input: z.object({ q: z.string() }),
      execute: ({ q }) => {
        executed++;
        return q;
      },
    });
    const agent = defineAgent({ model: endlessSearcher({ inputTokens: 600, outputTokens: 400 }), tools: [counted], limits: { maxTokens: 2_500 } });
    const result = await agent.run('research');
    expect(result.stopReason).toBe('max_tokens');
    expect(result.stopDetail).toBe('used 3000 tokens of the limit of 2500');
    expect(executed).toBe(2);
    expect(result.steps).toHaveLength(3);
  });

  it('max_cost: stops before the call that could take the run past its money', async () => {
    // 1000 tokens at $1000/M = $1 per call; each call is admitted only if its prompt and 500 tokens of output fit what is left.
    const agent = defineAgent({
      model: endlessSearcher({ inputTokens: 500, outputTokens: 500 }, true),
      tools: [search],
      limits: { maxCostUsd: 2.5 },
      request: { maxTokens: 500 },
    });
    const result = await agent.run('research');
    expect(result.stopReason).toBe('max_cost');
    expect(result.cost.totalUsd).toBeCloseTo(2);
    expect(result.stopDetail).toContain('of the limit of $2.5');
  });

  it("tool_call_limit: a tool with onLimit 'stop' stops the run before the call that would exceed its limit", async () => {
    const other = defineTool({ name: 'other', description: 'o', input: z.object({}), execute: () => 'ok' });
    const stopping = defineTool({ ...searchDefinition, onLimit: 'stop' });
    const agent = defineAgent({ model: endlessSearcher(), tools: [stopping, other], limits: { maxCallsPerTool: { search: 2 }, answerOnLimit: false } });
    const result = await agent.run('research');
    expect(result.stopReason).toBe('tool_call_limit');
    expect(result.stopDetail).toBe('tool "search" reached its limit of 2 calls');
    expect(result.state.toolCalls).toEqual({ search: 2 });
    // The step the limit interrupted stays pending, so a resume with a higher limit can finish it.
    expect(result.state.pending?.message.toolCalls?.[0].name).toBe('search');
    const resumed = await agent.resume(result.state, { limits: { maxCallsPerTool: { search: 4 }, answerOnLimit: false } });
    expect(resumed.stopReason).toBe('tool_call_limit');
    expect(resumed.state.toolCalls).toEqual({ search: 4 });
    expect(resumed.steps.length).toBe(result.steps.length + 2);
  });

  it('timeout: cancels a hanging tool through the run signal', async () => {
    let toolSignal: AbortSignal | undefined;
    const hangs = defineTool({
      name: 'hangs',
      description: 'waits forever',
      input: z.object({}),
      timeoutMs: 60_000,
      execute: (_input, ctx) => {
        toolSignal = ctx.signal;
        return new Promise(() => {});
      },
    });
    const agent = defineAgent({ model: scriptedModel({ replies: [{ toolCalls: [{ name: 'hangs' }] }] }), tools: [hangs], limits: { timeoutMs: 50 } });
    const result = await agent.run('go');
    expect(result.stopReason).toBe('timeout');
    expect(result.stopDetail).toBe('reached the time limit of 50ms');
    expect(toolSignal?.aborted).toBe(true);
    expect(result.error?.code).toBe('TIMEOUT');
  });

  it('timeout: cancels a hanging model call', async () => {
    const agent = defineAgent({ model: scriptedModel({ replies: [{ hang: true }] }), limits: { timeoutMs: 50 } });
    const result = await agent.run('go');
    expect(result.stopReason).toBe('timeout');
    expect(result.steps).toHaveLength(0);
  });

  it('aborted: the caller cancels the run', async () => {
    const controller = new AbortController();
    const agent = defineAgent({ model: scriptedModel({ replies: [{ delayMs: 10_000, text: 'late' }] }) });
    const pending = agent.run('go', { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('user pressed stop')), 10);
    const result = await pending;
    expect(result.stopReason).toBe('aborted');
    expect(result.stopDetail).toContain('user pressed stop');
  });

  it('every stop reason is an explicit string', () => {
    expect(STOP_REASONS).toEqual([
      'completed',
      'max_steps',
      'timeout',
      'max_tokens',
      'max_cost',
      'tool_call_limit',
      'loop_detected',
      'aborted',
      'approval_required',
      'output_invalid',
      'check_failed',
      'error',
    ]);
  });
});
