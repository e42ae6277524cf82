/** Storage: one SQL schema over SQLite (embedded default) or Postgres, plus Redis for shared hot counters. */
export { openStore, type OpenStoreOptions } from './db.js';
export type { SqlEngine, SqlStore } from './sql-store.js';
export { migrateToLatest } from './migrate.js';
export type { DatabaseSchema } from './schema.js';
export type { CheckpointRow, SessionRow, SpanRow, TraceRow, TraceStatus } from './core-tables.js';
export {
  sqlTraceRepository,
  startRetention,
  type PruneOptions,
  type ListedTrace,
  type StaleOptions,
  type StoredSpan,
  type TraceFilter,
  type TraceRepository,
} from './traces.js';
export type { SpanWrite, TraceBatch, TraceCountsWrite, TraceEndWrite, TraceStartWrite } from './trace-batch.js';
export { sqlCheckpointStore, type CheckpointRecord, type CheckpointStore } from './checkpoints.js';
export { sqlSessionStore, type SessionStore } from './sessions.js';
