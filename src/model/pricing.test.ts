import { describe, expect, it } from 'vitest';
import { costOf, estimateMaxCost, priceOf, PRICES, PRICES_TAKEN_AT } from './pricing.js';

const usage = (inputTokens: number, outputTokens: number, extra: object = {}) => ({
  inputTokens,
  outputTokens,
  totalTokens: inputTokens + outputTokens,
  ...extra,
});

describe('price table', () => {
  it('has every model the issue lists, each with input and output prices', () => {
    for (const model of [
      'gpt-4o',
      'gpt-4o-mini',
      'gpt-4.1',
      'gpt-4.1-mini',
      'gpt-4.1-nano',
      'o3',
      'o4-mini',
      'gpt-5',
      'gpt-5-mini',
      'gpt-5-nano',
      'text-embedding-3-small',
      'text-embedding-3-large',
      'claude-sonnet-4',
      'claude-sonnet-4-5',
      'claude-opus-4-1',
      'claude-opus-4-5',
      'claude-3-5-haiku',
      'claude-haiku-4-5',
    ]) {
      expect(PRICES[model], model).toMatchObject({ input: expect.any(Number), output: expect.any(Number) });
    }
    expect(PRICES_TAKEN_AT).toMatch(/^\d{4}-\d{2}$/);
  });

  it('matches provider prefixes, dated versions, aliases and OpenRouter spellings', () => {
    expect(priceOf('openai:gpt-4o-2024-08-06')).toBe(PRICES['gpt-4o']);
    expect(priceOf('gpt-4o-mini-2024-07-18')).toBe(PRICES['gpt-4o-mini']);
    expect(priceOf('gpt-4o-2024-05-13')).toBe(PRICES['gpt-4o-2024-05-13']);
    expect(priceOf('anthropic:claude-sonnet-4-5-20250929')).toBe(PRICES['claude-sonnet-4-5']);
    expect(priceOf('claude-3-5-haiku-latest')).toBe(PRICES['claude-3-5-haiku']);
    expect(priceOf('claude-sonnet-4-0')).toBe(PRICES['claude-sonnet-4']);
    expect(priceOf('openrouter:anthropic/claude-sonnet-4.5')).toBe(PRICES['claude-sonnet-4-5']);
    expect(priceOf('ollama:llama3.1:8b')).toBeUndefined();
    // No loose prefix matching: a different model must not borrow a price.
    expect(priceOf('gpt-4o-audio-preview')).toBeUndefined();
  });
});

describe('costOf', () => {
  it('bills cached reads and cache writes at their own rates', () => {
    // Sonnet 4.5: $3 in, $0.30 cache read, $3.75 cache write, $15 out per million.
    const cost = costOf('anthropic:claude-sonnet-4-5', usage(1_000_000, 100_000, { cachedInputTokens: 500_000, cacheWriteTokens: 200_000 }));
    expect(cost.inputUsd).toBeCloseTo(0.3 * 3 + 0.5 * 0.3 + 0.2 * 3.75, 10);
    expect(cost.outputUsd).toBeCloseTo(1.5, 10);
    expect(cost.totalUsd).toBeCloseTo(cost.inputUsd + cost.outputUsd, 12);
  });

  it('bills reasoning tokens as output (they are part of outputTokens)', () => {
    expect(costOf('o4-mini', usage(0, 1_000_000, { reasoningTokens: 800_000 })).outputUsd).toBeCloseTo(4.4, 10);
  });

  it('marks an unknown model unpriced', () => {
    expect(costOf('azure:my-deployment', usage(10, 10))).toEqual({ inputUsd: 0, outputUsd: 0, totalUsd: 0, unpriced: true });
  });
});

describe('estimateMaxCost', () => {
  it('counts the prompt locally and assumes maxTokens of output', () => {
    const estimate = estimateMaxCost({ model: 'openai:gpt-4o', messages: [{ role: 'user', content: 'hello' }], maxTokens: 1_000 });
    expect(estimate.maxOutputTokens).toBe(1_000);
    expect(estimate.inputTokens).toBeGreaterThan(1);
    expect(estimate.outputUsd).toBeCloseTo(0.01, 10);
    expect(estimate.totalUsd).toBeCloseTo(estimate.inputUsd + 0.01, 10);
  });

  it('uses the default max output when the request sets none, and counts tools', () => {
    const base = { model: 'openai:gpt-4o', messages: [{ role: 'user' as const, content: 'hello' }] };
    const withTools = estimateMaxCost({
      ...base,
      tools: [{ name: 'lookup_customer', description: 'Find a customer by email', parameters: { type: 'object', properties: { email: { type: 'string' } } } }],
    });
    expect(withTools.maxOutputTokens).toBe(4_096);
    expect(withTools.inputTokens).toBeGreaterThan(estimateMaxCost(base).inputTokens + 10);
    expect(estimateMaxCost(base, { defaultMaxOutputTokens: 10 }).maxOutputTokens).toBe(10);
  });
});
