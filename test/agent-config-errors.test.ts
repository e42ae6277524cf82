/**
 * Issue 16, item 12: what the README shows works as written (`model: 'scripted'`, a session with no
 * store given), and a misconfigured agent throws from `defineAgent` or at the start of `run`
 * instead of returning a run that stopped with `error`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createPipeline, createProviderRouter, defineAgent, defineTool, parseModelString, SextantError, type Check } from '../src/index.js';
import { scriptedModel } from '../src/testing/index.js';

const echo = defineTool({ name: 'echo', description: 'Echoes', input: z.object({ text: z.string() }), execute: ({ text }) => text });

/** The error a function throws, synchronously or as a rejection. */
async function thrown(f: () => unknown): Promise<SextantError> {
  try {
    await f();
  } catch (error) {
    expect(error).toBeInstanceOf(SextantError);
    return error as SextantError;
  }
  throw new Error('expected an error, got none');
}

describe('the model string `scripted`', () => {
  it('parses as the scripted provider', () => {
    expect(parseModelString('scripted')).toEqual({ provider: 'scripted', model: 'scripted' });
  });

  it('is the demo model when no scripted provider is given, and its answer says it is not an LLM', async () => {
    const result = await defineAgent({ model: 'scripted' }).run('Hello there');
    expect(result.stopReason).toBe('completed');
    expect(result.text).toContain('not a real LLM');
    expect(result.text).toContain('Hello there');
  });

  it('is the scripted provider the agent is given', async () => {
    const model = scriptedModel({ replies: [{ toolCalls: [{ name: 'echo', arguments: { text: 'hi' } }] }, { text: 'done' }] });
    const result = await defineAgent({ model: 'scripted', providers: { scripted: model }, tools: [echo] }).run('go');
    expect(result).toMatchObject({ stopReason: 'completed', text: 'done' });
    expect(model.requests).toHaveLength(2);
  });
});

describe('sessions without a store', () => {
  it('are kept in memory by default', async () => {
    const model = scriptedModel({ replies: [{ text: 'Nice to meet you, Ada.' }, { text: 'Your name is Ada.' }] });
    const agent = defineAgent({ model });
    await agent.run('My name is Ada.', { session: 'customer-17' });
    const second = await agent.run('What is my name?', { session: 'customer-17' });
    expect(second.stopReason).toBe('completed');
    expect(model.requests[1].messages.map((m) => m.content)).toEqual(['My name is Ada.', 'Nice to meet you, Ada.', 'What is my name?']);
  });
});

describe('configuration errors throw from defineAgent', () => {
  it.each([
    ['a malformed model string', { model: 'gpt-4o-mini' }, 'INVALID_MODEL_STRING'],
    ['an unknown provider', { model: 'nope:gpt-4o' }, 'UNKNOWN_PROVIDER'],
    ['no model', { model: undefined }, 'CONFIG_INVALID'],
    ['tools that are not an array', { model: 'scripted', tools: echo }, 'CONFIG_INVALID'],
    ['a tool not made by defineTool', { model: 'scripted', tools: [{ name: 'raw', description: 'x', execute: () => 1 }] }, 'CONFIG_INVALID'],
    [
      'a check with an unknown stage',
      { model: 'scripted', checks: [{ name: 'c', stage: 'later', onFail: 'block', run: () => ({ pass: true, reason: '' }) }] },
      'CONFIG_INVALID',
    ],
    ['an output schema that is not a zod schema', { model: 'scripted', outputSchema: { type: 'object' } }, 'CONFIG_INVALID'],
    ['no parallel tool calls', { model: 'scripted', maxParallelTools: 0 }, 'CONFIG_INVALID'],
    ['a negative per-tool call limit', { model: 'scripted', limits: { maxCallsPerTool: { echo: -1 } } }, 'CONFIG_INVALID'],
    ['an unknown context strategy', { model: 'scripted', context: { strategy: 'forget' } }, 'CONFIG_INVALID'],
  ])('%s', async (_, options, code) => {
    const error = await thrown(() => defineAgent(options as never));
    expect(error.code).toBe(code);
  });

  it('a hand-made check is validated as defineCheck would', async () => {
    const check = { name: 'fixer', stage: 'answer', onFail: 'fix', maxReasks: 1, onUnknown: 'fail', run: () => ({ pass: true, reason: '' }) } as Check;
    const error = await thrown(() => defineAgent({ model: 'scripted', checks: [check] }));
    expect(error.message).toContain("onFail 'fix' needs a fix function");
  });
});

