import { SextantError } from '../errors.js';

/**
 * The step records of a checkpoint: what changed in a run's state since its last save, so a save
 * costs what the step added, not the whole run. The state is opaque JSON here (an object); its
 * top-level lists (messages, steps, checks) are taken to grow by appending, everything else is
 * compared by value:
 *
 *   { "set": { field: value }, "unset": [field], "append": { list: { "at": i, "items": [...] } } }
 *
 * `set` holds the fields whose JSON changed and the lists that were replaced or rewritten (a new
 * array, a shorter one, a different first element or last saved element); `unset` the fields
 * gone; `append` cuts a list back to `at` and adds `items`. `at` is the index of the last element
 * saved before: it is written again, because the runner still fills it in after a save (a step's
 * tool results). An element before it changed in place would go unseen: such a change replaces
 * the list instead (a contract of CheckpointStore).
 */
export interface StateDelta {
  set?: Record<string, unknown>;
  unset?: string[];
  append?: Record<string, { at: number; items: unknown[] }>;
}

/** What the last save wrote: each field's JSON, and for each list its identity, length and end elements. */
export interface WrittenState {
  texts: Map<string, string>;
  lists: Map<string, { list: unknown[]; length: number; first: unknown; last: unknown }>;
}

type JsonObject = Record<string, unknown>;

const listMark = (list: unknown[]) => ({ list, length: list.length, first: list[0], last: list[list.length - 1] });

/** The whole state as JSON (what `JSON.stringify` gives), and what it wrote. */
export function snapshotOf(state: JsonObject): { text: string; written: WrittenState } {
  const written: WrittenState = { texts: new Map(), lists: new Map() };
  const parts: string[] = [];
  for (const key of Object.keys(state)) {
    const value = state[key];
    const text = JSON.stringify(value) as string | undefined;
    if (text === undefined) continue;
    parts.push(`${JSON.stringify(key)}:${text}`);
    if (Array.isArray(value)) written.lists.set(key, listMark(value));
    else written.texts.set(key, text);
  }
  return { text: `{${parts.join(',')}}`, written };
}

/** The delta of `state` on what the last save wrote, as JSON; `written` is updated to this save. */
export function deltaOf(state: JsonObject, written: WrittenState): string {
  const set: string[] = [];
  const append: string[] = [];
  const seen = new Set<string>();
  for (const key of Object.keys(state)) {
    const value = state[key];
    if (Array.isArray(value)) {
      const mark = written.lists.get(key);
      seen.add(key);
      written.texts.delete(key);
      written.lists.set(key, listMark(value));
      const appended =
        mark !== undefined &&
        mark.list === value &&
        value.length >= mark.length &&
        (mark.length === 0 || (value[0] === mark.first && value[mark.length - 1] === mark.last));
      if (!appended) {
        set.push(`${JSON.stringify(key)}:${JSON.stringify(value)}`);
        continue;
      }
      const at = Math.max(mark.length - 1, 0);
      if (value.length > at) append.push(`${JSON.stringify(key)}:{"at":${at},"items":${JSON.stringify(value.slice(at))}}`);
      continue;
    }
    const text = JSON.stringify(value) as string | undefined;
    if (text === undefined) continue;
    seen.add(key);
    written.lists.delete(key);
    if (written.texts.get(key) === text) continue;
    written.texts.set(key, text);
    set.push(`${JSON.stringify(key)}:${text}`);
  }
  const unset: string[] = [];
  for (const map of [written.texts, written.lists])
    for (const key of map.keys())
      if (!seen.has(key)) {
        map.delete(key);
        unset.push(JSON.stringify(key));
      }
  const parts: string[] = [];
  if (set.length) parts.push(`"set":{${set.join(',')}}`);
  if (unset.length) parts.push(`"unset":[${unset.join(',')}]`);
  if (append.length) parts.push(`"append":{${append.join(',')}}`);
  return `{${parts.join(',')}}`;
}

/** Applies a delta to a state folded so far (in place). A delta that does not fit it is refused, never guessed at. */
export function applyDelta(state: JsonObject, delta: StateDelta, where: { runId: string; seq: number }): void {
  for (const [key, value] of Object.entries(delta.set ?? {})) state[key] = value;
  for (const key of delta.unset ?? []) delete state[key];
  for (const [key, { at, items }] of Object.entries(delta.append ?? {})) {
    const list = state[key];
    if (!Array.isArray(list) || at !== Math.max(list.length - 1, 0)) {
      throw new SextantError('RUN_STATE_INVALID', `Checkpoint record ${where.seq} of run ${where.runId} does not follow the one before it (list ${key})`, {
        context: { ...where, list: key, at, length: Array.isArray(list) ? list.length : undefined },
      });
    }
    list.length = at;
    for (const item of items) list.push(item);
  }
}
