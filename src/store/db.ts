import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type CompiledQuery, Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { DEFAULTS } from '../defaults.js';
import { migrateToLatest } from './migrate.js';
import type { DatabaseSchema } from './schema.js';
import type { SqlStore } from './sql-store.js';
import { openSqliteConnection } from './sqlite-connection.js';
import { sqliteBatchWriter } from './sqlite-trace-writer.js';
import { startSqliteWriterThread } from './sqlite-writer-thread.js';
import type { TraceBatch } from './trace-batch.js';
import { sqlTraceRepository } from './traces.js';

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

/** `writeBehind` on a connection of the caller's: each call's queries in one transaction, the calls one after another (a pool would run them side by side, out of order). */
function transactionsInOrder(db: Kysely<DatabaseSchema>): (queries: CompiledQuery[]) => Promise<void> {
  let last: Promise<unknown> = Promise.resolve();
  return (queries) => {
    const run = last.then(() =>
      db.transaction().execute(async (tx) => {
        for (const query of queries) await tx.executeQuery(query);
      }),
    );
    last = run.catch(() => undefined);
    return run;
  };
}

export async function openStore(options: OpenStoreOptions = {}): Promise<SqlStore> {
  const url = options.url ?? process.env.SEXTANT_DATABASE_URL ?? DEFAULTS.store.sqlitePath;
  let store: SqlStore;
  if (/^postgres(ql)?:\/\//.test(url)) {
    // int8 and numeric come back as strings by default; our counters and timestamps fit in a double.
    const types = {
      getTypeParser: (oid: number, format?: any) => (oid === 20 || oid === 1700 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)),
    };
    const pool = new pg.Pool({ connectionString: url, max: DEFAULTS.store.postgresPoolSize, types });
    const db = new Kysely<DatabaseSchema>({ dialect: new PostgresDialect({ pool }) });
    store = { db, engine: 'postgres', location: redactUrl(url), writeBehind: transactionsInOrder(db), close: () => db.destroy() };
  } else {
    const path = url.replace(/^sqlite:/, '');
    if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
    const sqlite = openSqliteConnection(path);
    const db = new Kysely<DatabaseSchema>({ dialect: new SqliteDialect({ database: sqlite }) });
    // A file gets its writer thread (started on the first write); :memory: is this connection's alone.
    const writerThread = path === ':memory:' ? undefined : startSqliteWriterThread(resolve(path));
    let writeInThread: ((batch: TraceBatch) => void) | undefined;
    store = {
      db,
      engine: 'sqlite',
      location: path === ':memory:' ? ':memory:' : resolve(path),
      sqlite,
      writeTraceBatch: writerThread
        ? (batch) => writerThread.write({ batch })
        : async (batch) => {
            writeInThread ??= sqliteBatchWriter(sqlite);
            writeInThread(batch);
          },
      writeBehind: writerThread
        ? (queries) => writerThread.write({ statements: queries.map(({ sql, parameters }) => ({ sql, parameters })) })
        : transactionsInOrder(db),
      async close() {
        await writerThread?.close();
        await db.destroy();
      },
    };
  }
  if (options.migrate ?? true) {
    await migrateToLatest(store.db);
    // A process killed mid-run left its trace 'running': say so before anyone reads it.
    await sqlTraceRepository(store).markStaleInterrupted();
  }
  return store;
}
