import { SextantError } from '../errors.js';
import type { Message } from '../model/types.js';
import type { SqlStore } from './sql-store.js';

/** A session's conversation history, carried over between runs. */
export interface SessionStore {
  load(sessionId: string): Promise<Message[]>;
  save(sessionId: string, messages: Message[]): Promise<void>;
}

/** A SessionStore on SQLite or Postgres: a session's history as one JSON document. */
export function sqlSessionStore(store: SqlStore): SessionStore {
  const { db } = store;
  return {
    async load(sessionId) {
      const row = await db.selectFrom('sessions').select('messages').where('id', '=', sessionId).executeTakeFirst();
      if (!row) return [];
      try {
        return JSON.parse(row.messages) as Message[];
      } catch (error) {
        throw new SextantError('STORE_ERROR', `Session ${sessionId} holds invalid JSON`, { cause: error, context: { sessionId } });
      }
    },
    async save(sessionId, messages) {
      const now = Date.now();
      const text = JSON.stringify(messages);
      await db
        .insertInto('sessions')
        .values({ id: sessionId, messages: text, created_at: now, updated_at: now })
        .onConflict((oc) => oc.column('id').doUpdateSet({ messages: text, updated_at: now }))
        .execute();
    },
  };
}
