/** Storage: one SQL schema over SQLite (embedded default) or Postgres, plus Redis for shared hot counters. */
export { openStore, type OpenStoreOptions, type SqlEngine, type SqlStore } from './db.js';
export { migrateToLatest } from './migrate.js';
export type { DatabaseSchema } from './schema.js';
export type { CheckpointRow, SessionRow, SpanRow, TraceRow, TraceStatus } from './core-tables.js';
export {
  sqlTraceRepository,
  startRetention,
  type PruneOptions,
  type ListedTrace,
  type SpanWrite,
  type StaleOptions,
  type StoredSpan,
  type TraceBatch,
  type TraceCountsWrite,
  type TraceEndWrite,
  type TraceFilter,
  type TraceRepository,
  type TraceStartWrite,
} from './traces.js';
export { sqlCheckpointStore } from './checkpoints.js';
export { sqlSessionStore } from './sessions.js';
