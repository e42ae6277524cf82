import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, sqlCheckpointStore, sqlSessionStore, sqlTraceRepository, type SqlStore, type TraceBatch } from '../src/store/index.js';

const PG_SCHEMA = `store_core_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
const PG_URL = `postgres://postgres@127.0.0.1:5432/test?options=${encodeURIComponent(`-c search_path=${PG_SCHEMA}`)}`;

function span(traceId: string, id: string, over: Partial<TraceBatch['spans'][number]> = {}): TraceBatch['spans'][number] {
  return {
    id,
    traceId,
    parentId: 'root',
    kind: 'step',
    name: 'step',
    status: 'ok',
    startedAt: 1000,
    endedAt: 1001,
    attributes: '{"a":1}',
    events: null,
    error: null,
    ...over,
  };
}

function start(id: string, startedAt: number, over: Partial<TraceBatch['starts'][number]> = {}): TraceBatch['starts'][number] {
  return { id, runId: `run-${id}`, kind: 'run', name: 'agent', agent: 'support', session: 's1', tenant: 't1', startedAt, pid: process.pid, host: 'h', ...over };
}

const counts = (traceId: string, n: Partial<TraceBatch['counts'][number]> = {}): TraceBatch['counts'][number] => ({
  traceId,
  spans: 1,
  dropped: 0,
  bytes: 7,
  steps: 1,
  costUsd: 0.5,
  inputTokens: 10,
  outputTokens: 5,
  ...n,
});

