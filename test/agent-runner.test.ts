/**
 * The runner's promises that the first version broke (issue: agent runtime v2, correctness 1-9, 13,
 * input guardrails). Each test failed on the old run loop.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineAgent, defineTool, memorySessionStore } from '../src/agent/index.js';
import { defineCheck } from '../src/checks/define-check.js';
import { relevanceCheck } from '../src/checks/graders/relevance.js';
import type { ModelRequest, ModelResponse } from '../src/model/types.js';
import type { Middleware } from '../src/pipeline/middleware.js';
import { scriptedModel, type ScriptedReply } from '../src/model/providers/scripted/provider.js';
import { preloadTokenizer } from '../src/model/tokens.js';
import { ATTR } from '../src/trace/attributes.js';
import { createMemoryTracer } from '../src/trace/memory-tracer.js';

const isJudgeCall = (request: ModelRequest) => request.responseFormat?.type === 'json_schema' && request.responseFormat.name === 'verdict';
const verdict = (v: 'yes' | 'no', reason: string): ScriptedReply => ({ text: JSON.stringify({ reason, verdict: v }) });

const search = defineTool({
  name: 'search',
  description: 'Searches',
  input: z.object({ q: z.string() }),
  idempotent: true,
  execute: ({ q }) => `results for ${q}`,
});

/** Keeps searching with new queries until told to answer now. */
const searcher = (options: { pricing?: { inputUsdPerMillion: number; outputUsdPerMillion: number }; usage?: ScriptedReply['usage'] } = {}) =>
  scriptedModel({
    ...(options.pricing ? { pricing: options.pricing } : {}),
    replies: (request, index) =>
      request.toolChoice === 'none'
        ? { text: 'Best answer so far.', usage: options.usage }
        : { toolCalls: [{ name: 'search', arguments: { q: `query ${index}` } }], usage: options.usage },
  });

describe('the answer given at a limit (1)', () => {
  it('goes through the answer and final checks: a blocking check withholds it', async () => {
    const noGuessing = defineCheck({
      name: 'no-guessing',
      stage: 'final',
      onFail: 'block',
      run: ({ answer }) => ({ pass: !answer.text.includes('Best answer'), reason: 'a guess' }),
    });
    const agent = defineAgent({ model: searcher(), tools: [search], checks: [noGuessing], limits: { maxSteps: 2 } });
    const result = await agent.run('research');
    expect(result.stopReason).toBe('max_steps');
    expect(result.checks).toHaveLength(1);
    expect(result.checks[0]).toMatchObject({ check: 'no-guessing', action: 'block', verdict: { pass: false } });
    expect(result.output).toBeUndefined();
    expect(result.error?.code).toBe('CHECK_FAILED');
    expect(result.stopDetail).toContain('withheld');
  });

  it('is returned when the checks pass', async () => {
    const fine = defineCheck({ name: 'fine', stage: 'answer', onFail: 'reask', run: () => ({ pass: true, reason: 'ok' }) });
    const result = await defineAgent({ model: searcher(), tools: [search], checks: [fine], limits: { maxSteps: 2 } }).run('research');
    expect(result).toMatchObject({ stopReason: 'max_steps', output: 'Best answer so far.' });
    expect(result.checks.map((c) => c.check)).toEqual(['fine']);
  });
});

