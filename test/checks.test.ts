import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineAgent, defineTool } from '../src/agent/index.js';
import {
  citationCheck,
  codeCheck,
  groundednessCheck,
  jsonCheck,
  lengthCheck,
  predicateCheck,
  regexCheck,
  relevanceCheck,
  schemaCheck,
  type Check,
} from '../src/checks/index.js';
import { scriptedModel, type ScriptedReply } from '../src/model/providers/scripted/provider.js';
import type { ModelRequest } from '../src/model/types.js';
import { createMemoryTracer } from '../src/trace/index.js';

const passages = [
  { id: 'kb-refunds', text: 'Acme refunds orders within 30 days of delivery. Refunds go back to the original card.' },
  { id: 'kb-shipping', text: 'Standard shipping takes 3 to 5 business days.' },
];
const kb = defineTool({
  name: 'search_kb',
  description: 'Searches the help center',
  input: z.object({ query: z.string() }),
  execute: () => passages,
  documents: (output) => output,
});

const isJudgeCall = (request: ModelRequest) => request.responseFormat?.type === 'json_schema' && request.responseFormat.name === 'verdict';

/**
 * An agent on the scripted model: it searches the help center, then answers with each of
 * `answers` in turn (one per re-ask). Judge calls get `judge` replies in turn.
 */
function agentWith(checks: Check[], answers: string[], judge: ScriptedReply[] = [], tracer?: ReturnType<typeof createMemoryTracer>) {
  let answered = 0;
  let judged = 0;
  const model = scriptedModel({
    replies: (request) => {
      if (isJudgeCall(request)) return judge[judged++] ?? { text: 'no more judge replies' };
      if (!request.messages.some((m) => m.role === 'tool')) return { toolCalls: [{ name: 'search_kb', arguments: { query: 'refunds' } }] };
      return { text: answers[Math.min(answered++, answers.length - 1)] };
    },
  });
  return { model, agent: defineAgent({ model, tools: [kb], checks, tracer }) };
}
const verdict = (v: 'yes' | 'no', reason: string): ScriptedReply => ({ text: JSON.stringify({ reason, verdict: v }) });
const answerRequests = (requests: ModelRequest[]) => requests.filter((r) => !isJudgeCall(r));

