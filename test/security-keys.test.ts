import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isSextantError } from '../src/errors.js';
import { createAdminRoutes } from '../src/security/admin-routes.js';
import { createAuditLog, type AuditLog } from '../src/security/audit.js';
import { createMemoryBudgetLedger } from '../src/security/budget-ledger.js';
import { authorize, createKeyStore, hashKey, parseBudget, type KeyStore } from '../src/security/keys.js';
import { openStore, type SqlStore } from '../src/store/index.js';

const ADMIN = 'test-admin-key-0123456789abcdef0123456789';

describe('virtual keys', () => {
  let dir: string;
  let store: SqlStore;
  let audit: AuditLog;
  let keys: KeyStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sextant-keys-'));
    store = await openStore({ url: join(dir, 'keys.db') });
    audit = createAuditLog({ store });
    keys = createKeyStore({ store, audit, adminKey: ADMIN });
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates a high-entropy key, authenticates it and returns the identity', async () => {
    const { key, record } = await keys.create({
      tenant: 'acme',
      scopes: ['models:gpt-4o*', 'routes:chat'],
      limits: { rpm: 60, budgets: [parseBudget('10/day')] },
    });
    expect(key).toMatch(/^sk-sx-[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    const identity = await keys.authenticate(`Bearer ${key}`);
    expect(identity).toEqual({
      keyId: record.keyId,
      tenant: 'acme',
      scopes: ['models:gpt-4o*', 'routes:chat'],
      limits: { rpm: 60, budgets: [{ window: 'day', limitUsd: 10 }] },
    });
    expect((await keys.get(record.keyId))?.lastUsedAt).not.toBeNull();
  });

  it('rejects missing, malformed, wrong and revoked keys with UNAUTHORIZED', async () => {
    const { key, record } = await keys.create({ tenant: 'acme' });
    const wrong = key.slice(0, -4) + 'AAAA';
    for (const header of [undefined, 'Bearer nope', `Bearer ${wrong}`]) {
      const error = await keys.authenticate(header).catch((e: unknown) => e);
      expect(isSextantError(error, 'UNAUTHORIZED')).toBe(true);
    }
    await keys.revoke({ keyId: record.keyId, actor: 'admin' });
    await expect(keys.authenticate(key)).rejects.toMatchObject({ code: 'UNAUTHORIZED', context: { reason: 'revoked' } });
  });

  it('the admin key from the environment authenticates with the admin scope', async () => {
    expect(await keys.authenticate(`Bearer ${ADMIN}`)).toMatchObject({ keyId: 'admin', scopes: ['admin'] });
  });

  it('never stores, logs or echoes a key in plain text', async () => {
    const logs: string[] = [];
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
      vi.spyOn(console, m).mockImplementation((...a: unknown[]) => void logs.push(a.map(String).join(' '))),
    );
    const { key, record } = await keys.create({ tenant: 'acme', name: 'ci' });
    await keys.authenticate(key);
    const almost = key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');
    const error = (await keys.authenticate(almost).catch((e: unknown) => e)) as Error;
    await keys.revoke({ keyId: record.keyId });
    const revoked = (await keys.authenticate(key).catch((e: unknown) => e)) as Error;
    spies.forEach((s) => s.mockRestore());
    const secret = key.split('_').slice(1).join('_');
    const everything = [
      JSON.stringify(await keys.list({ includeRevoked: true })),
      JSON.stringify(await audit.list({ limit: 1000 })),
      JSON.stringify(store.sqlite!.prepare('select * from api_keys').all()),
      ...readdirSync(dir).map((f) => readFileSync(join(dir, f)).toString('latin1')),
      String(error.message),
      JSON.stringify(error),
      String(revoked.message),
      JSON.stringify(revoked),
      logs.join('\n'),
    ].join('\n');
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain(almost.split('_').slice(1).join('_'));
    expect(everything).toContain(hashKey(key));
  });

  it('scopes decide models and routes', async () => {
    const { key } = await keys.create({ tenant: 'acme', scopes: ['models:gpt-4o*,claude-*', 'routes:chat'] });
    const identity = await keys.authenticate(key);
    expect(() => authorize(identity, { model: 'openai:gpt-4o-mini', route: 'chat' })).not.toThrow();
    expect(() => authorize(identity, { model: 'claude-sonnet-4-5' })).not.toThrow();
    expect(() => authorize(identity, { model: 'gpt-5', route: 'chat' })).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    expect(() => authorize(identity, { route: 'embeddings' })).toThrow(/route "embeddings"/);
    expect(() => authorize({ ...identity, scopes: ['admin'] }, { model: 'anything', route: 'admin' })).not.toThrow();
    await expect(keys.create({ tenant: 'acme', scopes: ['model:gpt'] })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(keys.create({ tenant: 'a b' })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    expect(() => parseBudget('ten/day')).toThrow(/Invalid budget/);
  });

  it('every create, use, rejection and revoke is in the audit chain', async () => {
    const { key, record } = await keys.create({ tenant: 'acme', actor: 'admin' });
    await keys.authenticate(key);
    await keys.authenticate('sk-sx-0000000000000000_' + 'A'.repeat(43)).catch(() => undefined);
    await keys.revoke({ keyId: record.keyId, actor: 'admin' });
    const entries = await audit.list();
    expect(entries.map((e) => e.action)).toEqual(['key.created', 'key.used', 'key.rejected', 'key.revoked']);
    expect((await audit.verify()).ok).toBe(true);
  });

  describe('admin API (Hono sub-app)', () => {
    const auth = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };

    it('keys CRUD, budgets and audit verify', async () => {
      const ledger = createMemoryBudgetLedger();
      const app = createAdminRoutes({ keys, audit, ledger });
      const created = await app.request('/keys', {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ tenant: 'acme', budget: '10/day', rpm: 60, tpm: 100000, scopes: ['models:*', 'routes:chat'] }),
      });
      expect(created.status).toBe(201);
      const { key, record } = (await created.json()) as { key: string; record: { keyId: string } };
      expect(key.startsWith('sk-sx-')).toBe(true);

      const list = (await (await app.request('/keys?tenant=acme', { headers: auth })).json()) as { keys: unknown[] };
      expect(JSON.stringify(list)).not.toContain(key);
      expect(list.keys).toHaveLength(1);

      const patched = await app.request(`/keys/${record.keyId}`, { method: 'PATCH', headers: auth, body: JSON.stringify({ budget: '20/month' }) });
      expect(((await patched.json()) as { limits: unknown }).limits).toEqual({ budgets: [{ window: 'month', limitUsd: 20 }] });

      const budgets = await app.request('/budgets?key=tenant:acme:day:2025-01-01', { headers: auth });
      expect(await budgets.json()).toEqual({ key: 'tenant:acme:day:2025-01-01', spentUsd: 0, reservedUsd: 0 });

      expect((await app.request(`/keys/${record.keyId}`, { method: 'DELETE', headers: auth })).status).toBe(200);
      expect((await app.request('/keys/nope', { headers: auth })).status).toBe(404);

      const verify = (await (await app.request('/audit/verify', { headers: auth })).json()) as { ok: boolean };
      expect(verify.ok).toBe(true);
      const audited = (await (await app.request('/audit', { headers: auth })).json()) as { entries: { action: string }[] };
      expect(audited.entries.map((e) => e.action)).toContain('budget.changed');
    });

    it('refuses non-admin keys and bad input with typed errors', async () => {
      const app = createAdminRoutes({ keys, audit });
      const { key } = await keys.create({ tenant: 'acme' });
      const forbidden = await app.request('/keys', { headers: { authorization: `Bearer ${key}` } });
      expect(forbidden.status).toBe(403);
      expect(((await forbidden.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
      expect((await app.request('/keys')).status).toBe(401);
      const bad = await app.request('/keys', { method: 'POST', headers: auth, body: JSON.stringify({ tenant: 'acme', budget: 'lots' }) });
      expect(bad.status).toBe(400);
      const notJson = await app.request('/keys', { method: 'POST', headers: auth, body: '{' });
      expect(notJson.status).toBe(400);
      expect((await keys.list()).length).toBe(1);
    });
  });
});
