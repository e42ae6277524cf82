import { sql } from 'kysely';
import { toSextantError } from '../errors.js';
import type { SqlStore } from '../store/index.js';
import { denial, fromNanos, toNanos, type BudgetDenial, type BudgetHold, type BudgetLedger, type ReserveResult } from './budget-ledger.js';

class Denied extends Error {
  constructor(readonly denied: BudgetDenial) {
    super('denied');
  }
}

/**
 * The durable ledger in SQLite or Postgres. Each hold is taken by one conditional UPDATE
 * (`... WHERE spent + reserved + amount <= limit`): the row lock (Postgres re-checks the condition
 * after waiting for it) or SQLite's single writer makes check-and-hold atomic; holds are taken in
 * key order inside one transaction, so a denial on any rolls back all and writers cannot deadlock.
 */
export function createSqlBudgetLedger(options: { store: SqlStore; now?: () => number }): BudgetLedger {
  const { db } = options.store;
  const now = options.now ?? Date.now;
  const sync = options.store.sqlite && sqliteLedger(options.store.sqlite, now);

  async function releaseExpired(t: number): Promise<void> {
    const expired = await db.selectFrom('budget_reservations').selectAll().where('expires_at', '<=', t).limit(100).execute();
    for (const r of expired) await drop(r.id, JSON.parse(r.keys) as string[], 0);
  }

  /** Removes a reservation (if still open) and adds `actual` to each key's spend, in one transaction. */
  async function drop(id: string, keys: string[], actual: number): Promise<void> {
    // A call no budget applied to reserved nothing (see reserve): no transaction on the hot path.
    if (keys.length === 0) return;
    const t = now();
    await db.transaction().execute(async (trx) => {
      const r = await trx.deleteFrom('budget_reservations').where('id', '=', id).returningAll().executeTakeFirst();
      const held = r ? Number(r.amount_nanos) : 0;
      for (const key of [...keys].sort()) {
        if (held === 0 && actual === 0) continue;
        await trx
          .insertInto('budget_counters')
          .values({ key, spent_nanos: 0, reserved_nanos: 0, updated_at: t })
          .onConflict((oc) => oc.column('key').doNothing())
          .execute();
        await trx
          .updateTable('budget_counters')
          .set({
            spent_nanos: sql`spent_nanos + ${actual}`,
            reserved_nanos: sql`reserved_nanos - ${held}`,
            updated_at: t,
          })
          .where('key', '=', key)
          .execute();
      }
    });
  }

  return {
    async reserve({ id, holds, amountUsd, ttlMs }) {
      if (holds.length === 0) return { ok: true };
      const amount = toNanos(amountUsd);
      const t = now();
      if (sync?.ready()) {
        try {
          return sync.reserve(id, holds, amount, t + ttlMs);
        } catch (error) {
          throw toSextantError(error, 'STORE_ERROR');
        }
      }
      try {
        await releaseExpired(t);
        await db.transaction().execute(async (trx) => {
          for (const hold of [...holds].sort((a, b) => (a.key < b.key ? -1 : 1))) {
            const limit = toNanos(hold.limitUsd, 'down');
            await trx
              .insertInto('budget_counters')
              .values({ key: hold.key, spent_nanos: 0, reserved_nanos: 0, updated_at: t })
              .onConflict((oc) => oc.column('key').doNothing())
              .execute();
            const result = await trx
              .updateTable('budget_counters')
              .set({ reserved_nanos: sql`reserved_nanos + ${amount}`, updated_at: t })
              .where('key', '=', hold.key)
              .where(sql<boolean>`spent_nanos + reserved_nanos + ${amount} <= ${limit}`)
              .executeTakeFirst();
            if (Number(result.numUpdatedRows) === 0) {
              const row = await trx.selectFrom('budget_counters').selectAll().where('key', '=', hold.key).executeTakeFirstOrThrow();
              throw new Denied(denial(hold.key, limit, Number(row.spent_nanos), Number(row.reserved_nanos), amount));
            }
          }
          await trx
            .insertInto('budget_reservations')
            .values({ id, keys: JSON.stringify(holds.map((h) => h.key)), amount_nanos: amount, expires_at: t + ttlMs })
            .execute();
        });
        return { ok: true };
      } catch (error) {
        if (error instanceof Denied) return { ok: false, denied: error.denied };
        throw toSextantError(error, 'STORE_ERROR');
      }
    },
    async settle({ id, keys, actualUsd }) {
      if (keys.length > 0 && sync?.ready()) {
        try {
          return sync.drop(id, keys, toNanos(actualUsd));
        } catch (error) {
          throw toSextantError(error, 'STORE_ERROR');
        }
      }
      await drop(id, keys, toNanos(actualUsd)).catch((error) => {
        throw toSextantError(error, 'STORE_ERROR');
      });
    },
    async release({ id, keys }) {
      if (keys.length > 0 && sync?.ready()) {
        try {
          return sync.drop(id, keys, 0);
        } catch (error) {
          throw toSextantError(error, 'STORE_ERROR');
        }
      }
      await drop(id, keys, 0).catch((error) => {
        throw toSextantError(error, 'STORE_ERROR');
      });
    },
    async usage(key) {
      const row = await db.selectFrom('budget_counters').selectAll().where('key', '=', key).executeTakeFirst();
      return { spentUsd: fromNanos(Number(row?.spent_nanos ?? 0)), reservedUsd: fromNanos(Number(row?.reserved_nanos ?? 0)) };
    },
  };
}

