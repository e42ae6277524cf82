/**
 * A model call is shown the whole conversation so far, so storing every call's messages in
 * full costs O(steps²) in a long run. The tracer stores a call's messages as a delta on the
 * previous call's instead: `{ $delta: { span, keep }, append }` means "the first `keep`
 * messages of span `span`'s list, then `append`". Readers get full lists back.
 */

export interface MessagesDelta {
  $delta: { span: string; keep: number };
  append: unknown[];
}

export function isMessagesDelta(value: unknown): value is MessagesDelta {
  return typeof value === 'object' && value !== null && '$delta' in value && Array.isArray((value as MessagesDelta).append);
}

/** How many leading elements two lists share by identity (messages are immutable once made). */
export function sharedPrefix(previous: readonly unknown[], current: readonly unknown[]): number {
  const n = Math.min(previous.length, current.length);
  let i = 0;
  while (i < n && previous[i] === current[i]) i++;
  return i;
}

/**
 * Expands deltas in place, in span start order (a delta always points at an earlier call). A
 * delta whose base was not stored (dropped under load) keeps its tail behind a marker message.
 */
export function expandMessageDeltas(spans: { id: string; startedAt: number; attributes: Record<string, unknown> }[], key: string): void {
  const full = new Map<string, unknown[]>();
  for (const span of [...spans].sort((a, b) => a.startedAt - b.startedAt)) {
    const value = span.attributes[key];
    if (isMessagesDelta(value)) {
      const base = full.get(value.$delta.span);
      const expanded = base
        ? [...base.slice(0, value.$delta.keep), ...value.append]
        : [{ role: 'system', content: `[${value.$delta.keep} earlier messages not recorded: their span was dropped]` }, ...value.append];
      span.attributes[key] = expanded;
      full.set(span.id, expanded);
    } else if (Array.isArray(value)) {
      full.set(span.id, value);
    }
  }
}
