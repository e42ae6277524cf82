/** Tracing: the Tracer contract, span attribute names and decision records, and the tracer implementations. */
export type { SpanHandle, SpanKind, SpanStatus, StartSpanOptions, Tracer } from './tracer.js';
export { ATTR, EVENTS, OPERATIONS, type AttributeName, type DecisionChoice, type DecisionSource, type DecisionTool } from './attributes.js';
