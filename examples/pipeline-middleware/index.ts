import { callTrace, createMemoryTracer, createPipeline, createProviderRouter, scriptedModel, tracingMiddleware, type Middleware } from 'sextant';

// Counts calls per tenant just outside the cache, so cache hits count too.
export const callsByTenant = new Map<string, number>();
const countCalls: Middleware = {
  name: 'count-calls',
  generate(request, context, next) {
    const tenant = context.metadata.tenant ?? 'none';
    callsByTenant.set(tenant, (callsByTenant.get(tenant) ?? 0) + 1);
    return next(request, context);
  },
};

export const tracer = createMemoryTracer();
export const pipeline = createPipeline({
  terminal: createProviderRouter({ providers: { scripted: scriptedModel({ replies: [{ text: 'Hello!' }] }) } }),
  tracing: tracingMiddleware({ tracer }),
  middleware: [{ before: 'cache', use: countCalls }],
});

// The model span hangs under the span given in `trace`: an agent's step, a gateway request, here a run of our own.
const run = tracer.startSpan({ kind: 'run', name: 'demo' });
await pipeline.generate(
  { model: 'scripted:demo', messages: [{ role: 'user', content: 'Hi' }], metadata: { tenant: 'acme' } },
  { trace: callTrace({ parent: run }) },
);
run.end();

console.log(pipeline.order.join(' → '));
console.log(tracer.spans.map((s) => `${s.kind} ${s.name} ${s.status}`).join('\n'));
