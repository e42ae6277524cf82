import { describe, expect, it } from 'vitest';
import { countTokens, preloadTokenizer } from '../model/tokens.js';
import type { ModelResponse, StreamEvent } from '../model/types.js';
import { drain, scriptedTerminal, upstream } from '../../test/support/pipeline-terminal.js';
import { compose } from './middleware.js';
import { usageCost } from './usage-cost.js';

// Exact token counts: the tokenizer loaded before the first count (until then counts are upper bounds).
await preloadTokenizer();

const request = { model: 'openai:gpt-4o-mini', messages: [{ role: 'user' as const, content: 'Say hello to the whole team please' }] };
const finishOf = (events: StreamEvent[]) => (events.at(-1) as { type: 'finish'; response: ModelResponse }).response;

describe('usageCost', () => {
  it("costs a plain call from the upstream's usage", async () => {
    const usage = { inputTokens: 1_000_000, outputTokens: 1_000_000, totalTokens: 2_000_000 };
    const response = await compose([usageCost()], scriptedTerminal([{ text: 'hi', usage }])).generate(request);
    expect(response.cost).toEqual({ inputUsd: 0.15, outputUsd: 0.6, totalUsd: 0.75 });
    expect(response.usage.estimated).toBeUndefined();
  });

  it('prices the dated model the upstream reports when it differs from the family', async () => {
    const usage = { inputTokens: 1_000_000, outputTokens: 0, totalTokens: 1_000_000 };
    const terminal = scriptedTerminal([{ text: '', usage, model: 'gpt-4o-2024-05-13' }]);
    const response = await compose([usageCost()], terminal).generate({ ...request, model: 'openai:gpt-4o' });
    expect(response.cost?.inputUsd).toBe(5);
  });

  it("costs a stream from the upstream's usage", async () => {
    const usage = { inputTokens: 100, outputTokens: 50, totalTokens: 150 };
    const { events } = await drain(compose([usageCost()], scriptedTerminal([{ text: 'hello there', usage }])).stream(request));
    const response = finishOf(events);
    expect(response.usage).toEqual(usage);
    expect(response.cost?.totalUsd).toBeCloseTo((100 * 0.15 + 50 * 0.6) / 1e6, 12);
  });

  it('counts a stream that brought no usage with the tokenizer and marks it estimated, never $0', async () => {
    const { events } = await drain(compose([usageCost()], scriptedTerminal([{ text: 'Hello everyone, have a great day!', usage: null }])).stream(request));
    const response = finishOf(events);
    expect(response.usage.estimated).toBe(true);
    expect(response.usage.outputTokens).toBe(countTokens('Hello everyone, have a great day!', 'gpt-4o-mini'));
    expect(response.usage.inputTokens).toBeGreaterThan(7);
    expect(response.cost?.totalUsd).toBeGreaterThan(0);
  });

  it('marks an unknown model unpriced instead of a silent 0', async () => {
    const response = await compose([usageCost()], scriptedTerminal([{ text: 'hi' }])).generate({ ...request, model: 'ollama:llama3.1:8b' });
    expect(response.cost).toEqual({ inputUsd: 0, outputUsd: 0, totalUsd: 0, unpriced: true });
  });

  it("takes the pipeline's prices before the bundled table", async () => {
    const usage = { inputTokens: 1_000_000, outputTokens: 0, totalTokens: 1_000_000 };
    const response = await compose([usageCost()], scriptedTerminal([{ text: '', usage }]), {
      prices: { 'llama3.1:8b': { input: 0.05, output: 0.1 } },
    }).generate({
      ...request,
      model: 'ollama:llama3.1:8b',
    });
    expect(response.cost?.totalUsd).toBe(0.05);
  });

  it('puts the partial usage and cost of a stream broken after output into the error', async () => {
    const { error } = await drain(compose([usageCost()], scriptedTerminal([{ error: upstream.network(), afterEvents: 3 }])).stream(request));
    expect(error?.code).toBe('NETWORK_ERROR');
    // start, then two deltas of the terminal's 'partial output here'
    expect(error?.context.partialUsage).toMatchObject({ outputTokens: countTokens('partial output ', 'gpt-4o-mini'), estimated: true });
    expect((error?.context.partialCost as { totalUsd: number }).totalUsd).toBeGreaterThan(0);
  });

  it('costs embeddings, counting the input when the upstream reports none', async () => {
    const response = await compose([usageCost()], scriptedTerminal([{ text: '' }])).embed({ model: 'openai:text-embedding-3-small', input: ['hello world'] });
    expect(response.usage.inputTokens).toBe(2);
    expect(response.cost?.totalUsd).toBeCloseTo((2 * 0.02) / 1e6, 15);
  });
});
