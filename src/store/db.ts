import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { DEFAULTS } from '../defaults.js';
import { SextantError } from '../errors.js';
import { migrateToLatest } from './migrate.js';
import type { DatabaseSchema } from './schema.js';
import { sqlTraceRepository } from './traces.js';

export type SqlEngine = 'sqlite' | 'postgres';

/** An open database: one Kysely instance over either engine, with one schema and one set of queries. */
export interface SqlStore {
  readonly db: Kysely<DatabaseSchema>;
  readonly engine: SqlEngine;
  /** Where the data lives, for humans: a file path or a redacted connection URL. */
  readonly location: string;
  /** The raw better-sqlite3 handle, for hot-path batch writers that need synchronous transactions. */
  readonly sqlite?: Database.Database;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /**
   * `postgres://...` for Postgres, a file path (or `sqlite:path`) for SQLite, `:memory:` for a
   * throwaway SQLite database. Defaults to `SEXTANT_DATABASE_URL`, then `./.sextant/sextant.db`.
   */
  url?: string;
  /** Run pending migrations on open (default true). */
  migrate?: boolean;
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

export async function openStore(options: OpenStoreOptions = {}): Promise<SqlStore> {
  const url = options.url ?? process.env.SEXTANT_DATABASE_URL ?? DEFAULTS.store.sqlitePath;
  let store: SqlStore;
  if (/^postgres(ql)?:\/\//.test(url)) {
    // int8 and numeric come back as strings by default; our counters and timestamps fit in a double.
    const types = {
      getTypeParser: (oid: number, format?: any) =>
        oid === 20 || oid === 1700 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format),
    };
    const pool = new pg.Pool({ connectionString: url, max: DEFAULTS.store.postgresPoolSize, types });
    const db = new Kysely<DatabaseSchema>({ dialect: new PostgresDialect({ pool }) });
    store = { db, engine: 'postgres', location: redactUrl(url), close: () => db.destroy() };
  } else {
    const path = url.replace(/^sqlite:/, '');
    if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
    let sqlite: Database.Database;
    try {
      sqlite = new Database(path);
    } catch (error) {
      throw new SextantError('STORE_ERROR', `Cannot open SQLite database at ${path}: ${(error as Error).message}`, { cause: error });
    }
    // WAL lets readers (CLI, dashboard) work while a server writes; NORMAL sync is durable across process crashes.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('foreign_keys = ON');
    const db = new Kysely<DatabaseSchema>({ dialect: new SqliteDialect({ database: sqlite }) });
    store = {
      db,
      engine: 'sqlite',
      location: path === ':memory:' ? ':memory:' : resolve(path),
      sqlite,
      close: () => db.destroy(),
    };
  }
  if (options.migrate ?? true) {
    await migrateToLatest(store.db);
    // A process killed mid-run left its trace 'running': say so before anyone reads it.
    await sqlTraceRepository(store).markStaleInterrupted();
  }
  return store;
}
