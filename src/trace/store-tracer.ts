import { hostname } from 'node:os';
import { DEFAULTS } from '../defaults.js';
import { SextantError } from '../errors.js';
import { messagesDelta } from '../store/message-delta.js';
import type { SpanWrite, TraceBatch, TraceCountsWrite, TraceEndWrite, TraceStartWrite } from '../store/trace-batch.js';
import type { TraceRepository } from '../store/traces.js';
import { ATTR } from './attributes.js';
import { nowMs } from './ids.js';
import type { SpanHandle, SpanStatus, StartSpanOptions, Tracer } from './tracer.js';
import { num, optionalNum, str, StoreSpan, toJson, traceStatus, type QueuedSpan, type SpanSink } from './store-span.js';

export interface StoreTracerOptions {
  /** Where spans go: `sqlTraceRepository(store)` for SQLite or Postgres. */
  repository: TraceRepository;
  /**
   * Runs on every span's attributes, events and error before anything is written. Required, so no
   * path stores spans unredacted by omission: pass the PII redactor (`redactValue` from the security
   * module; trace sits below security and cannot pick it itself), or `false` to store spans as
   * given (tests, benchmarks, data already redacted upstream).
   */
  redact: ((value: unknown) => unknown) | false;
  /** Spans buffered per priority class (default DEFAULTS.trace.queueSize). */
  queueSize?: number;
  /** Fill ratio above which ordinary spans are sampled (default DEFAULTS.trace.sampleAboveRatio). */
  sampleAboveRatio?: number;
  /** Most spans written per flush (default DEFAULTS.trace.batchSize). */
  batchSize?: number;
  /**
   * Longest one synchronous write (build, redact, serialize, commit) may hold the event loop
   * (default DEFAULTS.trace.writeSliceMs): a flush is written in slices sized from the measured
   * cost per span, with a turn of the event loop between them, so requests and steps keep moving.
   */
  writeSliceMs?: number;
  flushIntervalMs?: number;
  heartbeatMs?: number;
  /** Longest a finished step waits before it is written (default DEFAULTS.trace.stepFlushMs). */
  stepFlushMs?: number;
  /** Longest a trace's start or end waits before it is written. Default 0: at once (an agent run); the gateway, whose traces last milliseconds, batches them. */
  rootFlushMs?: number;
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

const HOST = hostname();

/** The smallest slice: below this a commit per slice costs more than the stall it avoids. */
const MIN_SLICE_SPANS = 16;

class StoreTracerImpl implements StoreTracer, SpanSink {
  private readonly repository: TraceRepository;
  private readonly redact: ((value: unknown) => unknown) | false;
  private readonly queueSize: number;
  private readonly sampleAbove: number;
  private readonly batchSize: number;
  private readonly writeSliceMs: number;
  /** Measured cost of writing one span (ms, moving average): sizes the next slice. Starts optimistic: the first slice measures. */
  private msPerSpan = 0;
  private readonly heartbeatMs: number;
  private readonly stepFlushMs: number;
  private readonly rootFlushMs: number;
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
  /** Traces whose end was written while some of their spans may still be queued: their lastShown goes once the queues are empty. */
  private readonly endedTraces = new Set<string>();
  /** Traces whose root span is open in this process: they get heartbeats. */
  private readonly open = new Set<string>();
  private lastHeartbeat = 0;
  private flushing: Promise<void> = Promise.resolve();
  private flushDueAt: number | undefined;
  private cancelFlush: (() => void) | undefined;
  private readonly timer: NodeJS.Timeout;
  private readonly counters = { written: 0, dropped: 0, writeErrors: 0 };

  constructor(options: StoreTracerOptions) {
    if (options.redact !== false && typeof options.redact !== 'function') {
      throw new SextantError(
        'CONFIG_INVALID',
        'createStoreTracer needs `redact`: a redactor (e.g. redactValue from the security module) or false to store spans unredacted',
        {
          context: { redact: typeof options.redact },
        },
      );
    }
    this.repository = options.repository;
    this.redact = options.redact;
    this.queueSize = options.queueSize ?? DEFAULTS.trace.queueSize;
    this.sampleAbove = Math.floor(this.queueSize * (options.sampleAboveRatio ?? DEFAULTS.trace.sampleAboveRatio));
    this.batchSize = options.batchSize ?? DEFAULTS.trace.batchSize;
    this.writeSliceMs = options.writeSliceMs ?? DEFAULTS.trace.writeSliceMs;
    this.heartbeatMs = options.heartbeatMs ?? DEFAULTS.trace.heartbeatMs;
    this.stepFlushMs = options.stepFlushMs ?? DEFAULTS.trace.stepFlushMs;
    this.rootFlushMs = options.rootFlushMs ?? 0;
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
    const a = span.merged();
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
    this.important.push({ span, status: 'running', endedAt: null, error: null, startAttributes: a });
    this.scheduleFlush(this.rootFlushMs);
  }

