import type { StoredSpan } from '../store/traces.js';
import { newSpanId, newTraceId, nowMs } from './ids.js';
import type { SpanHandle, StartSpanOptions, Tracer } from './tracer.js';

/** A tracer that keeps finished spans in memory, in the store's read shape: for tests and replay. */
export interface MemoryTracer extends Tracer {
  /** Finished spans, in the order they ended. */
  readonly spans: StoredSpan[];
}

export function createMemoryTracer(): MemoryTracer {
  const spans: StoredSpan[] = [];
  return {
    spans,
    startSpan(options: StartSpanOptions): SpanHandle {
      const attributes: Record<string, unknown> = { ...options.attributes };
      const events: StoredSpan['events'] = [];
      const traceId = options.parent?.traceId ?? options.traceId ?? newTraceId();
      const spanId = newSpanId();
      const startedAt = nowMs();
      let ended = false;
      return {
        traceId,
        spanId,
        set: (more) => void (ended || Object.assign(attributes, more)),
        event: (name, more) => void (ended || events.push(more ? { name, at: nowMs(), attributes: { ...more } } : { name, at: nowMs() })),
        end(status = 'ok', error) {
          if (ended) return;
          ended = true;
          // A JSON copy, as the store would keep it: later mutations by the caller do not leak in.
          spans.push(
            JSON.parse(
              JSON.stringify({
                id: spanId,
                traceId,
                parentId: options.parent?.spanId ?? null,
                kind: options.kind,
                name: options.name,
                status,
                startedAt,
                endedAt: nowMs(),
                attributes,
                events,
                error: error ?? null,
              }),
            ) as StoredSpan,
          );
        },
      };
    },
  };
}
