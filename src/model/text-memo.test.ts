import { describe, expect, it } from 'vitest';
import { createTextMemo } from './text-memo.js';

describe('createTextMemo', () => {
  it('returns what was set for equal content, even from another string object', () => {
    const memo = createTextMemo<number>({ maxChars: 1_000 });
    memo.set('hello world', 2);
    expect(memo.get(['hello', 'world'].join(' '))).toBe(2);
    expect(memo.get('hello')).toBeUndefined();
  });

  it('holds at most maxChars, keeping what was used recently', () => {
    const memo = createTextMemo<number>({ maxChars: 40 });
    const text = (i: number) => `text number ${String(i).padStart(3, '0')}`; // 15 characters
    memo.set(text(1), 1);
    for (let i = 2; i <= 10; i++) {
      memo.set(text(i), i);
      expect(memo.get(text(1))).toBe(1); // used on every round: never evicted
    }
    const kept = Array.from({ length: 10 }, (_, i) => memo.get(text(i + 1))).filter((v) => v !== undefined);
    expect(kept.length * 15).toBeLessThanOrEqual(40);
    expect(memo.get(text(2))).toBeUndefined();
  });

  it('does not keep a text longer than half the bound', () => {
    const memo = createTextMemo<number>({ maxChars: 10 });
    memo.set('x'.repeat(6), 1);
    expect(memo.get('x'.repeat(6))).toBeUndefined();
  });
});
