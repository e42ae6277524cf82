import {
  context as otelContext,
  SpanKind as OtelSpanKind,
  SpanStatusCode,
  trace as otelTrace,
  type Attributes,
  type AttributeValue,
  type Span as OtelSpan,
  type Tracer as OtelApiTracer,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { ATTR, OPERATIONS } from './attributes.js';
import type { SpanHandle, SpanKind, StartSpanOptions, Tracer } from './tracer.js';

export interface OtelTracerOptions {
  /** An OpenTelemetry API tracer (from your own provider, or `createOtlpTracer`'s). */
  tracer: OtelApiTracer;
  /** Runs on every attribute value before it leaves the process (e.g. a PII redactor). */
  redact?: (value: unknown) => unknown;
  /**
   * Send what the model was shown and chose, and tool inputs/outputs, as `gen_ai.input.messages`,
   * `gen_ai.output.messages`, `gen_ai.tool.call.arguments` / `result` (default true). Off keeps
   * content out of the backend; metadata (models, tokens, tools, cost) is always sent.
   */
  captureContent?: boolean;
}

/** Sextant attributes renamed to their GenAI-convention names on export. */
const CONTENT_RENAMES: Record<string, string> = {
  [ATTR.DECISION_MESSAGES]: 'gen_ai.input.messages',
  [ATTR.DECISION_CHOICE]: 'gen_ai.output.messages',
  [ATTR.DECISION_TOOLS]: 'gen_ai.tool.definitions',
  [ATTR.TOOL_INPUT]: 'gen_ai.tool.call.arguments',
  [ATTR.TOOL_OUTPUT]: 'gen_ai.tool.call.result',
  [ATTR.RUN_INPUT]: 'gen_ai.input.messages',
  [ATTR.RUN_OUTPUT]: 'gen_ai.output.messages',
};
const CONTENT_KEYS = new Set([...Object.keys(CONTENT_RENAMES), ATTR.DECISION_RATIONALE, ATTR.STOP_DETAIL]);

const OPERATION_OF: Partial<Record<SpanKind, string>> = {
  run: OPERATIONS.INVOKE_AGENT,
  model: OPERATIONS.CHAT,
  tool: OPERATIONS.EXECUTE_TOOL,
};

function isPrimitive(v: unknown): v is string | number | boolean {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/** OTel attribute values are primitives or homogeneous primitive arrays; anything else goes as JSON. */
function toAttributeValue(value: unknown): AttributeValue | undefined {
  if (value === undefined || value === null) return undefined;
  if (isPrimitive(value)) return value;
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === typeof value[0] && isPrimitive(v))) return value as AttributeValue;
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/** The GenAI span name: `{operation} {target}`, e.g. `chat gpt-4o-mini`, `execute_tool crm_lookup`. */
function spanName(kind: SpanKind, name: string, attributes: Record<string, unknown>): string {
  const op = OPERATION_OF[kind];
  if (!op) return name;
  const target =
    kind === 'run' ? (attributes[ATTR.AGENT_NAME] ?? name) : kind === 'model' ? (attributes[ATTR.REQUEST_MODEL] ?? name) : (attributes[ATTR.TOOL_NAME] ?? name);
  return `${op} ${String(target)}`;
}

class OtelHandle implements SpanHandle {
  constructor(
    readonly span: OtelSpan,
    private readonly convert: (attributes: Record<string, unknown>) => Attributes,
  ) {}

  get traceId(): string {
    return this.span.spanContext().traceId;
  }

  get spanId(): string {
    return this.span.spanContext().spanId;
  }

  set(attributes: Record<string, unknown>): void {
    this.span.setAttributes(this.convert(attributes));
  }

  event(name: string, attributes?: Record<string, unknown>): void {
    this.span.addEvent(name, attributes ? this.convert(attributes) : undefined);
  }

  end(status: 'ok' | 'error' | 'interrupted' = 'ok', error?: { code?: string; message: string }): void {
    if (status !== 'ok') {
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: error?.message ?? status });
      this.span.setAttribute('error.type', error?.code ?? status);
    }
    this.span.end();
  }
}

/**
 * A Tracer that emits OpenTelemetry spans following the GenAI semantic conventions
 * (`invoke_agent` / `chat` / `execute_tool` operations, `gen_ai.*` attributes), so Langfuse,
 * Jaeger or any OTLP backend can show Sextant's runs. Combine with the store tracer through
 * `fanOutTracer`.
 */
export function createOtelTracer(options: OtelTracerOptions): Tracer {
  const { tracer, redact } = options;
  const captureContent = options.captureContent ?? true;

  const convert = (attributes: Record<string, unknown>): Attributes => {
    const out: Attributes = {};
    for (const [key, raw] of Object.entries(attributes)) {
      if (CONTENT_KEYS.has(key) && !captureContent) continue;
      const value = toAttributeValue(redact ? redact(raw) : raw);
      if (value === undefined) continue;
      if (key === ATTR.FINISH_REASON) out[key] = Array.isArray(value) ? value : [String(value)];
      else if (key === ATTR.TTFT_MS && typeof value === 'number') {
        out[key] = value;
        out['gen_ai.response.time_to_first_chunk'] = value / 1000;
      } else out[CONTENT_RENAMES[key] ?? key] = value;
    }
    return out;
  };

  return {
    startSpan(start: StartSpanOptions): SpanHandle {
      const attributes = start.attributes ?? {};
      const initial = convert(attributes);
      const op = OPERATION_OF[start.kind];
      if (op && initial[ATTR.OPERATION] === undefined) initial[ATTR.OPERATION] = op;
      if (start.kind === 'run' && initial[ATTR.AGENT_NAME] === undefined) initial[ATTR.AGENT_NAME] = start.name;
      initial['sextant.span.kind'] = start.kind;
      // The store's trace id, when this tracer runs beside it, so a backend trace can be found in `sextant explain`.
      if (start.traceId && !start.parent) initial['sextant.trace.id'] = start.traceId;
      const parent = start.parent instanceof OtelHandle ? otelTrace.setSpan(otelContext.active(), start.parent.span) : undefined;
      const span = tracer.startSpan(
        spanName(start.kind, start.name, attributes),
        { kind: start.kind === 'model' ? OtelSpanKind.CLIENT : OtelSpanKind.INTERNAL, attributes: initial, root: !parent },
        parent,
      );
      return new OtelHandle(span, convert);
    },
  };
}

export interface OtlpTracerOptions {
  /** `service.name` of the resource (default `sextant`). */
  serviceName?: string;
  /** OTLP/HTTP traces URL. Default: the standard OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT variables, then localhost:4318. */
  url?: string;
  headers?: Record<string, string>;
  /** Replaces the OTLP exporter (e.g. an InMemorySpanExporter in tests). */
  exporter?: SpanExporter;
  redact?: (value: unknown) => unknown;
  captureContent?: boolean;
}

/** A ready OTLP pipeline: provider, batch processor and OTLP/HTTP exporter, wrapped as a Sextant Tracer. */
export function createOtlpTracer(options: OtlpTracerOptions = {}): Tracer & { flush(): Promise<void>; shutdown(): Promise<void> } {
  const exporter =
    options.exporter ?? new OTLPTraceExporter({ ...(options.url ? { url: options.url } : {}), ...(options.headers ? { headers: options.headers } : {}) });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName ?? 'sextant' }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  const tracer = createOtelTracer({ tracer: provider.getTracer('sextant'), redact: options.redact, captureContent: options.captureContent });
  return {
    startSpan: (start) => tracer.startSpan(start),
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}
