import { describe, expect, it } from 'vitest';
import type { Message } from '../model/types.js';
import { MASKED_RESULT, maskSettledToolResults } from './context-window.js';

const turn = (n: number): Message[] => [
  { role: 'user', content: `question ${n}` },
  { role: 'assistant', content: null, toolCalls: [{ id: `c${n}`, name: 'lookup', arguments: '{}' }] },
  { role: 'tool', toolCallId: `c${n}`, name: 'lookup', content: `a long result ${n}` },
  { role: 'assistant', content: `answer ${n}` },
];

describe('maskSettledToolResults', () => {
  it('masks the tool results of answered turns only, keeping every call paired with a result', () => {
    const messages = [...turn(1), ...turn(2), { role: 'user', content: 'question 3' } as Message, ...turn(3).slice(1, 3)];
    const masked = maskSettledToolResults(messages);
    const tools = masked.filter((m) => m.role === 'tool').map((m) => m.content);
    expect(tools).toEqual([MASKED_RESULT, MASKED_RESULT, 'a long result 3']);
    expect(masked.map((m) => m.role)).toEqual(messages.map((m) => m.role));
    expect(messages[2].content).toBe('a long result 1');
  });

  it('returns the same array when there is nothing to mask', () => {
    const messages = [...turn(1)];
    expect(maskSettledToolResults(messages)).toBe(messages);
    const once = maskSettledToolResults([...turn(1), ...turn(2)]);
    expect(maskSettledToolResults(once)).toBe(once);
  });
});
