import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqlBudgetLedger } from '../src/security/budget-ledger-sql.js';
import { openStore, type SqlStore } from '../src/store/index.js';

/** The SQLite ledger's synchronous path: all-or-nothing holds, and no interference with an open Kysely transaction. */
describe('SQLite budget ledger', () => {
  let dir: string;
  let store: SqlStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sextant-ledger-'));
    store = await openStore({ url: join(dir, 'ledger.db') });
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes every hold or none: a denial on one key undoes the others', async () => {
    const ledger = createSqlBudgetLedger({ store });
    const holds = [
      { key: 'a:roomy', limitUsd: 10 },
      { key: 'b:tight', limitUsd: 0.5 },
    ];
    expect(await ledger.reserve({ id: 'r1', holds, amountUsd: 0.4, ttlMs: 60_000 })).toEqual({ ok: true });
    const denied = await ledger.reserve({ id: 'r2', holds, amountUsd: 0.2, ttlMs: 60_000 });
    expect(denied).toMatchObject({ ok: false, denied: { key: 'b:tight', reservedUsd: 0.4, requestedUsd: 0.2 } });
    expect(await ledger.usage('a:roomy')).toEqual({ spentUsd: 0, reservedUsd: 0.4 });
    await ledger.settle({ id: 'r1', keys: holds.map((h) => h.key), actualUsd: 0.1 });
    expect(await ledger.usage('a:roomy')).toEqual({ spentUsd: 0.1, reservedUsd: 0 });
    expect(await ledger.usage('b:tight')).toEqual({ spentUsd: 0.1, reservedUsd: 0 });
  });

  it('waits for a Kysely transaction open on the shared connection instead of joining it', async () => {
    const ledger = createSqlBudgetLedger({ store });
    const holds = [{ key: 'tenant:t', limitUsd: 1 }];
    let reserved: Promise<unknown> | undefined;
    await expect(
      store.db.transaction().execute(async (trx) => {
        await trx.insertInto('budget_counters').values({ key: 'other', spent_nanos: 0, reserved_nanos: 0, updated_at: 0 }).execute();
        reserved = ledger.reserve({ id: 'r1', holds, amountUsd: 0.3, ttlMs: 60_000 });
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await reserved).toEqual({ ok: true });
    // The rolled-back transaction took its own row with it, and only that.
    expect(await ledger.usage('other')).toEqual({ spentUsd: 0, reservedUsd: 0 });
    expect(await ledger.usage('tenant:t')).toEqual({ spentUsd: 0, reservedUsd: 0.3 });
  });

  it('releases reservations past their TTL before taking new holds', async () => {
    let now = 1_000;
    const ledger = createSqlBudgetLedger({ store, now: () => now });
    const holds = [{ key: 'tenant:t', limitUsd: 1 }];
    expect(await ledger.reserve({ id: 'r1', holds, amountUsd: 0.8, ttlMs: 100 })).toEqual({ ok: true });
    expect(await ledger.reserve({ id: 'r2', holds, amountUsd: 0.8, ttlMs: 100 })).toMatchObject({ ok: false });
    now += 200;
    expect(await ledger.reserve({ id: 'r3', holds, amountUsd: 0.8, ttlMs: 100 })).toEqual({ ok: true });
    expect(await ledger.usage('tenant:t')).toEqual({ spentUsd: 0, reservedUsd: 0.8 });
  });
});
