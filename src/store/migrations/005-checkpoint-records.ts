import type { Kysely, Migration } from 'kysely';

/**
 * Checkpoints as step records (expand only): each save appends a record, a snapshot replaces a
 * run's records. Rows already in `checkpoints` keep loading; a run saved again moves here.
 */
export const checkpointRecordsMigration: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('checkpoint_records')
      .addColumn('run_id', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('step', 'integer', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      // Reading a run's records in order and replacing them both go through this index.
      .addPrimaryKeyConstraint('checkpoint_records_pk', ['run_id', 'seq'])
      .execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropTable('checkpoint_records').execute();
  },
};
