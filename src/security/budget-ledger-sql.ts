import { sql } from 'kysely';
import { toSextantError } from '../errors.js';
import type { SqlStore } from '../store/index.js';
import { denial, fromNanos, toNanos, type BudgetDenial, type BudgetLedger } from './budget-ledger.js';

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
      await drop(id, keys, toNanos(actualUsd)).catch((error) => {
        throw toSextantError(error, 'STORE_ERROR');
      });
    },
    async release({ id, keys }) {
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