// The same suite runs on both engines, and on SQLite both in memory (traces written on the
// connection itself) and in a file (traces written by the writer thread): callers never see which.
for (const engine of ['sqlite :memory:', 'sqlite file', 'postgres'] as const) {
  describe(`core store on ${engine}`, () => {
    let store: SqlStore;
    let dir: string | undefined;

    beforeAll(async () => {
      if (engine === 'postgres') {
        const client = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/test' });
        await client.connect();
        await client.query(`CREATE SCHEMA ${PG_SCHEMA}`);
        await client.end();
        store = await openStore({ url: PG_URL });
      } else if (engine === 'sqlite file') {
        dir = mkdtempSync(join(tmpdir(), 'sextant-store-core-'));
        store = await openStore({ url: join(dir, 'core.db') });
      } else {
        store = await openStore({ url: ':memory:' });
      }
    });

    afterAll(async () => {
      await store.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
      if (engine === 'postgres') {
        const client = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/test' });
        await client.connect();
        await client.query(`DROP SCHEMA ${PG_SCHEMA} CASCADE`);
        await client.end();
      }
    });

    it('writes a batch and reads the trace back by id, run id and prefix', async () => {
      const repo = sqlTraceRepository(store);
      const now = Date.now();
      await repo.writeBatch({
        starts: [start('trace-aaa', now)],
        spans: [
          span('trace-aaa', 'root', { parentId: null, kind: 'run', status: 'running', endedAt: null }),
          span('trace-aaa', 'sp1', { attributes: '{"x":"y"}', events: '[{"name":"limit","at":1}]' }),
        ],
        counts: [counts('trace-aaa')],
        ends: [],
      });
      const running = await repo.get('run-trace-aaa');
      expect(running?.trace).toMatchObject({ id: 'trace-aaa', status: 'running', steps: 1, cost_usd: 0.5, input_tokens: 10, span_count: 1 });
      await repo.writeBatch({
        starts: [],
        spans: [span('trace-aaa', 'root', { parentId: null, kind: 'run', status: 'ok', endedAt: 2000, attributes: '{"done":true}' })],
        counts: [counts('trace-aaa', { steps: 0, costUsd: 0 })],
        ends: [{ id: 'trace-aaa', status: 'completed', stopReason: 'completed', endedAt: 2000, costUsd: 0.75 }],
      });
      const got = await repo.get('trace-a');
      expect(got?.trace).toMatchObject({ status: 'completed', stop_reason: 'completed', cost_usd: 0.75, steps: 1, span_count: 2 });
      expect(got?.spans.map((s) => s.id).sort()).toEqual(['root', 'sp1']);
      const root = got!.spans.find((s) => s.id === 'root')!;
      expect(root).toMatchObject({ status: 'ok', endedAt: 2000, attributes: { done: true } });
      expect(got!.spans.find((s) => s.id === 'sp1')!.events).toEqual([{ name: 'limit', at: 1 }]);
      expect(await repo.get('nope')).toBeUndefined();
      // A root span joining the finished trace (a gateway session's next request) makes it running again.
      await repo.writeBatch({ starts: [start('trace-aaa', now + 5, { pid: 4242 })], spans: [], counts: [], ends: [] });
      expect((await repo.get('trace-aaa'))?.trace).toMatchObject({ status: 'running', ended_at: null, pid: 4242, cost_usd: 0.75 });
    });

    it('lists with filters, newest first', async () => {
      const repo = sqlTraceRepository(store);
      const base = Date.now() + 10_000;
      await repo.writeBatch({
        starts: [
          start('l1', base, { agent: 'billing', session: 'sx' }),
          start('l2', base + 1, { agent: 'billing' }),
          start('l3', base + 2, { agent: 'other' }),
        ],
        spans: [],
        counts: [counts('l2', { costUsd: 3 })],
        ends: [{ id: 'l1', status: 'error', stopReason: 'TOOL_ERROR', endedAt: base + 5 }],
      });
      expect((await repo.list({ agent: 'billing' })).map((t) => t.id)).toEqual(['l2', 'l1']);
      expect((await repo.list({ status: 'error' })).map((t) => t.id)).toEqual(['l1']);
      expect((await repo.list({ session: 'sx' })).map((t) => t.id)).toEqual(['l1']);
      expect((await repo.list({ minCostUsd: 2 })).map((t) => t.id)).toEqual(['l2']);
      expect((await repo.list({ since: base + 2 })).map((t) => t.id)).toEqual(['l3']);
    });

    it('marks a running trace of a dead process interrupted, and one with a stale heartbeat', async () => {
      const repo = sqlTraceRepository(store);
      const { hostname } = await import('node:os');
      const now = Date.now();
      // pid 2^22+1 is above Linux's default pid_max: never alive.
      await repo.writeBatch({
        starts: [
          start('dead', now, { host: hostname(), pid: 4_194_305 }),
          start('stale', now - 60_000, { host: 'elsewhere' }),
          start('alive', now, { host: hostname() }),
        ],
        spans: [span('dead', 'dead-root', { parentId: null, kind: 'run', status: 'running', endedAt: null }), span('dead', 'dead-step')],
        counts: [],
        ends: [],
      });
      expect(await repo.markStaleInterrupted({ now })).toBe(2);
      const dead = await repo.get('dead');
      expect(dead?.trace).toMatchObject({ status: 'interrupted', stop_reason: 'interrupted' });
      expect(dead?.spans.find((s) => s.id === 'dead-root')?.status).toBe('interrupted');
      expect(dead?.spans.find((s) => s.id === 'dead-step')?.status).toBe('ok');
      expect((await repo.get('stale'))?.trace.status).toBe('interrupted');
      expect((await repo.get('alive'))?.trace.status).toBe('running');
    });

    it('prunes by age and by size, never running traces', async () => {
      const repo = sqlTraceRepository(store);
      const now = Date.now() + 100_000;
      const ids = ['p-old', 'p-mid', 'p-new'];
      await repo.writeBatch({
        starts: [start('p-old', now - 50_000), start('p-mid', now - 40_000), start('p-new', now - 30_000), start('p-run', now - 90_000)],
        spans: ids.map((id) => span(id, `${id}-s`)),
        counts: ids.map((id) => counts(id, { bytes: 1_000_000 })),
        ends: ids.map((id) => ({ id, status: 'completed' as const, stopReason: 'completed', endedAt: now })),
      });
      // Earlier tests' finished traces are older still and go too.
      expect((await repo.prune({ maxAgeMs: 45_000, now })).traces).toBeGreaterThanOrEqual(1);
      expect(await repo.get('p-old')).toBeUndefined();
      expect(await repo.get('p-mid')).toBeDefined();
      // Other tests' traces hold a few bytes; 1.5 MB keeps only the newest big one.
      await repo.prune({ maxBytes: 1_500_000, now });
      expect(await repo.get('p-mid')).toBeUndefined();
      expect(await repo.get('p-new')).toBeDefined();
      expect((await repo.get('p-run'))?.trace.status).toBe('running');
      const spans = await store.db.selectFrom('spans').select('id').where('trace_id', 'in', ['p-old', 'p-mid']).execute();
      expect(spans).toEqual([]);
    });

    it('implements the agent checkpoint and session stores', async () => {
      const checkpoints = sqlCheckpointStore(store);
      expect(await checkpoints.load('r1')).toBeUndefined();
      await checkpoints.save({ runId: 'r1', step: 1, state: { version: 1, messages: ['a'] }, updatedAt: 5 });
      await checkpoints.save({ runId: 'r1', step: 2, state: { version: 1, messages: ['a', 'b'] }, updatedAt: 6 });
      expect(await checkpoints.load('r1')).toEqual({ runId: 'r1', step: 2, state: { version: 1, messages: ['a', 'b'] }, updatedAt: 6 });
      await checkpoints.delete('r1');
      expect(await checkpoints.load('r1')).toBeUndefined();

      const sessions = sqlSessionStore(store);
      expect(await sessions.load('s')).toEqual([]);
      await sessions.save('s', [{ role: 'user', content: 'hi' }]);
      await sessions.save('s', [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'hello' },
      ]);
      expect(await sessions.load('s')).toEqual([
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'hello' },
      ]);
    });

    it('rejects a corrupt checkpoint with a clear error and keeps the row', async () => {
      await store.db.insertInto('checkpoints').values({ run_id: 'bad', step: 1, state: '{not json', updated_at: 1 }).execute();
      await expect(sqlCheckpointStore(store).load('bad')).rejects.toMatchObject({ code: 'RUN_STATE_INVALID' });
      expect(await store.db.selectFrom('checkpoints').select('state').where('run_id', '=', 'bad').executeTakeFirst()).toEqual({ state: '{not json' });
    });
  });
}
