import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineAgent, defineTool, memorySessionStore } from '../src/agent/index.js';
import { dropOldest } from '../src/agent/context-window.js';
import { scriptedModel } from '../src/model/providers/scripted/provider.js';
import { preloadTokenizer } from '../src/model/tokens.js';
import type { Message } from '../src/model/types.js';

// The context tests count exact tokens: the tokenizer loaded first (until then counts are upper bounds).
await preloadTokenizer();

/** Every tool call is answered by its result right after it (the invariant providers enforce). */
function pairsIntact(messages: Message[]): boolean {
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    if (m.role === 'tool') {
      const owner = messages
        .slice(0, i)
        .reverse()
        .find((x) => x.role !== 'tool');
      if (owner?.role !== 'assistant' || !owner.toolCalls?.some((c) => c.id === m.toolCallId)) return false;
    }
    if (m.role === 'assistant' && m.toolCalls) {
      const results = new Set(
        messages
          .slice(i + 1)
          .filter((x) => x.role === 'tool')
          .map((x) => (x as { toolCallId: string }).toolCallId),
      );
      if (!m.toolCalls.every((c) => results.has(c.id))) return false;
    }
  }
  return true;
}

/** About 2 tokens per word: realistic text (repeated characters are a tokenizer's worst case). */
const words = (n: number) => Array.from({ length: n }, (_, i) => `word${i % 50}`).join(' ');

const note = defineTool({ name: 'note', description: 'n', input: z.object({ text: z.string() }), execute: ({ text }) => `noted: ${text}` });

describe('long sessions', () => {
  it('carries a session history over between runs', async () => {
    const sessions = memorySessionStore();
    const model = scriptedModel({ replies: [{ text: 'Nice to meet you, Ada.' }, { text: 'Your name is Ada.' }] });
    const agent = defineAgent({ model, sessions, instructions: 'Remember things.' });
    await agent.run('My name is Ada.', { session: 'u1' });
    const second = await agent.run('What is my name?', { session: 'u1' });
    expect(second.output).toBe('Your name is Ada.');
    expect(model.requests[1].messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(await sessions.load('u1')).toHaveLength(4);
    expect(await sessions.load('other')).toEqual([]);
  });

  it('drops the oldest turns to stay inside the window, never splitting a tool call from its result', async () => {
    const sessions = memorySessionStore();
    const big = words(100);
    const model = scriptedModel({
      replies: (request) => (request.messages.at(-1)?.role === 'user' ? { toolCalls: [{ name: 'note', arguments: { text: big } }] } : { text: `ok ${big}` }),
    });
    const agent = defineAgent({ model, tools: [note], sessions, context: { maxInputTokens: 1_000 } });
    for (let turn = 0; turn < 8; turn++) await agent.run(`turn ${turn} ${big}`, { session: 's' });
    for (const request of model.requests) {
      expect(pairsIntact(request.messages)).toBe(true);
    }
    const last = model.requests.at(-1)!.messages;
    expect(last.some((m) => m.role === 'user' && String(m.content).startsWith('turn 7'))).toBe(true);
    expect(last.some((m) => m.role === 'user' && String(m.content).startsWith('turn 0'))).toBe(false);
    // The session stays bounded too.
    expect((await sessions.load('s')).length).toBeLessThan(8 * 4);
  });

  it('summarizes the dropped turns with the model when asked to', async () => {
    const big = words(100);
    const model = scriptedModel({
      replies: (request) =>
        String(request.messages[0].content).startsWith('Summarize') ? { text: 'The user is Ada; she ordered A1.' } : { text: `answer ${big}` },
    });
    const sessions = memorySessionStore();
    const agent = defineAgent({ model, sessions, context: { strategy: 'summarize', maxInputTokens: 600 } });
    for (let turn = 0; turn < 5; turn++) await agent.run(`question ${turn} ${big}`, { session: 's' });
    const last = model.requests.at(-1)!.messages;
    expect(last[0]).toMatchObject({ role: 'system' });
    expect(String(last[0].content)).toContain('The user is Ada; she ordered A1.');
    expect(model.requests.some((r) => String(r.messages[0].content).startsWith('Summarize'))).toBe(true);
  });

  it('dropOldest keeps the current turn whole when nothing else can go', () => {
    const messages: Message[] = [
      { role: 'user', content: 'q'.repeat(50) },
      { role: 'assistant', content: null, toolCalls: [{ id: 'a', name: 'note', arguments: '{}' }] },
      { role: 'tool', toolCallId: 'a', content: 'r'.repeat(50) },
    ];
    const { messages: kept, removed } = dropOldest(messages, 5, 'default');
    expect(kept).toEqual(messages);
    expect(removed).toEqual([]);
  });
});
