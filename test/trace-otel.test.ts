import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { SpanStatusCode } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { ATTR, EVENTS, createOtelTracer, createOtlpTracer } from '../src/trace/index.js';

function setup(options: { captureContent?: boolean } = {}) {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = createOtelTracer({ tracer: provider.getTracer('test'), ...options });
  return { exporter, tracer };
}

function emitRun(tracer: ReturnType<typeof setup>['tracer']) {
  const run = tracer.startSpan({
    kind: 'run',
    name: 'support',
    attributes: { [ATTR.AGENT_NAME]: 'support', [ATTR.SESSION_ID]: 'conv-1', [ATTR.RUN_ID]: 'run-9' },
  });
  const step = tracer.startSpan({ kind: 'step', name: 'step 1', parent: run, attributes: { [ATTR.STEP_INDEX]: 1 } });
  const model = tracer.startSpan({ kind: 'model', name: 'chat', parent: step, attributes: { [ATTR.PROVIDER]: 'openai', [ATTR.REQUEST_MODEL]: 'gpt-4o-mini' } });
  model.set({
    [ATTR.RESPONSE_MODEL]: 'gpt-4o-mini-2024-07-18',
    [ATTR.INPUT_TOKENS]: 120,
    [ATTR.OUTPUT_TOKENS]: 30,
    [ATTR.FINISH_REASON]: 'tool_calls',
    [ATTR.TTFT_MS]: 250,
    [ATTR.DECISION_MESSAGES]: [{ role: 'user', content: 'where is order 42?' }],
    [ATTR.DECISION_CHOICE]: { type: 'tool_calls', toolCalls: [{ id: 'call_1', name: 'crm_lookup', arguments: '{"order":42}' }] },
  });
  model.end();
  const tool = tracer.startSpan({
    kind: 'tool',
    name: 'crm_lookup',
    parent: step,
    attributes: { [ATTR.TOOL_NAME]: 'crm_lookup', [ATTR.TOOL_CALL_ID]: 'call_1', [ATTR.TOOL_INPUT]: { order: 42 } },
  });
  tool.end('error', { code: 'TOOL_TIMEOUT', message: 'crm timed out' });
  step.event(EVENTS.LOOP, { [ATTR.LOOP_PATTERN]: 'repeat', [ATTR.LOOP_STEPS]: [1, 2, 3] });
  step.end();
  run.end();
  return { run };
}

describe('OpenTelemetry export', () => {
  it('emits GenAI semantic-convention spans for agent, chat and tool', () => {
    const { exporter, tracer } = setup();
    emitRun(tracer);
    const spans = exporter.getFinishedSpans();
    const byName = Object.fromEntries(spans.map((s) => [s.name, s]));
    expect(Object.keys(byName).sort()).toEqual(['chat gpt-4o-mini', 'execute_tool crm_lookup', 'invoke_agent support', 'step 1']);

    const agent = byName['invoke_agent support'];
    expect(agent.attributes).toMatchObject({ 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'support', 'gen_ai.conversation.id': 'conv-1' });

    const chat = byName['chat gpt-4o-mini'];
    expect(chat.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.usage.input_tokens': 120,
      'gen_ai.usage.output_tokens': 30,
      'gen_ai.response.finish_reasons': ['tool_calls'],
      'gen_ai.response.time_to_first_chunk': 0.25,
    });
    expect(JSON.parse(chat.attributes['gen_ai.input.messages'] as string)).toEqual([{ role: 'user', content: 'where is order 42?' }]);
    expect(JSON.parse(chat.attributes['gen_ai.output.messages'] as string).toolCalls[0].name).toBe('crm_lookup');

    const tool = byName['execute_tool crm_lookup'];
    expect(tool.attributes).toMatchObject({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'crm_lookup',
      'gen_ai.tool.call.id': 'call_1',
      'gen_ai.tool.call.arguments': '{"order":42}',
      'error.type': 'TOOL_TIMEOUT',
    });
    expect(tool.status).toEqual({ code: SpanStatusCode.ERROR, message: 'crm timed out' });

    // One trace, nested as the agent nested it.
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
    const step = byName['step 1'];
    expect(chat.parentSpanContext?.spanId).toBe(step.spanContext().spanId);
    expect(step.parentSpanContext?.spanId).toBe(agent.spanContext().spanId);
    expect(step.events[0]).toMatchObject({ name: 'loop', attributes: { 'sextant.loop.pattern': 'repeat', 'sextant.loop.steps': [1, 2, 3] } });
  });

  it('keeps content out of the backend when captureContent is false', () => {
    const { exporter, tracer } = setup({ captureContent: false });
    emitRun(tracer);
    const chat = exporter.getFinishedSpans().find((s) => s.name.startsWith('chat'))!;
    expect(chat.attributes['gen_ai.input.messages']).toBeUndefined();
    expect(chat.attributes['gen_ai.usage.input_tokens']).toBe(120);
  });

  it('builds an OTLP pipeline whose exporter receives the spans on flush', async () => {
    const exporter = new InMemorySpanExporter();
    const tracer = createOtlpTracer({ serviceName: 'support-desk', exporter });
    emitRun(tracer);
    await tracer.flush();
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(4);
    expect(spans[0].resource.attributes['service.name']).toBe('support-desk');
    await tracer.shutdown();
  });
});
