/** The SQLite writer thread's program: its own connection to the database file, one transaction per job posted to it. */
import { parentPort, workerData } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { openSqliteConnection } from './sqlite-connection.js';
import { sqliteBatchWriter } from './sqlite-trace-writer.js';
import type { TraceBatch } from './trace-batch.js';

/** A write statement as Kysely compiles it for SQLite. */
export interface WriteStatement {
  sql: string;
  parameters: readonly unknown[];
}

/** A trace batch, or statements to run in order. */
export type WriteJob = { batch: TraceBatch } | { statements: WriteStatement[] };

export interface WriteRequest {
  id: number;
  job: WriteJob;
}

export interface WriteReply {
  id: number;
  /** Set when the job was not written (its transaction rolled back). */
  error?: string;
}

/** Bytes cross threads as a Uint8Array; better-sqlite3 binds a Buffer. */
const bindable = (value: unknown) =>
  value instanceof Uint8Array && !Buffer.isBuffer(value) ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value;

function statementRunner(database: Database.Database): (statements: WriteStatement[]) => void {
  const prepared = new Map<string, Database.Statement>();
  return database.transaction((statements: WriteStatement[]) => {
    for (const { sql, parameters } of statements) {
      let statement = prepared.get(sql);
      if (!statement) prepared.set(sql, (statement = database.prepare(sql)));
      statement.run(...parameters.map(bindable));
    }
  });
}

const port = parentPort!;
const database = openSqliteConnection((workerData as { path: string }).path);
const writeBatch = sqliteBatchWriter(database);
const runStatements = statementRunner(database);
port.on('message', ({ id, job }: WriteRequest) => {
  let reply: WriteReply;
  try {
    if ('batch' in job) writeBatch(job.batch);
    else runStatements(job.statements);
    reply = { id };
  } catch (error) {
    reply = { id, error: (error as Error).message ?? String(error) };
  }
  port.postMessage(reply);
});
