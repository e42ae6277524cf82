import type { Message } from '../model/types.js';

/**
 * Where the runtime keeps what must outlive a process. In-memory implementations live in
 * this folder; the SQLite/Postgres ones in `store/` implement the same interfaces.
 */

/** The serialized state of a run after a step: versioned JSON, enough to resume it. */
export interface CheckpointRecord {
  runId: string;
  /** Step number the state was saved after. */
  step: number;
  /** Versioned JSON (the run state's own `version` field says how to read it). */
  state: unknown;
  updatedAt: number;
  /** The run completed: this is its last save, and the store may compact what it holds for the run into one record. */
  final?: boolean;
}

/**
 * Where a run's checkpoints are kept, so that it can resume in another process.
 *
 * - `save` is given the run's live state after each step (and around non-idempotent tool calls)
 *   and resolves once that state is durable. It reads the state at once: later changes are never
 *   part of it. It may write only what changed since its last save of the same state object
 *   (the built-in stores append a step record; see store/checkpoint-log.ts), which holds when the
 *   state's top-level lists only grow by appending (their last element may still change until the
 *   next save); to change an earlier element, replace the list with a new array. Any other
 *   object (a copy, a resumed state) is saved whole.
 * - Saves of one run are written in the order they were called. After a failed save, the saves
 *   already queued behind it fail too, and the next one writes the whole state again.
 * - `load` returns the state as the last save saw it, exactly as a whole-state save would have
 *   stored it (JSON), with that save's step and time.
 * - `delete` waits for saves in flight, then drops what the store holds for the run.
 */
export interface CheckpointStore {
  save(record: CheckpointRecord): Promise<void>;
  load(runId: string): Promise<CheckpointRecord | undefined>;
  delete(runId: string): Promise<void>;
}

/** A session's conversation history, carried over between runs. */
export interface SessionStore {
  load(sessionId: string): Promise<Message[]>;
  save(sessionId: string, messages: Message[]): Promise<void>;
}
