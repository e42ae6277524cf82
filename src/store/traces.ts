import { hostname } from 'node:os';
import { sql } from 'kysely';
import { DEFAULTS } from '../defaults.js';
import type { SpanRow, TraceRow, TraceStatus } from './core-tables.js';
import type { SqlStore } from './sql-store.js';
import { expandMessageDeltas } from './message-delta.js';
import { SPAN_UPSERT_SET } from './sqlite-trace-writer.js';
import type { SpanFields, TraceBatch } from './trace-batch.js';

/** The decision record's messages attribute (trace/attributes.ts ATTR.DECISION_MESSAGES), stored as deltas. */
const ATTR_DECISION_MESSAGES = 'sextant.decision.messages';

/** A span as read back: JSON columns parsed. */
export interface StoredSpan extends SpanFields {
  attributes: Record<string, unknown>;
  events: { name: string; at: number; attributes?: Record<string, unknown> }[];
  error: { code?: string; message: string } | null;
}

/** A trace as listed: a gateway session's trace holds many requests, some of which may have failed (refused, upstream errors). */
export interface ListedTrace extends TraceRow {
  /** Root spans: the requests of a gateway trace (a session's trace has one per request); 1 for an agent run. */
  requests: number;
  /** Of those, the ones that ended in an error. */
  failed_requests: number;
}

export interface TraceFilter {
  status?: TraceStatus;
  agent?: string;
  session?: string;
  tenant?: string;
  kind?: string;
  minCostUsd?: number;
  /** Only traces started at or after this time (ms since the epoch). */
  since?: number;
  limit?: number;
}

export interface PruneOptions {
  /** Delete finished traces older than this. */
  maxAgeMs?: number;
  /** Then delete the oldest finished traces until the stored span bytes fit in this. */
  maxBytes?: number;
  now?: number;
}

export interface StaleOptions {
  /** A running trace whose heartbeat is older than this is interrupted, whatever its pid. */
  staleAfterMs?: number;
  now?: number;
}

/** Traces and spans, over either SQL engine. Callers never see which one. */
export interface TraceRepository {
  writeBatch(batch: TraceBatch): Promise<void>;
  /** Newest first, each with its request counts. */
  list(filter?: TraceFilter): Promise<ListedTrace[]>;
  /** By trace id, by run id, or by a unique prefix of either. */
  get(idOrRunId: string): Promise<{ trace: TraceRow; spans: StoredSpan[] } | undefined>;
  /** Marks running traces whose process is gone (dead pid on this host, or stale heartbeat) interrupted; returns how many. */
  markStaleInterrupted(options?: StaleOptions): Promise<number>;
  prune(options: PruneOptions): Promise<{ traces: number }>;
}

const HOST = hostname();

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseSpan(row: SpanRow): StoredSpan {
  return {
    id: row.id,
    traceId: row.trace_id,
    parentId: row.parent_id,
    kind: row.kind,
    name: row.name,
    status: row.status,
    startedAt: Number(row.started_at),
    endedAt: row.ended_at === null ? null : Number(row.ended_at),
    attributes: JSON.parse(row.attributes) as Record<string, unknown>,
    events: row.events ? (JSON.parse(row.events) as StoredSpan['events']) : [],
    error: row.error ? (JSON.parse(row.error) as StoredSpan['error']) : null,
  };
}

