import { SextantError } from '../../errors.js';
import { createAuditLog } from '../../security/audit.js';
import { createKeyStore, parseBudget, type KeyLimits, type KeyStore } from '../../security/keys.js';
import { openStore } from '../../store/db.js';

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new SextantError('CONFIG_INVALID', `--${name} must be a positive integer, got "${value}"`);
  return n;
}

/** Opens the store (`--db`, else the default), runs `use` on its key store, and closes the store. */
async function withKeys(db: string | undefined, use: (keys: KeyStore) => Promise<number>): Promise<number> {
  const store = await openStore({ url: db });
  try {
    return await use(createKeyStore({ store, audit: createAuditLog({ store }) }));
  } finally {
    await store.close();
  }
}

export interface CreateKeyOptions {
  tenant: string;
  name?: string;
  scopes?: string[];
  budget?: string[];
  rpm?: string;
  tpm?: string;
  json?: boolean;
  db?: string;
}

/** `sextant keys create`: prints the plain key once. */
export async function createKeyCommand(options: CreateKeyOptions): Promise<number> {
  const limits: KeyLimits = {};
  if (options.budget?.length) limits.budgets = options.budget.map(parseBudget);
  const rpm = positiveInt('rpm', options.rpm);
  const tpm = positiveInt('tpm', options.tpm);
  if (rpm) limits.rpm = rpm;
  if (tpm) limits.tpm = tpm;
  const scopes = options.scopes?.flatMap((s) => s.split(/\s+/)).filter(Boolean);
  return withKeys(options.db, async (keys) => {
    const { key, record } = await keys.create({ tenant: options.tenant, name: options.name, scopes, limits, actor: 'cli' });
    if (options.json) console.log(JSON.stringify({ key, ...record }));
    else {
      console.log(`Created key ${record.keyId} for tenant ${record.tenant} (scopes: ${record.scopes.join(' ')})`);
      console.log(`\n  ${key}\n\nStore it now: it is not shown again and cannot be recovered.`);
    }
    return 0;
  });
}

/** `sextant keys list`: the keys' records, never the keys. */
export async function listKeysCommand(options: { tenant?: string; all?: boolean; json?: boolean; db?: string }): Promise<number> {
  return withKeys(options.db, async (keys) => {
    const list = await keys.list({ tenant: options.tenant, includeRevoked: options.all });
    if (options.json) {
      console.log(JSON.stringify(list));
      return 0;
    }
    if (list.length === 0) console.log('No keys.');
    for (const k of list) {
      const limits = [
        ...(k.limits.budgets ?? []).map((b) => `$${b.limitUsd}/${b.window}`),
        k.limits.rpm && `${k.limits.rpm} rpm`,
        k.limits.tpm && `${k.limits.tpm} tpm`,
      ]
        .filter(Boolean)
        .join(', ');
      const state = k.revokedAt ? 'revoked' : k.lastUsedAt ? `used ${new Date(k.lastUsedAt).toISOString()}` : 'never used';
      console.log(`${k.keyId}  ${k.tenant.padEnd(12)} ${(k.name ?? '').padEnd(12)} ${k.scopes.join(' ')}  ${limits || 'no limits'}  ${state}`);
    }
    return 0;
  });
}

/** `sextant keys revoke <key id>`. */
export async function revokeKeyCommand(keyId: string, options: { db?: string }): Promise<number> {
  return withKeys(options.db, async (keys) => {
    const record = await keys.revoke({ keyId, actor: 'cli' });
    console.log(`Revoked key ${record.keyId} (tenant ${record.tenant}).`);
    return 0;
  });
}
