import type { SpanHandle, StartSpanOptions, Tracer } from '../trace/tracer.js';

export type Span = SpanHandle;

/** What the loop writes to when no tracer is given: costs one property read per call. */
export const NOOP_SPAN: Span = { traceId: '', spanId: '', set() {}, event() {}, end() {} };

export function startSpan(tracer: Tracer | undefined, options: StartSpanOptions): Span {
  if (!tracer) return NOOP_SPAN;
  // A no-op parent means "no parent" (the run span when untraced never reaches here).
  const parent = options.parent === NOOP_SPAN ? undefined : options.parent;
  return tracer.startSpan(Object.assign({}, options, { parent }));
}
