import { PostgresAdapter, sql, type Kysely, type Migration } from 'kysely';

/**
 * The response cache: entries (answer, query text and its vector) so a restart keeps the
 * cache, and per-scope counters so `sextant cache stats` in another process sees them.
 */
export const cacheMigration: Migration = {
  async up(db: Kysely<any>) {
    const blob = db.getExecutor().adapter instanceof PostgresAdapter ? 'bytea' : 'blob';
    await db.schema
      .createTable('cache_entries')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('exact_key', 'text', (c) => c.notNull())
      .addColumn('scope_key', 'text', (c) => c.notNull())
      .addColumn('partition_key', 'text', (c) => c.notNull())
      .addColumn('tenant', 'text', (c) => c.notNull())
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('query_text', 'text')
      .addColumn('embedder_id', 'text')
      .addColumn('vector', sql.raw(blob))
      .addColumn('response', 'text', (c) => c.notNull())
      .addColumn('tags', 'text', (c) => c.notNull())
      .addColumn('bytes', 'integer', (c) => c.notNull())
      .addColumn('hits', 'integer', (c) => c.notNull().defaultTo(sql`0`))
      .addColumn('latency_ms', 'double precision', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_used_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint')
      .execute();
    await db.schema.createIndex('cache_entries_exact').on('cache_entries').column('exact_key').execute();
    await db.schema.createIndex('cache_entries_scope').on('cache_entries').column('scope_key').execute();

    await db.schema
      .createTable('cache_metrics')
      .addColumn('scope_key', 'text', (c) => c.primaryKey())
      .addColumn('tenant', 'text', (c) => c.notNull())
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('exact_hits', 'bigint', (c) => c.notNull().defaultTo(sql`0`))
      .addColumn('semantic_hits', 'bigint', (c) => c.notNull().defaultTo(sql`0`))
      .addColumn('misses', 'bigint', (c) => c.notNull().defaultTo(sql`0`))
      .addColumn('verifier_rejections', 'bigint', (c) => c.notNull().defaultTo(sql`0`))
      .addColumn('saved_usd', 'double precision', (c) => c.notNull().defaultTo(sql`0`))
      .addColumn('saved_ms', 'double precision', (c) => c.notNull().defaultTo(sql`0`))
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<any>) {
    for (const table of ['cache_metrics', 'cache_entries']) await db.schema.dropTable(table).ifExists().execute();
  },
};
