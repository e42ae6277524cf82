import { Worker } from 'node:worker_threads';
import { bundleModule } from '../bundle-module.js';
import { SextantError } from '../errors.js';
import type { WriteJob, WriteReply, WriteRequest } from './sqlite-writer-thread-entry.js';

/** Writes to a SQLite database file from a worker thread. */
export interface SqliteWriterThread {
  /** Resolves once the job is committed (a reader on any connection then sees it); rejects with STORE_ERROR when it was not. Jobs commit in the order given. */
  write(job: WriteJob): Promise<void>;
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

const writeFailed = (message: string, cause?: unknown) => new SextantError('STORE_ERROR', `SQLite write failed: ${message}`, { cause });

/**
 * The writer for a SQLite file's hot-path writes (trace batches, cache entries): the statements and
 * the commit run on a worker thread with its own connection (WAL lets both connections work), so the
 * event loop pays only for handing the job over, never for SQLite itself; a commit on it held a
 * gateway's requests for milliseconds at a time. One writer for both, so they never wait for each
 * other's locks on the event loop (SQLite's busy wait sleeps a whole millisecond at least).
 * The thread starts on the first write, and again on the first write after it failed (the jobs it
 * held then are rejected: the tracer counts their spans as dropped). It keeps the process alive only
 * while writes are pending: a process that ends without closing its store still writes what it handed over.
 */
export function startSqliteWriterThread(path: string): SqliteWriterThread {
  let current: Promise<Thread> | undefined;
  let nextId = 0;
  let lastWrite: Promise<void> = Promise.resolve();

  const start = async (): Promise<Thread> => {
    const source = await bundleModule(import.meta.url, 'sqlite-writer-thread-entry', ['better-sqlite3']);
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
    worker.on('exit', (code) => retire(writeFailed(`the SQLite writer thread exited (code ${code})`)));
    return thread;
  };

  return {
    write(job) {
      const id = nextId++;
      const done = new Promise<void>((resolve, reject) => {
        const starting = (current ??= start());
        starting.then(
          (thread) => {
            if (thread.retired) return reject(writeFailed('the SQLite writer thread stopped'));
            thread.pending.set(id, { resolve, reject });
            try {
              thread.worker.postMessage({ id, job } satisfies WriteRequest);
              thread.worker.ref();
            } catch (error) {
              // A value that cannot cross threads (a function, a class instance).
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
