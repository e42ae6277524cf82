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
}

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