describe('judge calls are calls of the run (2)', () => {
  it('carry the run metadata, count in its cost, are traced under their check, and are refused past maxCostUsd', async () => {
    const pricing = { inputUsdPerMillion: 100, outputUsdPerMillion: 100 };
    const model = scriptedModel({
      pricing,
      replies: (request) =>
        isJudgeCall(request)
          ? { ...verdict('yes', 'on topic'), usage: { inputTokens: 100, outputTokens: 100 } }
          : { text: 'Refunds take 5 days.', usage: { inputTokens: 100, outputTokens: 100 } },
    });
    const tracer = createMemoryTracer();
    const agent = defineAgent({ model, tracer, sessions: memorySessionStore(), checks: [relevanceCheck({ onFail: 'block' })], request: { maxTokens: 200 } });
    const result = await agent.run('How long do refunds take?', { session: 's-1', metadata: { tenant: 'acme' } });
    expect(result.stopReason).toBe('completed');
    const judge = model.requests.find(isJudgeCall)!;
    expect(judge.metadata).toMatchObject({ run: result.runId, session: 's-1', tenant: 'acme' });
    // Two calls of $0.02 each: the agent's and the judge's.
    expect(result.cost.totalUsd).toBeCloseTo(0.04);
    const checkSpan = tracer.spans.find((s) => s.kind === 'check')!;
    const judgeSpan = tracer.spans.find((s) => s.kind === 'model' && s.parentId === checkSpan.id);
    expect(judgeSpan?.attributes[ATTR.COST_USD]).toBeCloseTo(0.02);

    // With room for the agent's call only, the judge's call is refused before it is made.
    const tight = defineAgent({ model, checks: [relevanceCheck({ onFail: 'block' })], request: { maxTokens: 200 }, limits: { maxCostUsd: 0.06 } });
    const before = model.requests.length;
    const refused = await tight.run('How long do refunds take?');
    expect(refused.stopReason).toBe('max_cost');
    expect(model.requests.slice(before).filter(isJudgeCall)).toHaveLength(0);
    expect(refused.cost.totalUsd).toBeLessThanOrEqual(0.06);
  });

  it('a check streaming from the run’s model sees the run’s own stop reason when the run times out', async () => {
    let seen: unknown;
    const streaming = defineCheck({
      name: 'streaming-judge',
      stage: 'answer',
      onFail: 'block',
      run: async ({ model, modelName, signal }) => {
        try {
          for await (const event of model.stream({ model: modelName, messages: [{ role: 'user', content: 'judge' }] }, { signal })) void event;
        } catch (error) {
          seen = error;
          throw error;
        }
        return { pass: true, reason: 'ok' };
      },
    });
    const model = scriptedModel({ replies: [{ text: 'An answer.' }, { hang: true }] });
    const result = await defineAgent({ model, checks: [streaming], limits: { timeoutMs: 300 } }).run('question');
    expect(result.stopReason).toBe('timeout');
    expect(seen).toMatchObject({ code: 'TIMEOUT' });
  });
});

describe('maxCostUsd is a reservation, not an afterthought (3, 5)', () => {
  it('refuses a single call that could cost more than the limit before making it', async () => {
    // $0.21 a call ($1000/M, 210 tokens) under a $0.05 limit: the old loop made the call and completed.
    const model = scriptedModel({
      pricing: { inputUsdPerMillion: 1_000, outputUsdPerMillion: 1_000 },
      replies: [{ text: 'Expensive.', usage: { inputTokens: 10, outputTokens: 200 } }],
    });
    const result = await defineAgent({ model, request: { maxTokens: 200 }, limits: { maxCostUsd: 0.05 } }).run('q');
    expect(result.stopReason).toBe('max_cost');
    expect(model.requests).toHaveLength(0);
    expect(result.cost.totalUsd).toBe(0);
    expect(result.error?.code).toBe('BUDGET_EXCEEDED');
  });

  it('a multi-step run never spends past the limit', async () => {
    const model = searcher({ pricing: { inputUsdPerMillion: 100, outputUsdPerMillion: 100 }, usage: { inputTokens: 100, outputTokens: 100 } });
    const result = await defineAgent({ model, tools: [search], request: { maxTokens: 100 }, limits: { maxCostUsd: 0.05, maxSteps: 100 } }).run('research');
    expect(result.stopReason).toBe('max_cost');
    expect(result.cost.totalUsd).toBeLessThanOrEqual(0.05);
  });

  it('a shared budget refusing a call stops the run as max_cost with the budget in the detail', async () => {
    const { createPipeline } = await import('../src/pipeline/create-pipeline.js');
    const { budgetMiddleware } = await import('../src/security/budget-middleware.js');
    const { createMemoryBudgetLedger } = await import('../src/security/budget-ledger.js');
    const model = scriptedModel({ replies: [{ text: 'Hi.' }] });
    const pipeline = createPipeline({
      terminal: { generate: (r) => model.generate(r), stream: (r) => model.stream(r), embed: () => Promise.reject(new Error('no')) },
      budget: budgetMiddleware({ ledger: createMemoryBudgetLedger(), budgets: [{ scope: 'session', window: 'total', limitUsd: 0.5 }] }),
      // $1000/M: the call's reservation (its prompt and 4,096 tokens of output) is over the session's $0.5.
      prices: { x: { input: 1_000, output: 1_000 } },
    });
    const result = await defineAgent({ model: pipeline, modelName: 'scripted:x', sessions: memorySessionStore(), limits: { maxCostUsd: 10 } }).run('q', {
      session: 'broke',
    });
    expect(result.stopReason).toBe('max_cost');
    expect(result.stopDetail).toContain('session:broke');
  });
});

