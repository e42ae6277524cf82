import type { Context, Hono, Next } from 'hono';
import { sql } from 'kysely';
import type { Cache } from '../cache/cache.js';
import { DEFAULTS } from '../defaults.js';
import { SextantError } from '../errors.js';
import type { CircuitBreaker } from '../pipeline/circuit-breaker.js';
import type { KeyStore } from '../security/keys.js';
import type { SqlStore } from '../store/sql-store.js';
import type { TraceRepository, TraceStatus } from '../store/index.js';
import type { RouteTable } from './route-table.js';
import type { SessionTracker } from './sessions.js';

/**
 * The JSON the dashboard reads, under /dashboard/api: recent traces, cost, cache stats, keys,
 * circuits. Read-only; managing keys is the admin API's job (/admin, security/admin-routes).
 * Access: a key with the `admin` scope (or SEXTANT_ADMIN_KEY); with no admin key configured,
 * callers on this machine only, so `npm start` on a laptop shows the dashboard at once.
 */
export interface DashboardApiOptions {
  store: SqlStore;
  traces: TraceRepository;
  keys: KeyStore;
  routes: RouteTable;
  cache?: Cache;
  breaker?: CircuitBreaker;
  sessions: SessionTracker;
  /** Set when SEXTANT_ADMIN_KEY is configured: then only keys get in. */
  adminKeyConfigured: boolean;
  startedAt: number;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

function remoteAddress(c: Context): string | undefined {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress;
}

function guard(options: DashboardApiOptions) {
  return async (c: Context, next: Next) => {
    const authorization = c.req.header('authorization');
    if (!authorization && !options.adminKeyConfigured && LOOPBACK.test(remoteAddress(c) ?? '')) return next();
    const identity = await options.keys.authenticate(authorization);
    if (!identity.scopes.includes('admin'))
      throw new SextantError('FORBIDDEN', 'The dashboard needs a key with the admin scope', { context: { keyId: identity.keyId } });
    return next();
  };
}

function intQuery(c: Context, name: string, fallback: number): number {
  const raw = c.req.query(name);
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0)
    throw new SextantError('INVALID_REQUEST', `Query parameter "${name}" must be a non-negative integer`, { context: { param: name } });
  return value;
}

const DAY_MS = 86_400_000;

export function mountDashboardApi(app: Hono, options: DashboardApiOptions): void {
  const base = '/dashboard/api';
  app.use(`${base}/*`, guard(options));

  app.get(`${base}/overview`, async (c) => {
    const [keys, cacheStats] = await Promise.all([options.keys.list(), options.cache?.stats() ?? []]);
    return c.json({
      uptimeMs: Date.now() - options.startedAt,
      store: { engine: options.store.engine, location: options.store.location },
      models: options.routes.models(),
      keys: keys.length,
      sessions: options.sessions.size(),
      cache: options.cache
        ? {
            entries: options.cache.size,
            bytes: options.cache.bytes,
            hits: cacheStats.reduce((n, s) => n + s.exactHits + s.semanticHits, 0),
            misses: cacheStats.reduce((n, s) => n + s.misses, 0),
            savedUsd: cacheStats.reduce((n, s) => n + s.savedUsd, 0),
          }
        : null,
      circuits: options.breaker?.snapshot() ?? [],
    });
  });

  app.get(`${base}/traces`, async (c) => {
    const status = c.req.query('status') as TraceStatus | undefined;
    const rows = await options.traces.list({
      limit: Math.min(intQuery(c, 'limit', DEFAULTS.gateway.adminPageSize), 500),
      session: c.req.query('session') || undefined,
      tenant: c.req.query('tenant') || undefined,
      kind: c.req.query('kind') || undefined,
      status: status || undefined,
    });
    return c.json({ traces: rows });
  });

  app.get(`${base}/traces/:id`, async (c) => {
    const found = await options.traces.get(c.req.param('id'));
    if (!found) throw new SextantError('NOT_FOUND', `No trace ${c.req.param('id')}`);
    return c.json(found);
  });

  /** Spend per day and per tenant over the last `days` days, from the traces' running totals. */
  app.get(`${base}/cost`, async (c) => {
    const days = Math.min(Math.max(intQuery(c, 'days', 7), 1), 366);
    const since = Date.now() - days * DAY_MS;
    const { db } = options.store;
    const day = sql<number>`cast(floor(started_at / ${DAY_MS}) as integer)`;
    const [byDay, byTenant] = await Promise.all([
      db
        .selectFrom('traces')
        .select([
          day.as('day'),
          sql<number>`sum(cost_usd)`.as('costUsd'),
          sql<number>`sum(input_tokens)`.as('inputTokens'),
          sql<number>`sum(output_tokens)`.as('outputTokens'),
          sql<number>`count(*)`.as('traces'),
        ])
        .where('started_at', '>=', since)
        .groupBy(day)
        .orderBy(day)
        .execute(),
      db
        .selectFrom('traces')
        .select([sql<string>`coalesce(tenant, '-')`.as('tenant'), sql<number>`sum(cost_usd)`.as('costUsd'), sql<number>`count(*)`.as('traces')])
        .where('started_at', '>=', since)
        .groupBy('tenant')
        .execute(),
    ]);
    const num = (v: unknown) => Number(v ?? 0);
    return c.json({
      days,
      byDay: byDay.map((r) => ({
        date: new Date(num(r.day) * DAY_MS).toISOString().slice(0, 10),
        costUsd: num(r.costUsd),
        inputTokens: num(r.inputTokens),
        outputTokens: num(r.outputTokens),
        traces: num(r.traces),
      })),
      byTenant: byTenant.map((r) => ({ tenant: r.tenant, costUsd: num(r.costUsd), traces: num(r.traces) })).sort((a, b) => b.costUsd - a.costUsd),
    });
  });

  app.get(`${base}/cache`, async (c) =>
    c.json({
      enabled: Boolean(options.cache),
      entries: options.cache?.size ?? 0,
      bytes: options.cache?.bytes ?? 0,
      scopes: (await options.cache?.stats()) ?? [],
    }),
  );

  app.get(`${base}/keys`, async (c) => c.json({ keys: await options.keys.list({ includeRevoked: c.req.query('revoked') === 'true' }) }));
}
