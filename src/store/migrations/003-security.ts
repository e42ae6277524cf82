import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Security and cost controls: virtual API keys (hashed), the hash-chained audit log and the
 * durable budget ledger (counters plus open reservations).
 */
export const securityMigration: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('api_keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('hash', 'text', (c) => c.notNull())
      .addColumn('name', 'text')
      .addColumn('tenant', 'text', (c) => c.notNull())
      .addColumn('scopes', 'text', (c) => c.notNull())
      .addColumn('limits', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('revoked_at', 'bigint')
      .addColumn('last_used_at', 'bigint')
      .execute();
    await db.schema.createIndex('api_keys_tenant').on('api_keys').column('tenant').execute();

    await db.schema
      .createTable('audit_log')
      .addColumn('seq', 'bigint', (c) => c.primaryKey())
      .addColumn('id', 'text', (c) => c.notNull().unique())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('target', 'text')
      .addColumn('tenant', 'text')
      .addColumn('details', 'text', (c) => c.notNull())
      .addColumn('prev_hash', 'text', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('budget_counters')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('spent_nanos', 'bigint', (c) => c.notNull().defaultTo(sql`0`))
      .addColumn('reserved_nanos', 'bigint', (c) => c.notNull().defaultTo(sql`0`))
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('budget_reservations')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('keys', 'text', (c) => c.notNull())
      .addColumn('amount_nanos', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('budget_reservations_expiry').on('budget_reservations').column('expires_at').execute();
  },
  async down(db: Kysely<any>) {
    for (const table of ['budget_reservations', 'budget_counters', 'audit_log', 'api_keys']) {
      await db.schema.dropTable(table).ifExists().execute();
    }
  },
};
