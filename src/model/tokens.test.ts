import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Tiktoken, type TiktokenBPE } from 'js-tiktoken/lite';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULTS } from '../defaults.js';
import { asciiPattern, contextWindowOf, countMessageTokens, countTokens, hasKnownContextWindow, preloadTokenizer } from './tokens.js';

// Exact counts need the encodings loaded; the loading itself is tested on a fresh module below.
beforeAll(() => preloadTokenizer(), 60_000);

describe('loading the tokenizer', () => {
  it('never loads inside a count: before it is loaded a count is an upper bound, and it loads in the background', async () => {
    vi.resetModules();
    const fresh = await import('./tokens.js');
    const text = 'Ça va très bien, merci beaucoup!';
    expect(fresh.tokenizerReady('gpt-4o')).toBe(false);
    const bound = fresh.countTokens(text, 'gpt-4o');
    // Returned without loading: the count is the text's UTF-8 bytes, and the encoding is not there yet.
    expect(fresh.tokenizerReady('gpt-4o')).toBe(false);
    expect(bound).toBe(Buffer.byteLength(text, 'utf8'));
    await fresh.preloadTokenizer('gpt-4o');
    expect(fresh.tokenizerReady('gpt-4o')).toBe(true);
    expect(fresh.countTokens(text, 'gpt-4o')).toBe(countTokens(text, 'gpt-4o'));
    expect(fresh.countTokens(text, 'gpt-4o')).toBeLessThan(bound);
  }, 60_000);
});

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
    const withCall = countMessageTokens(
      [{ role: 'assistant', content: null, toolCalls: [{ id: 'call_1', name: 'lookup', arguments: '{"id":42}' }] }],
      'gpt-4o',
    );
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

describe('countTokens against js-tiktoken', () => {
  // The counter is ours (for speed); its counts must be exactly js-tiktoken's encode().length.
  const require = createRequire(import.meta.url);
  const reference = {
    o200k_base: new Tiktoken(require('js-tiktoken/ranks/o200k_base') as TiktokenBPE),
    cl100k_base: new Tiktoken(require('js-tiktoken/ranks/cl100k_base') as TiktokenBPE),
  };
  const models = { o200k_base: 'gpt-4o', cl100k_base: 'gpt-4' } as const;

  it('matches on prose, code, other scripts, emoji, whitespace runs and special-token markers', () => {
    const texts = [
      'hello world',
      "It's what they'll say: we've 12345 items, don't we? I'M SURE.",
      'function f(x) {\n  return x * 2; // doubles\n}\n\n\n   \t',
      'Привет, как дела? Ça va très bien, merci beaucoup! 日本語のテキスト。😀👍🏽',
      '<|endoftext|> and <|endofprompt|> as text',
      readFileSync(new URL('./tokens.ts', import.meta.url), 'utf8'),
    ];
    for (const [encoding, model] of Object.entries(models) as [keyof typeof models, string][]) {
      for (const text of texts) expect(countTokens(text, model), `${encoding}: ${text.slice(0, 30)}`).toBe(reference[encoding].encode(text, [], []).length);
    }
  });

  it('matches on random ASCII, where the faster ASCII split is used', () => {
    const alphabet = ' \t\n\r\u000b\fabcXYZ019\'sStT-_/.,!?()[]{}<>|@#$%^&*+=~`"\\:;';
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (const [encoding, model] of Object.entries(models) as [keyof typeof models, string][]) {
      for (let k = 0; k < 300; k++) {
        let text = '';
        for (let i = 0, n = 1 + Math.floor(random() * 40); i < n; i++) text += alphabet[Math.floor(random() * alphabet.length)];
        expect(countTokens(text, model), JSON.stringify(text)).toBe(reference[encoding].encode(text, [], []).length);
      }
    }
  });

  it('turns each Unicode property class into its ASCII members', () => {
    expect(asciiPattern(String.raw`[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+|\p{N}{1,3}`)).toBe(String.raw`[^\r\nA-Za-z0-9]?[A-Z]+|[0-9]{1,3}`);
    expect(() => asciiPattern(String.raw`\p{Sc}`)).toThrow(/No ASCII form/);
  });
});