describe('each check in an agent run', () => {
  it('groundedness: an invented number is caught locally and re-asked; the grounded answer passes', async () => {
    const { agent, model } = agentWith([groundednessCheck()], ['You have 45 days.', 'You have 30 days from delivery.']);
    const result = await agent.run('How long do I have to get a refund?');
    expect(result).toMatchObject({ stopReason: 'completed', output: 'You have 30 days from delivery.' });
    expect(result.checks.map((c) => [c.verdict.pass, c.action])).toEqual([
      [false, 'reask'],
      [true, 'none'],
    ]);
    expect(result.checks[0].verdict.reason).toContain('45');
    expect(model.requests.filter(isJudgeCall)).toHaveLength(0);
    // The failed verdict's reason went back to the model.
    expect(String(answerRequests(model.requests)[2].messages.at(-1)?.content)).toContain('numbers not in the documents: 45');
  });

  it('groundedness: an unclear case goes to the judge, whose "no" blocks the run', async () => {
    const { agent, model } = agentWith([groundednessCheck({ onFail: 'block' })], ['Refunds are usually quick.'], [verdict('no', '"quick" is not stated')]);
    const result = await agent.run('How long do I have to get a refund?');
    expect(result).toMatchObject({ stopReason: 'check_failed', error: { code: 'CHECK_FAILED' } });
    expect(result.checks[0].verdict).toMatchObject({ pass: false, reason: '"quick" is not stated', evidence: { settledBy: 'judge' } });
    const judgeCall = model.requests.find(isJudgeCall)!;
    expect(judgeCall.temperature).toBe(0);
    expect(String(judgeCall.messages[1].content)).toContain('<document id="kb-refunds">');
  });

  it('groundedness: a judge that never gives a valid verdict is unknown, which fails (warned here), never a pass', async () => {
    const { agent } = agentWith([groundednessCheck({ onFail: 'warn' })], ['Refunds are usually quick.'], [{ text: 'hmm' }, { text: 'hmm' }, { text: 'hmm' }]);
    const result = await agent.run('How long do I have to get a refund?');
    expect(result.stopReason).toBe('completed');
    expect(result.checks[0]).toMatchObject({ action: 'warn', verdict: { pass: 'unknown' } });
  });

  it('relevance: the judge votes (majority of 3), re-asks an off-topic answer', async () => {
    const judge = [
      verdict('no', 'about shipping'),
      verdict('no', 'about shipping'),
      verdict('yes', 'fine'),
      verdict('yes', 'refund window given'),
      verdict('yes', 'ok'),
      verdict('yes', 'ok'),
    ];
    const { agent } = agentWith(
      [relevanceCheck({ votes: 3 })],
      ['Shipping takes 3 to 5 business days.', 'Refunds are possible within 30 days of delivery.'],
      judge,
    );
    const result = await agent.run('How long do I have to get a refund?');
    expect(result).toMatchObject({ stopReason: 'completed', output: 'Refunds are possible within 30 days of delivery.' });
    expect(result.checks[0].verdict).toMatchObject({ pass: false, score: 1 / 3, reason: 'about shipping' });
    expect(result.checks[1].verdict).toMatchObject({ pass: true, score: 1 });
  });

  it('citations: a citation to a document the run never retrieved is re-asked', async () => {
    const { agent } = agentWith([citationCheck()], ['30 days [kb-returns].', '30 days of delivery [kb-refunds].']);
    const result = await agent.run('How long do I have to get a refund?');
    expect(result.output).toBe('30 days of delivery [kb-refunds].');
    expect(result.checks[0].verdict.reason).toContain('not retrieved in this run: kb-returns');
  });

  it('zod schema and JSON: a malformed answer is re-asked with the issues', async () => {
    const Answer = z.object({ days: z.number().int() });
    const { agent, model } = agentWith([jsonCheck(), schemaCheck({ schema: Answer })], ['{days: 30}', '{"days": "30"}', '{"days": 30}']);
    const result = await agent.run('How many days?');
    expect(result.output).toBe('{"days": 30}');
    expect(result.checks.map((c) => `${c.check}:${c.action}`)).toEqual(['json:reask', 'json:none', 'schema:reask', 'json:none', 'schema:none']);
    expect(String(answerRequests(model.requests)[3].messages.at(-1)?.content)).toMatch(/days: Invalid input: expected number/);
  });

  it('regex and length: fix replaces the answer; block stops', async () => {
    const fixing = regexCheck({ pattern: /\bT-\d+\b/, onFail: 'fix', fix: () => ({ text: 'Your ticket is T-000.' }) });
    const fixed = await agentWith([fixing], ['Your ticket is open.']).agent.run('ticket?');
    expect(fixed).toMatchObject({ stopReason: 'completed', output: 'Your ticket is T-000.' });

    const short = await agentWith(
      [lengthCheck({ max: 5, unit: 'words', onFail: 'block' })],
      ['Refunds are possible within thirty days of delivery.'],
    ).agent.run('q');
    expect(short.stopReason).toBe('check_failed');
    expect(short.stopDetail).toContain('it must have at most 5');
  });

  it('custom predicate: re-asks are bounded by maxReasks, then the run is blocked', async () => {
    const polite = predicateCheck({ name: 'polite', test: (a) => /please|thank/i.test(a.text) || 'say please or thank you', maxReasks: 2 });
    const { agent, model } = agentWith([polite], ['No.']);
    const result = await agent.run('q');
    expect(result.stopReason).toBe('check_failed');
    expect(result.stopDetail).toContain('after 2 re-asks');
    expect(answerRequests(model.requests)).toHaveLength(4);
  });

  it("code: the answer's code runs in the sandbox with its unit tests; failing tests re-ask with the failures", async () => {
    const tests = "test('adds', () => expect(add(2, 3)).toBe(5)); test('negatives', () => expect(add(-1, -1)).toBe(-2));";
    const check = codeCheck({ language: 'typescript', tests, limits: { cpuTimeMs: 1000 } });
    const wrong = 'Here:\n```ts\nfunction add(a: number, b: number) { return a - b; }\n```';
    const right = 'Fixed:\n```ts\nfunction add(a: number, b: number): number { return a + b; }\n```';
    const { agent, model } = agentWith([check], [wrong, right]);
    const result = await agent.run('write add()');
    expect(result).toMatchObject({ stopReason: 'completed', output: right });
    expect(result.checks[0].verdict).toMatchObject({ pass: false, score: 0 });
    expect(String(answerRequests(model.requests)[2].messages.at(-1)?.content)).toContain('"adds" (AssertionError: expected -1 to be 5)');
    expect(result.checks[1].verdict).toMatchObject({ pass: true, score: 1 });
  });

  it('checks show up as spans in the trace', async () => {
    const tracer = createMemoryTracer();
    const { agent } = agentWith([citationCheck({ onFail: 'warn' })], ['30 days.'], [], tracer);
    await agent.run('q');
    const span = tracer.spans.find((s) => s.kind === 'check');
    expect(span).toMatchObject({ name: 'check citations' });
    expect(JSON.stringify(span?.attributes)).toContain('must cite at least 1 source');
  });
});
