import type { SpanHandle, Tracer } from './tracer.js';

const noopSpan: SpanHandle = {
  traceId: '',
  spanId: '',
  set() {},
  event() {},
  end() {},
};

/** A tracer that records nothing: the default when none is passed in. */
export const noopTracer: Tracer = {
  startSpan: () => noopSpan,
};
