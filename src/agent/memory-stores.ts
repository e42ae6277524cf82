import type { Message } from '../model/types.js';
import type { CheckpointRecord, CheckpointStore } from '../store/checkpoints.js';
import type { SessionStore } from '../store/sessions.js';

/**
 * In-memory stores: for tests and single-process use. They keep JSON copies, never the live
 * objects, so a saved state behaves exactly as one read back from SQLite would.
 */
export function memoryCheckpointStore(): CheckpointStore {
  const records = new Map<string, string>();
  return {
    async save(record: CheckpointRecord) {
      records.set(record.runId, JSON.stringify(record));
    },
    async load(runId: string) {
      const json = records.get(runId);
      return json === undefined ? undefined : (JSON.parse(json) as CheckpointRecord);
    },
    async delete(runId: string) {
      records.delete(runId);
    },
  };
}

export function memorySessionStore(): SessionStore {
  const sessions = new Map<string, string>();
  return {
    async load(sessionId: string) {
      const json = sessions.get(sessionId);
      return json === undefined ? [] : (JSON.parse(json) as Message[]);
    },
    async save(sessionId: string, messages: Message[]) {
      sessions.set(sessionId, JSON.stringify(messages));
    },
  };
}