describe('agent.stream() (6, 13)', () => {
  it('leaving the stream early aborts the run: no further model calls or tools', async () => {
    let toolRuns = 0;
    const counted = defineTool({ name: 'search', description: 's', input: z.object({ q: z.string() }), idempotent: true, execute: () => `run ${++toolRuns}` });
    const model = scriptedModel({
      replies: (_r, index) => (index < 6 ? { toolCalls: [{ name: 'search', arguments: { q: `q${index}` } }], delayMs: 5 } : { text: 'done' }),
    });
    const stream = defineAgent({ model, tools: [counted], loopDetector: false }).stream('go');
    for await (const event of stream) if (event.type === 'step-start') break;
    const result = await stream.result;
    expect(result.stopReason).toBe('aborted');
    expect(model.requests.length).toBeLessThanOrEqual(1);
    expect(toolRuns).toBe(0);
  });

  it('forwards tool-call argument deltas and reasoning deltas', async () => {
    const model = scriptedModel({
      chunkSize: 4,
      replies: [{ reasoning: 'Look it up.', toolCalls: [{ name: 'search', arguments: { q: 'refund policy' } }] }, { text: 'Found.' }],
    });
    const events = [];
    for await (const event of defineAgent({ model, tools: [search] }).stream('q')) events.push(event);
    const types = events.map((e) => e.type);
    expect(types).toContain('reasoning-delta');
    expect(events.find((e) => e.type === 'tool-call-start')).toMatchObject({ step: 1, index: 0, toolName: 'search' });
    const args = events.flatMap((e) => (e.type === 'tool-call-delta' ? [e.argumentsDelta] : [])).join('');
    expect(JSON.parse(args)).toEqual({ q: 'refund policy' });
    expect(types.indexOf('tool-call-start')).toBeLessThan(types.indexOf('tool-call'));
  });
});

describe('per-tool call limits (8)', () => {
  it('a call over the limit gets a tool error and the run goes on; the calls that fit run', async () => {
    let runs = 0;
    const limited = defineTool({
      name: 'lookup',
      description: 'l',
      input: z.object({ id: z.number() }),
      idempotent: true,
      execute: ({ id }) => `record ${id} (${++runs})`,
    });
    const model = scriptedModel({
      replies: [{ toolCalls: [1, 2, 3].map((id) => ({ name: 'lookup', arguments: { id } })) }, { text: 'Two of three found.' }],
    });
    const result = await defineAgent({ model, tools: [limited], limits: { maxCallsPerTool: 2 } }).run('find 1, 2 and 3');
    expect(result.stopReason).toBe('completed');
    expect(runs).toBe(2);
    const results = result.steps[0].toolResults;
    expect(results.filter((r) => !r.isError)).toHaveLength(2);
    expect(results[2]).toMatchObject({ isError: true });
    expect(results[2].content).toContain('limit reached for lookup');
  });
});

describe('summarize keeps headroom (9)', () => {
  it('one summary serves many turns', async () => {
    // Exact counts, as a process has once its tokenizer has loaded (until then counts are upper bounds).
    await preloadTokenizer();
    const isSummary = (r: ModelRequest) => r.messages[0]?.role === 'system' && String(r.messages[0].content).startsWith('Summarize');
    const model = scriptedModel({
      replies: (request) =>
        isSummary(request)
          ? { text: 'The user asked about several orders; all were found and shipped.' }
          : { text: 'Order found: it shipped yesterday by courier and should arrive within three working days.' },
    });
    const agent = defineAgent({ model, sessions: memorySessionStore(), context: { strategy: 'summarize', maxInputTokens: 600 } });
    for (let turn = 0; turn < 60; turn++)
      await agent.run(`Where is my order number ${1000 + turn}, placed last week with express shipping?`, { session: 'long' });
    const summaries = model.requests.filter(isSummary).length;
    const agentCalls = model.requests.length - summaries;
    expect(summaries).toBeGreaterThan(0);
    expect(summaries / agentCalls).toBeLessThanOrEqual(0.15);
  });
});

