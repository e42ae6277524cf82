import { describe, expect, it } from 'vitest';
import { checkpointLog, type CheckpointLogBackend, type CheckpointLogRecord } from './checkpoint-log.js';

/** A seeded PRNG (mulberry32): every random case can be replayed from its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A backend in memory that can be slowed down (writes settle out of order if the log let them) and made to fail. */
function memoryBackend(options: { delay?: () => number; failOn?: (record: CheckpointLogRecord) => boolean } = {}) {
  const logs = new Map<string, CheckpointLogRecord[]>();
  const writes: CheckpointLogRecord[] = [];
  const apply = (record: CheckpointLogRecord) => {
    if (options.failOn?.(record)) throw new Error('disk full');
    writes.push(record);
    if (record.seq === 0) logs.set(record.runId, [record]);
    else logs.get(record.runId)!.push(record);
  };
  const backend: CheckpointLogBackend = {
    write(record) {
      const ms = options.delay?.();
      if (ms === undefined) return apply(record);
      return new Promise<void>((resolve, reject) => setTimeout(() => (ms >= 0 ? resolve() : reject(new Error('x'))), ms)).then(() => apply(record));
    },
    async read(runId) {
      return [...(logs.get(runId) ?? [])];
    },
    async delete(runId) {
      logs.delete(runId);
    },
  };
  return { backend, writes, logs };
}

type State = Record<string, unknown> & { messages: unknown[]; steps: { toolResults: unknown[] }[]; checks: unknown[] };

/** One random change of the kinds the runner makes (and a few it could). */
function mutate(state: State, rnd: () => number, n: number): void {
  const pick = Math.floor(rnd() * 12);
  switch (pick) {
    case 0:
    case 1:
      state.messages.push({ role: 'user', content: `m${n}` });
      break;
    case 2:
      state.steps.push({ toolResults: [] });
      break;
    case 3:
      // A step's tool results are filled in after it was saved (a new record in a new list).
      if (state.steps.length) state.steps = [...state.steps.slice(0, -1), { ...state.steps[state.steps.length - 1], toolResults: [{ content: `r${n}` }] }];
      break;
    case 4:
      // Context compaction and answer-now replace the conversation.
      state.messages = [{ role: 'system', content: `summary ${n}` }, ...state.messages.slice(-2)];
      break;
    case 5:
      // A list appended to, then cut at the front in place (seen: its first element changed).
      state.checks.push(n);
      if (state.checks.length > 3) state.checks.splice(0, 1);
      break;
    case 6:
      state.usage = { totalTokens: n };
      break;
    case 7:
      state.toolCalls = { ...(state.toolCalls as Record<string, number>), [`t${n % 3}`]: n };
      break;
    case 8:
      state.pending = rnd() < 0.5 ? undefined : { results: { [`c${n}`]: n }, started: [`c${n}`] };
      break;
    case 9:
      if (rnd() < 0.5) delete state.completed;
      else state.completed = { text: `done ${n}` };
      break;
    case 10:
      // Drop-oldest compaction: a new array holding the saved tail, then more.
      state.messages = state.messages.slice(Math.floor(rnd() * state.messages.length));
      if (rnd() < 0.5) state.messages.push({ role: 'assistant', content: `a${n}` });
      break;
    default:
      // A list that shrank in place.
      state.messages.length = Math.floor(state.messages.length / 2);
  }
}

const newState = (): State => ({ version: 1, runId: 'r', messages: [], steps: [], checks: [], toolCalls: {}, elapsedMs: 0 });
const json = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;

