import type { Kysely, Migration } from 'kysely';

/** Traces and spans, checkpoints and sessions: what the agent runtime and tracer write. */
export const coreMigration: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('traces')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('run_id', 'text')
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('agent', 'text')
      .addColumn('session', 'text')
      .addColumn('tenant', 'text')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('stop_reason', 'text')
      .addColumn('cost_usd', 'double precision', (c) => c.notNull().defaultTo(0))
      .addColumn('input_tokens', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('output_tokens', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('steps', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('started_at', 'double precision', (c) => c.notNull())
      .addColumn('ended_at', 'double precision')
      .addColumn('pid', 'integer')
      .addColumn('host', 'text')
      .addColumn('heartbeat_at', 'double precision')
      .addColumn('span_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('dropped_spans', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('bytes', 'bigint', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema.createIndex('traces_started_at').on('traces').column('started_at').execute();
    await db.schema.createIndex('traces_run_id').on('traces').column('run_id').execute();
    await db.schema.createIndex('traces_status').on('traces').column('status').execute();

    await db.schema
      .createTable('spans')
      .addColumn('trace_id', 'text', (c) => c.notNull())
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('parent_id', 'text')
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('started_at', 'double precision', (c) => c.notNull())
      .addColumn('ended_at', 'double precision')
      .addColumn('attributes', 'text', (c) => c.notNull())
      .addColumn('events', 'text')
      .addColumn('error', 'text')
      // One index serves both the upsert and reading a trace's spans: half the index writes of id + trace_id.
      .addPrimaryKeyConstraint('spans_pk', ['trace_id', 'id'])
      .execute();

    await db.schema
      .createTable('checkpoints')
      .addColumn('run_id', 'text', (c) => c.primaryKey())
      .addColumn('step', 'integer', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('sessions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('messages', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<any>) {
    for (const table of ['sessions', 'checkpoints', 'spans', 'traces']) await db.schema.dropTable(table).execute();
  },
};
