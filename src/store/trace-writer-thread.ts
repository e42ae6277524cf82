import { Worker } from 'node:worker_threads';
import { bundleModule } from '../bundle-module.js';
import { SextantError } from '../errors.js';
import type { WriteReply, WriteRequest } from './trace-writer-thread-entry.js';
import type { TraceBatch } from './traces.js';

/** Writes trace batches to a SQLite database file from a worker thread. */
export interface TraceWriterThread {
  /** Resolves once the batch is committed (a reader on any connection then sees it); rejects with STORE_ERROR when it was not. Batches commit in the order given. */
  write(batch: TraceBatch): Promise<void>;
  /** Waits for the writes already given, then stops the thread. */
  close(): Promise<void>;
}

/**
 * The trace writer for a SQLite file: the inserts and the commit run on a worker thread with its
 * own connection (WAL lets both connections work), so the event loop pays only for handing the batch
 * over, never for SQLite itself; a commit on it held a gateway's requests for milliseconds at a time.
 * The thread starts on the first write, and again on the next write after a crash (the batches in
 * flight then are rejected, and the tracer counts them as dropped). It keeps the process alive only
 * while writes are pending: a process that ends without closing its store still writes what it handed over.
 */
export function startTraceWriterThread(path: string): TraceWriterThread {
  let worker: Promise<Worker> | undefined;
  let nextId = 0;
  let lastWrite: Promise<void> = Promise.resolve();
  const pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();

  const failAll = (message: string, cause?: unknown) => {
    for (const p of pending.values()) p.reject(new SextantError('STORE_ERROR', `trace write failed: ${message}`, { cause }));
    pending.clear();
  };

  const start = async (): Promise<Worker> => {
    const source = await bundleModule(import.meta.url, 'trace-writer-thread-entry', ['better-sqlite3']);
    // No inherited execArgv: a TypeScript loader or a test runner's flags would only slow the thread's start.
    const thread = new Worker(new URL(`data:text/javascript,${encodeURIComponent(source)}`), { workerData: { path }, execArgv: [] });
    thread.unref();
    thread.on('message', ({ id, error }: WriteReply) => {
      const p = pending.get(id);
      pending.delete(id);
      if (pending.size === 0) thread.unref();
      if (error === undefined) p?.resolve();
      else p?.reject(new SextantError('STORE_ERROR', `trace write failed: ${error}`));
    });
    thread.on('error', (error) => failAll(error.message, error));
    thread.on('exit', (code) => {
      worker = undefined;
      failAll(`the trace writer thread exited (code ${code})`);
    });
    return thread;
  };

  return {
    write(batch) {
      const id = nextId++;
      let rejectWrite!: (error: unknown) => void;
      const done = new Promise<void>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        rejectWrite = (error) => reject(new SextantError('STORE_ERROR', `trace write failed: ${(error as Error).message}`, { cause: error }));
      });
      (worker ??= start()).then(
        (thread) => {
          try {
            thread.postMessage({ id, batch } satisfies WriteRequest);
            thread.ref();
          } catch (error) {
            // A value that cannot cross threads (the tracer hands over strings and numbers only).
            pending.delete(id);
            rejectWrite(error);
          }
        },
        (error: unknown) => {
          worker = undefined;
          failAll((error as Error).message ?? String(error), error);
        },
      );
      lastWrite = done;
      return done;
    },

    async close() {
      const running = worker;
      if (!running) return;
      // Replies come in order, so the last write given settles last.
      await lastWrite.catch(() => undefined);
      worker = undefined;
      await (await running.catch(() => undefined))?.terminate();
    },
  };
}
