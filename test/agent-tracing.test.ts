import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineAgent, defineTool } from '../src/agent/index.js';
import { scriptedModel } from '../src/model/providers/scripted/provider.js';
import { openStore } from '../src/store/db.js';
import { sqlTraceRepository } from '../src/store/traces.js';
import { ATTR, EVENTS } from '../src/trace/attributes.js';
import { createStoreTracer } from '../src/trace/store-tracer.js';

const store = await openStore({ url: ':memory:' });
afterAll(() => store.close());

describe('tracing', () => {
  it('writes run, step, model and tool spans with the decision record, enough to replay the run', async () => {
    const repository = sqlTraceRepository(store);
    const tracer = createStoreTracer({ repository, redact: false });
    const kb = defineTool({
      name: 'kb_search',
      description: 'Searches the help center',
      input: z.object({ q: z.string() }),
      execute: ({ q }) => `Article 12: to reset a password (${q}), use the link.`,
    });
    const model = scriptedModel({
      replies: [
        {
          text: 'I will search the help center first.',
          toolCalls: [{ name: 'kb_search', arguments: { q: 'reset password' } }],
          usage: { inputTokens: 50, outputTokens: 10 },
        },
        { text: 'Use the reset link (article 12).', usage: { inputTokens: 80, outputTokens: 12 } },
      ],
    });
    const agent = defineAgent({ name: 'support', model, modelName: 'scripted-1', tools: [kb], tracer });
    const result = await agent.run('How do I reset my password?', { runId: 'trace-run-1' });
    await tracer.close();

    const trace = await repository.get('trace-run-1');
    expect(trace).toBeDefined();
    const spans = trace!.spans;
    const byKind = (kind: string) => spans.filter((s) => s.kind === kind);
    expect(byKind('run')).toHaveLength(1);
    expect(byKind('step')).toHaveLength(2);
    expect(byKind('model')).toHaveLength(2);
    expect(byKind('tool')).toHaveLength(1);

    const run = byKind('run')[0].attributes;
    expect(run).toMatchObject({ [ATTR.STOP_REASON]: 'completed', [ATTR.RUN_STEPS]: 2, [ATTR.INPUT_TOKENS]: 130, [ATTR.RUN_OUTPUT]: result.output });

    const [first, second] = byKind('model').sort((a, b) => a.startedAt - b.startedAt);
    expect(first.attributes).toMatchObject({
      [ATTR.REQUEST_MODEL]: 'scripted-1',
      [ATTR.INPUT_TOKENS]: 50,
      [ATTR.DECISION_TOOLS]: [{ name: 'kb_search', description: 'Searches the help center' }],
      [ATTR.DECISION_CHOICE]: { type: 'tool_calls', toolCalls: [{ name: 'kb_search', arguments: '{"q":"reset password"}' }] },
      [ATTR.DECISION_RATIONALE]: 'I will search the help center first.',
    });
    expect(second.attributes[ATTR.DECISION_CHOICE]).toEqual({ type: 'answer', text: 'Use the reset link (article 12).' });
    expect(second.attributes[ATTR.DECISION_SOURCES]).toEqual([{ kind: 'tool_result', id: 'call_0_0', title: 'kb_search' }]);
    // The policy for untrusted content (a system message), the question, the tool call and its result.
    expect((second.attributes[ATTR.DECISION_MESSAGES] as unknown[]).length).toBe(4);

    const tool = byKind('tool')[0];
    expect(tool.attributes).toMatchObject({ [ATTR.TOOL_NAME]: 'kb_search', [ATTR.TOOL_INPUT]: { q: 'reset password' }, [ATTR.TOOL_IS_ERROR]: false });
    expect(String(tool.attributes[ATTR.TOOL_OUTPUT])).toContain('Article 12');
    // Every span belongs to the run's tree.
    const ids = new Set(spans.map((s) => s.id));
    expect(spans.filter((s) => s.parentId !== null).every((s) => ids.has(s.parentId!))).toBe(true);
  });

  it('records limit and loop events on the run span', async () => {
    const repository = sqlTraceRepository(store);
    const tracer = createStoreTracer({ repository, redact: false });
    const same = defineTool({ name: 'same', description: 's', input: z.object({}), execute: () => 'same' });
    const agent = defineAgent({
      model: scriptedModel({ replies: () => ({ toolCalls: [{ name: 'same' }] }) }),
      tools: [same],
      tracer,
      limits: { answerOnLimit: false },
    });
    await agent.run('x', { runId: 'trace-run-2' });
    await tracer.close();
    const run = (await repository.get('trace-run-2'))!.spans.find((s) => s.kind === 'run')!;
    const loops = run.events.filter((e) => e.name === EVENTS.LOOP);
    expect(loops.map((e) => e.attributes?.[ATTR.LOOP_ACTION])).toEqual(['warn', 'stop']);
    expect(loops[0].attributes?.[ATTR.LOOP_PATTERN]).toBe('repeat');
    expect(run.attributes[ATTR.STOP_REASON]).toBe('loop_detected');
  });
});
