import Database from 'better-sqlite3';
import pg from 'pg';
import { DEFAULTS } from '../../defaults.js';
import { SextantError } from '../../errors.js';

export type ReadOnlyConnection = { sqlitePath: string } | { postgresUrl: string } | { postgresPool: pg.Pool };

export interface ReadOnlyQueryOptions {
  connection: ReadOnlyConnection;
  rowLimit?: number;
  timeoutMs?: number;
}

export interface QueryResult {
  columns: string[];
  rows: Record<string, unknown>[];
  /** True when more rows matched than `rowLimit`. */
  truncated: boolean;
}

function queryError(error: unknown): SextantError {
  return new SextantError('TOOL_ERROR', `Query failed: ${(error as Error).message}`, { cause: error });
}

/**
 * Runs one parameterized, read-only statement. SQLite: the file is opened read-only and only
 * statements that read are accepted. Postgres: inside a READ ONLY transaction with a
 * statement_timeout, always rolled back. At most `rowLimit` rows come back.
 * Limit: SQLite has no statement timeout reachable from better-sqlite3; the row limit bounds the
 * result but a single slow step (a huge aggregate) runs to its end.
 */
export async function runReadOnlyQuery(sql: string, params: unknown[], options: ReadOnlyQueryOptions): Promise<QueryResult> {
  const rowLimit = options.rowLimit ?? DEFAULTS.security.sql.rowLimit;
  const timeoutMs = options.timeoutMs ?? DEFAULTS.security.sql.timeoutMs;
  const connection = options.connection;
  if ('sqlitePath' in connection) {
    let db: Database.Database;
    try {
      db = new Database(connection.sqlitePath, { readonly: true, fileMustExist: true, timeout: timeoutMs });
    } catch (error) {
      throw new SextantError('CONFIG_INVALID', `Cannot open ${connection.sqlitePath} read-only: ${(error as Error).message}`, { cause: error });
    }
    try {
      const statement = db.prepare(sql);
      if (!statement.reader || !statement.readonly)
        throw new SextantError('FORBIDDEN', 'Only read-only statements that return rows are allowed', { context: { sql } });
      const rows: Record<string, unknown>[] = [];
      let truncated = false;
      for (const row of statement.iterate(...params) as Iterable<Record<string, unknown>>) {
        if (rows.length === rowLimit) {
          truncated = true;
          break;
        }
        rows.push(row);
      }
      return { columns: statement.columns().map((c) => c.name), rows, truncated };
    } catch (error) {
      throw error instanceof SextantError ? error : queryError(error);
    } finally {
      db.close();
    }
  }
  const pool = 'postgresPool' in connection ? connection.postgresPool : new pg.Pool({ connectionString: connection.postgresUrl, max: 1 });
  const client = await pool.connect();
  try {
    await client.query('BEGIN READ ONLY');
    await client.query(`SET LOCAL statement_timeout = ${Math.floor(timeoutMs)}`);
    // The row limit is applied by the server, so a huge result never crosses the wire.
    const result = await client.query({ text: `SELECT * FROM (${sql.replace(/;\s*$/, '')}) AS sextant_query LIMIT ${rowLimit + 1}`, values: params });
    return { columns: result.fields.map((f) => f.name), rows: result.rows.slice(0, rowLimit), truncated: result.rows.length > rowLimit };
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === '57014') throw new SextantError('TIMEOUT', `Query took longer than ${timeoutMs} ms`, { cause: error, context: { timeoutMs } });
    if (code === '25006') throw new SextantError('FORBIDDEN', 'Only read-only statements are allowed', { cause: error });
    throw queryError(error);
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    client.release();
    if (!('postgresPool' in connection)) await pool.end();
  }
}