  onEnd(span: StoreSpan, status: SpanStatus, error: { code?: string; message: string } | undefined, endedAt: number): void {
    const item: QueuedSpan = { span, status, endedAt, error: error ?? null };
    const isRoot = span.parentId === null;
    if (isRoot) this.open.delete(span.traceId);
    if (isRoot || span.kind === 'run' || span.kind === 'step' || status !== 'ok') {
      if (this.important.length >= this.queueSize) return this.drop(span.traceId);
      this.important.push(item);
      // A run's start and end are written at once; a finished step within stepFlushMs, so a
      // process killed later keeps it while a fast agent still shares one transaction over many steps.
      this.scheduleFlush(isRoot ? this.rootFlushMs : this.stepFlushMs);
      return;
    }
    const n = this.ordinary.length;
    if (n >= this.queueSize) return this.drop(span.traceId);
    // Keep-probability falls linearly from 1 at the threshold to 0 at a full queue.
    if (n >= this.sampleAbove && Math.random() >= (this.queueSize - n) / (this.queueSize - this.sampleAbove)) return this.drop(span.traceId);
    this.ordinary.push(item);
    if (n + 1 >= this.batchSize) this.scheduleFlush(0);
  }

  private drop(traceId: string, count = 1): void {
    this.counters.dropped += count;
    this.droppedByTrace.set(traceId, (this.droppedByTrace.get(traceId) ?? 0) + count);
  }

  /** Flushes after `delayMs` (0: on the next turn of the event loop), unless an earlier flush is already due. */
  private scheduleFlush(delayMs: number): void {
    const due = nowMs() + delayMs;
    if (this.flushDueAt !== undefined && this.flushDueAt <= due) return;
    this.cancelFlush?.();
    this.flushDueAt = due;
    const run = () => {
      this.cancelFlush = undefined;
      this.flushDueAt = undefined;
      void this.flush();
    };
    // Ref'd on purpose: a process that ends right after a step still writes it.
    if (delayMs === 0) {
      const immediate = setImmediate(run);
      this.cancelFlush = () => clearImmediate(immediate);
    } else {
      const timer = setTimeout(run, delayMs);
      this.cancelFlush = () => clearTimeout(timer);
    }
  }

  private tick(): void {
    const heartbeatDue = this.open.size > 0 && nowMs() - this.lastHeartbeat >= this.heartbeatMs;
    if (heartbeatDue || this.important.length + this.ordinary.length + this.starts.length > 0) void this.flush(heartbeatDue);
  }

  flush(heartbeat = false): Promise<void> {
    this.flushing = this.flushing.then(() => this.drain(heartbeat));
    return this.flushing;
  }

  private json(value: unknown): string {
    return toJson(this.redact ? this.redact(value) : value);
  }

  /**
   * Spans in the next slice: as many as fit in writeSliceMs at the measured cost, at least a few (a
   * commit has its own cost), at most batchSize. With more than a batch queued, whole batches: a
   * writer held to slices would fall behind a flood and reach the sampling threshold, dropping spans.
   */
  private sliceSize(): number {
    if (this.important.length + this.ordinary.length > this.batchSize) return this.batchSize;
    if (this.msPerSpan === 0) return Math.min(this.batchSize, MIN_SLICE_SPANS);
    return Math.max(MIN_SLICE_SPANS, Math.min(this.batchSize, Math.floor(this.writeSliceMs / this.msPerSpan)));
  }

