import { expect, it } from 'vitest';

it('runs the README example: the middleware counts the call, and the model span hangs under the run', async () => {
  const { callsByTenant, pipeline, tracer } = await import('./index.js');
  expect(callsByTenant.get('acme')).toBe(1);
  expect(pipeline.order.slice(0, 3)).toEqual(['tracing', 'count-calls', 'total-timeout']);
  const [model, run] = tracer.spans;
  expect(model).toMatchObject({ kind: 'model', name: 'chat scripted:demo', parentId: run.id, status: 'ok' });
});