/**
 * The same statements on SQLite, run synchronously over prepared statements in one IMMEDIATE
 * transaction each (the write lock taken up front, so check-and-hold stays atomic across
 * processes): a reserve and a settle through Kysely cost ~240 µs per budgeted call (measured),
 * a large share of the gateway's 1 ms; this way they cost a few tens. Not used while another
 * Kysely transaction is open on the shared connection (`ready()` is false): its statements
 * would join that transaction, so the call takes the Kysely path and waits its turn.
 */
function sqliteLedger(database: NonNullable<SqlStore['sqlite']>, now: () => number) {
  const ensureCounter = database.prepare(
    'INSERT INTO budget_counters (key, spent_nanos, reserved_nanos, updated_at) VALUES (?, 0, 0, ?) ON CONFLICT (key) DO NOTHING',
  );
  const hold = database.prepare(
    'UPDATE budget_counters SET reserved_nanos = reserved_nanos + ?, updated_at = ? WHERE key = ? AND spent_nanos + reserved_nanos + ? <= ?',
  );
  const counter = database.prepare('SELECT spent_nanos, reserved_nanos FROM budget_counters WHERE key = ?');
  const insertReservation = database.prepare('INSERT INTO budget_reservations (id, keys, amount_nanos, expires_at) VALUES (?, ?, ?, ?)');
  const deleteReservation = database.prepare('DELETE FROM budget_reservations WHERE id = ? RETURNING amount_nanos');
  const settleCounter = database.prepare(
    'UPDATE budget_counters SET spent_nanos = spent_nanos + ?, reserved_nanos = reserved_nanos - ?, updated_at = ? WHERE key = ?',
  );
  const expired = database.prepare('SELECT id, keys FROM budget_reservations WHERE expires_at <= ? LIMIT 100');

  function dropNow(id: string, keys: string[], actual: number, t: number): void {
    const r = deleteReservation.get(id) as { amount_nanos: number } | undefined;
    const held = r ? Number(r.amount_nanos) : 0;
    if (held === 0 && actual === 0) return;
    for (const key of [...keys].sort()) {
      ensureCounter.run(key, t);
      settleCounter.run(actual, held, t, key);
    }
  }

  const reserve = database.transaction((id: string, holds: BudgetHold[], amount: number, expiresAt: number): ReserveResult => {
    const t = now();
    for (const r of expired.all(t) as { id: string; keys: string }[]) dropNow(r.id, JSON.parse(r.keys) as string[], 0, t);
    for (const h of [...holds].sort((a, b) => (a.key < b.key ? -1 : 1))) {
      const limit = toNanos(h.limitUsd, 'down');
      ensureCounter.run(h.key, t);
      if (hold.run(amount, t, h.key, amount, limit).changes === 0) {
        const row = counter.get(h.key) as { spent_nanos: number; reserved_nanos: number };
        // Throwing rolls the transaction back: holds already taken on other keys are undone.
        throw new Denied(denial(h.key, limit, Number(row.spent_nanos), Number(row.reserved_nanos), amount));
      }
    }
    insertReservation.run(id, JSON.stringify(holds.map((h) => h.key)), amount, expiresAt);
    return { ok: true };
  });
  const drop = database.transaction((id: string, keys: string[], actual: number) => dropNow(id, keys, actual, now()));

  return {
    ready: () => !database.inTransaction,
    reserve(id: string, holds: BudgetHold[], amount: number, expiresAt: number): ReserveResult {
      try {
        return reserve.immediate(id, holds, amount, expiresAt);
      } catch (error) {
        if (error instanceof Denied) return { ok: false, denied: error.denied };
        throw error;
      }
    },
    drop(id: string, keys: string[], actual: number): void {
      drop.immediate(id, keys, actual);
    },
  };
}

/**
 * Redis holds the hot shared counters; this keeps a durable copy of every settled spend in SQL
 * (the same budget_counters table), so spend survives a Redis flush and can be audited or
 * reported from the database. Reservations stay in the hot ledger only.
 */
export function journalToSql(options: { ledger: BudgetLedger; store: SqlStore }): BudgetLedger {
  const durable = createSqlBudgetLedger({ store: options.store });
  return {
    reserve: (input) => options.ledger.reserve(input),
    release: (input) => options.ledger.release(input),
    usage: (key) => options.ledger.usage(key),
    async settle(input) {
      await options.ledger.settle(input);
      // No reservation exists in SQL: this only adds the spend to each key's durable counter.
      await durable.settle(input);
    },
  };
}
