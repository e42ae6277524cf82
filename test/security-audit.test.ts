import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assertAuditIntact, createAuditLog, type AuditLog } from '../src/security/audit.js';
import { canonicalJson } from '../src/canonical-json.js';
import { openStore, type SqlStore } from '../src/store/index.js';

describe('hash-chained audit log', () => {
  let dir: string;
  let store: SqlStore;
  let audit: AuditLog;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sextant-audit-'));
    store = await openStore({ url: join(dir, 'audit.db') });
    audit = createAuditLog({ store });
    for (let i = 1; i <= 10; i++) await audit.append({ actor: 'admin', action: 'key.created', target: `k${i}`, tenant: 'acme', details: { i } });
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const raw = () => store.sqlite!;

  it('verifies an untouched chain and reports its head', async () => {
    const result = await audit.verify();
    expect(result).toMatchObject({ ok: true, entries: 10, problems: [] });
    expect(result.head?.seq).toBe(10);
    expect(() => assertAuditIntact(result)).not.toThrow();
  });

  it('catches an edit, and says which entry', async () => {
    raw().prepare(`update audit_log set details = '{"i":999}' where seq = 4`).run();
    const result = await audit.verify();
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([expect.objectContaining({ seq: 4, kind: 'hash' })]);
    expect(result.problems[0].message).toMatch(/entry seq 4 .*edited/);
    expect(() => assertAuditIntact(result)).toThrow(/Audit log is broken/);
  });

  it('catches a deletion', async () => {
    raw().prepare('delete from audit_log where seq = 5').run();
    const result = await audit.verify();
    expect(result.ok).toBe(false);
    expect(result.problems.map((p) => [p.seq, p.kind])).toEqual([
      [6, 'sequence'],
      [6, 'link'],
    ]);
  });

  it('catches an insertion, even of an entry with a valid-looking hash', async () => {
    const db = raw();
    const prev = db.prepare('select hash from audit_log where seq = 4').get() as { hash: string };
    // Make room at seq 5 (highest first, so the primary key never collides), then forge an entry.
    for (let seq = 10; seq >= 5; seq--) db.prepare('update audit_log set seq = seq + 1 where seq = ?').run(seq);
    const forged = {
      seq: 5,
      id: 'forged',
      at: Date.now(),
      actor: 'admin',
      action: 'key.revoked',
      target: 'k1',
      tenant: 'acme',
      details: {},
      prevHash: prev.hash,
    };
    const hash = createHash('sha256').update(canonicalJson(forged)).digest('hex');
    db.prepare(
      `insert into audit_log (seq, id, at, actor, action, target, tenant, details, prev_hash, hash) values (5, 'forged', ?, 'admin', 'key.revoked', 'k1', 'acme', '{}', ?, ?)`,
    ).run(forged.at, prev.hash, hash);
    const result = await audit.verify();
    expect(result.ok).toBe(false);
    // The forged entry itself chains well; the entry after it no longer does.
    expect(result.problems.some((p) => p.seq === 6 && p.kind === 'link')).toBe(true);
    expect(result.problems.some((p) => p.seq === 6 && p.kind === 'hash')).toBe(true);
    expect(result.problems.every((p) => p.seq !== 5)).toBe(true);
  });

  it('catches a reordering', async () => {
    const db = raw();
    // Swap entries 3 and 7 (everything but their place in the order).
    db.prepare('update audit_log set seq = -3 where seq = 3').run();
    db.prepare('update audit_log set seq = 3 where seq = 7').run();
    db.prepare('update audit_log set seq = 7 where seq = -3').run();
    const result = await audit.verify();
    expect(result.ok).toBe(false);
    const at = new Set(result.problems.map((p) => p.seq));
    expect(at.has(3) && at.has(4) && at.has(7) && at.has(8)).toBe(true);
  });

  it('catches a truncated tail against an anchor', async () => {
    const { head } = await audit.verify();
    raw().prepare('delete from audit_log where seq >= 9').run();
    expect((await audit.verify()).ok).toBe(true); // without an anchor, a cut tail looks like a shorter log
    const result = await audit.verify({ anchor: head! });
    expect(result.ok).toBe(false);
    expect(result.problems[0]).toMatchObject({ seq: 10, kind: 'anchor' });
  });

  it('concurrent writers, in-process and from a second connection, never fork the chain', async () => {
    const other = await openStore({ url: store.location });
    const second = createAuditLog({ store: other });
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? audit : second).append({ actor: `w${i % 2}`, action: 'key.used', details: { i } })));
    await other.close();
    const result = await audit.verify();
    expect(result).toMatchObject({ ok: true, entries: 50 });
  });
});
