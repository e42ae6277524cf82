/**
 * A model call is shown the whole conversation so far, so storing every call's messages in
 * full costs O(steps²) in a long run. The tracer stores a call's messages as a delta on the
 * previous call's instead: `{ $delta: { span, keep, from?, take? }, append }` means "the first
 * `keep` messages of span `span`'s list, then its `take` messages starting at `from`, then
 * `append`". The middle run covers a context window that drops the oldest turns every step: the
 * kept tail still shares the earlier call's objects. Readers get full lists back.
 */

export interface MessagesDelta {
  $delta: { span: string; keep: number; from?: number; take?: number };
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
 * The delta of `current` on `previous` (identity of message objects): their shared prefix, then
 * the longest run of `previous` that continues where `current` leaves the prefix. Undefined when
 * they share nothing. O(previous + current) identity compares.
 */
export function messagesDelta(span: string, previous: readonly unknown[], current: readonly unknown[]): MessagesDelta | undefined {
  const keep = sharedPrefix(previous, current);
  let from = -1;
  if (keep < current.length) {
    const next = current[keep];
    for (let j = keep + 1; j < previous.length; j++) {
      if (previous[j] === next) {
        from = j;
        break;
      }
    }
  }
  let take = 0;
  if (from >= 0) while (from + take < previous.length && keep + take < current.length && previous[from + take] === current[keep + take]) take++;
  if (keep === 0 && take === 0) return undefined;
  const append = current.slice(keep + take);
  return take > 0 ? { $delta: { span, keep, from, take }, append } : { $delta: { span, keep }, append };
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
        ? [
            ...base.slice(0, value.$delta.keep),
            ...(value.$delta.take ? base.slice(value.$delta.from, (value.$delta.from ?? 0) + value.$delta.take) : []),
            ...value.append,
          ]
        : [
            { role: 'system', content: `[${value.$delta.keep + (value.$delta.take ?? 0)} earlier messages not recorded: their span was dropped]` },
            ...value.append,
          ];
      span.attributes[key] = expanded;
      full.set(span.id, expanded);
    } else if (Array.isArray(value)) {
      full.set(span.id, value);
    }
  }
}
