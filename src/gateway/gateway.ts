import type { Hono } from 'hono';
import { createCache, type Cache } from '../cache/cache.js';
import { cacheMiddleware } from '../cache/middleware.js';
import { DEFAULTS } from '../defaults.js';
import type { Env } from '../model/presets.js';
import type { Provider } from '../model/provider.js';
import { createProviderRouter } from '../model/router.js';
import { preloadTokenizer } from '../model/tokens.js';
import { budgetMiddleware, keyBudgets } from '../security/budget-middleware.js';
import { createPipeline, type MiddlewareInsertion, type Pipeline } from '../pipeline/create-pipeline.js';
import { rateLimitMiddleware, keyRateLimits } from '../security/rate-limit-middleware.js';
import { redactMiddleware } from '../security/redact-middleware.js';
import { createAdminRoutes } from '../security/admin-routes.js';
import { createAuditLog } from '../security/audit.js';
import { createSqlBudgetLedger } from '../security/budget-ledger-sql.js';
import { authorize, createKeyStore, type KeyLimits, type KeyStore } from '../security/keys.js';
import { redactValue } from '../security/pii.js';
import { createMemoryRateLimiter } from '../security/rate-limiter.js';
import type { SqlStore } from '../store/sql-store.js';
import { sqlTraceRepository, startRetention } from '../store/traces.js';
import { createStoreTracer } from '../trace/store-tracer.js';
import type { Tracer } from '../trace/tracer.js';
import { tracingMiddleware } from '../trace/tracing-middleware.js';
import { createGatewayApp } from './app.js';
import type { GatewayAuth } from './auth.js';
import type { GatewayConfig } from './config.js';
import { mountDashboardApi } from './dashboard-api.js';
import { mountDashboardAssets } from './dashboard-assets.js';
import { buildProviders } from './providers.js';
import { createRouteTable, type RouteTable } from './route-table.js';
import { listen, type RunningServer } from './server.js';
import { createSessionTracker, type SessionTracker } from './sessions.js';
import { measureUpstreamTime } from './upstream-time.js';

export interface CreateGatewayOptions {
  config: GatewayConfig;
  /** Traces, keys, audit, budgets and cache entries live here. The caller opens and closes it. */
  store: SqlStore;
  /** Providers by name, taking precedence over the config's (e.g. a scripted model with its own replies). */
  providers?: Record<string, Provider>;
  /** Default: a store-backed tracer (when `config.tracing.enabled`), redacting PII unless `config.security.redactStored` is false. A tracer given here redacts as it was built to. */
  tracer?: Tracer;
  /** Where providers' keys and base URLs are read for model strings the config does not name. Default process.env. */
  env?: Env;
  /** Gateway bugs (non-SextantErrors) go here. Default: stderr. */
  log?: (line: string) => void;
  /** For the weighted pick among an alias's targets. */
  random?: () => number;
  /** Your own middleware at the pipeline's named insertion points, e.g. `[{ before: 'cache', use: m }]` (see createPipeline). Programmatic only: YAML cannot hold functions. */
  middleware?: readonly MiddlewareInsertion[];
}

export interface Gateway {
  /** The Hono app: mount it elsewhere, or call `app.fetch` directly. */
  readonly app: Hono;
  readonly config: GatewayConfig;
  readonly routes: RouteTable;
  readonly pipeline: Pipeline;
  readonly keys: KeyStore;
  readonly sessions: SessionTracker;
  readonly cache: Cache | undefined;
  /** Starts the HTTP server (default: the config's port and host). */
  listen(options?: { port?: number; host?: string }): Promise<RunningServer>;
  /** Drains and stops the server if listening, stops trace retention, then flushes traces, cache counters, keys' last use and the audit log. The store stays open. */
  close(): Promise<void>;
}

/** Per-target timeouts from the routes; one target with two different timeouts is a config error caught at parse time. */
function targetTimeouts(config: GatewayConfig): Record<string, number> {
  const timeouts: Record<string, number> = {};
  for (const route of Object.values(config.models)) {
    for (const target of [...route.targets, ...route.fallbacks]) if (target.timeoutMs !== undefined) timeouts[target.model] = target.timeoutMs;
  }
  return timeouts;
}

/**
 * The OpenAI-compatible gateway: routes from the config, the standard pipeline (rate limits,
 * budgets, cache, timeouts, fallback, retry, circuit breaker, cost) over the provider router,
 * virtual keys, sessions, tracing to the store, the admin API and the dashboard.
 */
