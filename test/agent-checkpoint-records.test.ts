import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineAgent, defineTool, memoryCheckpointStore } from '../src/agent/index.js';
import { DEFAULTS } from '../src/defaults.js';
import { scriptedModel, type ModelRequest, type ScriptedReply } from '../src/model/index.js';
import { openStore, sqlCheckpointStore, type CheckpointStore, type SqlStore } from '../src/store/index.js';

const PG_SCHEMA = `checkpoint_records_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
const PG_ADMIN = 'postgres://postgres@127.0.0.1:5432/test';
const PG_URL = `${PG_ADMIN}?options=${encodeURIComponent(`-c search_path=${PG_SCHEMA}`)}`;

/** A seeded PRNG (mulberry32), so a failing run can be replayed from its seed. */
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

/**
 * Checks every save: the saves go through one at a time, and after each the store's load must
 * give back exactly the JSON of the live state as it was handed over.
 */
function verifying(inner: CheckpointStore, mismatches: string[]): CheckpointStore & { saves: number } {
  let queue = Promise.resolve();
  const wrapper = {
    saves: 0,
    save(record: Parameters<CheckpointStore['save']>[0]) {
      const done = queue.then(async () => {
        const expected = JSON.stringify(record.state);
        await inner.save(record);
        wrapper.saves += 1;
        const loaded = await inner.load(record.runId);
        if (!deepEqualJson(JSON.stringify(loaded?.state), expected)) mismatches.push(`${record.runId} save ${wrapper.saves}`);
      });
      queue = done.catch(() => undefined);
      return done;
    },
    load: (runId: string) => inner.load(runId),
    delete: (runId: string) => inner.delete(runId),
  };
  return wrapper;
}

/** Key order may differ (a field set again moves to the end): compare as values. */
function deepEqualJson(a: string | undefined, b: string): boolean {
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v)
              .sort(([x], [y]) => (x < y ? -1 : 1))
              .map(([k, x]) => [k, sort(x)]),
          )
        : v;
  return a !== undefined && JSON.stringify(sort(JSON.parse(a))) === JSON.stringify(sort(JSON.parse(b)));
}

/** A random agent: tools idempotent or not, several calls a step, failures, a small context window (compaction, summaries), a step limit (answer now). */
function randomAgent(seed: number, checkpoints: CheckpointStore) {
  const rnd = random(seed);
  const tool = (name: string, idempotent: boolean) =>
    defineTool({
      name,
      description: name,
      idempotent,
      input: z.object({ n: z.number() }),
      execute: async ({ n }) => {
        await new Promise((r) => setTimeout(r, Math.floor(rnd() * 3)));
        if (rnd() < 0.15) throw new Error(`${name} failed on ${n}`);
        return `${name} result ${n} `.repeat(1 + Math.floor(rnd() * 10));
      },
    });
  const tools = [tool('lookup', true), tool('charge', false), tool('ship', false)];
  const replies = (request: ModelRequest, index: number): ScriptedReply => {
    if (!request.tools?.length || request.toolChoice === 'none' || rnd() < 0.1) return { text: `answer ${index}` };
    const calls = 1 + Math.floor(rnd() * 3);
    return { toolCalls: [...Array(calls).keys()].map((i) => ({ name: tools[Math.floor(rnd() * tools.length)].name, arguments: { n: index * 10 + i } })) };
  };
  const small = rnd() < 0.5;
  return defineAgent({
    model: scriptedModel({ replies }),
    modelName: 'scripted:x',
    tools,
    checkpoints,
    maxParallelTools: 1 + Math.floor(rnd() * 3),
    loopDetector: false,
    ...(small ? { context: { strategy: rnd() < 0.5 ? ('summarize' as const) : ('drop-oldest' as const), maxInputTokens: 400 } } : {}),
    limits: { maxSteps: 2 + Math.floor(rnd() * 10) },
  });
}

for (const engine of ['memory', 'sqlite file', 'postgres'] as const) {
  describe(`checkpoint step records on ${engine}`, () => {
    let store: SqlStore | undefined;
    let dir: string | undefined;
    const memory = memoryCheckpointStore();
    // A new store instance each time on SQL, as another process would have; memory has only the one.
    const checkpoints = () => (store ? sqlCheckpointStore(store) : memory);

    beforeAll(async () => {
      if (engine === 'postgres') {
        const client = new pg.Client({ connectionString: PG_ADMIN });
        await client.connect();
        await client.query(`CREATE SCHEMA ${PG_SCHEMA}`);
        await client.end();
        store = await openStore({ url: PG_URL });
      } else if (engine === 'sqlite file') {
        dir = mkdtempSync(join(tmpdir(), 'sextant-checkpoint-records-'));
        store = await openStore({ url: join(dir, 'runs.db') });
      }
    });

    afterAll(async () => {
      await store?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
      if (engine === 'postgres') {
        const client = new pg.Client({ connectionString: PG_ADMIN });
        await client.connect();
        await client.query(`DROP SCHEMA ${PG_SCHEMA} CASCADE`);
        await client.end();
      }
    });

    it('loads, after every save of random runs, exactly the state a whole save would have stored', async () => {
      const mismatches: string[] = [];
      const wrapped = verifying(checkpoints(), mismatches);
      for (let seed = 1; seed <= 25; seed++) {
        const result = await randomAgent(seed, wrapped).run(`task ${seed}`, { runId: `${engine}-run-${seed}` });
        expect(result.stopReason).not.toBe('error');
        const loaded = await wrapped.load(result.runId);
        expect(deepEqualJson(JSON.stringify(loaded?.state), JSON.stringify(result.state))).toBe(true);
      }
      expect(wrapped.saves).toBeGreaterThan(50);
      expect(mismatches).toEqual([]);
    }, 60_000);

    it('resumes a run from its step records in another store instance (as another process would)', async () => {
      const model = scriptedModel({
        replies: [{ toolCalls: [{ name: 'note', arguments: { n: 1 } }] }, { toolCalls: [{ name: 'note', arguments: { n: 2 } }] }, { text: 'noted' }],
      });
      const note = defineTool({ name: 'note', description: 'n', idempotent: true, input: z.object({ n: z.number() }), execute: ({ n }) => `note ${n}` });
      const first = defineAgent({ model, tools: [note], checkpoints: checkpoints(), limits: { maxSteps: 2, answerOnLimit: false } });
      const stopped = await first.run('take notes', { runId: `${engine}-resume` });
      expect(stopped.stopReason).toBe('max_steps');
      const second = defineAgent({ model, tools: [note], checkpoints: checkpoints() });
      const resumed = await second.resume(`${engine}-resume`);
      expect(resumed).toMatchObject({ stopReason: 'completed', output: 'noted' });
      expect(resumed.steps).toHaveLength(3);
    });

    if (engine !== 'memory') {
      it('writes each save as a step record of about the size of its step, however long the run', async () => {
        const db = store!.db;
        const noop = defineTool({ name: 'noop', description: 'n', idempotent: true, input: z.object({ i: z.number() }), execute: ({ i }) => `ok ${i}` });
        const sizes: number[] = [];
        const inner = sqlCheckpointStore(store!);
        const measuring: CheckpointStore = {
          async save(record) {
            await inner.save(record);
            const newest = await db
              .selectFrom('checkpoint_records')
              .select(['seq', 'body'])
              .where('run_id', '=', record.runId)
              .orderBy('seq', 'desc')
              .executeTakeFirstOrThrow();
            if (newest.seq > 0) sizes.push(newest.body.length);
          },
          load: (runId) => inner.load(runId),
          delete: (runId) => inner.delete(runId),
        };
        const replies = (_: ModelRequest, i: number): ScriptedReply => (i === 60 ? { text: 'done' } : { toolCalls: [{ name: 'noop', arguments: { i } }] });
        const agent = defineAgent({ model: scriptedModel({ replies }), tools: [noop], checkpoints: measuring, loopDetector: false, limits: { maxSteps: 70 } });
        const result = await agent.run('go', { runId: `${engine}-long` });
        expect(result.steps).toHaveLength(61);
        // A whole-state save grows with the run: its 100th save is ~50× its 2nd. A step record does not.
        expect(sizes.length).toBeGreaterThan(100);
        const early = Math.max(...sizes.slice(0, 10));
        expect(Math.max(...sizes.slice(-10))).toBeLessThan(1.5 * early);
        // Snapshots keep what a load reads within 1 + checkpointSnapshotRatio times the state.
        const rows = await db.selectFrom('checkpoint_records').select(['seq', 'body']).where('run_id', '=', result.runId).execute();
        const read = rows.reduce((n, row) => n + row.body.length, 0);
        expect(read).toBeLessThanOrEqual((1 + DEFAULTS.store.checkpointSnapshotRatio) * JSON.stringify(result.state).length);
        expect(rows.map((row) => row.seq).sort((a, b) => a - b)).toEqual([...rows.keys()]);
      });

      it('loads a run saved before step records (a checkpoints row), and its next save moves it to step records', async () => {
        const db = store!.db;
        const state = { version: 1, runId: `${engine}-legacy`, messages: [{ role: 'user', content: 'hi' }], steps: [] };
        await db
          .insertInto('checkpoints')
          .values({ run_id: state.runId, step: 0, state: JSON.stringify(state), updated_at: 5 })
          .execute();
        const checkpointStore = sqlCheckpointStore(store!);
        expect(await checkpointStore.load(state.runId)).toEqual({ runId: state.runId, step: 0, state, updatedAt: 5 });
        const next = { ...state, messages: [...state.messages, { role: 'assistant', content: 'hello' }] };
        await checkpointStore.save({ runId: state.runId, step: 1, state: next, updatedAt: 6 });
        expect(await db.selectFrom('checkpoints').selectAll().where('run_id', '=', state.runId).execute()).toEqual([]);
        expect(await checkpointStore.load(state.runId)).toEqual({ runId: state.runId, step: 1, state: next, updatedAt: 6 });
        await checkpointStore.delete(state.runId);
        expect(await checkpointStore.load(state.runId)).toBeUndefined();
      });
    }
  });
}
