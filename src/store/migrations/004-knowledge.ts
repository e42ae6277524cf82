import { PostgresAdapter, sql, type Kysely, type Migration } from 'kysely';

/**
 * Knowledge bases: one row per indexed document (its content hash decides whether it must be
 * re-embedded) and one per chunk with its source id, heading path, offset, text and vector.
 */
export const knowledgeMigration: Migration = {
  async up(db: Kysely<any>) {
    const blob = db.getExecutor().adapter instanceof PostgresAdapter ? 'bytea' : 'blob';
    await db.schema
      .createTable('knowledge_documents')
      .addColumn('kb', 'text', (c) => c.notNull())
      .addColumn('document', 'text', (c) => c.notNull())
      .addColumn('content_hash', 'text', (c) => c.notNull())
      .addColumn('chunks', 'integer', (c) => c.notNull())
      .addColumn('indexed_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('knowledge_documents_pk', ['kb', 'document'])
      .execute();
    await db.schema
      .createTable('knowledge_chunks')
      .addColumn('kb', 'text', (c) => c.notNull())
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('document', 'text', (c) => c.notNull())
      .addColumn('headings', 'text', (c) => c.notNull())
      .addColumn('char_offset', 'integer', (c) => c.notNull())
      .addColumn('text', 'text', (c) => c.notNull())
      .addColumn('embedder_id', 'text', (c) => c.notNull())
      .addColumn('vector', sql.raw(blob), (c) => c.notNull())
      .addPrimaryKeyConstraint('knowledge_chunks_pk', ['kb', 'id'])
      .execute();
    await db.schema.createIndex('knowledge_chunks_document').on('knowledge_chunks').columns(['kb', 'document']).execute();
  },
  async down(db: Kysely<any>) {
    for (const table of ['knowledge_chunks', 'knowledge_documents']) await db.schema.dropTable(table).ifExists().execute();
  },
};
