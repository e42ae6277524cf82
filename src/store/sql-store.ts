import type Database from 'better-sqlite3';
import type { CompiledQuery, Kysely } from 'kysely';
import type { DatabaseSchema } from './schema.js';
import type { TraceBatch } from './trace-batch.js';

export type SqlEngine = 'sqlite' | 'postgres';

/** An open database: one Kysely instance over either engine, with one schema and one set of queries. */
export interface SqlStore {
  readonly db: Kysely<DatabaseSchema>;
  readonly engine: SqlEngine;
  /** Where the data lives, for humans: a file path or a redacted connection URL. */
  readonly location: string;
  /** The raw better-sqlite3 handle, for hot-path batch writers that need synchronous transactions. */
  readonly sqlite?: Database.Database;
  /** SQLite: writes a trace batch in one transaction, on the writer thread for a database file (see sqlite-writer-thread.ts). Postgres writes through `db`. */
  readonly writeTraceBatch?: (batch: TraceBatch) => Promise<void>;
  /**
   * Runs write queries (built with `db` and compiled) in order, in one transaction, off the caller's
   * path where the engine allows: on the writer thread for a SQLite file, so hot-path writes (cache
   * entries) neither hold the event loop nor wait on it for another connection's lock.
   */
  writeBehind(queries: CompiledQuery[]): Promise<void>;
  close(): Promise<void>;
}
