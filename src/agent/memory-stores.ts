import type { Message } from '../model/types.js';
import { checkpointLog, type CheckpointLogRecord } from '../store/checkpoint-log.js';
import type { CheckpointStore } from '../store/checkpoints.js';
import type { SessionStore } from '../store/sessions.js';

/**
 * In-memory stores: for tests and single-process use. They keep JSON copies, never the live
 * objects, so a saved state behaves exactly as one read back from SQLite would.
 */
export function memoryCheckpointStore(): CheckpointStore {
  const logs = new Map<string, CheckpointLogRecord[]>();
  return checkpointLog({
    write(record) {
      if (record.seq === 0) logs.set(record.runId, [record]);
      else logs.get(record.runId)?.push(record);
    },
    async read(runId) {
      return [...(logs.get(runId) ?? [])];
    },
    async delete(runId) {
      logs.delete(runId);
    },
  });
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
