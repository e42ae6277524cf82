import type { SpanHandle, StartSpanOptions, Tracer } from './tracer.js';

interface FanOutHandle extends SpanHandle {
  readonly parts: SpanHandle[];
}

/**
 * Sends every span to several tracers at once (e.g. the store and an OTLP backend). Ids are
 * those of the first tracer; each tracer sees its own parent handles.
 */
export function fanOutTracer(tracers: Tracer[]): Tracer {
  return {
    startSpan(options: StartSpanOptions): SpanHandle {
      const parent = options.parent as FanOutHandle | undefined;
      const parts: SpanHandle[] = [];
      tracers.forEach((tracer, i) => {
        // Later tracers join the first one's trace, so the store and an OTLP backend show the same trace id.
        const traceId = options.traceId ?? parts[0]?.traceId;
        parts.push(tracer.startSpan(Object.assign({}, options, { traceId, parent: parent?.parts?.[i] ?? options.parent })));
      });
      const handle: FanOutHandle = {
        traceId: parts[0]?.traceId ?? '',
        spanId: parts[0]?.spanId ?? '',
        parts,
        set: (attributes) => parts.forEach((p) => p.set(attributes)),
        event: (name, attributes) => parts.forEach((p) => p.event(name, attributes)),
        end: (status, error) => parts.forEach((p) => p.end(status, error)),
      };
      return handle;
    },
    async flush() {
      await Promise.all(tracers.map((t) => t.flush?.()));
    },
  };
}
