/**
 * A memo keyed by text content, bounded by the total length of the texts it holds. For work that
 * depends on a text only (token counts, PII scans): a system prompt or a conversation's earlier
 * turns arrive again on every call, as new string objects with the same content, and are worked
 * out once.
 *
 * Two generations instead of an exact LRU: moving a hit to the end of a Map (delete + set) costs
 * ~8 µs on a Map of a few thousand strings in V8 (measured), more than the work it saves. New
 * texts go to the young generation; when it holds half the bound it becomes the old one and the
 * previous old one is dropped; a hit in the old generation is copied back to the young one.
 * So recently used texts stay, at most `maxChars` characters are held, and every step is O(1).
 */
export interface TextMemo<V> {
  get(text: string): V | undefined;
  set(text: string, value: V): void;
}

export function createTextMemo<V>(options: { maxChars: number }): TextMemo<V> {
  const half = Math.floor(options.maxChars / 2);
  let young = new Map<string, V>();
  let old = new Map<string, V>();
  let youngChars = 0;

  function set(text: string, value: V): void {
    // A text longer than a generation would flush everything else for one entry.
    if (text.length > half || young.has(text)) return;
    if (youngChars + text.length > half) {
      old = young;
      young = new Map();
      youngChars = 0;
    }
    young.set(text, value);
    youngChars += text.length;
  }

  return {
    get(text) {
      const value = young.get(text);
      if (value !== undefined) return value;
      const aged = old.get(text);
      if (aged !== undefined) set(text, aged);
      return aged;
    },
    set,
  };
}
