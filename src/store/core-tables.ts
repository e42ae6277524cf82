/**
 * Row types of the core tables (migration 001-core): traces with their run bookkeeping,
 * spans, checkpoints and sessions. Span and trace times are milliseconds since the epoch
 * as doubles (sub-millisecond precision keeps a fast run's spans in order).
 */

/**
 * How a trace ended. `stopped`: an agent run that ended on a stop condition other than an answer
 * (check_failed, max_steps, max_cost, loop_detected...; `stop_reason` says which), so it is not
 * listed as completed.
 */
export type TraceStatus = 'running' | 'completed' | 'stopped' | 'error' | 'interrupted';

/** One trace: an agent run or a gateway request, with what a listing needs without reading spans. */
export interface TraceRow {
  id: string;
  /** The agent run's id when the trace is a run (ATTR.RUN_ID), else null. */
  run_id: string | null;
  /** Kind of the root span: 'run', 'request', ... */
  kind: string;
  name: string;
  agent: string | null;
  session: string | null;
  tenant: string | null;
  status: TraceStatus;
  stop_reason: string | null;
  cost_usd: number;
  input_tokens: number;
  output_tokens: number;
  steps: number;
  started_at: number;
  ended_at: number | null;
  /** Process that writes the trace and when it last said it was alive; how crashed runs are found. */
  pid: number | null;
  host: string | null;
  heartbeat_at: number | null;
  span_count: number;
  /** Spans the tracer dropped under pressure (sampling), so a reader knows the trace is partial. */
  dropped_spans: number;
  /** Bytes of span JSON stored for the trace: what retention by size counts. */
  bytes: number;
}

export interface SpanRow {
  id: string;
  trace_id: string;
  parent_id: string | null;
  kind: string;
  name: string;
  status: string;
  started_at: number;
  /** Null while the span is open (only root spans are written before they end). */
  ended_at: number | null;
  /** JSON object of attributes (after redaction). */
  attributes: string;
  /** JSON array of { name, at, attributes }, or null. */
  events: string | null;
  /** JSON { code?, message }, or null. */
  error: string | null;
}

export interface CheckpointRow {
  run_id: string;
  step: number;
  /** JSON of the run state. */
  state: string;
  updated_at: number;
}

export interface SessionRow {
  id: string;
  /** JSON Message[]. */
  messages: string;
  created_at: number;
  updated_at: number;
}
