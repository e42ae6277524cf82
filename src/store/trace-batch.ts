import type { TraceStatus } from './core-tables.js';

/**
 * What a tracer hands the store to write: one flush of its queue. Kept apart from traces.ts (the
 * repository) so that the SQLite writer, its worker thread and the store handle can name these
 * types without importing the repository that imports them.
 */

/** A span's plain columns, the same written and read back. */
export interface SpanFields {
  id: string;
  traceId: string;
  parentId: string | null;
  kind: string;
  name: string;
  status: string;
  startedAt: number;
  endedAt: number | null;
}

/** A span as written: JSON columns already serialized (and redacted) by the tracer. */
export interface SpanWrite extends SpanFields {
  attributes: string;
  events: string | null;
  error: string | null;
}

export interface TraceStartWrite {
  id: string;
  runId: string | null;
  kind: string;
  name: string;
  agent: string | null;
  session: string | null;
  tenant: string | null;
  startedAt: number;
  pid: number;
  host: string;
}

/** Increments to a trace's running totals, accumulated from the spans in one batch. */
export interface TraceCountsWrite {
  traceId: string;
  spans: number;
  dropped: number;
  bytes: number;
  steps: number;
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
}

export interface TraceEndWrite {
  id: string;
  status: TraceStatus;
  stopReason: string | null;
  endedAt: number;
  /** Authoritative totals from the root span, when it carried them; otherwise the accumulated ones stay. */
  steps?: number;
  costUsd?: number;
  inputTokens?: number;
  outputTokens?: number;
}

/** One flush of the tracer's queue. Applied in this order, in one transaction. */
export interface TraceBatch {
  starts: TraceStartWrite[];
  spans: SpanWrite[];
  counts: TraceCountsWrite[];
  ends: TraceEndWrite[];
  /** Traces still running in this process, and the time to stamp as their heartbeat. */
  heartbeat?: { traceIds: string[]; at: number };
}
