import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { DEFAULTS } from '../defaults.js';
import { SextantError } from '../errors.js';
import type { SqlStore } from '../store/index.js';
import type { ApiKeyRow } from '../store/schema.js';
import type { AuditLog } from './audit.js';
import { parseScopes, scopesAllow, type AccessRequest, type Scope } from './scopes.js';

export type BudgetWindow = 'total' | 'day' | 'month';

export interface KeyLimits {
  /** Money the key may spend per window, in USD. */
  budgets?: { window: BudgetWindow; limitUsd: number }[];
  /** Requests per minute. */
  rpm?: number;
  /** Tokens (input + output) per minute. */
  tpm?: number;
}

/** Who a request comes from, after authentication. Holds no secret. */
export interface Identity {
  keyId: string;
  tenant: string;
  scopes: Scope[];
  limits: KeyLimits;
}

export interface ApiKeyRecord extends Identity {
  name: string | null;
  createdAt: number;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

/** Prefix of every virtual key, so leaked keys are recognisable by secret scanners (and by our PII redactor). */
export const KEY_PREFIX = 'sk-sx-';
/** The admin key from SEXTANT_ADMIN_KEY authenticates as this key id. */
export const ADMIN_KEY_ID = 'admin';

const KEY_FORMAT = /^sk-sx-([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/**
 * SHA-256 is enough: a key holds 256 random bits, so there is no dictionary to try and a brute
 * force over 2^256 values is out of reach however fast the hash. Slow hashes (bcrypt, argon2)
 * protect low-entropy passwords; here they would only add latency to every request.
 */
export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

function equalHashes(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

function fromRow(row: ApiKeyRow): ApiKeyRecord {
  return {
    keyId: row.id,
    name: row.name,
    tenant: row.tenant,
    scopes: JSON.parse(row.scopes) as Scope[],
    limits: JSON.parse(row.limits) as KeyLimits,
    createdAt: Number(row.created_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
    lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
  };
}

function unauthorized(reason: 'missing' | 'malformed' | 'invalid' | 'revoked', keyId?: string): SextantError {
  const messages = {
    missing: 'Missing API key: send "Authorization: Bearer <key>"',
    malformed: 'Malformed API key',
    invalid: 'Invalid API key',
    revoked: 'This API key has been revoked',
  };
  return new SextantError('UNAUTHORIZED', messages[reason], { status: 401, context: { reason, ...(keyId ? { keyId } : {}) } });
}

export interface CreateKeyOptions {
  tenant: string;
  scopes?: string[];
  limits?: KeyLimits;
  name?: string;
  /** Who creates it, for the audit log. */
  actor?: string;
}

export interface KeyStore {
  /** Makes a key; the plain key is returned once and never stored. */
  create(options: CreateKeyOptions): Promise<{ key: string; record: ApiKeyRecord }>;
  list(options?: { tenant?: string; includeRevoked?: boolean }): Promise<ApiKeyRecord[]>;
  get(keyId: string): Promise<ApiKeyRecord | undefined>;
  revoke(options: { keyId: string; actor?: string }): Promise<ApiKeyRecord>;
  update(options: { keyId: string; limits?: KeyLimits; scopes?: string[]; actor?: string }): Promise<ApiKeyRecord>;
  /**
   * `Authorization` header (or a bare key) → identity; throws UNAUTHORIZED. A successful use costs
   * one read: its last-used time and its `key.used` audit entry are written in batches, off the
   * request's path (see `flush`).
   */
  authenticate(authorization: string | null | undefined): Promise<Identity>;
  /** Writes pending last-used times and the audit log's deferred entries. */
  flush(): Promise<void>;
  /** Flushes and stops the timer: call it before closing the store, so no use goes unrecorded. */
  close(): Promise<void>;
}

export interface KeyStoreOptions {
  store: SqlStore;
  /** Every create, revoke, change, use and rejection is appended here. */
  audit?: AuditLog;
  /** The admin key (default: SEXTANT_ADMIN_KEY). Compared by hash in constant time. */
  adminKey?: string;
  now?: () => number;
  /** Longest a last-used time waits before it is written (default DEFAULTS.security.audit.flushIntervalMs). */
  flushIntervalMs?: number;
}

function validateLimits(limits: KeyLimits): KeyLimits {
  for (const b of limits.budgets ?? []) {
    if (!['total', 'day', 'month'].includes(b.window) || !(b.limitUsd >= 0) || !Number.isFinite(b.limitUsd)) {
      throw new SextantError('CONFIG_INVALID', `Invalid budget ${JSON.stringify(b)}: window total|day|month and a finite limitUsd >= 0`);
    }
  }
  for (const name of ['rpm', 'tpm'] as const) {
    const v = limits[name];
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) throw new SextantError('CONFIG_INVALID', `Invalid ${name} ${v}: a positive integer`);
  }
  return limits;
}

export function createKeyStore(options: KeyStoreOptions): KeyStore {
  const { db } = options.store;
  const now = options.now ?? Date.now;
  const adminKey = options.adminKey ?? process.env.SEXTANT_ADMIN_KEY;
  const adminHash = adminKey ? hashKey(adminKey) : undefined;
  const audit = options.audit;
  const flushIntervalMs = options.flushIntervalMs ?? DEFAULTS.security.audit.flushIntervalMs;
  /** Last-used times not yet written, by key id: one UPDATE per key per flush, however many requests. */
  let lastUsed = new Map<string, number>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let writing: Promise<void> = Promise.resolve();

  async function writeLastUsed(): Promise<void> {
    const batch = lastUsed;
    lastUsed = new Map();
    try {
      for (const [keyId, usedAt] of batch) await db.updateTable('api_keys').set({ last_used_at: usedAt }).where('id', '=', keyId).execute();
    } catch (error) {
      // Keep what was not written, unless a newer use has replaced it meanwhile.
      for (const [keyId, usedAt] of batch) if (!lastUsed.has(keyId)) lastUsed.set(keyId, usedAt);
      throw new SextantError('STORE_ERROR', `Writing keys' last-used times failed: ${(error as Error).message}`, { cause: error });
    }
  }

  function flushLastUsed(): Promise<void> {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    const result = writing.then(writeLastUsed);
    writing = result.catch(() => undefined);
    return result;
  }

  function markUsed(keyId: string, usedAt: number): void {
    lastUsed.set(keyId, usedAt);
    if (timer !== undefined) return;
    timer = setTimeout(() => {
      // Not rescheduled on failure: the times wait for the next use, flush or close.
      flushLastUsed().catch((error: SextantError) => process.emitWarning(error.message, { code: error.code }));
    }, flushIntervalMs);
    timer.unref();
  }

  async function flush(): Promise<void> {
    await Promise.all([flushLastUsed(), audit?.flush()]);
  }

  /** A stored key with its pending last-used time laid over: read it without writing it (get runs per request in the gateway). */
  function withPendingUse(record: ApiKeyRecord): ApiKeyRecord {
    const usedAt = lastUsed.get(record.keyId);
    return usedAt === undefined ? record : { ...record, lastUsedAt: usedAt };
  }

  async function get(keyId: string) {
    const row = await db.selectFrom('api_keys').selectAll().where('id', '=', keyId).executeTakeFirst();
    return row ? withPendingUse(fromRow(row)) : undefined;
  }

  async function mustGet(keyId: string) {
    const record = await get(keyId);
    if (!record) throw new SextantError('NOT_FOUND', `No API key with id ${keyId}`, { status: 404, context: { keyId } });
    return record;
  }

  return {
    async create({ tenant, scopes = DEFAULTS.security.defaultScopes, limits = {}, name, actor = 'system' }) {
      if (!/^[A-Za-z0-9._-]{1,64}$/.test(tenant)) {
        throw new SextantError('CONFIG_INVALID', `Invalid tenant "${tenant}": 1-64 letters, digits, . _ -`);
      }
      const parsed = parseScopes(scopes);
      validateLimits(limits);
      const keyId = randomBytes(8).toString('hex');
      const key = `${KEY_PREFIX}${keyId}_${randomBytes(DEFAULTS.security.keyBytes).toString('base64url')}`;
      const createdAt = now();
      await db
        .insertInto('api_keys')
        .values({
          id: keyId,
          hash: hashKey(key),
          name: name ?? null,
          tenant,
          scopes: JSON.stringify(parsed),
          limits: JSON.stringify(limits),
          created_at: createdAt,
          revoked_at: null,
          last_used_at: null,
        })
        .execute();
      await audit?.append({ actor, action: 'key.created', target: keyId, tenant, details: { name: name ?? null, scopes: parsed, limits } });
      return { key, record: { keyId, name: name ?? null, tenant, scopes: parsed, limits, createdAt, revokedAt: null, lastUsedAt: null } };
    },

    async list({ tenant, includeRevoked = false } = {}) {
      let query = db.selectFrom('api_keys').selectAll();
      if (tenant !== undefined) query = query.where('tenant', '=', tenant);
      if (!includeRevoked) query = query.where('revoked_at', 'is', null);
      return (await query.orderBy('created_at', 'asc').execute()).map((row) => withPendingUse(fromRow(row)));
    },

    get,

    async revoke({ keyId, actor = 'system' }) {
      const record = await mustGet(keyId);
      if (record.revokedAt === null) {
        record.revokedAt = now();
        await db.updateTable('api_keys').set({ revoked_at: record.revokedAt }).where('id', '=', keyId).execute();
        await audit?.append({ actor, action: 'key.revoked', target: keyId, tenant: record.tenant });
      }
      return record;
    },

    async update({ keyId, limits, scopes, actor = 'system' }) {
      const record = await mustGet(keyId);
      const next = { limits: limits ? validateLimits(limits) : record.limits, scopes: scopes ? parseScopes(scopes) : record.scopes };
      await db
        .updateTable('api_keys')
        .set({ limits: JSON.stringify(next.limits), scopes: JSON.stringify(next.scopes) })
        .where('id', '=', keyId)
        .execute();
      await audit?.append({
        actor,
        action: limits ? 'budget.changed' : 'admin.action',
        target: keyId,
        tenant: record.tenant,
        details: { before: { limits: record.limits, scopes: record.scopes }, after: next },
      });
      return { ...record, ...next };
    },

    async authenticate(authorization) {
      const raw = authorization?.trim();
      if (!raw) throw unauthorized('missing');
      const key = raw.replace(/^Bearer\s+/i, '');
      if (adminHash && equalHashes(hashKey(key), adminHash)) {
        return { keyId: ADMIN_KEY_ID, tenant: DEFAULTS.security.adminTenant, scopes: ['admin'], limits: {} };
      }
      const match = KEY_FORMAT.exec(key);
      if (!match) {
        await audit?.append({ actor: 'anonymous', action: 'key.rejected', details: { reason: 'malformed' } });
        throw unauthorized('malformed');
      }
      const keyId = match[1];
      const row = await db.selectFrom('api_keys').selectAll().where('id', '=', keyId).executeTakeFirst();
      // Compare even when the id is unknown, so timing does not tell which ids exist.
      const matches = equalHashes(hashKey(key), row?.hash ?? adminHash ?? hashKey(''));
      if (!row || !matches) {
        await audit?.append({ actor: 'anonymous', action: 'key.rejected', target: keyId, details: { reason: 'invalid' } });
        throw unauthorized('invalid');
      }
      const record = fromRow(row);
      if (record.revokedAt !== null) {
        await audit?.append({ actor: keyId, action: 'key.rejected', target: keyId, tenant: record.tenant, details: { reason: 'revoked' } });
        throw unauthorized('revoked', keyId);
      }
      markUsed(keyId, now());
      audit?.appendLater({ actor: keyId, action: 'key.used', target: keyId, tenant: record.tenant });
      return { keyId, tenant: record.tenant, scopes: record.scopes, limits: record.limits };
    },

    flush,
    close: flush,
  };
}

/** Throws FORBIDDEN unless the identity's scopes allow the model and route. */
export function authorize(identity: Identity, access: AccessRequest): void {
  if (!scopesAllow(identity.scopes, access)) {
    const what = [access.model && `model "${access.model}"`, access.route && `route "${access.route}"`].filter(Boolean).join(' and ');
    throw new SextantError('FORBIDDEN', `Key ${identity.keyId} is not allowed to use ${what}`, {
      status: 403,
      context: { keyId: identity.keyId, tenant: identity.tenant, ...access, scopes: identity.scopes },
    });
  }
}

/** Parses `10/day`, `5/month`, `100` or `100/total` into a budget. */
export function parseBudget(text: string): { window: BudgetWindow; limitUsd: number } {
  const match = /^\$?(\d+(?:\.\d+)?)(?:\/(total|day|month))?$/.exec(text.trim());
  if (!match) throw new SextantError('CONFIG_INVALID', `Invalid budget "${text}": expected <usd>[/total|/day|/month], e.g. 10/day`);
  return { limitUsd: Number(match[1]), window: (match[2] ?? 'total') as BudgetWindow };
}
