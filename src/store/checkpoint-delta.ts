import { SextantError } from '../errors.js';

/**
 * The step records of a checkpoint: what changed in a run's state since its last save, so a save
 * costs what the step added, not the whole run. The state is opaque JSON here (an object); its
 * top-level lists (messages, steps, checks) are taken to grow by appending, everything else is
 * compared by identity, then by value (a field is replaced, never changed in place, when it changes):
 *
 *   { "set": { field: value }, "unset": [field], "lists": { list: { "keep": k, "from": i, "take": n, "items": [...] } } }
 *
 * `set` holds the fields whose JSON changed and the lists that share nothing with what was saved;
 * `unset` the fields gone. A list entry makes the list the first `keep` saved elements, then
 * `take` saved elements from `from` (none when absent), then `items`: a list grown by appending
 * keeps its start; one the runner replaced by dropping its oldest turns (context compaction keeps
 * the question, then the latest turns) keeps those, found by identity. An element changed in
 * place would go unseen: a change must replace the list with a new array holding a new element
 * (a contract of CheckpointStore; the runner fills in a step's tool results that way).
 */
export interface StateDelta {
  set?: Record<string, unknown>;
  unset?: string[];
  lists?: Record<string, { keep: number; from?: number; take?: number; items: unknown[] }>;
}

/** A list as the last save saw it: the array, its length and its first and last elements then. */
interface ListMark {
  list: unknown[];
  length: number;
  first: unknown;
  last: unknown;
}

/** What the last save wrote of one field: its value and JSON, or a list's mark; and the save that last saw it. */
type FieldMark = { key: string; seenAt: number } & ({ value: unknown; text: string; mark?: undefined } | { mark: ListMark });

/** What the last save wrote, field by field. */
export interface WrittenState {
  fields: Map<string, FieldMark>;
  saves: number;
}

type JsonObject = Record<string, unknown>;

const listMark = (list: unknown[]): ListMark => ({ list, length: list.length, first: list[0], last: list[list.length - 1] });

/** The whole state as JSON (what `JSON.stringify` gives), and what it wrote. */
export function snapshotOf(state: JsonObject): { text: string; written: WrittenState } {
  const written: WrittenState = { fields: new Map(), saves: 0 };
  const parts: string[] = [];
  for (const name of Object.keys(state)) {
    const value = state[name];
    const text = JSON.stringify(value) as string | undefined;
    if (text === undefined) continue;
    const key = JSON.stringify(name);
    parts.push(`${key}:${text}`);
    written.fields.set(name, Array.isArray(value) ? { key, seenAt: 0, mark: listMark(value) } : { key, seenAt: 0, value, text });
  }
  return { text: `{${parts.join(',')}}`, written };
}

/** The delta of `state` on what the last save wrote, as JSON; `written` is updated to this save. */
export function deltaOf(state: JsonObject, written: WrittenState): string {
  const save = ++written.saves;
  const set: string[] = [];
  const lists: string[] = [];
  for (const name of Object.keys(state)) {
    const value = state[name];
    const field = written.fields.get(name);
    if (Array.isArray(value)) {
      const key = field?.key ?? JSON.stringify(name);
      const kept = keptRun(field?.mark, value);
      written.fields.set(name, { key, seenAt: save, mark: listMark(value) });
      if (kept) {
        const run = kept.take > 0 ? `"from":${kept.from},"take":${kept.take},` : '';
        lists.push(`${key}:{"keep":${kept.keep},${run}"items":${JSON.stringify(value.slice(kept.keep + kept.take))}}`);
      } else set.push(`${key}:${JSON.stringify(value)}`);
      continue;
    }
    if (field && !field.mark && field.value === value) {
      field.seenAt = save;
      continue;
    }
    const text = JSON.stringify(value) as string | undefined;
    if (text === undefined) continue;
    const key = field?.key ?? JSON.stringify(name);
    if (field?.mark || field?.text !== text) set.push(`${key}:${text}`);
    written.fields.set(name, { key, seenAt: save, value, text });
  }
  const unset: string[] = [];
  for (const [name, field] of written.fields)
    if (field.seenAt !== save) {
      written.fields.delete(name);
      unset.push(field.key);
    }
  const parts: string[] = [];
  if (set.length) parts.push(`"set":{${set.join(',')}}`);
  if (unset.length) parts.push(`"unset":[${unset.join(',')}]`);
  if (lists.length) parts.push(`"lists":{${lists.join(',')}}`);
  return `{${parts.join(',')}}`;
}

/**
 * What `list` shares with the saved list, as in a list entry (`keep`, `from`, `take`), when the
 * saved list is intact (as long or longer, same first and last saved element) and shares anything.
 */
function keptRun(mark: ListMark | undefined, list: unknown[]): { keep: number; from: number; take: number } | undefined {
  if (!mark) return undefined;
  const saved = mark.list;
  if (saved.length < mark.length || (mark.length > 0 && (saved[0] !== mark.first || saved[mark.length - 1] !== mark.last))) return undefined;
  const reusable = mark.length;
  let keep = 0;
  while (keep < reusable && keep < list.length && list[keep] === saved[keep]) keep++;
  let from = keep < list.length ? saved.indexOf(list[keep], keep + 1) : -1;
  let take = 0;
  if (from >= reusable) from = -1;
  if (from >= 0) while (from + take < reusable && keep + take < list.length && list[keep + take] === saved[from + take]) take++;
  if (keep === 0 && take === 0) return undefined;
  return { keep, from: Math.max(from, 0), take };
}

/** Applies a delta to a state folded so far (in place). A delta that does not fit it is refused, never guessed at. */
export function applyDelta(state: JsonObject, delta: StateDelta, where: { runId: string; seq: number }): void {
  for (const [key, value] of Object.entries(delta.set ?? {})) state[key] = value;
  for (const key of delta.unset ?? []) delete state[key];
  for (const [key, { keep, from = keep, take = 0, items }] of Object.entries(delta.lists ?? {})) {
    const list = state[key];
    const reusable = Array.isArray(list) ? list.length : -1;
    if (!Array.isArray(list) || keep > reusable || from < keep || from + take > reusable) {
      throw new SextantError('RUN_STATE_INVALID', `Checkpoint record ${where.seq} of run ${where.runId} does not follow the one before it (list ${key})`, {
        context: { ...where, list: key, keep, from, take, length: Array.isArray(list) ? list.length : undefined },
      });
    }
    // Appended (the common case) in place: a load stays linear in what the records hold.
    const next = take > 0 ? [...list.slice(0, keep), ...list.slice(from, from + take)] : list;
    next.length = keep + take;
    for (const item of items) next.push(item);
    state[key] = next;
  }
}
