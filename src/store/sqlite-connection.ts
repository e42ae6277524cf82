import Database from 'better-sqlite3';
import { SextantError } from '../errors.js';

/** Opens a connection to a SQLite database set up as every connection to a store is (the store's own and the writer thread's alike). */
export function openSqliteConnection(path: string): Database.Database {
  let sqlite: Database.Database;
  try {
    sqlite = new Database(path);
  } catch (error) {
    throw new SextantError('STORE_ERROR', `Cannot open SQLite database at ${path}: ${(error as Error).message}`, { cause: error });
  }
  // WAL lets readers (CLI, dashboard) work while a writer (the writer thread, the store's own connection) commits; NORMAL sync is durable across process crashes.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  // A connection that finds another one writing waits for it instead of failing.
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  return sqlite;
}
