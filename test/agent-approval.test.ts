import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { approve, defineAgent, defineTool, memoryCheckpointStore, parseRunState, reject } from '../src/agent/index.js';
import { scriptedModel } from '../src/model/providers/scripted/provider.js';
import { isSextantError } from '../src/errors.js';
import { unwrapUntrusted } from '../src/security/index.js';

function refundAgent() {
  const refunds: number[] = [];
  let lookups = 0;
  const refund = defineTool({
    name: 'refund',
    description: 'Refunds an order',
    input: z.object({ order: z.string(), amount: z.number() }),
    needsApproval: ({ amount }) => amount > 100,
    execute: ({ amount }) => {
      refunds.push(amount);
      return `refunded ${amount}`;
    },
  });
  const lookup = defineTool({ name: 'lookup', description: 'l', input: z.object({ order: z.string() }), execute: () => (lookups++, 'order A1: $250') });
  const model = scriptedModel({
    replies: (request) => {
      const last = request.messages.at(-1);
      if (last?.role === 'tool' && last.name === 'refund') return { text: `Done: ${unwrapUntrusted(last.content)}` };
      return {
        toolCalls: [
          { name: 'lookup', arguments: { order: 'A1' } },
          { name: 'refund', arguments: { order: 'A1', amount: 250 } },
        ],
      };
    },
  });
  const checkpoints = memoryCheckpointStore();
  return { agent: defineAgent({ model, tools: [refund, lookup], checkpoints }), refunds, lookups: () => lookups, model };
}

describe('human approval', () => {
  it('pauses, serializes to versioned JSON, and resumes after approval without re-running finished calls', async () => {
    const { agent, refunds, lookups } = refundAgent();
    const paused = await agent.run('refund order A1');
    expect(paused.stopReason).toBe('approval_required');
    expect(paused.pendingApprovals).toEqual([
      { toolCallId: 'call_0_1', toolName: 'refund', input: { order: 'A1', amount: 250 }, argsHash: expect.stringMatching(/^[0-9a-f]{64}$/) },
    ]);
    expect(refunds).toEqual([]);
    expect(lookups()).toBe(1);

    const json = JSON.stringify(paused.state);
    expect(JSON.parse(json).version).toBe(1);
    const done = await agent.resume(parseRunState(json), { approvals: [approve(paused.pendingApprovals![0])] });
    expect(done.stopReason).toBe('completed');
    expect(done.output).toBe('Done: refunded 250');
    expect(refunds).toEqual([250]);
    expect(lookups()).toBe(1);
  });

  it('resumes a state saved when a pending step held its results keyed by call id', async () => {
    const { agent, refunds, lookups } = refundAgent();
    const paused = await agent.run('refund order A1');
    const saved = JSON.parse(JSON.stringify(paused.state)) as { pending: { results: { toolCallId: string }[] | Record<string, unknown> } };
    const list = saved.pending.results as { toolCallId: string }[];
    expect(list.map((r) => r.toolCallId)).toEqual(['call_0_0']);
    saved.pending.results = Object.fromEntries(list.map((r) => [r.toolCallId, r]));
    const done = await agent.resume(parseRunState(JSON.stringify(saved)), { approvals: [approve(paused.pendingApprovals![0])] });
    expect(done).toMatchObject({ stopReason: 'completed', output: 'Done: refunded 250' });
    expect(refunds).toEqual([250]);
    expect(lookups()).toBe(1);
  });

  it('resumes by run id from the checkpoint store; a rejection is told to the model', async () => {
    const { agent, refunds, model } = refundAgent();
    const paused = await agent.run('refund order A1', { runId: 'run-approval-1' });
    const done = await agent.resume('run-approval-1', { approvals: [reject(paused.pendingApprovals![0], 'over the limit for this customer')] });
    expect(done.stopReason).toBe('completed');
    expect(refunds).toEqual([]);
    expect(String(model.requests.at(-1)?.messages.at(-1)?.content)).toContain('a human rejected this call: over the limit for this customer');
  });

  it('an approval is bound to the exact arguments it approved', async () => {
    const { agent, refunds } = refundAgent();
    const paused = await agent.run('refund order A1');
    const tampered = structuredClone(paused.state);
    tampered.pending!.message.toolCalls![1].arguments = JSON.stringify({ order: 'A1', amount: 9_999 });
    const result = await agent.resume(tampered, { approvals: [approve(paused.pendingApprovals![0])] });
    expect(result.stopReason).toBe('error');
    expect(result.error?.code).toBe('APPROVAL_MISMATCH');
    expect(refunds).toEqual([]);
  });

  it('refuses a state it cannot trust with RUN_STATE_INVALID', async () => {
    const { agent } = refundAgent();
    for (const bad of ['{not json', { version: 2 }, { version: 1, runId: 'x' }]) {
      let caught: unknown;
      try {
        await agent.resume(typeof bad === 'string' ? parseRunState(bad) : (bad as never));
      } catch (error) {
        caught = error;
      }
      expect(isSextantError(caught, 'RUN_STATE_INVALID')).toBe(true);
    }
    await expect(agent.resume('no-such-run')).rejects.toThrow(/No checkpoint/);
  });
});