describe('configuration errors throw at the start of a run', () => {
  const saved = { ...process.env };
  beforeEach(() => {
    delete process.env.OPENAI_API_KEY;
    delete process.env.AZURE_OPENAI_ENDPOINT;
    delete process.env.AZURE_OPENAI_BASE_URL;
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  it('a missing API key: run and stream throw MISSING_API_KEY, and the tool never runs', async () => {
    let toolRuns = 0;
    const counted = defineTool({ name: 'counted', description: 'x', input: z.object({}), execute: () => ++toolRuns });
    const agent = defineAgent({ model: 'openai:gpt-4o-mini', tools: [counted] });
    expect((await thrown(() => agent.run('hi'))).code).toBe('MISSING_API_KEY');
    const stream = agent.stream('hi');
    const events: string[] = [];
    const iterate = async () => {
      for await (const event of stream) events.push(event.type);
    };
    expect((await thrown(iterate)).context).toMatchObject({ envVar: 'OPENAI_API_KEY' });
    await expect(stream.result).rejects.toMatchObject({ code: 'MISSING_API_KEY' });
    expect(events).toEqual([]);
    expect(toolRuns).toBe(0);
  });

  it('the key is read when the run starts, not when the agent is defined', async () => {
    const agent = defineAgent({ model: 'openai:gpt-4o-mini' });
    process.env.OPENAI_API_KEY = 'sk-test';
    process.env.OPENAI_BASE_URL = 'http://127.0.0.1:9/v1';
    // Past the configuration check: the call itself fails (nothing listens on port 9), which is a run error.
    const result = await agent.run('hi', { limits: { timeoutMs: 10_000 } });
    expect(result.stopReason).toBe('error');
    expect(result.error?.code).not.toBe('MISSING_API_KEY');
  });

  it('a provider without its base URL throws CONFIG_INVALID', async () => {
    process.env.AZURE_OPENAI_API_KEY = 'key';
    const error = await thrown(() => defineAgent({ model: 'azure:my-deployment' }).run('hi'));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('AZURE_OPENAI_ENDPOINT');
  });

  it('a pipeline Model whose router meets a missing key throws it from run', async () => {
    const pipeline = createPipeline({ terminal: createProviderRouter() });
    const agent = defineAgent({ model: pipeline, modelName: 'openai:gpt-4o-mini' });
    expect((await thrown(() => agent.run('hi'))).code).toBe('MISSING_API_KEY');
  });

  it('an upstream failure is still a run that stopped with error, not a throw', async () => {
    const agent = defineAgent({ model: scriptedModel({ replies: [{ error: { code: 'UPSTREAM_ERROR', message: 'HTTP 500', status: 500 } }] }) });
    expect((await agent.run('hi')).stopReason).toBe('error');
  });
});

describe('errors from another copy of the package', () => {
  it('keep their code: a module loaded apart (as `sextant run` loads an agent) throws a SextantError of another class', async () => {
    // A query string makes the loader evaluate the module again; a variable keeps TypeScript from resolving it.
    const apart = '../src/errors.js?another-copy';
    const copy = (await import(apart)) as typeof import('../src/errors.js');
    expect(copy.SextantError).not.toBe(SextantError);
    const foreign = new copy.SextantError('MISSING_API_KEY', 'set OPENAI_API_KEY');
    expect(foreign).toBeInstanceOf(SextantError);
    const failing = async () => {
      throw foreign;
    };
    const agent = defineAgent({ model: { name: 'elsewhere', generate: failing, stream: failing } as never });
    expect((await thrown(() => agent.run('hi'))).code).toBe('MISSING_API_KEY');
  });

  it('subclasses keep their own instanceof', async () => {
    const { ToolRetryRequest } = await import('../src/index.js');
    expect(new SextantError('TOOL_ERROR', 'x')).not.toBeInstanceOf(ToolRetryRequest);
    expect(new ToolRetryRequest('busy')).toBeInstanceOf(SextantError);
  });
});