export async function createGateway(options: CreateGatewayOptions): Promise<Gateway> {
  const { config, store } = options;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const startedAt = Date.now();

  const audit = createAuditLog({ store });
  const keys = createKeyStore({ store, audit });
  /**
   * Each key's limits as its latest authentication read them: every /v1 call authenticates
   * (one read) right before the pipeline, so the rate-limit and budget resolvers find its
   * limits here instead of reading the key again. A key seen by no call yet (the pipeline
   * used directly) is read from the store.
   */
  const authenticatedLimits = new Map<string, KeyLimits>();
  const limitsOf = async (keyId: string) => authenticatedLimits.get(keyId) ?? (await keys.get(keyId))?.limits;
  const ledger = createSqlBudgetLedger({ store });
  const cache = config.cache.enabled ? await createCache({ store, embedder: config.cache.semantic ? undefined : false }) : undefined;
  const traces = sqlTraceRepository(store);
  const ownTracer =
    !options.tracer && config.tracing.enabled
      ? createStoreTracer({ repository: traces, rootFlushMs: DEFAULTS.gateway.traceFlushMs, redact: config.security.redactStored ? redactValue : false })
      : undefined;
  const tracer = options.tracer ?? ownTracer;
  const { retentionMaxAgeMs, retentionMaxBytes, retentionIntervalMs } = config.tracing;
  const stopRetention =
    retentionMaxAgeMs || retentionMaxBytes
      ? startRetention({
          repository: traces,
          intervalMs: retentionIntervalMs,
          maxAgeMs: retentionMaxAgeMs || undefined,
          maxBytes: retentionMaxBytes || undefined,
          onError: (error) => log(`sextant gateway: trace retention failed: ${(error as Error)?.message ?? String(error)}`),
        })
      : undefined;

  // Budgets and rate limits count tokens on the first requests: load the tokenizer now, in the background.
  void preloadTokenizer(undefined, { background: true }).catch(() => {});
  const router = createProviderRouter({ providers: buildProviders(config, options.providers), env: options.env });
  const pipeline = createPipeline({
    terminal: measureUpstreamTime(router),
    redact: config.security.redactUpstream ? redactMiddleware() : undefined,
    tracing: tracer && tracingMiddleware({ tracer }),
    rateLimit: rateLimitMiddleware({ limiter: createMemoryRateLimiter(), resolve: keyRateLimits({ limitsOf }), audit }),
    budget: budgetMiddleware({ ledger, budgets: config.budgets, resolve: keyBudgets({ limitsOf }), audit }),
    cache: cache && cacheMiddleware(cache),
    timeouts: { perTargetMs: targetTimeouts(config) },
    middleware: options.middleware,
  });

  const routes = createRouteTable({ config, random: options.random });
  const sessions = createSessionTracker({ loopDetection: config.sessions.loopDetection });
  const auth: GatewayAuth = {
    required: config.auth.required,
    async authenticate(header) {
      const identity = await keys.authenticate(header);
      authenticatedLimits.set(identity.keyId, identity.limits);
      return identity;
    },
    authorize,
  };
  const app = createGatewayApp({
    routes,
    model: pipeline,
    auth,
    tracer,
    sessions,
    bodyLimitBytes: config.server.bodyLimitBytes,
    onInternalError: (error) => log(`sextant gateway: internal error: ${(error as Error)?.stack ?? String(error)}`),
    mount(app) {
      app.route('/admin', createAdminRoutes({ keys, audit, ledger }));
      mountDashboardApi(app, {
        store,
        traces,
        keys,
        routes,
        cache,
        breaker: pipeline.breaker,
        sessions,
        adminKeyConfigured: Boolean(process.env.SEXTANT_ADMIN_KEY),
        startedAt,
      });
      mountDashboardAssets(app);
    },
  });

  let server: RunningServer | undefined;
  return {
    app,
    config,
    routes,
    pipeline,
    keys,
    sessions,
    cache,
    async listen(listenOptions = {}) {
      server = await listen(app, {
        port: listenOptions.port ?? config.server.port,
        host: listenOptions.host ?? config.server.host,
        drainMs: config.server.shutdownDrainMs,
      });
      return server;
    },
    async close() {
      await server?.close();
      stopRetention?.();
      if (ownTracer) await ownTracer.close();
      else await tracer?.flush?.();
      await cache?.close();
      // Keys' last-used times and `key.used` entries are written in batches: the last ones now, while the store is open.
      await keys.close();
      await audit.close();
    },
  };
}