describe('input guardrails', () => {
  const noSecrets = defineCheck({
    name: 'no-card-numbers',
    stage: 'input',
    onFail: 'block',
    run: ({ answer }) => ({ pass: !/\b\d{16}\b/.test(answer.text), reason: 'the input holds a card number' }),
  });

  it('a failing block check aborts the first call in flight and stops before any tool runs', async () => {
    let toolRuns = 0;
    const tool = defineTool({ name: 'search', description: 's', input: z.object({ q: z.string() }), execute: () => `ran ${++toolRuns}` });
    let callSignal: AbortSignal | undefined;
    const model = scriptedModel({
      replies: (request) => ({ toolCalls: [{ name: 'search', arguments: { q: String(request.messages.at(-1)?.content) } }], delayMs: 5_000 }),
    });
    const slowModel = {
      ...model,
      name: 'slow',
      generate: (request: ModelRequest, options?: { signal?: AbortSignal }) => {
        callSignal = options?.signal;
        return model.generate(request, options);
      },
    };
    const started = performance.now();
    const result = await defineAgent({ model: slowModel, tools: [tool], checks: [noSecrets] }).run('my card is 4111111111111111');
    expect(result.stopReason).toBe('check_failed');
    expect(result.error?.code).toBe('CHECK_FAILED');
    expect(callSignal?.aborted).toBe(true);
    expect(toolRuns).toBe(0);
    // The 5 s call was cut, not waited for.
    expect(performance.now() - started).toBeLessThan(4_000);
  });

  it('a passing input check lets the run go on; input checks only block or warn', async () => {
    const model = scriptedModel({ replies: [{ text: 'Hello.' }] });
    const result = await defineAgent({ model, checks: [noSecrets] }).run('hello');
    expect(result.stopReason).toBe('completed');
    expect(result.checks.map((c) => [c.check, c.stage])).toEqual([['no-card-numbers', 'input']]);
    expect(() => defineCheck({ name: 'x', stage: 'input', onFail: 'reask', run: () => ({ pass: true, reason: '' }) })).toThrow(/blocks or warns/);
  });
});

describe('one tracing middleware for both fronts', () => {
  it('the agent’s model spans carry the target that answered and what a cache hit saved, as the gateway’s do', async () => {
    let stored: ModelResponse | undefined;
    // A cache stage in its documented place: the second identical call is served from memory, with its saving in meta.
    const memo: Middleware = {
      name: 'memo',
      async generate(request, context, next) {
        if (stored) return { ...stored, cost: { inputUsd: 0, outputUsd: 0, totalUsd: 0 }, meta: { ...stored.meta, cache: 'hit', savedUsd: 0.0042 } };
        stored = await next(request, context);
        return stored;
      },
      stream: (request, context, next) => next(request, context),
    };
    const tracer = createMemoryTracer();
    const agent = defineAgent({
      model: 'scripted:m',
      providers: { scripted: scriptedModel({ replies: [{ text: 'Order A1 shipped.' }] }) },
      tracer,
      middleware: [{ before: 'cache', use: memo }],
    });
    await agent.run('where is A1?');
    await agent.run('where is A1?');
    const spans = tracer.spans.filter((s) => s.kind === 'model');
    expect(spans).toHaveLength(2);
    expect(spans[0].attributes).toMatchObject({ [ATTR.TARGET]: 'scripted:m' });
    expect(spans[0].attributes[ATTR.CACHE_SAVED_USD]).toBeUndefined();
    expect(spans[1].attributes).toMatchObject({ [ATTR.TARGET]: 'scripted:m', [ATTR.CACHE_STATUS]: 'hit', [ATTR.CACHE_SAVED_USD]: 0.0042 });
  });
});
