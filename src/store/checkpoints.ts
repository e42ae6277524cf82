import { SextantError } from '../errors.js';
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

/** Where a run's checkpoints are kept, so that it can resume in another process. */
export interface CheckpointStore {
  save(record: CheckpointRecord): Promise<void>;
  load(runId: string): Promise<CheckpointRecord | undefined>;
  delete(runId: string): Promise<void>;
}

/** A CheckpointStore on SQLite or Postgres: one row per run, replaced after each step. */
export function sqlCheckpointStore(store: SqlStore): CheckpointStore {
  const { db } = store;
  return {
    async save(record: CheckpointRecord) {
      const row = { run_id: record.runId, step: record.step, state: JSON.stringify(record.state), updated_at: record.updatedAt };
      await db
        .insertInto('checkpoints')
        .values(row)
        .onConflict((oc) => oc.column('run_id').doUpdateSet({ step: row.step, state: row.state, updated_at: row.updated_at }))
        .execute();
    },
    async load(runId) {
      const row = await db.selectFrom('checkpoints').selectAll().where('run_id', '=', runId).executeTakeFirst();
      if (!row) return undefined;
      let state: unknown;
      try {
        state = JSON.parse(row.state);
      } catch (error) {
        throw new SextantError('RUN_STATE_INVALID', `Checkpoint of run ${runId} is not valid JSON`, { cause: error, context: { runId } });
      }
      return { runId: row.run_id, step: Number(row.step), state, updatedAt: Number(row.updated_at) };
    },
    async delete(runId) {
      await db.deleteFrom('checkpoints').where('run_id', '=', runId).execute();
    },
  };
}
