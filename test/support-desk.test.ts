import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSupportDesk, type SupportDesk } from '../examples/support-desk/index.js';
import { scriptedConversation } from '../examples/support-desk/scripted.js';
import { scriptedModel, type ScriptedReply } from '../src/model/index.js';
import { openStore, sqlTraceRepository, type SqlStore } from '../src/store/index.js';
import { createStoreTracer } from '../src/trace/index.js';

const dir = mkdtempSync(join(tmpdir(), 'sextant-support-desk-'));
let store: SqlStore;
const desks: SupportDesk[] = [];

beforeAll(async () => {
  store = await openStore({ url: join(dir, 'sextant.db') });
});
afterAll(async () => {
  for (const desk of desks) await desk.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function desk(options: Parameters<typeof createSupportDesk>[0] extends infer O ? Partial<O> : never = {}) {
  const made = await createSupportDesk({ store, crmPath: join(dir, 'crm.db'), ...options });
  desks.push(made);
  return made;
}

const answer = (text: string, citations: string[], handoff = false): ScriptedReply => ({ text: JSON.stringify({ answer: text, citations, handoff }) });

describe('support desk on the scripted model', () => {
  it('answers the quick-start question from the CRM and the help center, with citations, and traces the run', async () => {
    const tracer = createStoreTracer({ repository: sqlTraceRepository(store), redact: false });
    const { agent } = await desk({ tracer });
    const result = await agent.run('Where is my order 1042?');
    await tracer.close();
    expect(result.stopReason).toBe('completed');
    expect(result.output).toMatchObject({ handoff: false, citations: ['crm:order:1042', 'tracking-an-order.md#where-to-find-tracking'] });
    expect(result.output!.answer).toContain('UPS');
    expect(result.output!.answer).toContain('2026-11-24');
    expect(result.steps[0].toolResults.map((r) => r.name).sort()).toEqual(['crm_lookup', 'search_knowledge_base']);
    expect(result.checks.filter((c) => c.verdict.pass === true).map((c) => c.check)).toEqual(['groundedness', 'relevance', 'citations']);
    const trace = await sqlTraceRepository(store).get(result.runId);
    expect(trace?.spans.some((s) => s.kind === 'check')).toBe(true);
    expect(trace?.spans.filter((s) => s.kind === 'tool')).toHaveLength(2);
  });

  it('fails groundedness on an invented fact, re-asks, and accepts the grounded answer', async () => {
    const model = scriptedConversation([
      { toolCalls: [{ name: 'search_knowledge_base', arguments: { query: 'express shipping cost' } }] },
      answer('Express shipping costs $9.99 and takes 1 to 2 business days.', ['shipping-options.md#express-shipping']),
      answer('Express shipping takes 1 to 2 business days and costs $14.99.', ['shipping-options.md#express-shipping']),
    ]);
    const { agent } = await desk({ model });
    const result = await agent.run('How much does express shipping cost?');
    expect(result.stopReason).toBe('completed');
    const groundedness = result.checks.filter((c) => c.check === 'groundedness');
    expect(groundedness.map((c) => [c.verdict.pass, c.action])).toEqual([
      [false, 'reask'],
      [true, 'none'],
    ]);
    expect(groundedness[0].verdict.reason).toContain('9.99');
    // The re-ask told the model why, and the conversation's third call saw it.
    const reask = model.requests.filter((r) => (r.responseFormat as { name?: string } | undefined)?.name !== 'verdict')[2].messages.at(-1);
    expect(reask).toMatchObject({ role: 'user' });
    expect(String(reask!.content)).toContain('groundedness');
    expect(result.output).toEqual({
      answer: 'Express shipping takes 1 to 2 business days and costs $14.99.',
      citations: ['shipping-options.md#express-shipping'],
      handoff: false,
    });
  });

  it('re-asks when an answer cites a source the run never retrieved', async () => {
    const model = scriptedConversation([
      { toolCalls: [{ name: 'search_knowledge_base', arguments: { query: 'reset password' } }] },
      answer('Select Forgot password on the sign-in page and enter your email address.', ['made-up.md#nothing']),
      answer('Select Forgot password on the sign-in page and enter your email address.', []),
      { text: JSON.stringify({ answer: 'I cannot reset your password myself: I am handing this to a colleague.', citations: [], handoff: true }) },
    ]);
    const { agent } = await desk({ model });
    const result = await agent.run('How do I reset my password?');
    const citations = result.checks.filter((c) => c.check === 'citations');
    expect(citations.map((c) => c.verdict.pass)).toEqual([false, false, true]);
    expect(citations[0].verdict.reason).toContain('made-up.md#nothing');
    expect(result.output?.handoff).toBe(true);
  });

  it('serves a repeated FAQ question from the semantic cache, never an order question', async () => {
    const model = scriptedConversation([
      { toolCalls: [{ name: 'search_knowledge_base', arguments: { query: 'change shipping address' } }] },
      answer('You can change the shipping address while the order is still processing.', ['shipping-address.md#changing-a-shipping-address']),
    ]);
    const { agent } = await desk({ model });
    const question = 'Can I change my shipping address after ordering?';
    const first = await agent.run(question);
    expect(model.conversationCalls()).toBe(2);
    const second = await agent.run(question);
    // No new model call: both steps came from the cache, and the tool still ran on live data.
    expect(model.conversationCalls()).toBe(2);
    expect(second.output).toEqual(first.output);
    expect(second.cost.totalUsd).toBe(0);
    expect(second.steps[0].toolResults[0].name).toBe('search_knowledge_base');

    const orderModel = scriptedConversation([
      { toolCalls: [{ name: 'crm_lookup', arguments: { order_id: 1042 } }] },
      answer('Your order 1042 is with UPS, estimated delivery 2026-11-24.', ['crm:order:1042']),
      { toolCalls: [{ name: 'crm_lookup', arguments: { order_id: 1042 } }] },
      answer('Your order 1042 is with UPS, estimated delivery 2026-11-24.', ['crm:order:1042']),
    ]);
    const orders = await desk({ model: orderModel });
    await orders.agent.run('Where is my order 1042?');
    await orders.agent.run('Where is my order 1042?');
    expect(orderModel.conversationCalls()).toBe(4);
  });

  it('stops a session that has spent its budget, and only that session', async () => {
    // Each answer reports 60k output tokens (~$0.036 at the scripted price): under the run budget, and the session's $0.25 runs out after a few.
    const padded = (request: { responseFormat?: { type: string; name?: string } }): ScriptedReply =>
      request.responseFormat?.type === 'json_schema' && request.responseFormat.name === 'verdict'
        ? { text: JSON.stringify({ reason: 'addresses it', verdict: 'yes' }) }
        : { text: JSON.stringify({ answer: 'I am handing you over to a colleague.', citations: [], handoff: true }), usage: { outputTokens: 60_000 } };
    const { agent } = await desk({ model: scriptedModel({ replies: padded }) });
    const stops: string[] = [];
    let spent = 0;
    for (let i = 0; i < 12 && !stops.includes('max_cost'); i++) {
      const result = await agent.run('Please hand me over', { session: 'budget-test' });
      stops.push(result.stopReason);
      spent += result.cost.totalUsd;
      if (result.stopReason === 'max_cost') expect(result.stopDetail).toMatch(/Budget session:budget-test:total:all exceeded/);
    }
    expect(stops.at(-1)).toBe('max_cost');
    expect(stops.slice(0, -1).every((s) => s === 'completed')).toBe(true);
    // Settled after each call: the session overshoots by at most the one call that crossed the line.
    expect(spent).toBeLessThan(0.25 + 0.05);
    const other = await agent.run('Please hand me over', { session: 'another-customer' });
    expect(other.stopReason).toBe('completed');
  });
});