/** The engine-neutral batch writer: the same Kysely queries on SQLite and Postgres. */
async function kyselyWriteBatch(store: SqlStore, batch: TraceBatch): Promise<void> {
  await store.db.transaction().execute(async (tx) => {
    if (batch.starts.length > 0) {
      await tx
        .insertInto('traces')
        .values(
          batch.starts.map((s) => ({
            id: s.id,
            run_id: s.runId,
            kind: s.kind,
            name: s.name,
            agent: s.agent,
            session: s.session,
            tenant: s.tenant,
            status: 'running' as const,
            started_at: s.startedAt,
            pid: s.pid,
            host: s.host,
            heartbeat_at: s.startedAt,
            stop_reason: null,
            ended_at: null,
            cost_usd: 0,
            input_tokens: 0,
            output_tokens: 0,
            steps: 0,
            span_count: 0,
            dropped_spans: 0,
            bytes: 0,
          })),
        )
        .onConflict((oc) =>
          oc.column('id').doUpdateSet({
            status: 'running',
            ended_at: null,
            pid: sql.ref('excluded.pid'),
            host: sql.ref('excluded.host'),
            heartbeat_at: sql.ref('excluded.heartbeat_at'),
          } as never),
        )
        .execute();
    }
    // Postgres caps a statement at 65535 parameters; 11 per span.
    for (let i = 0; i < batch.spans.length; i += 2000) {
      await tx
        .insertInto('spans')
        .values(
          batch.spans.slice(i, i + 2000).map((s) => ({
            id: s.id,
            trace_id: s.traceId,
            parent_id: s.parentId,
            kind: s.kind,
            name: s.name,
            status: s.status,
            started_at: s.startedAt,
            ended_at: s.endedAt,
            attributes: s.attributes,
            events: s.events,
            error: s.error,
          })),
        )
        .onConflict((oc) => oc.columns(['trace_id', 'id']).doUpdateSet(Object.fromEntries(SPAN_UPSERT_SET.map((c) => [c, sql.ref(`excluded.${c}`)])) as never))
        .execute();
    }
    for (const c of batch.counts) {
      await tx
        .updateTable('traces')
        .set((eb) => ({
          span_count: eb('span_count', '+', c.spans),
          dropped_spans: eb('dropped_spans', '+', c.dropped),
          bytes: eb('bytes', '+', c.bytes),
          steps: eb('steps', '+', c.steps),
          cost_usd: eb('cost_usd', '+', c.costUsd),
          input_tokens: eb('input_tokens', '+', c.inputTokens),
          output_tokens: eb('output_tokens', '+', c.outputTokens),
        }))
        .where('id', '=', c.traceId)
        .execute();
    }
    for (const e of batch.ends) {
      await tx
        .updateTable('traces')
        .set({
          status: e.status,
          stop_reason: e.stopReason,
          ended_at: e.endedAt,
          heartbeat_at: e.endedAt,
          ...(e.steps === undefined ? {} : { steps: e.steps }),
          ...(e.costUsd === undefined ? {} : { cost_usd: e.costUsd }),
          ...(e.inputTokens === undefined ? {} : { input_tokens: e.inputTokens }),
          ...(e.outputTokens === undefined ? {} : { output_tokens: e.outputTokens }),
        })
        .where('id', '=', e.id)
        .execute();
    }
    if (batch.heartbeat && batch.heartbeat.traceIds.length > 0) {
      await tx
        .updateTable('traces')
        .set({ heartbeat_at: batch.heartbeat.at })
        .where('id', 'in', batch.heartbeat.traceIds)
        .where('status', '=', 'running')
        .execute();
    }
  });
}

