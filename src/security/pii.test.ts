import { describe, expect, it } from 'vitest';
import type { ModelRequest, ModelResponse, StreamEvent } from '../model/types.js';
import { compose, type Terminal } from '../pipeline/middleware.js';
import { redactMiddleware } from './redact-middleware.js';
import { createPlaceholderVault, findPii, redact, redactValue } from './pii.js';
import { ibanValid, luhnValid } from './pii-validators.js';

describe('PII detection', () => {
  it('validates checksums and ranges, leaving look-alikes alone', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(ibanValid('GB82 WEST 1234 5698 7654 32')).toBe(true);
    expect(ibanValid('GB82 WEST 1234 5698 7654 33')).toBe(false);
    expect(redact('card 4111 1111 1111 1111, not 4111 1111 1111 1112')).toBe('card [CARD], not 4111 1111 1111 1112');
    expect(redact('SSN 536-22-1234; 666-12-3456 and 900-12-3456 are never issued')).toBe('SSN [SSN]; 666-12-3456 and 900-12-3456 are never issued');
    expect(redact('released 2024-01-15, version 1.2.3.4, order 555-1234')).toBe('released 2024-01-15, version 1.2.3.4, order 555-1234');
  });

  it('finds every type with its position', () => {
    const text = 'a@b.io +44 20 7946 0958 DE89370400440532013000 AB123456C 10.0.0.1 2001:db8::1 ghp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5';
    const found = findPii(text);
    expect(found.map((m) => m.type)).toEqual(['email', 'phone', 'iban', 'uk_nino', 'ipv4', 'ipv6', 'secret']);
    for (const m of found) expect(text.slice(m.start, m.end)).toBe(m.value);
    expect(found.at(-1)?.kind).toBe('github');
  });

  it('redactValue walks JSON, keys included, without touching other values', () => {
    const value = { user: { email: 'jane@corp.com', age: 41, tags: ['ip 10.1.2.3'] }, 'jane@corp.com': true, n: null };
    expect(redactValue(value)).toEqual({ user: { email: '[EMAIL]', age: 41, tags: ['ip [IP]'] }, '[EMAIL]': true, n: null });
    expect(value.user.email).toBe('jane@corp.com');
  });

  it('redactValue copies only what changed: clean parts are returned as they are', () => {
    const clean = { model: 'gpt-4o-mini', usage: { input: 12, output: 3 }, messages: [{ role: 'user', content: 'What is the capital of France?' }] };
    expect(redactValue(clean)).toBe(clean);
    const mixed = { a: 1, meta: clean.usage, list: ['fine', 'mail jane@corp.com', 'also fine'], z: 'last' };
    const out = redactValue(mixed);
    expect(out).not.toBe(mixed);
    expect(out.meta).toBe(mixed.meta);
    expect(out.list).toEqual(['fine', 'mail [EMAIL]', 'also fine']);
    expect(Object.keys(out)).toEqual(['a', 'meta', 'list', 'z']);
    expect(mixed.list[1]).toBe('mail jane@corp.com');
  });

  it('redactValue keeps a "__proto__" key as data when it copies an object', () => {
    const value = JSON.parse('{"__proto__": {"x": 1}, "email": "jane@corp.com"}') as Record<string, unknown>;
    const out = redactValue(value);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"x":1},"email":"[EMAIL]"}');
  });

  it('placeholders are numbered, stable per value, and restored', () => {
    const vault = createPlaceholderVault();
    const sent = vault.redact('Mail jane@corp.com and bob@corp.com, then jane@corp.com again');
    expect(sent).toBe('Mail [EMAIL_1] and [EMAIL_2], then [EMAIL_1] again');
    expect(vault.restore('Sent to [EMAIL_2]; [EMAIL_9] is unknown')).toBe('Sent to bob@corp.com; [EMAIL_9] is unknown');
  });

  it('restores placeholders split across stream deltas', () => {
    const vault = createPlaceholderVault();
    vault.redact('call +1 (415) 555-0132');
    const r = vault.streamRestorer();
    const out = ['Calling [PH', 'ONE', '_1', '] now [', 'not a placeholder'].map((d) => r.push(d)).join('') + r.flush();
    expect(out).toBe('Calling +1 (415) 555-0132 now [not a placeholder');
  });
});

describe('redact middleware (reversible, before upstream)', () => {
  const seen: ModelRequest[] = [];
  const answer = 'I will email [EMAIL_1] about card [CARD_1].';
  const response = (): ModelResponse => ({
    id: 'r',
    model: 'm',
    message: { role: 'assistant', content: answer, toolCalls: [{ id: 't', name: 'send', arguments: '{"to":"[EMAIL_1]","key":"[SECRET_1]"}' }] },
    finishReason: 'stop',
    usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 },
    meta: {},
  });
  const terminal: Terminal = {
    async generate(request) {
      seen.push(request);
      return response();
    },
    async *stream(request): AsyncIterable<StreamEvent> {
      seen.push(request);
      // Deltas cut placeholders in awkward places.
      for (const delta of ['I will email [EM', 'AIL_1] about card [CARD', '_1].']) yield { type: 'text-delta', delta };
      yield { type: 'tool-call-delta', index: 0, argumentsDelta: '{"to":"[EMAIL_' };
      yield { type: 'tool-call-delta', index: 0, argumentsDelta: '1]","key":"[SECRET_1]"}' };
      yield { type: 'finish', response: response() };
    },
    async embed() {
      throw new Error('unused');
    },
  };
  const model = compose([redactMiddleware()], terminal);
  const pem = '-----BEGIN PRIVATE KEY-----\nMC4CAQAw\n-----END PRIVATE KEY-----';
  const request: ModelRequest = {
    model: 'm',
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: `Email jane@corp.com, card 4242 4242 4242 4242, key ${pem}` },
    ],
  };

  it('the provider never sees the values; the answer has them back', async () => {
    const result = await model.generate(request);
    const sent = JSON.stringify(seen.at(-1));
    expect(sent).not.toContain('jane@corp.com');
    expect(sent).not.toContain('4242 4242');
    expect(sent).not.toContain('MC4CAQAw');
    expect(result.message.content).toBe('I will email jane@corp.com about card 4242 4242 4242 4242.');
    // Restored inside JSON: the PEM's newlines are escaped, so the arguments stay valid JSON.
    expect(JSON.parse(result.message.toolCalls![0].arguments)).toEqual({ to: 'jane@corp.com', key: pem });
  });

  it('streams: split placeholders are restored, the finish response too', async () => {
    let text = '';
    let args = '';
    let finish: ModelResponse | undefined;
    for await (const event of model.stream(request)) {
      if (event.type === 'text-delta') text += event.delta;
      if (event.type === 'tool-call-delta') args += event.argumentsDelta;
      if (event.type === 'finish') finish = event.response;
    }
    expect(text).toBe('I will email jane@corp.com about card 4242 4242 4242 4242.');
    expect(JSON.parse(args)).toEqual({ to: 'jane@corp.com', key: pem });
    expect(finish?.message.content).toBe(text);
    expect(JSON.stringify(seen.at(-1))).not.toContain('jane@corp.com');
  });
});
