/** Storage: one SQL schema over SQLite (embedded default) or Postgres, plus Redis for shared hot counters. */
export { openStore, type OpenStoreOptions, type SqlEngine, type SqlStore } from './db.js';
export { migrateToLatest } from './migrate.js';
export type { DatabaseSchema } from './schema.js';