/** The trace repository over an open store (SQLite or Postgres). */
export function sqlTraceRepository(store: SqlStore): TraceRepository {
  const db = store.db;

  async function find(idOrRunId: string): Promise<TraceRow | undefined> {
    const exact = await db
      .selectFrom('traces')
      .selectAll()
      .where((eb) => eb.or([eb('id', '=', idOrRunId), eb('run_id', '=', idOrRunId)]))
      .executeTakeFirst();
    if (exact) return exact;
    const escaped = idOrRunId.replace(/[\\%_]/g, (c) => `\\${c}`);
    const byPrefix = await db
      .selectFrom('traces')
      .selectAll()
      .where((eb) => eb.or([sql<boolean>`id like ${escaped + '%'} escape '\\'`, sql<boolean>`run_id like ${escaped + '%'} escape '\\'`]))
      .limit(2)
      .execute();
    return byPrefix.length === 1 ? byPrefix[0] : undefined;
  }

  async function deleteTraces(ids: string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      await db.transaction().execute(async (tx) => {
        await tx.deleteFrom('spans').where('trace_id', 'in', chunk).execute();
        await tx.deleteFrom('traces').where('id', 'in', chunk).execute();
      });
    }
  }

  return {
    async writeBatch(batch) {
      await (store.writeTraceBatch ? store.writeTraceBatch(batch) : kyselyWriteBatch(store, batch));
    },

    async list(filter = {}) {
      let q = db.selectFrom('traces').selectAll();
      if (filter.status) q = q.where('status', '=', filter.status);
      if (filter.agent) q = q.where('agent', '=', filter.agent);
      if (filter.session) q = q.where('session', '=', filter.session);
      if (filter.tenant) q = q.where('tenant', '=', filter.tenant);
      if (filter.kind) q = q.where('kind', '=', filter.kind);
      if (filter.minCostUsd !== undefined) q = q.where('cost_usd', '>=', filter.minCostUsd);
      if (filter.since !== undefined) q = q.where('started_at', '>=', filter.since);
      const rows = await q
        .orderBy('started_at', 'desc')
        .limit(filter.limit ?? DEFAULTS.trace.listLimit)
        .execute();
      if (rows.length === 0) return [];
      // The trace row holds the last request's status: a session's earlier refusals are counted from its root spans.
      const counts = await db
        .selectFrom('spans')
        .select((eb) => [
          'trace_id',
          eb.fn.countAll<number>().as('requests'),
          eb.fn.sum<number>(eb.case().when('status', '=', 'error').then(1).else(0).end()).as('failed'),
        ])
        .where('parent_id', 'is', null)
        .where(
          'trace_id',
          'in',
          rows.map((r) => r.id),
        )
        .groupBy('trace_id')
        .execute();
      const byTrace = new Map(counts.map((c) => [c.trace_id, c]));
      return rows.map((r) => ({ ...r, requests: Number(byTrace.get(r.id)?.requests ?? 0), failed_requests: Number(byTrace.get(r.id)?.failed ?? 0) }));
    },

    async get(idOrRunId) {
      const trace = await find(idOrRunId);
      if (!trace) return undefined;
      const rows = await db.selectFrom('spans').selectAll().where('trace_id', '=', trace.id).orderBy('started_at').execute();
      const spans = rows.map(parseSpan);
      expandMessageDeltas(spans, ATTR_DECISION_MESSAGES);
      return { trace, spans };
    },

    async markStaleInterrupted(options = {}) {
      const now = options.now ?? Date.now();
      const staleAfter = options.staleAfterMs ?? DEFAULTS.trace.staleAfterMs;
      const running = await db.selectFrom('traces').select(['id', 'pid', 'host', 'heartbeat_at', 'started_at']).where('status', '=', 'running').execute();
      const gone = running.filter((t) => {
        const lastSeen = Number(t.heartbeat_at ?? t.started_at);
        if (now - lastSeen > staleAfter) return true;
        return t.host === HOST && t.pid !== null && t.pid !== process.pid && !pidAlive(t.pid);
      });
      for (const t of gone) {
        const endedAt = Number(t.heartbeat_at ?? t.started_at);
        await db.transaction().execute(async (tx) => {
          await tx
            .updateTable('traces')
            .set({ status: 'interrupted', stop_reason: 'interrupted', ended_at: endedAt })
            .where('id', '=', t.id)
            .where('status', '=', 'running')
            .execute();
          await tx.updateTable('spans').set({ status: 'interrupted', ended_at: endedAt }).where('trace_id', '=', t.id).where('ended_at', 'is', null).execute();
        });
      }
      return gone.length;
    },

    async prune(options) {
      const now = options.now ?? Date.now();
      let removed = 0;
      if (options.maxAgeMs !== undefined) {
        const old = await db
          .selectFrom('traces')
          .select('id')
          .where('started_at', '<', now - options.maxAgeMs)
          .where('status', '!=', 'running')
          .execute();
        await deleteTraces(old.map((t) => t.id));
        removed += old.length;
      }
      if (options.maxBytes !== undefined) {
        const total = await db
          .selectFrom('traces')
          .select((eb) => eb.fn.sum<number>('bytes').as('total'))
          .executeTakeFirst();
        let excess = Number(total?.total ?? 0) - options.maxBytes;
        if (excess > 0) {
          const oldest = await db.selectFrom('traces').select(['id', 'bytes']).where('status', '!=', 'running').orderBy('started_at').execute();
          const victims: string[] = [];
          for (const t of oldest) {
            if (excess <= 0) break;
            victims.push(t.id);
            excess -= Number(t.bytes);
          }
          await deleteTraces(victims);
          removed += victims.length;
        }
      }
      return { traces: removed };
    },
  };
}

/** Runs `prune` every `intervalMs` (never keeping the process alive); returns a stop function. */
export function startRetention(
  options: { repository: TraceRepository; intervalMs?: number; onError?: (error: unknown) => void } & Omit<PruneOptions, 'now'>,
): () => void {
  const { repository, intervalMs = DEFAULTS.trace.retentionIntervalMs, onError, ...prune } = options;
  const timer = setInterval(() => {
    repository.prune(prune).catch((error: unknown) => onError?.(error));
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
