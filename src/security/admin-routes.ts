import { Hono } from 'hono';
import { z } from 'zod';
import { SextantError, isSextantError } from '../errors.js';
import type { AuditLog } from './audit.js';
import type { BudgetLedger } from './budget-ledger.js';
import { parseBudget, type Identity, type KeyLimits, type KeyStore } from './keys.js';

export interface AdminRoutesOptions {
  keys: KeyStore;
  audit: AuditLog;
  /** For `GET /budgets`: the ledger the budget middleware counts in. */
  ledger?: BudgetLedger;
}

const limitsSchema = z.object({
  budget: z.union([z.string(), z.array(z.string())]).optional(),
  rpm: z.number().int().positive().optional(),
  tpm: z.number().int().positive().optional(),
});
const createSchema = limitsSchema.extend({
  tenant: z.string(),
  name: z.string().max(200).optional(),
  scopes: z.array(z.string()).optional(),
});
const updateSchema = limitsSchema.extend({ scopes: z.array(z.string()).optional() });

function toLimits(input: z.infer<typeof limitsSchema>): KeyLimits | undefined {
  const budgets = input.budget === undefined ? undefined : (Array.isArray(input.budget) ? input.budget : [input.budget]).map(parseBudget);
  if (budgets === undefined && input.rpm === undefined && input.tpm === undefined) return undefined;
  return { ...(budgets ? { budgets } : {}), ...(input.rpm ? { rpm: input.rpm } : {}), ...(input.tpm ? { tpm: input.tpm } : {}) };
}

async function body<T>(request: Request, schema: z.ZodType<T>): Promise<T> {
  const json: unknown = await request.json().catch(() => {
    throw new SextantError('INVALID_REQUEST', 'Body must be JSON', { status: 400 });
  });
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new SextantError('INVALID_REQUEST', `Invalid body: ${z.prettifyError(parsed.error)}`, { status: 400 });
  return parsed.data;
}

const STATUS: Partial<Record<string, number>> = {
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  INVALID_REQUEST: 400,
  CONFIG_INVALID: 400,
};

/**
 * The admin API as a Hono sub-app: the gateway mounts it (`app.route('/admin', createAdminRoutes(...))`).
 * Every route needs a key with the `admin` scope (or SEXTANT_ADMIN_KEY); every call is audited.
 *
 *   POST   /keys            {tenant, scopes?, name?, budget?: "10/day" | [...], rpm?, tpm?} → 201 {key, record}
 *   GET    /keys?tenant=    → {keys}
 *   GET    /keys/:id        → record
 *   PATCH  /keys/:id        {scopes?, budget?, rpm?, tpm?} → record
 *   DELETE /keys/:id        → revoked record
 *   GET    /budgets?key=    → spent and reserved of a ledger key (e.g. tenant:acme:day:2025-01-30)
 *   GET    /audit?after=&limit=&tenant= → {entries}
 *   GET    /audit/verify    → {ok, entries, head, problems}
 */
export function createAdminRoutes(options: AdminRoutesOptions): Hono<{ Variables: { identity: Identity } }> {
  const { keys, audit, ledger } = options;
  const app = new Hono<{ Variables: { identity: Identity } }>();

  app.onError((error, c) => {
    const e = isSextantError(error) ? error : new SextantError('STORE_ERROR', 'Internal error', { cause: error });
    const status = (e.status ?? STATUS[e.code] ?? 500) as 400;
    return c.json({ error: { code: e.code, message: e.message, context: e.context } }, status);
  });

  app.use(async (c, next) => {
    const identity = await keys.authenticate(c.req.header('authorization'));
    if (!identity.scopes.includes('admin')) {
      await audit.append({ actor: identity.keyId, action: 'request.blocked', target: c.req.path, tenant: identity.tenant, details: { reason: 'not admin' } });
      throw new SextantError('FORBIDDEN', 'The admin API needs a key with the admin scope', { status: 403, context: { keyId: identity.keyId } });
    }
    c.set('identity', identity);
    await next();
  });

  app.post('/keys', async (c) => {
    const input = await body(c.req.raw, createSchema);
    const created = await keys.create({
      tenant: input.tenant,
      name: input.name,
      scopes: input.scopes,
      limits: toLimits(input),
      actor: c.get('identity').keyId,
    });
    return c.json(created, 201);
  });

  app.get('/keys', async (c) => c.json({ keys: await keys.list({ tenant: c.req.query('tenant'), includeRevoked: c.req.query('revoked') === 'true' }) }));

  app.get('/keys/:id', async (c) => {
    const record = await keys.get(c.req.param('id'));
    if (!record) throw new SextantError('NOT_FOUND', `No API key with id ${c.req.param('id')}`, { status: 404 });
    return c.json(record);
  });

  app.patch('/keys/:id', async (c) => {
    const input = await body(c.req.raw, updateSchema);
    return c.json(await keys.update({ keyId: c.req.param('id'), scopes: input.scopes, limits: toLimits(input), actor: c.get('identity').keyId }));
  });

  app.delete('/keys/:id', async (c) => c.json(await keys.revoke({ keyId: c.req.param('id'), actor: c.get('identity').keyId })));

  app.get('/budgets', async (c) => {
    const key = c.req.query('key');
    if (!ledger) throw new SextantError('NOT_FOUND', 'No budget ledger is configured', { status: 404 });
    if (!key) throw new SextantError('INVALID_REQUEST', 'Query parameter "key" is required (e.g. tenant:acme:day:2025-01-30)', { status: 400 });
    return c.json({ key, ...(await ledger.usage(key)) });
  });

  app.get('/audit', async (c) => {
    const afterSeq = Number(c.req.query('after') ?? 0);
    const limit = Math.min(1000, Number(c.req.query('limit') ?? 100));
    if (!Number.isFinite(afterSeq) || !Number.isFinite(limit))
      throw new SextantError('INVALID_REQUEST', '"after" and "limit" must be numbers', { status: 400 });
    return c.json({ entries: await audit.list({ afterSeq, limit, tenant: c.req.query('tenant') }) });
  });

  app.get('/audit/verify', async (c) => {
    const result = await audit.verify();
    await audit.append({ actor: c.get('identity').keyId, action: 'admin.action', target: 'audit', details: { verify: result.ok, entries: result.entries } });
    return c.json(result);
  });

  return app;
}
