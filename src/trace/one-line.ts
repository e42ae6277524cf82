/** A value as one display line of at most `max` characters: JSON unless a string, white space folded, cut with an ellipsis. */
export function oneLine(value: unknown, max: number): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