describe('checkpointLog', () => {
  it('folds its records back into the state a whole save would store, after every save of 200 random runs', async () => {
    for (let seed = 1; seed <= 200; seed++) {
      const rnd = random(seed);
      const { backend } = memoryBackend();
      const store = checkpointLog(backend, [0.5, 1, 4][seed % 3]);
      const state = newState();
      for (let n = 0; n < 40; n++) {
        for (let k = Math.floor(rnd() * 3); k >= 0; k--) mutate(state, rnd, n);
        state.elapsedMs = n;
        await store.save({ runId: 'r', step: n, state, updatedAt: n });
        const loaded = await store.load('r');
        expect({ seed, n, state: loaded?.state }).toEqual({ seed, n, state: json(state) });
        expect(loaded).toMatchObject({ step: n, updatedAt: n });
      }
    }
  });

  it('writes only what changed: the 50th save of a growing run is about as large as the 2nd', async () => {
    const { backend, writes } = memoryBackend();
    const store = checkpointLog(backend);
    const state = newState();
    for (let n = 0; n < 60; n++) {
      state.messages.push({ role: 'assistant', content: `answer ${n} `.repeat(20) });
      state.steps.push({ toolResults: [{ content: `result ${n} `.repeat(20) }] });
      await store.save({ runId: 'r', step: n, state, updatedAt: n });
    }
    const deltas = writes.filter((w) => w.seq > 0).map((w) => w.body.length);
    expect(Math.max(...deltas)).toBeLessThan(2 * deltas[0]);
    // Snapshots included, everything written stays within a few times the final state (a whole save each time: ~30×).
    const total = writes.reduce((n, w) => n + w.body.length, 0);
    expect(total).toBeLessThan(6 * JSON.stringify(state).length);
  });

  it('writes a run’s records in the order its saves were called, even when the backend is slow and uneven', async () => {
    const rnd = random(7);
    const { backend, writes } = memoryBackend({ delay: () => Math.floor(rnd() * 5) });
    const store = checkpointLog(backend);
    const state = newState();
    const saves: Promise<void>[] = [];
    for (let n = 0; n < 20; n++) {
      mutate(state, rnd, n);
      saves.push(store.save({ runId: 'r', step: n, state, updatedAt: n }));
    }
    await Promise.all(saves);
    expect(writes.map((w) => w.step)).toEqual([...Array(20).keys()]);
    expect((await store.load('r'))?.state).toEqual(json(state));
  });

  it('after a failed save, the saves queued behind it fail unwritten and the next one writes a snapshot', async () => {
    let fail = true;
    const { backend, writes } = memoryBackend({ delay: () => 1, failOn: (r) => fail && r.seq === 2 });
    // A high ratio: no compaction snapshot comes in between.
    const store = checkpointLog(backend, 100);
    const state = newState();
    const results: Promise<void>[] = [];
    for (let n = 0; n < 4; n++) {
      state.messages.push({ role: 'user', content: `m${n}` });
      results.push(store.save({ runId: 'r', step: n, state, updatedAt: n }));
    }
    const settled = await Promise.allSettled(results);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected']);
    expect(settled[2]).toMatchObject({ reason: { code: 'STORE_ERROR' } });
    expect(writes.map((w) => w.seq)).toEqual([0, 1]);
    fail = false;
    state.messages.push({ role: 'user', content: 'm4' });
    await store.save({ runId: 'r', step: 4, state, updatedAt: 4 });
    expect(writes.at(-1)).toMatchObject({ seq: 0, step: 4 });
    expect((await store.load('r'))?.state).toEqual(json(state));
  });

  it('saves another object of the same run (a resumed state) whole, and refuses records that do not fold', async () => {
    const { backend, writes, logs } = memoryBackend();
    const store = checkpointLog(backend);
    const first = newState();
    await store.save({ runId: 'r', step: 1, state: first, updatedAt: 1 });
    first.messages.push({ role: 'user', content: 'a' });
    await store.save({ runId: 'r', step: 2, state: first, updatedAt: 2 });
    const resumed = json(first) as State;
    await store.save({ runId: 'r', step: 2, state: resumed, updatedAt: 3 });
    expect(writes.map((w) => w.seq)).toEqual([0, 1, 0]);

    resumed.messages.push({ role: 'user', content: 'b' });
    await store.save({ runId: 'r', step: 3, state: resumed, updatedAt: 4 });
    logs.get('r')!.splice(0, 1);
    await expect(store.load('r')).rejects.toMatchObject({ code: 'RUN_STATE_INVALID' });
  });
});
