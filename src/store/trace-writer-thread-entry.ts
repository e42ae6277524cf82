/** The trace writer thread's program: its own connection to the database file, one transaction per batch posted to it. */
import { parentPort, workerData } from 'node:worker_threads';
import { openSqliteConnection } from './sqlite-connection.js';
import { sqliteBatchWriter } from './sqlite-trace-writer.js';
import type { TraceBatch } from './traces.js';

export interface WriteRequest {
  id: number;
  batch: TraceBatch;
}

export interface WriteReply {
  id: number;
  /** Set when the batch was not written (its transaction rolled back). */
  error?: string;
}

const port = parentPort!;
const write = sqliteBatchWriter(openSqliteConnection((workerData as { path: string }).path));
port.on('message', ({ id, batch }: WriteRequest) => {
  let reply: WriteReply;
  try {
    write(batch);
    reply = { id };
  } catch (error) {
    reply = { id, error: (error as Error).message ?? String(error) };
  }
  port.postMessage(reply);
});
