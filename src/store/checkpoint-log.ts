import type { CheckpointRecord, CheckpointStore } from './checkpoints.js';
import { DEFAULTS } from '../defaults.js';
import { SextantError, toSextantError } from '../errors.js';
import { applyDelta, deltaOf, snapshotOf, type StateDelta, type WrittenState } from './checkpoint-delta.js';

/** One record of a run's checkpoint log: seq 0 is a snapshot (the whole state), each later seq a delta on the one before. */
export interface CheckpointLogRecord {
  runId: string;
  seq: number;
  step: number;
  updatedAt: number;
  /** JSON: the state (seq 0) or a StateDelta (see checkpoint-delta.ts). */
  body: string;
}

/** Where a checkpoint log is kept (memory, SQL). */
export interface CheckpointLogBackend {
  /** Appends one record; a snapshot (seq 0) replaces every record the run had, atomically. A write that returns nothing is done. */
  write(record: CheckpointLogRecord): Promise<void> | void;
  /** The run's records in seq order (none when it has no checkpoint). */
  read(runId: string): Promise<CheckpointLogRecord[]>;
  delete(runId: string): Promise<void>;
}

/** What a store remembers of the live state it last saved for a run. */
interface RunLog {
  runId: string;
  written: WrittenState;
  seq: number;
  snapshotBytes: number;
  deltaBytes: number;
  /** Deletes seen when the log began: a delete of any run makes every run's next save a snapshot. */
  deletes: number;
  /** The run's last write not yet settled: the next one waits for it. */
  tail?: Promise<void>;
  /** A write failed: the records after it would not fold, so they are not written and the next save is a snapshot. */
  failed: boolean;
}

/**
 * A CheckpointStore over a log of records (see CheckpointStore in agent/stores.ts for the contract).
 * A save computes its record at once, from the live state it is given (so later changes never
 * leak into it), and writes it after the run's earlier records. The log is compacted into one
 * snapshot when the deltas since the last snapshot add up to `snapshotRatio` times its size
 * (DEFAULTS.store.checkpointSnapshotRatio says why).
 */
export function checkpointLog(backend: CheckpointLogBackend, snapshotRatio = DEFAULTS.store.checkpointSnapshotRatio): CheckpointStore {
  // Keyed by the state object: a resumed run's new state starts with a snapshot, and a finished run's log goes with its state.
  const logs = new WeakMap<object, RunLog>();
  const inFlight = new Set<Promise<void>>();
  let deletes = 0;

  function settle(log: RunLog, written: Promise<void>): Promise<void> {
    const result = written.catch((error: unknown) => {
      log.failed = true;
      throw toSextantError(error, 'STORE_ERROR');
    });
    const tail: Promise<void> = result.then(
      () => undefined,
      () => undefined,
    );
    log.tail = tail;
    inFlight.add(tail);
    void tail.then(() => {
      inFlight.delete(tail);
      if (log.tail === tail) log.tail = undefined;
    });
    return result;
  }

  function enqueue(log: RunLog, record: CheckpointLogRecord): Promise<void> {
    if (log.tail) {
      return settle(
        log,
        log.tail.then(() => {
          if (log.failed) throw new SextantError('STORE_ERROR', `An earlier checkpoint of run ${log.runId} was not saved`, { context: { runId: log.runId } });
          return backend.write(record);
        }),
      );
    }
    let written: Promise<void> | void;
    try {
      written = backend.write(record);
    } catch (error) {
      log.failed = true;
      return Promise.reject(toSextantError(error, 'STORE_ERROR'));
    }
    return written ? settle(log, written) : Promise.resolve();
  }

  return {
    save(record: CheckpointRecord) {
      const state = record.state;
      if (typeof state !== 'object' || state === null || Array.isArray(state))
        return Promise.reject(new SextantError('RUN_STATE_INVALID', `The state of run ${record.runId} is not an object`, { context: { runId: record.runId } }));
      const fields = state as Record<string, unknown>;
      const log = logs.get(state);
      if (log && !log.failed && log.runId === record.runId && log.deletes === deletes && log.deltaBytes < log.snapshotBytes * snapshotRatio) {
        const body = deltaOf(fields, log.written);
        log.seq += 1;
        log.deltaBytes += body.length;
        return enqueue(log, { runId: record.runId, seq: log.seq, step: record.step, updatedAt: record.updatedAt, body });
      }
      const { text, written } = snapshotOf(fields);
      const next: RunLog = { runId: record.runId, written, seq: 0, snapshotBytes: text.length, deltaBytes: 0, deletes, tail: log?.tail, failed: false };
      logs.set(state, next);
      return enqueue(next, { runId: record.runId, seq: 0, step: record.step, updatedAt: record.updatedAt, body: text });
    },
    async load(runId) {
      const records = await backend.read(runId);
      return records.length === 0 ? undefined : fold(runId, records);
    },
    async delete(runId) {
      deletes += 1;
      await Promise.all(inFlight);
      await backend.delete(runId);
    },
  };
}

/** The state a run's records add up to: its snapshot, then each delta in order. */
function fold(runId: string, records: CheckpointLogRecord[]): CheckpointRecord {
  let state: Record<string, unknown> | undefined;
  for (const [index, record] of records.entries()) {
    if (record.seq !== index) {
      throw new SextantError('RUN_STATE_INVALID', `The checkpoint of run ${runId} is missing record ${index}`, {
        context: { runId, expected: index, found: record.seq },
      });
    }
    let body: unknown;
    try {
      body = JSON.parse(record.body);
    } catch (error) {
      throw new SextantError('RUN_STATE_INVALID', `Checkpoint of run ${runId} is not valid JSON`, { cause: error, context: { runId, seq: record.seq } });
    }
    if (state === undefined) state = body as Record<string, unknown>;
    else applyDelta(state, body as StateDelta, { runId, seq: record.seq });
  }
  const last = records[records.length - 1];
  return { runId, step: last.step, state, updatedAt: last.updatedAt };
}
