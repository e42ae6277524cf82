import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineAgent, defineTool } from '../src/agent/index.js';
import { defineCheck, relevanceCheck } from '../src/checks/index.js';
import { unwrapUntrusted } from '../src/security/index.js';
import { scriptedModel } from '../src/model/providers/scripted/provider.js';

/** A check that passes only answers citing the order id the tool returned. */
const citesOrder = (onFail: 'reask' | 'fix' | 'block' | 'warn', maxReasks = 1) =>
  defineCheck({
    name: 'cites-order',
    stage: 'answer',
    onFail,
    maxReasks,
    run: ({ answer, documents }) => {
      const ids = documents.map((d) => /order (\w+)/.exec(d.text)?.[1]).filter(Boolean) as string[];
      const ok = ids.some((id) => answer.text.includes(id));
      return { pass: ok, reason: ok ? 'cites the order' : `the answer does not cite the order (${ids.join(', ')})` };
    },
    fix: ({ documents }) => ({ text: `See ${documents[0].text}.` }),
  });

const orders = defineTool({ name: 'orders', description: 'o', input: z.object({}), execute: () => 'order Z9 shipped' });

function agentWith(onFail: 'reask' | 'fix' | 'block' | 'warn', answers: string[], maxReasks = 1) {
  const model = scriptedModel({ replies: [{ toolCalls: [{ name: 'orders' }] }, ...answers.map((text) => ({ text }))] });
  return { model, agent: defineAgent({ model, tools: [orders], checks: [citesOrder(onFail, maxReasks)] }) };
}

describe('checks in the run loop', () => {
  it('reask feeds the failed verdict back (Reflexion-style) and accepts the revised answer', async () => {
    const { agent, model } = agentWith('reask', ['It shipped.', 'Order Z9 shipped.']);
    const result = await agent.run('where is my order?');
    expect(result.stopReason).toBe('completed');
    expect(result.output).toBe('Order Z9 shipped.');
    expect(String(model.requests[2].messages.at(-1)?.content)).toContain('failed the check "cites-order": the answer does not cite the order (Z9)');
    expect(result.checks.map((c) => c.action)).toEqual(['reask', 'none']);
  });

  it('reask is bounded by maxReasks; past it the failure blocks', async () => {
    const { agent } = agentWith('reask', ['It shipped.', 'Still shipped.'], 1);
    const result = await agent.run('where is my order?');
    expect(result.stopReason).toBe('check_failed');
    expect(result.stopDetail).toContain('after 1 re-asks');
    expect(result.error?.code).toBe('CHECK_FAILED');
  });

  it('fix replaces the answer, block stops, warn records and goes on', async () => {
    const fixed = await agentWith('fix', ['It shipped.']).agent.run('q');
    expect(fixed).toMatchObject({ stopReason: 'completed', output: 'See order Z9 shipped.' });

    const blocked = await agentWith('block', ['It shipped.']).agent.run('q');
    expect(blocked.stopReason).toBe('check_failed');
    expect(blocked.output).toBeUndefined();
    expect(blocked.text).toBe('It shipped.');

    const warned = await agentWith('warn', ['It shipped.']).agent.run('q');
    expect(warned).toMatchObject({ stopReason: 'completed', output: 'It shipped.' });
    expect(warned.checks[0]).toMatchObject({ check: 'cites-order', action: 'warn', verdict: { pass: false } });
  });

  it('tool-result checks see each result before the model does, and a final check runs on the accepted answer', async () => {
    const redact = defineCheck({
      name: 'no-secrets',
      stage: 'tool-result',
      onFail: 'fix',
      run: ({ toolResult }) => ({ pass: !toolResult!.text.includes('sk-'), reason: 'a key leaked' }),
      fix: ({ toolResult }) => ({ text: toolResult!.text.replace(/sk-\w+/g, '[key]') }),
    });
    const seen: string[] = [];
    const final = defineCheck({
      name: 'final-len',
      stage: 'final',
      onFail: 'warn',
      run: ({ answer }) => (seen.push(answer.text), { pass: true, reason: 'ok' }),
    });
    const leaky = defineTool({ name: 'config', description: 'c', input: z.object({}), execute: () => 'key=sk-abc123' });
    const model = scriptedModel({ replies: [{ toolCalls: [{ name: 'config' }] }, { text: 'configured' }] });
    const result = await defineAgent({ model, tools: [leaky], checks: [redact, final] }).run('show config');
    // The model gets the fixed text, marked as untrusted tool output.
    const toolMessage = model.requests[1].messages.at(-1)!;
    expect(toolMessage.role).toBe('tool');
    expect(String(toolMessage.content)).toMatch(/^<untrusted-content id="[0-9a-f]{12}" source="tool config">/);
    expect(unwrapUntrusted(String(toolMessage.content))).toBe('key=[key]');
    expect(seen).toEqual(['configured']);
    expect(result.checks.map((c) => [c.check, c.action])).toEqual([
      ['no-secrets', 'fix'],
      ['final-len', 'none'],
    ]);
  });
});

describe('the question checks judge against', () => {
  it("stays the user's input after a re-ask, so relevance judges the revised answer against the question, not the re-ask", async () => {
    const questions: string[] = [];
    const judgePrompts: string[] = [];
    const asksForDetail = defineCheck({
      name: 'detail',
      stage: 'answer',
      onFail: 'reask',
      run: ({ answer, question }) => (questions.push(question), { pass: answer.text.includes('Z9'), reason: 'name the order' }),
    });
    const model = scriptedModel({
      replies: (request) => {
        if (request.responseFormat?.type === 'json_schema' && request.responseFormat.name === 'verdict') {
          judgePrompts.push(String(request.messages[1].content));
          return { text: JSON.stringify({ reason: 'answers it', verdict: 'yes' }) };
        }
        return {
          text: request.messages.some((m) => m.role === 'user' && String(m.content).includes('failed the check')) ? 'Order Z9 shipped.' : 'It shipped.',
        };
      },
    });
    const result = await defineAgent({ model, checks: [asksForDetail, relevanceCheck()] }).run('where is my order?');
    expect(result.stopReason).toBe('completed');
    expect(questions).toEqual(['where is my order?', 'where is my order?']);
    expect(judgePrompts).toHaveLength(1);
    expect(judgePrompts[0]).toContain('Question:\nwhere is my order?\n');
    expect(judgePrompts[0]).not.toContain('failed the check');
  });

  it("is the last user message of the run's input when the input is a conversation", async () => {
    let seen = '';
    const check = defineCheck({ name: 'q', stage: 'answer', onFail: 'warn', run: ({ question }) => ((seen = question), { pass: true, reason: 'ok' }) });
    const model = scriptedModel({ replies: [{ text: 'Hello Ann.' }] });
    await defineAgent({ model, checks: [check] }).run([
      { role: 'user', content: 'I am Ann.' },
      { role: 'assistant', content: 'Hi!' },
      { role: 'user', content: 'What is my name?' },
    ]);
    expect(seen).toBe('What is my name?');
  });
});
