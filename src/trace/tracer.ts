/**
 * The tracing contract. The agent runtime, the pipeline and the gateway write spans through
 * a Tracer passed in to them; the trace folder provides the implementations (store-backed,
 * OpenTelemetry, no-op). Nothing imports a tracer as a singleton.
 */

export type SpanKind = 'run' | 'step' | 'model' | 'tool' | 'check' | 'event' | 'request';

export type SpanStatus = 'ok' | 'error' | 'interrupted';

export interface StartSpanOptions {
  kind: SpanKind;
  name: string;
  /** Parent span; a span without one starts a new trace (or joins `traceId`). */
  parent?: SpanHandle;
  /** Join an existing trace (e.g. a gateway session) instead of starting one. */
  traceId?: string;
  attributes?: Record<string, unknown>;
}

export interface SpanHandle {
  readonly traceId: string;
  readonly spanId: string;
  /**
   * Adds or replaces attributes. Values must be JSON-serializable. They are read when the span
   * is written (shortly after it ends, off the caller's path): pass values you will not mutate.
   */
  set(attributes: Record<string, unknown>): void;
  /** A point-in-time event inside the span (limit hit, loop warning, retry...). */
  event(name: string, attributes?: Record<string, unknown>): void;
  end(status?: SpanStatus, error?: { code?: string; message: string }): void;
}

export interface Tracer {
  startSpan(options: StartSpanOptions): SpanHandle;
  /** Writes out everything buffered so far (e.g. before a process exits). Optional: a no-op tracer has nothing to flush. */
  flush?(): Promise<void>;
}
