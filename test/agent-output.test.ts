import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineAgent, defineTool } from '../src/agent/index.js';
import { scriptedModel } from '../src/model/providers/scripted/provider.js';

const Ticket = z.object({ priority: z.enum(['low', 'high']), summary: z.string().min(3) });

describe('structured output', () => {
  it('parses the answer into the schema and asks for JSON matching it', async () => {
    const model = scriptedModel({ replies: [{ text: '```json\n{"priority":"high","summary":"Login broken"}\n```' }] });
    const agent = defineAgent({ model, outputSchema: Ticket });
    const result = await agent.run('triage');
    expect(result.stopReason).toBe('completed');
    expect(result.output).toEqual({ priority: 'high', summary: 'Login broken' });
    expect(model.requests[0].responseFormat).toMatchObject({ type: 'json_schema', schema: { type: 'object', required: ['priority', 'summary'] } });
  });

  it('re-asks with the validation error, bounded, then fails with output_invalid', async () => {
    const model = scriptedModel({
      replies: [{ text: 'not json' }, { text: '{"priority":"urgent","summary":"x"}' }, { text: '{"priority":"low","summary":"Typo on page"}' }],
    });
    const agent = defineAgent({ model, outputSchema: Ticket });
    const fixed = await agent.run('triage');
    expect(fixed.stopReason).toBe('completed');
    expect(fixed.output).toEqual({ priority: 'low', summary: 'Typo on page' });
    expect(String(model.requests[1].messages.at(-1)?.content)).toContain('not valid JSON');
    expect(String(model.requests[2].messages.at(-1)?.content)).toMatch(/priority.*summary/s);

    const stubborn = defineAgent({
      model: scriptedModel({ replies: () => ({ text: '{"priority":"urgent"}' }) }),
      outputSchema: Ticket,
      repairs: { output: 1 },
    });
    const failed = await stubborn.run('triage');
    expect(failed.stopReason).toBe('output_invalid');
    expect(failed.output).toBeUndefined();
    expect(failed.error?.code).toBe('OUTPUT_INVALID');
    expect(failed.stopDetail).toContain('2 times (limit 1 repairs)');
  });

  it('repairs malformed tool-call JSON by re-asking, bounded', async () => {
    let received: unknown;
    const create = defineTool({
      name: 'create',
      description: 'c',
      input: z.object({ title: z.string() }),
      execute: (input) => {
        received = input;
        return 'created';
      },
    });
    const model = scriptedModel({
      replies: [
        { toolCalls: [{ name: 'create', arguments: '{"title": "A",' }] },
        { toolCalls: [{ name: 'create', arguments: '{"title":"A"}' }] },
        { text: 'done' },
      ],
    });
    const result = await defineAgent({ model, tools: [create] }).run('create A');
    expect(result.stopReason).toBe('completed');
    expect(received).toEqual({ title: 'A' });
    expect(result.steps[0].toolResults[0].content).toMatch(/TOOL_INPUT_INVALID.*not valid JSON/);

    const broken = scriptedModel({ replies: () => ({ toolCalls: [{ name: 'create', arguments: '{title: A}' }] }) });
    const failed = await defineAgent({ model: broken, tools: [create], repairs: { toolArguments: 2 } }).run('create A');
    expect(failed.stopReason).toBe('output_invalid');
    expect(failed.stopDetail).toContain('malformed JSON 3 times');
    expect(broken.requests).toHaveLength(3);
  });
});
