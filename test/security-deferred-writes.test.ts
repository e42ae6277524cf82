import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SextantError } from '../src/errors.js';
import { createAuditLog } from '../src/security/audit.js';
import { createKeyStore } from '../src/security/keys.js';
import { openStore, type SqlStore } from '../src/store/index.js';

/** Per-request writes (key.used, last_used_at) leave the request's path: batched, in order, hash-chained, and never lost on a clean close. */
describe('deferred audit entries and last-used times', () => {
  let dir: string;
  let path: string;
  let store: SqlStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sextant-deferred-'));
    path = join(dir, 'sextant.db');
    store = await openStore({ url: path });
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const storedRows = () =>
    store.sqlite!.prepare('select seq, action, details from audit_log order by seq').all() as { seq: number; action: string; details: string }[];

  it('writes nothing until the flush, then everything in the order it happened, interleaved with durable appends', async () => {
    const audit = createAuditLog({ store, flushIntervalMs: 60_000, maxBatch: 3 });
    for (let i = 0; i < 4; i++) audit.appendLater({ actor: 'k1', action: 'key.used', details: { i } });
    expect(storedRows()).toHaveLength(0);
    // A durable append writes the deferred entries first, so the chain keeps the order of events.
    await audit.append({ actor: 'admin', action: 'key.revoked', target: 'k1' });
    audit.appendLater({ actor: 'k2', action: 'key.used', details: { i: 4 } });
    audit.appendLater({ actor: 'k2', action: 'key.used', details: { i: 5 } });
    expect(storedRows().map((r) => r.action)).toEqual(['key.used', 'key.used', 'key.used', 'key.used', 'key.revoked']);
    const entries = await audit.list();
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(entries.map((e) => e.details.i ?? 'revoke')).toEqual([0, 1, 2, 3, 'revoke', 4, 5]);
    expect(await audit.verify()).toMatchObject({ ok: true, entries: 7 });
  });

  it('flushes on its interval and when a batch fills', async () => {
    const audit = createAuditLog({ store, flushIntervalMs: 30, maxBatch: 5 });
    audit.appendLater({ actor: 'k1', action: 'key.used' });
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(storedRows()).toHaveLength(1);
    for (let i = 0; i < 5; i++) audit.appendLater({ actor: 'k1', action: 'key.used', details: { i } });
    await new Promise((resolve) => setImmediate(resolve));
    await audit.flush();
    expect(storedRows()).toHaveLength(6);
    expect((await audit.verify()).ok).toBe(true);
  });

  it('loses no entry on a clean close: a new process reads every one, chained', async () => {
    const audit = createAuditLog({ store, flushIntervalMs: 60_000, maxBatch: 7 });
    for (let i = 0; i < 50; i++) audit.appendLater({ actor: 'k1', action: 'key.used', details: { i } });
    await audit.close();
    await store.close();
    store = await openStore({ url: path });
    const reopened = createAuditLog({ store });
    expect(await reopened.verify()).toMatchObject({ ok: true, entries: 50 });
    expect((await reopened.list({ limit: 100 })).map((e) => e.details.i)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('keeps entries whose flush failed and writes them on the next flush', async () => {
    const failures: SextantError[] = [];
    const audit = createAuditLog({ store, flushIntervalMs: 10, onFlushError: (error) => failures.push(error) });
    store.sqlite!.prepare('alter table audit_log rename to audit_log_away').run();
    audit.appendLater({ actor: 'k1', action: 'key.used', details: { i: 0 } });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(failures[0]).toMatchObject({ code: 'STORE_ERROR' });
    store.sqlite!.prepare('alter table audit_log_away rename to audit_log').run();
    audit.appendLater({ actor: 'k1', action: 'key.used', details: { i: 1 } });
    await audit.flush();
    expect((await audit.list()).map((e) => e.details.i)).toEqual([0, 1]);
    expect((await audit.verify()).ok).toBe(true);
  });

  it('authenticating writes no SQL; the key shows its use at once and stores it on close', async () => {
    const audit = createAuditLog({ store, flushIntervalMs: 60_000 });
    const keys = createKeyStore({ store, audit, flushIntervalMs: 60_000 });
    const { key, record } = await keys.create({ tenant: 'acme' });
    const writesBefore = storedRows().length;
    for (let i = 0; i < 20; i++) await keys.authenticate(`Bearer ${key}`);
    const stored = () => store.sqlite!.prepare('select last_used_at from api_keys where id = ?').get(record.keyId) as { last_used_at: number | null };
    expect(stored().last_used_at).toBeNull();
    expect(storedRows()).toHaveLength(writesBefore);
    // Reads lay the pending time over the stored row (get runs per request: it must not write).
    expect((await keys.get(record.keyId))?.lastUsedAt).toBeGreaterThan(0);
    expect(stored().last_used_at).toBeNull();
    await keys.close();
    expect(stored().last_used_at).toBe((await keys.get(record.keyId))?.lastUsedAt);
    expect(storedRows().map((r) => r.action)).toEqual(['key.created', ...Array(20).fill('key.used')]);
    expect((await audit.verify()).ok).toBe(true);
  });
});
