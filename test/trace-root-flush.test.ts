import { afterEach, describe, expect, it } from 'vitest';
import { openStore, sqlTraceRepository, type SqlStore } from '../src/store/index.js';
import { createStoreTracer } from '../src/trace/index.js';

let store: SqlStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('store tracer: when a trace start or end is written', () => {
  it('writes a root span at once by default (an agent run survives a crash right after it starts)', async () => {
    store = await openStore({ url: ':memory:' });
    const repository = sqlTraceRepository(store);
    const tracer = createStoreTracer({ repository, redact: false, flushIntervalMs: 60_000 });
    const root = tracer.startSpan({ kind: 'request', name: 'POST /v1/chat/completions' });
    await turn();
    await turn();
    expect((await repository.get(root.traceId))?.trace.status).toBe('running');
    root.end();
    await tracer.close();
  });

  it('with rootFlushMs (the gateway), batches trace starts and ends instead of writing one transaction per event-loop turn', async () => {
    store = await openStore({ url: ':memory:' });
    const repository = sqlTraceRepository(store);
    const written: string[] = [];
    const counting: typeof repository = {
      ...repository,
      writeBatch: (batch) => {
        written.push(...batch.spans.map((s) => `${s.id} ${s.status}`));
        return repository.writeBatch(batch);
      },
    };
    const tracer = createStoreTracer({ repository: counting, redact: false, flushIntervalMs: 60_000, rootFlushMs: 60_000 });
    const roots = [1, 2, 3].map((i) => tracer.startSpan({ kind: 'request', name: `call ${i}` }));
    for (const root of roots) root.end();
    await turn();
    await turn();
    expect(await repository.get(roots[0].traceId)).toBeUndefined();
    expect(tracer.stats().queued).toBe(6);
    await tracer.flush();
    for (const root of roots) expect((await repository.get(root.traceId))?.trace.status).toBe('completed');
    // Each root opened and ended within the batch: written once, ended, not once open and again ended.
    expect(written).toEqual(roots.map((r) => `${r.spanId} ok`));
    await tracer.close();
  });
});