  private async drain(heartbeat: boolean): Promise<void> {
    let first = true;
    // Only what was queued when the flush began: spans ending between slices scheduled their own
    // flush, so they still share a later transaction instead of costing a commit per turn.
    let remaining = this.important.length + this.ordinary.length;
    while (first || remaining > 0) {
      // Between slices the event loop takes a turn: one flush never holds it for longer than a slice.
      if (!first) await new Promise<void>((resolve) => setImmediate(resolve));
      const size = this.sliceSize();
      const items = this.important.splice(0, size);
      if (items.length < size) items.push(...this.ordinary.splice(0, size - items.length));
      remaining -= items.length;
      const starts = this.starts;
      this.starts = [];
      const dropped = this.droppedByTrace;
      this.droppedByTrace = new Map();
      const withHeartbeat = first && (heartbeat || this.open.size > 0);
      first = false;
      if (items.length === 0 && starts.length === 0 && dropped.size === 0 && !withHeartbeat) return;
      const startedAt = performance.now();
      try {
        // Inside the try: a throwing redactor loses this batch (counted), never the tracer.
        const batch = this.buildBatch(items, starts, dropped);
        if (withHeartbeat) {
          const at = nowMs();
          this.lastHeartbeat = at;
          batch.heartbeat = { traceIds: [...this.open], at };
        }
        // Only the synchronous part holds the event loop (handing the batch over on a SQLite file, the whole commit on :memory:, the query building on Postgres): that is what a slice bounds.
        const written = this.repository.writeBatch(batch);
        const heldMs = performance.now() - startedAt;
        await written;
        this.counters.written += items.length;
        if (items.length > 0) {
          const perSpan = heldMs / items.length;
          this.msPerSpan = this.msPerSpan === 0 ? perSpan : this.msPerSpan * 0.7 + perSpan * 0.3;
        }
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
    // A root span that opened and ended within this batch (a gateway call) is written once, as ended.
    const rootsEnded = new Set<string>();
    for (const item of items) if (!item.startAttributes && item.span.parentId === null) rootsEnded.add(item.span.spanId);
    for (const item of items) {
      const { span } = item;
      if (item.startAttributes && rootsEnded.has(span.spanId)) continue;
      const a = item.startAttributes ?? span.merged();
      const stored = this.withMessagesDelta(span, a);
      const write: SpanWrite = {
        id: span.spanId,
        traceId: span.traceId,
        parentId: span.parentId,
        kind: span.kind,
        name: span.name,
        status: item.status,
        startedAt: span.startedAt,
        endedAt: item.endedAt,
        attributes: this.json(stored),
        events: span.events && !item.startAttributes ? this.json(span.events) : null,
        error: item.error ? this.json(item.error) : null,
      };
      spans.push(write);
      if (item.startAttributes) continue;
      // An open root span is rewritten when it ends: it counts once, at its end.
      const c = countsOf(span.traceId);
      c.spans++;
      c.bytes += write.attributes.length + (write.events?.length ?? 0);
      if (span.kind === 'step') c.steps++;
      if (span.kind === 'model') {
        c.costUsd += num(a[ATTR.COST_USD]);
        c.inputTokens += num(a[ATTR.INPUT_TOKENS]);
        c.outputTokens += num(a[ATTR.OUTPUT_TOKENS]);
      }
      if (span.parentId === null) {
        // Not deleted here: the run's model calls may sit behind its end in this batch or the next.
        this.endedTraces.add(span.traceId);
        ends.push({
          id: span.traceId,
          status: traceStatus(item.status as SpanStatus, str(a[ATTR.STOP_REASON])),
          stopReason: str(a[ATTR.STOP_REASON]) ?? (item.status === 'ok' ? 'completed' : (item.error?.code ?? item.status)),
          endedAt: item.endedAt ?? nowMs(),
          steps: optionalNum(a[ATTR.RUN_STEPS]),
          costUsd: optionalNum(a[ATTR.COST_USD]),
          inputTokens: optionalNum(a[ATTR.INPUT_TOKENS]),
          outputTokens: optionalNum(a[ATTR.OUTPUT_TOKENS]),
        });
      }
    }
    for (const [traceId, n] of dropped) countsOf(traceId).dropped += n;
    if (this.endedTraces.size > 0 && this.important.length + this.ordinary.length === 0) {
      for (const traceId of this.endedTraces) this.lastShown.delete(traceId);
      this.endedTraces.clear();
    }
    return { starts, spans, counts: [...counts.values()], ends };
  }

  /** A model call's messages as a delta on the previous written call's (O(steps) per run, not O(steps²)). */
  private withMessagesDelta(span: StoreSpan, attributes: Record<string, unknown>): Record<string, unknown> {
    const messages = attributes[ATTR.DECISION_MESSAGES];
    if (span.kind !== 'model' || !Array.isArray(messages)) return attributes;
    const previous = this.lastShown.get(span.traceId);
    this.lastShown.set(span.traceId, { spanId: span.spanId, messages });
    const delta = previous && messagesDelta(previous.spanId, previous.messages, messages);
    if (!delta) return attributes;
    return { ...attributes, [ATTR.DECISION_MESSAGES]: delta };
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.cancelFlush?.();
    this.flushDueAt = undefined;
    // Spans that end while the last slices are written are written too.
    do await this.flush();
    while (this.important.length + this.ordinary.length + this.starts.length + this.droppedByTrace.size > 0);
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
