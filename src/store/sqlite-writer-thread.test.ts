import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from './db.js';
import { startSqliteWriterThread } from './sqlite-writer-thread.js';
import type { TraceBatch } from './trace-batch.js';

const job = (traceId: string, spanIds: string[], over: Partial<TraceBatch['spans'][number]> = {}) => ({ batch: batch(traceId, spanIds, over) });

function batch(traceId: string, spanIds: string[], over: Partial<TraceBatch['spans'][number]> = {}): TraceBatch {
  return {
    starts: [{ id: traceId, runId: null, kind: 'gateway', name: 'chat', agent: null, session: null, tenant: null, startedAt: 1, pid: process.pid, host: 'h' }],
    spans: spanIds.map((id) => ({
      id,
      traceId,
      parentId: 'root',
      kind: 'model',
      name: 'm',
      status: 'ok',
      startedAt: 1,
      endedAt: 2,
      attributes: '{}',
      events: null,
      error: null,
      ...over,
    })),
    counts: [],
    ends: [],
  };
}

describe('SQLite writer thread', () => {
  let dir: string;
  let path: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sextant-writer-thread-'));
    path = join(dir, 'traces.db');
    await (await openStore({ url: path })).close();
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('commits batches in the order given, each visible to another connection once its write resolves', async () => {
    const thread = startSqliteWriterThread(path);
    const reader = new Database(path, { readonly: true });
    try {
      const writes = Array.from({ length: 20 }, (_, i) => thread.write(job(`t${i}`, [`a${i}`, `b${i}`])));
      await writes[0];
      expect(reader.prepare('SELECT count(*) AS n FROM spans WHERE trace_id = ?').get('t0')).toEqual({ n: 2 });
      await Promise.all(writes);
      expect(reader.prepare('SELECT count(*) AS n FROM spans').get()).toEqual({ n: 40 });
      // Written in order: a later batch's upsert of a root span wins over an earlier one.
      await thread.write(job('t0', ['root'], { parentId: null, status: 'running', endedAt: null }));
      await thread.write(job('t0', ['root'], { parentId: null, status: 'ok', endedAt: 9 }));
      expect(reader.prepare(`SELECT status, ended_at FROM spans WHERE id = 'root'`).get()).toEqual({ status: 'ok', ended_at: 9 });
    } finally {
      reader.close();
      await thread.close();
    }
  });

  it('rejects a batch SQLite refuses with STORE_ERROR, keeps none of it, and goes on writing', async () => {
    const thread = startSqliteWriterThread(path);
    try {
      const bad = job('bad', ['x', 'y'], { name: null as unknown as string });
      await expect(thread.write(bad)).rejects.toMatchObject({ code: 'STORE_ERROR', message: expect.stringMatching(/NOT NULL/) });
      await thread.write(job('good', ['z']));
      const reader = new Database(path, { readonly: true });
      // The refused batch's trace row was rolled back with its spans.
      expect(reader.prepare('SELECT id FROM traces ORDER BY id').all()).toEqual([{ id: 'good' }]);
      reader.close();
    } finally {
      await thread.close();
    }
  });

  it('rejects writes when the thread cannot open the database, and starts again on the next write', async () => {
    const unopenable = join(dir, 'a-directory');
    mkdirSync(unopenable);
    const thread = startSqliteWriterThread(unopenable);
    await expect(thread.write(job('t', ['s']))).rejects.toMatchObject({ code: 'STORE_ERROR', message: expect.stringMatching(/Cannot open SQLite database/) });
    rmSync(unopenable, { recursive: true });
    // The same path now holds a store: the restarted thread writes there.
    await (await openStore({ url: unopenable })).close();
    await thread.write(job('t', ['s']));
    await thread.close();
    const reader = new Database(unopenable, { readonly: true });
    expect(reader.prepare('SELECT count(*) AS n FROM spans').get()).toEqual({ n: 1 });
    reader.close();
  });

  it("runs a store's write-behind queries on the thread: each call in one transaction, in order", async () => {
    const store = await openStore({ url: path });
    try {
      const insert = (id: string) =>
        store.db
          .insertInto('cache_metrics')
          .values({
            scope_key: id,
            tenant: 't',
            model: 'm',
            exact_hits: 1,
            semantic_hits: 0,
            misses: 0,
            verifier_rejections: 0,
            saved_usd: 0,
            saved_ms: 0,
            updated_at: 1,
          })
          .compile();
      await store.writeBehind([insert('a'), insert('b')]);
      // The second query repeats a key: the whole call rolls back, and the next call still lands.
      await expect(store.writeBehind([insert('c'), insert('a')])).rejects.toMatchObject({ code: 'STORE_ERROR' });
      await store.writeBehind([insert('d')]);
      const rows = await store.db.selectFrom('cache_metrics').select('scope_key').orderBy('scope_key').execute();
      expect(rows.map((r) => r.scope_key)).toEqual(['a', 'b', 'd']);
    } finally {
      await store.close();
    }
  });

  it('keeps the process alive until what it was handed is written, and no longer', () => {
    // A child that writes one batch and never closes its store: it must exit on its own, with the batch written.
    const program = `
      const { openStore } = await import(${JSON.stringify(new URL('./db.ts', import.meta.url).href)});
      const store = await openStore({ url: ${JSON.stringify(path)} });
      void store.writeTraceBatch(${JSON.stringify(batch('child', ['c1', 'c2']))});
    `;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', program], { timeout: 15_000, encoding: 'utf8' });
    expect(child.error).toBeUndefined();
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    const reader = new Database(path, { readonly: true });
    expect(reader.prepare(`SELECT count(*) AS n FROM spans WHERE trace_id = 'child'`).get()).toEqual({ n: 2 });
    reader.close();
  });
});
