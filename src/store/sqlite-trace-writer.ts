import type Database from 'better-sqlite3';
import type { TraceBatch } from './trace-batch.js';

/** A root span joining an existing trace (a gateway session's next request) makes it running again, in this process. */
const REOPEN_SET = `status = 'running', ended_at = NULL, pid = excluded.pid, host = excluded.host, heartbeat_at = excluded.heartbeat_at`;

/** The columns a span write replaces when the span is already stored (an open root span, ended). */
export const SPAN_UPSERT_SET = ['parent_id', 'kind', 'name', 'status', 'started_at', 'ended_at', 'attributes', 'events', 'error'] as const;

/**
 * The SQLite batch writer: one synchronous transaction over prepared statements (tens of thousands
 * of spans/s). It imports nothing but types, so it runs on a worker thread as well (see
 * sqlite-writer-thread.ts).
 */
export function sqliteBatchWriter(database: Database.Database): (batch: TraceBatch) => void {
  const insertTrace = database.prepare(
    `INSERT INTO traces (id, run_id, kind, name, agent, session, tenant, status, started_at, pid, host, heartbeat_at)
     VALUES (@id, @runId, @kind, @name, @agent, @session, @tenant, 'running', @startedAt, @pid, @host, @startedAt)
     ON CONFLICT(id) DO UPDATE SET ${REOPEN_SET}`,
  );
  // Positional parameters: binding an array is markedly cheaper than named ones at 50k+ rows/s.
  const upsertSpan = database.prepare(
    `INSERT INTO spans (id, trace_id, parent_id, kind, name, status, started_at, ended_at, attributes, events, error)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(trace_id, id) DO UPDATE SET ${SPAN_UPSERT_SET.map((c) => `${c} = excluded.${c}`).join(', ')}`,
  );
  // Only root spans are written twice (open, then ended); the rest skip the conflict check.
  const insertSpan = database.prepare(
    `INSERT INTO spans (id, trace_id, parent_id, kind, name, status, started_at, ended_at, attributes, events, error)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const addCounts = database.prepare(
    `UPDATE traces SET span_count = span_count + @spans, dropped_spans = dropped_spans + @dropped, bytes = bytes + @bytes,
     steps = steps + @steps, cost_usd = cost_usd + @costUsd, input_tokens = input_tokens + @inputTokens,
     output_tokens = output_tokens + @outputTokens WHERE id = @traceId`,
  );
  const endTrace = database.prepare(
    `UPDATE traces SET status = @status, stop_reason = @stopReason, ended_at = @endedAt, heartbeat_at = @endedAt,
     steps = COALESCE(@steps, steps), cost_usd = COALESCE(@costUsd, cost_usd),
     input_tokens = COALESCE(@inputTokens, input_tokens), output_tokens = COALESCE(@outputTokens, output_tokens)
     WHERE id = @id`,
  );
  const heartbeat = database.prepare(`UPDATE traces SET heartbeat_at = ? WHERE id = ? AND status = 'running'`);
  return database.transaction((batch: TraceBatch) => {
    for (const s of batch.starts) insertTrace.run(s);
    for (const s of batch.spans) {
      (s.parentId === null ? upsertSpan : insertSpan).run(
        s.id,
        s.traceId,
        s.parentId,
        s.kind,
        s.name,
        s.status,
        s.startedAt,
        s.endedAt,
        s.attributes,
        s.events,
        s.error,
      );
    }
    for (const c of batch.counts) addCounts.run(c);
    for (const e of batch.ends) {
      endTrace.run({ steps: null, costUsd: null, inputTokens: null, outputTokens: null, ...e });
    }
    if (batch.heartbeat) for (const id of batch.heartbeat.traceIds) heartbeat.run(batch.heartbeat.at, id);
  });
}
