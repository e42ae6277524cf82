import type Database from 'better-sqlite3';
import { checkpointLog, type CheckpointLogBackend, type CheckpointLogRecord } from './checkpoint-log.js';
import type { SqlStore } from './sql-store.js';

/** The serialized state of a run after a step: versioned JSON, enough to resume it. */
export interface CheckpointRecord {
  runId: string;
  /** Step number the state was saved after. */
  step: number;
  /** Versioned JSON, opaque here: the agent runtime's run state says how to read it (its own `version` field). */
  state: unknown;
  updatedAt: number;
}

/**
 * Where a run's checkpoints are kept, so that it can resume in another process.
 *
 * - `save` is given the run's live state after each step (and around non-idempotent tool calls)
 *   and resolves once that state is durable. It reads the state at once: later changes are never
 *   part of it. It may write only what changed since its last save of the same state object
 *   (the built-in stores append a step record; see checkpoint-log.ts), which holds when the
 *   state is never changed in place below its top level: a field that changes is given a new
 *   value (object or array), and a top-level list grows by appending; to change an element,
 *   replace the list with a new array holding a new element. Any other
 *   object (a copy, a resumed state) is saved whole.
 * - Saves of one run are written in the order they were called. After a failed save, the saves
 *   already queued behind it fail too, and the next one writes the whole state again.
 * - `load` returns the state as the last save saw it, exactly as a whole-state save would have
 *   stored it (JSON), with that save's step and time.
 * - `delete` waits for saves in flight, then drops what the store holds for the run.
 */
export interface CheckpointStore {
  save(record: CheckpointRecord): Promise<void>;
  load(runId: string): Promise<CheckpointRecord | undefined>;
  delete(runId: string): Promise<void>;
}

/**
 * A CheckpointStore on SQLite or Postgres: each save appends a step record to
 * `checkpoint_records`, a snapshot replaces the run's records (see checkpoint-log.ts). A run
 * checkpointed before step records existed loads from its `checkpoints` row; its first snapshot
 * here deletes that row, so a replica still on the old code finds no checkpoint rather than a stale one.
 */
export function sqlCheckpointStore(store: SqlStore): CheckpointStore {
  const { db } = store;
  const sync = store.sqlite && sqliteWriter(store.sqlite);
  const backend: CheckpointLogBackend = {
    write(record) {
      if (sync?.ready()) return sync.write(record);
      const row = { run_id: record.runId, seq: record.seq, step: record.step, body: record.body, updated_at: record.updatedAt };
      if (record.seq > 0)
        return db
          .insertInto('checkpoint_records')
          .values(row)
          .execute()
          .then(() => undefined);
      return db.transaction().execute(async (tx) => {
        await tx.deleteFrom('checkpoint_records').where('run_id', '=', record.runId).execute();
        await tx.deleteFrom('checkpoints').where('run_id', '=', record.runId).execute();
        await tx.insertInto('checkpoint_records').values(row).execute();
      });
    },
    async read(runId) {
      const rows = await db.selectFrom('checkpoint_records').selectAll().where('run_id', '=', runId).orderBy('seq').execute();
      if (rows.length > 0) return rows.map((r) => ({ runId, seq: Number(r.seq), step: Number(r.step), body: r.body, updatedAt: Number(r.updated_at) }));
      const legacy = await db.selectFrom('checkpoints').selectAll().where('run_id', '=', runId).executeTakeFirst();
      return legacy ? [{ runId, seq: 0, step: Number(legacy.step), body: legacy.state, updatedAt: Number(legacy.updated_at) }] : [];
    },
    async delete(runId) {
      await db.deleteFrom('checkpoint_records').where('run_id', '=', runId).execute();
      await db.deleteFrom('checkpoints').where('run_id', '=', runId).execute();
    },
  };
  return checkpointLog(backend);
}

/**
 * The same writes on SQLite over prepared statements, synchronously: through Kysely a save paid
 * more for the query builder and its async hops than for SQLite itself (as the budget ledger
 * found). Not used while a Kysely transaction is open on the shared connection (`ready()` is
 * false): its statements would join that transaction, so the write takes the Kysely path.
 */
function sqliteWriter(database: Database.Database) {
  let statements: ReturnType<typeof prepare> | undefined;
  function prepare() {
    const insert = database.prepare('INSERT INTO checkpoint_records (run_id, seq, step, body, updated_at) VALUES (?, ?, ?, ?, ?)');
    const clear = database.prepare('DELETE FROM checkpoint_records WHERE run_id = ?');
    const clearLegacy = database.prepare('DELETE FROM checkpoints WHERE run_id = ?');
    const append = (r: CheckpointLogRecord) => void insert.run(r.runId, r.seq, r.step, r.body, r.updatedAt);
    const snapshot = database.transaction((r: CheckpointLogRecord) => {
      clear.run(r.runId);
      clearLegacy.run(r.runId);
      append(r);
    });
    return { append, snapshot };
  }
  return {
    ready: () => !database.inTransaction,
    write(record: CheckpointLogRecord): void {
      // Prepared on first use: the table exists only once the store is migrated.
      statements ??= prepare();
      if (record.seq > 0) statements.append(record);
      else statements.snapshot(record);
    },
  };
}
