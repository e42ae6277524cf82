import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../defaults.js';
import { contextWindowOf, countMessageTokens, countTokens, hasKnownContextWindow } from './tokens.js';

describe('countTokens', () => {
  it('counts with o200k_base for current OpenAI models and cl100k_base for others', () => {
    // "hello world" is 2 tokens in both; this sentence differs between the two encodings.
    expect(countTokens('hello world', 'openai:gpt-4o')).toBe(2);
    const text = 'Привет, как дела? Ça va très bien, merci beaucoup!';
    expect(countTokens(text, 'gpt-4o')).not.toBe(countTokens(text, 'gpt-4'));
    expect(countTokens('', 'gpt-4o')).toBe(0);
  });

  it('counts special-token markers as plain text instead of throwing', () => {
    expect(countTokens('<|endoftext|>', 'gpt-4o')).toBeGreaterThan(1);
  });
});

describe('countMessageTokens', () => {
  it("follows OpenAI's recipe: 3 per message, 3 for the reply", () => {
    const messages = [{ role: 'user' as const, content: 'hello world' }];
    // 3 (message) + 1 ("user") + 2 (content) + 3 (reply priming)
    expect(countMessageTokens(messages, 'gpt-4o')).toBe(9);
  });

  it('counts tool calls, tool results and images', () => {
    const plain = countMessageTokens([{ role: 'assistant', content: null }], 'gpt-4o');
    const withCall = countMessageTokens([{ role: 'assistant', content: null, toolCalls: [{ id: 'call_1', name: 'lookup', arguments: '{"id":42}' }] }], 'gpt-4o');
    expect(withCall).toBeGreaterThan(plain + 3);
    const result = countMessageTokens([{ role: 'tool', toolCallId: 'call_1', content: '{"name":"Ada"}' }], 'gpt-4o');
    expect(result).toBeGreaterThan(7);
    const image = countMessageTokens([{ role: 'user', content: [{ type: 'image', url: 'https://x/y.png', detail: 'low' }] }], 'gpt-4o');
    expect(image).toBe(3 + 1 + 85 + 3);
  });
});

describe('contextWindowOf', () => {
  it('knows the listed models through their spellings and falls back conservatively', () => {
    expect(contextWindowOf('openai:gpt-4o-2024-08-06')).toBe(128_000);
    expect(contextWindowOf('gpt-4.1-mini')).toBe(1_047_576);
    expect(contextWindowOf('anthropic:claude-sonnet-4-5')).toBe(200_000);
    expect(contextWindowOf('ollama:llama3.1:8b')).toBe(DEFAULTS.pipeline.unknownModelContextWindow);
    expect(contextWindowOf('ollama:llama3.1:8b', 131_072)).toBe(131_072);
    expect(hasKnownContextWindow('ollama:llama3.1:8b')).toBe(false);
  });
});
