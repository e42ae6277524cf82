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

interface Thread {
  worker: Worker;
  /** Writes posted to this thread and not yet answered. */
  pending: Map<number, { resolve: () => void; reject: (error: Error) => void }>;
  /** Set once it failed or exited: nothing more is posted to it. */
  retired: boolean;
}

const writeFailed = (message: string, cause?: unknown) => new SextantError('STORE_ERROR', `trace write failed: ${message}`, { cause });

/**
 * The trace writer for a SQLite file: the inserts and the commit run on a worker thread with its
 * own connection (WAL lets both connections work), so the event loop pays only for handing the batch
 * over, never for SQLite itself; a commit on it held a gateway's requests for milliseconds at a time.
 * The thread starts on the first write, and again on the first write after it failed (the batches
 * it held then are rejected, and the tracer counts them as dropped). It keeps the process alive only
 * while writes are pending: a process that ends without closing its store still writes what it handed over.
 */
export function startTraceWriterThread(path: string): TraceWriterThread {
  let current: Promise<Thread> | undefined;
  let nextId = 0;
  let lastWrite: Promise<void> = Promise.resolve();

  const start = async (): Promise<Thread> => {
    const source = await bundleModule(import.meta.url, 'trace-writer-thread-entry', ['better-sqlite3']);
    // No inherited execArgv: a TypeScript loader or a test runner's flags would only slow the thread's start.
    const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(source)}`), { workerData: { path }, execArgv: [] });
    worker.unref();
    const thread: Thread = { worker, pending: new Map(), retired: false };
    const retire = (error: Error) => {
      if (!thread.retired) {
        thread.retired = true;
        current = undefined;
      }
      for (const p of thread.pending.values()) p.reject(error);
      thread.pending.clear();
    };
    worker.on('message', ({ id, error }: WriteReply) => {
      const p = thread.pending.get(id);
      thread.pending.delete(id);
      if (thread.pending.size === 0) worker.unref();
      if (error === undefined) p?.resolve();
      else p?.reject(writeFailed(error));
    });
    worker.on('error', (error) => retire(writeFailed(error.message, error)));
    worker.on('exit', (code) => retire(writeFailed(`the trace writer thread exited (code ${code})`)));
    return thread;
  };

  return {
    write(batch) {
      const id = nextId++;
      const done = new Promise<void>((resolve, reject) => {
        const starting = (current ??= start());
        starting.then(
          (thread) => {
            if (thread.retired) return reject(writeFailed('the trace writer thread stopped'));
            thread.pending.set(id, { resolve, reject });
            try {
              thread.worker.postMessage({ id, batch } satisfies WriteRequest);
              thread.worker.ref();
            } catch (error) {
              // A value that cannot cross threads (the tracer hands over strings and numbers only).
              thread.pending.delete(id);
              reject(writeFailed((error as Error).message, error));
            }
          },
          (error: unknown) => {
            if (current === starting) current = undefined;
            reject(writeFailed((error as Error).message ?? String(error), error));
          },
        );
      });
      lastWrite = done;
      return done;
    },

    async close() {
      const running = current;
      if (!running) return;
      // Replies come in order, so the last write given settles last.
      await lastWrite.catch(() => undefined);
      current = undefined;
      const thread = await running.catch(() => undefined);
      if (thread && !thread.retired) {
        thread.retired = true;
        await thread.worker.terminate();
      }
    },
  };
}
