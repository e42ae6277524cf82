import { hostname } from 'node:os';
import { DEFAULTS } from '../defaults.js';
import type { TraceStatus } from '../store/core-tables.js';
import { sharedPrefix, type MessagesDelta } from '../store/message-delta.js';
import type { SpanWrite, TraceBatch, TraceCountsWrite, TraceEndWrite, TraceRepository, TraceStartWrite } from '../store/traces.js';
import { ATTR } from './attributes.js';
import { newSpanId, newTraceId, nowMs } from './ids.js';
import type { SpanHandle, SpanKind, SpanStatus, StartSpanOptions, Tracer } from './tracer.js';

export interface StoreTracerOptions {
  /** Where spans go: `sqlTraceRepository(store)` for SQLite or Postgres. */
  repository: TraceRepository;
  /** Runs on every span's attributes, events and error before anything is written (e.g. a PII redactor). */
  redact?: (value: unknown) => unknown;
  /** Spans buffered per priority class (default DEFAULTS.trace.queueSize). */
  queueSize?: number;
  /** Fill ratio above which ordinary spans are sampled (default DEFAULTS.trace.sampleAboveRatio). */
  sampleAboveRatio?: number;
  batchSize?: number;
  flushIntervalMs?: number;
  heartbeatMs?: number;
  /** Called when a batch cannot be written (its spans are counted as dropped). Default: a warning on stderr. */
  onError?: (error: unknown) => void;
}

export interface StoreTracerStats {
  /** Spans handed to the repository. */
  written: number;
  /** Spans sampled out under pressure or lost in a failed write. */
  dropped: number;
  /** Spans waiting in the queues. */
  queued: number;
  writeErrors: number;
}

/** A tracer that writes to the store in batches, off the agent's path. */
export interface StoreTracer extends Tracer {
  flush(): Promise<void>;
  stats(): StoreTracerStats;
  /** Stops the timers and writes what is queued. Runs still open stay 'running' until they end. */
  close(): Promise<void>;
}

interface QueuedSpan {
  span: SpanWrite;
  /** Set when the span is a root span's end: the trace's final record. */
  end?: TraceEndWrite;
  steps: number;
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
}

const HOST = hostname();

function toJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch (error) {
    // A cyclic or BigInt value must not lose the whole span: keep a marker that says why.
    return JSON.stringify({ 'sextant.serialization_error': (error as Error).message });
  }
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function optionalNum(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function traceStatus(status: SpanStatus): TraceStatus {
  return status === 'ok' ? 'completed' : status;
}

class StoreSpan implements SpanHandle {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentId: string | null;
  readonly kind: SpanKind;
  readonly name: string;
  readonly startedAt: number;
  readonly attributes: Record<string, unknown>;
  events: { name: string; at: number; attributes?: Record<string, unknown> }[] | undefined;
  ended = false;

  constructor(
    private readonly tracer: StoreTracerImpl,
    options: StartSpanOptions,
  ) {
    this.traceId = options.parent?.traceId ?? options.traceId ?? newTraceId();
    this.spanId = newSpanId();
    this.parentId = options.parent?.spanId ?? null;
    this.kind = options.kind;
    this.name = options.name;
    this.startedAt = nowMs();
    this.attributes = { ...options.attributes };
  }

  set(attributes: Record<string, unknown>): void {
    if (!this.ended) Object.assign(this.attributes, attributes);
  }

  event(name: string, attributes?: Record<string, unknown>): void {
    if (this.ended) return;
    (this.events ??= []).push(attributes ? { name, at: nowMs(), attributes: { ...attributes } } : { name, at: nowMs() });
  }

  end(status: SpanStatus = 'ok', error?: { code?: string; message: string }): void {
    if (this.ended) return;
    this.ended = true;
    this.tracer.onEnd(this, status, error, nowMs());
  }
}

class StoreTracerImpl implements StoreTracer {
  private readonly repository: TraceRepository;
  private readonly redact?: (value: unknown) => unknown;
  private readonly queueSize: number;
  private readonly sampleAbove: number;
  private readonly batchSize: number;
  private readonly heartbeatMs: number;
  private readonly onError: (error: unknown) => void;

  /** Run and step ends, errors and root spans: dropped only when this queue itself is full. */
  private important: QueuedSpan[] = [];
  /** Everything else: sampled above `sampleAbove`, dropped when full. */
  private ordinary: QueuedSpan[] = [];
  private starts: TraceStartWrite[] = [];
  /** Drops not yet recorded on their trace's row. */
  private droppedByTrace = new Map<string, number>();
  /** Per open trace, the last written model call's messages: the base of the next call's delta. */
  private readonly lastShown = new Map<string, { spanId: string; messages: unknown[] }>();
  /** Traces whose root span is open in this process: they get heartbeats. */
  private readonly open = new Set<string>();
  private lastHeartbeat = 0;
  private flushing: Promise<void> = Promise.resolve();
  private flushScheduled = false;
  private readonly timer: NodeJS.Timeout;
  private readonly counters = { written: 0, dropped: 0, writeErrors: 0 };

  constructor(options: StoreTracerOptions) {
    this.repository = options.repository;
    this.redact = options.redact;
    this.queueSize = options.queueSize ?? DEFAULTS.trace.queueSize;
    this.sampleAbove = Math.floor(this.queueSize * (options.sampleAboveRatio ?? DEFAULTS.trace.sampleAboveRatio));
    this.batchSize = options.batchSize ?? DEFAULTS.trace.batchSize;
    this.heartbeatMs = options.heartbeatMs ?? DEFAULTS.trace.heartbeatMs;
    this.onError = options.onError ?? ((error) => process.stderr.write(`sextant: trace write failed: ${(error as Error).message ?? error}\n`));
    this.timer = setInterval(() => this.tick(), options.flushIntervalMs ?? DEFAULTS.trace.flushIntervalMs);
    // Tracing never keeps a process alive; ends of runs schedule their own prompt flush.
    this.timer.unref();
  }

  startSpan(options: StartSpanOptions): SpanHandle {
    const span = new StoreSpan(this, options);
    if (!options.parent) this.startTrace(span);
    return span;
  }

  stats(): StoreTracerStats {
    return { ...this.counters, queued: this.important.length + this.ordinary.length };
  }

  /** A root span: the trace row and the open root span are written at once, so a crash still leaves the run. */
  private startTrace(span: StoreSpan): void {
    const a = span.attributes;
    this.starts.push({
      id: span.traceId,
      runId: str(a[ATTR.RUN_ID]),
      kind: span.kind,
      name: span.name,
      agent: str(a[ATTR.AGENT_NAME]) ?? (span.kind === 'run' ? span.name : null),
      session: str(a[ATTR.SESSION_ID]),
      tenant: str(a[ATTR.TENANT]),
      startedAt: span.startedAt,
      pid: process.pid,
      host: HOST,
    });
    this.open.add(span.traceId);
    this.important.push({ span: this.snapshot(span, 'running', undefined, null), steps: 0, costUsd: 0, inputTokens: 0, outputTokens: 0 });
    this.scheduleFlush();
  }

  private snapshot(span: StoreSpan, status: string, error: { code?: string; message: string } | undefined, endedAt: number | null, attributes = span.attributes): SpanWrite {
    return {
      id: span.spanId,
      traceId: span.traceId,
      parentId: span.parentId,
      kind: span.kind,
      name: span.name,
      status,
      startedAt: span.startedAt,
      endedAt,
      // Serialized now: callers may mutate the objects they passed once the span has ended.
      attributes: toJson(attributes),
      events: span.events ? toJson(span.events) : null,
      error: error ? toJson(error) : null,
    };
  }

  onEnd(span: StoreSpan, status: SpanStatus, error: { code?: string; message: string } | undefined, endedAt: number): void {
    const a = span.attributes;
    // A model call's messages are written as a delta on the previous call's (O(steps), not O(steps²)).
    let stored = a;
    let shown: { spanId: string; messages: unknown[] } | undefined;
    const messages = a[ATTR.DECISION_MESSAGES];
    if (span.kind === 'model' && Array.isArray(messages)) {
      shown = { spanId: span.spanId, messages };
      const previous = this.lastShown.get(span.traceId);
      const keep = previous ? sharedPrefix(previous.messages, messages) : 0;
      if (previous && keep > 0) {
        const delta: MessagesDelta = { $delta: { span: previous.spanId, keep }, append: messages.slice(keep) };
        stored = { ...a, [ATTR.DECISION_MESSAGES]: delta };
      }
    }
    const item: QueuedSpan = {
      span: this.snapshot(span, status, error, endedAt, stored),
      steps: span.kind === 'step' ? 1 : 0,
      costUsd: span.kind === 'model' ? num(a[ATTR.COST_USD]) : 0,
      inputTokens: span.kind === 'model' ? num(a[ATTR.INPUT_TOKENS]) : 0,
      outputTokens: span.kind === 'model' ? num(a[ATTR.OUTPUT_TOKENS]) : 0,
    };
    const isRoot = span.parentId === null;
    if (isRoot) {
      this.open.delete(span.traceId);
      this.lastShown.delete(span.traceId);
      item.end = {
        id: span.traceId,
        status: traceStatus(status),
        stopReason: str(a[ATTR.STOP_REASON]) ?? (status === 'ok' ? 'completed' : (error?.code ?? status)),
        endedAt,
        steps: optionalNum(a[ATTR.RUN_STEPS]),
        costUsd: optionalNum(a[ATTR.COST_USD]),
        inputTokens: optionalNum(a[ATTR.INPUT_TOKENS]),
        outputTokens: optionalNum(a[ATTR.OUTPUT_TOKENS]),
      };
    }
    if (isRoot || span.kind === 'run' || span.kind === 'step' || status !== 'ok') {
      if (this.important.length >= this.queueSize) return this.drop(span.traceId);
      this.important.push(item);
      if (shown && !isRoot) this.lastShown.set(span.traceId, shown);
      // A finished step is written at once: a process killed later keeps it.
      this.scheduleFlush();
      return;
    }
    const n = this.ordinary.length;
    if (n >= this.queueSize) return this.drop(span.traceId);
    // Keep-probability falls linearly from 1 at the threshold to 0 at a full queue.
    if (n >= this.sampleAbove && Math.random() >= (this.queueSize - n) / (this.queueSize - this.sampleAbove)) return this.drop(span.traceId);
    this.ordinary.push(item);
    // Only a span that will be written may be a later delta's base.
    if (shown && !isRoot) this.lastShown.set(span.traceId, shown);
    if (n + 1 >= this.batchSize) this.scheduleFlush();
  }

  private drop(traceId: string, count = 1): void {
    this.counters.dropped += count;
    this.droppedByTrace.set(traceId, (this.droppedByTrace.get(traceId) ?? 0) + count);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      void this.flush();
    });
  }

  private tick(): void {
    const heartbeatDue = this.open.size > 0 && nowMs() - this.lastHeartbeat >= this.heartbeatMs;
    if (heartbeatDue || this.important.length + this.ordinary.length + this.starts.length > 0) void this.flush(heartbeatDue);
  }

  flush(heartbeat = false): Promise<void> {
    this.flushing = this.flushing.then(() => this.drain(heartbeat));
    return this.flushing;
  }

  private redactJson(text: string | null): string | null {
    if (text === null || !this.redact) return text;
    return toJson(this.redact(JSON.parse(text)));
  }

  private async drain(heartbeat: boolean): Promise<void> {
    let first = true;
    while (first || this.important.length + this.ordinary.length + this.starts.length > 0 || this.droppedByTrace.size > 0) {
      const items = this.important.splice(0, this.batchSize);
      if (items.length < this.batchSize) items.push(...this.ordinary.splice(0, this.batchSize - items.length));
      const starts = this.starts;
      this.starts = [];
      const dropped = this.droppedByTrace;
      this.droppedByTrace = new Map();
      const withHeartbeat = first && (heartbeat || this.open.size > 0);
      first = false;
      if (items.length === 0 && starts.length === 0 && dropped.size === 0 && !withHeartbeat) return;
      try {
        // Inside the try: a throwing redactor loses this batch (counted), never the tracer.
        const batch = this.buildBatch(items, starts, dropped);
        if (withHeartbeat) {
          const at = nowMs();
          this.lastHeartbeat = at;
          batch.heartbeat = { traceIds: [...this.open], at };
        }
        await this.repository.writeBatch(batch);
        this.counters.written += items.length;
      } catch (error) {
        this.counters.writeErrors++;
        this.counters.dropped += items.length;
        this.onError(error);
      }
    }
  }

  private buildBatch(items: QueuedSpan[], starts: TraceStartWrite[], dropped: Map<string, number>): TraceBatch {
    const counts = new Map<string, TraceCountsWrite>();
    const countsOf = (traceId: string): TraceCountsWrite => {
      let c = counts.get(traceId);
      if (!c) {
        c = { traceId, spans: 0, dropped: 0, bytes: 0, steps: 0, costUsd: 0, inputTokens: 0, outputTokens: 0 };
        counts.set(traceId, c);
      }
      return c;
    };
    const spans: SpanWrite[] = [];
    const ends: TraceEndWrite[] = [];
    for (const item of items) {
      const span = this.redact
        ? { ...item.span, attributes: this.redactJson(item.span.attributes)!, events: this.redactJson(item.span.events), error: this.redactJson(item.span.error) }
        : item.span;
      spans.push(span);
      const c = countsOf(span.traceId);
      // An open root span is rewritten when it ends: count it once, at its end.
      if (span.endedAt !== null || span.parentId !== null) {
        c.spans++;
        c.bytes += span.attributes.length + (span.events?.length ?? 0);
      }
      c.steps += item.steps;
      c.costUsd += item.costUsd;
      c.inputTokens += item.inputTokens;
      c.outputTokens += item.outputTokens;
      if (item.end) ends.push(item.end);
    }
    for (const [traceId, n] of dropped) countsOf(traceId).dropped += n;
    return { starts, spans, counts: [...counts.values()], ends };
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}

/**
 * The store-backed tracer: spans are queued in memory and written in batches (at once when a
 * step or run ends, otherwise every `flushIntervalMs`); under pressure ordinary spans are
 * sampled and counted as dropped. It never blocks or throws into the agent.
 */
export function createStoreTracer(options: StoreTracerOptions): StoreTracer {
  return new StoreTracerImpl(options);
}
