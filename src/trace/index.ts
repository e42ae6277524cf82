/** Tracing: the Tracer contract, span attribute names and decision records, the pipeline's tracing middleware (the model span), and the tracer implementations. */
export type { SpanHandle, SpanKind, SpanStatus, StartSpanOptions, Tracer } from './tracer.js';
export { ATTR, EVENTS, OPERATIONS, type AttributeName, type DecisionChoice, type DecisionSource, type DecisionTool } from './attributes.js';
export { decisionAttributes } from './decision.js';
export { callTrace, tracingMiddleware, type CallTraceOptions, type TracingMiddlewareOptions } from './tracing-middleware.js';
export { noopTracer } from './noop.js';
export { fanOutTracer } from './fan-out.js';
export { createStoreTracer, type StoreTracer, type StoreTracerOptions, type StoreTracerStats } from './store-tracer.js';
export { createOtelTracer, createOtlpTracer, type OtelTracerOptions, type OtlpTracerOptions } from './otel.js';
export { explainTrace, type ExplainOptions } from './explain.js';
export { createMemoryTracer, type MemoryTracer } from './memory-tracer.js';
