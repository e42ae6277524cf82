import type { TraceStatus } from '../store/core-tables.js';
import { newSpanId, newTraceId, nowMs } from './ids.js';
import type { SpanHandle, SpanKind, SpanStatus, StartSpanOptions } from './tracer.js';

/** The store tracer's spans (cheap on the hot path: attributes merged and serialized at flush) and the serializers its flush uses. */

/** Where a span goes when it ends. */
export interface SpanSink {
  onEnd(span: StoreSpan, status: SpanStatus, error: { code?: string; message: string } | undefined, endedAt: number): void;
}

/** A finished span waiting in the queue. Everything else (merging, JSON, redaction, totals) happens at flush. */
export interface QueuedSpan {
  span: StoreSpan;
  status: string;
  endedAt: number | null;
  error: { code?: string; message: string } | null;
  /** The open root span written at its start: its attributes as they were then. */
  startAttributes?: Record<string, unknown>;
}

export function toJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch (error) {
    // A cyclic or BigInt value must not lose the whole span: keep a marker that says why.
    return JSON.stringify({ 'sextant.serialization_error': (error as Error).message });
  }
}

export function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

export function optionalNum(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** A run that ended without an exception but on a stop other than `completed` did not complete. */
export function traceStatus(status: SpanStatus, stopReason: string | null): TraceStatus {
  if (status !== 'ok') return status;
  return stopReason === null || stopReason === 'completed' ? 'completed' : 'stopped';
}

export class StoreSpan implements SpanHandle {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentId: string | null;
  readonly kind: SpanKind;
  readonly name: string;
  readonly startedAt: number;
  /**
   * The attribute objects as passed (start, then each `set`), merged at flush: the agent's path
   * pays one array push per call. Callers must not mutate what they passed (see SpanHandle.set).
   */
  readonly parts: Record<string, unknown>[];
  events: { name: string; at: number; attributes?: Record<string, unknown> }[] | undefined;
  ended = false;

  constructor(
    private readonly tracer: SpanSink,
    options: StartSpanOptions,
  ) {
    this.traceId = options.parent?.traceId ?? options.traceId ?? newTraceId();
    this.spanId = newSpanId();
    this.parentId = options.parent?.spanId ?? null;
    this.kind = options.kind;
    this.name = options.name;
    this.startedAt = nowMs();
    this.parts = options.attributes ? [options.attributes] : [];
  }

  set(attributes: Record<string, unknown>): void {
    if (!this.ended) this.parts.push(attributes);
  }

  event(name: string, attributes?: Record<string, unknown>): void {
    if (this.ended) return;
    (this.events ??= []).push(attributes ? { name, at: nowMs(), attributes } : { name, at: nowMs() });
  }

  end(status: SpanStatus = 'ok', error?: { code?: string; message: string }): void {
    if (this.ended) return;
    this.ended = true;
    this.tracer.onEnd(this, status, error, nowMs());
  }

  merged(): Record<string, unknown> {
    return this.parts.length === 1 ? this.parts[0] : Object.assign({}, ...this.parts);
  }
}
