import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineTool, type AgentOptions } from '../src/agent/index.js';
import { scriptedModel } from '../src/model/index.js';
import { openStore, sqlTraceRepository, type SqlStore, type TraceRepository } from '../src/store/index.js';
import { loadRecording, replayRun, type Recording } from '../src/eval/index.js';
import { createStoreTracer } from '../src/trace/index.js';
import { defineAgent } from '../src/agent/index.js';

const executions: string[] = [];
const crmLookup = defineTool({
  name: 'crm_lookup',
  description: 'Look up an order in the CRM',
  input: z.object({ order: z.number() }),
  execute: ({ order }) => {
    executions.push(`crm_lookup ${order}`);
    return { order, status: 'shipped' };
  },
});
const kbSearch = defineTool({
  name: 'kb_search',
  description: 'Search the help center',
  input: z.object({ query: z.string() }),
  execute: ({ query }) => {
    executions.push(`kb_search ${query}`);
    return `articles about ${query}`;
  },
});

const options = (over: Partial<AgentOptions<unknown>> = {}): AgentOptions<unknown> => ({
  name: 'support',
  instructions: 'You answer order questions. Look orders up before answering.',
  model: scriptedModel({ replies: [] }),
  modelName: 'scripted:support',
  tools: [crmLookup, kbSearch],
  ...over,
});

let store: SqlStore;
let repository: TraceRepository;
let recording: Recording;

beforeAll(async () => {
  store = await openStore({ url: ':memory:' });
  repository = sqlTraceRepository(store);
  const tracer = createStoreTracer({ repository, redact: false });
  const agent = defineAgent(
    options({
      model: scriptedModel({
        replies: [{ text: 'Let me look that up.', toolCalls: [{ name: 'crm_lookup', arguments: { order: 42 } }] }, { text: 'Order 42 has shipped.' }],
      }),
      tracer,
    }),
  );
  const result = await agent.run('Where is order 42?', { runId: 'run-recorded' });
  expect(result.stopReason).toBe('completed');
  await tracer.close();
  recording = await loadRecording({ repository, runId: 'run-recorded' });
  executions.length = 0;
});

afterAll(async () => {
  await store.close();
});

describe('replay', () => {
  it('reads the recording: input, decisions and tool results', () => {
    expect(recording.input).toEqual([{ role: 'user', content: 'Where is order 42?' }]);
    expect(recording.modelCalls.map((c) => c.choice.type)).toEqual(['tool_calls', 'answer']);
    expect(recording.toolCalls).toMatchObject([
      { step: 1, name: 'crm_lookup', input: { order: 42 }, output: '{"order":42,"status":"shipped"}', isError: false },
    ]);
    expect(recording.stopReason).toBe('completed');
  });

  it('re-executes the same agent deterministically from the store, without running a tool', async () => {
    const replay = await replayRun({ runId: 'run-recorded', repository, agent: options() });
    expect(replay.divergence).toBeUndefined();
    expect(replay.matched).toBe(true);
    expect(replay.result.output).toBe('Order 42 has shipped.');
    expect(replay.result.steps).toHaveLength(2);
    expect(executions).toEqual([]);
  });

  it('catches a changed tool choice and says what differs', async () => {
    // The changed agent's model (a new prompt, a new model) now searches the help center instead.
    const changed = scriptedModel({
      replies: [{ toolCalls: [{ name: 'kb_search', arguments: { query: 'order 42' } }] }, { text: 'See our shipping article.' }],
    });
    const replay = await replayRun({ recording, agent: options({ instructions: 'Search the help center first.' }), model: changed });
    expect(replay.matched).toBe(false);
    expect(replay.divergence).toMatchObject({ step: 1, kind: 'tool' });
    expect(replay.divergence!.detail).toBe('different tool: expected crm_lookup, got kb_search');
    expect(executions).toEqual([]);
  });

  it('catches changed arguments', async () => {
    const changed = scriptedModel({ replies: [{ toolCalls: [{ name: 'crm_lookup', arguments: { order: 24 } }] }, { text: 'Order 24 has shipped.' }] });
    const replay = await replayRun({ recording, agent: options(), model: changed });
    expect(replay.divergence).toMatchObject({ step: 1, kind: 'arguments', expected: '{"order":42}', actual: '{"order":24}' });
  });

  it('passes when a live model makes the same choices (argument key order does not matter)', async () => {
    const same = scriptedModel({ replies: [{ toolCalls: [{ name: 'crm_lookup', arguments: '{ "order": 42 }' }] }, { text: 'Order 42 has shipped.' }] });
    const replay = await replayRun({ recording, agent: options(), model: same });
    expect(replay.divergence).toBeUndefined();
  });

  it('reports a model request that no longer matches: new instructions, a removed tool', async () => {
    const instructions = await replayRun({ recording, agent: options({ instructions: 'Be terse.' }) });
    expect(instructions.divergence).toMatchObject({ step: 1, kind: 'request' });
    expect(instructions.divergence!.detail).toContain('message 0 (system) differs');

    const tools = await replayRun({ recording, agent: options({ tools: [crmLookup] }) });
    expect(tools.divergence).toMatchObject({ step: 1, kind: 'request' });
    expect(tools.divergence!.detail).toContain('removed kb_search');
  });

  it('reports a tool that no longer runs because its new schema rejects the recorded input', async () => {
    const strict = defineTool({ name: 'crm_lookup', description: crmLookup.description, input: z.object({ order: z.string() }), execute: () => 'never' });
    const replay = await replayRun({ recording, agent: options({ tools: [strict, kbSearch] }) });
    // The new schema rejects {order: 42}: the agent asks the model to repair instead of running the tool.
    expect(replay.divergence).toMatchObject({ step: 1, kind: 'tool' });
    expect(replay.divergence!.detail).toBe('different tool executions: the recording ran crm_lookup, the replay ran none');
  });

  it('reports a run that now stops earlier', async () => {
    const replay = await replayRun({ recording, agent: options({ limits: { maxSteps: 1, answerOnLimit: false } }) });
    expect(replay.divergence?.kind).toBe('stop');
    expect(replay.divergence!.detail).toContain('max_steps');
  });

  it('says clearly when there is nothing to replay', async () => {
    await expect(replayRun({ runId: 'no-such-run', repository, agent: options() })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(replayRun({ agent: options() })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });
});
