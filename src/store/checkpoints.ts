import type Database from 'better-sqlite3';
import type { CheckpointStore } from '../agent/stores.js';
import { checkpointLog, type CheckpointLogBackend, type CheckpointLogRecord } from './checkpoint-log.js';
import type { SqlStore } from './db.js';

/**
 * The agent runtime's CheckpointStore on SQLite or Postgres: each save appends a step record to
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
