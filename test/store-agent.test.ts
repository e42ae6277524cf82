import { afterEach, describe, expect, it } from 'vitest';
import { defineAgent } from '../src/agent/index.js';
import { scriptedModel } from '../src/model/index.js';
import { openStore, sqlSessionStore, sqlTraceRepository, startRetention, type SqlStore } from '../src/store/index.js';
import { createStoreTracer } from '../src/trace/index.js';

let store: SqlStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

describe('the SQL stores under the agent runtime', () => {
  it("carries a session's history between runs through sqlSessionStore, and traces every run", async () => {
    store = await openStore({ url: ':memory:' });
    const model = scriptedModel({ replies: [{ text: 'Hello Ann.' }, { text: 'Your name is Ann.' }] });
    const tracer = createStoreTracer({ repository: sqlTraceRepository(store), redact: false });
    const agent = defineAgent({ name: 'greeter', model, modelName: 'scripted:x', sessions: sqlSessionStore(store), tracer });
    await agent.run('I am Ann.', { session: 'sess-ann' });
    const second = await agent.run('What is my name?', { session: 'sess-ann' });
    expect(second.output).toBe('Your name is Ann.');
    const shown = model.requests[1].messages.map((m) => `${m.role}:${String(m.content)}`);
    expect(shown).toEqual(['user:I am Ann.', 'assistant:Hello Ann.', 'user:What is my name?']);
    await tracer.close();
    const traces = await sqlTraceRepository(store).list({ session: 'sess-ann' });
    expect(traces.map((t) => [t.agent, t.status, t.stop_reason])).toEqual([
      ['greeter', 'completed', 'completed'],
      ['greeter', 'completed', 'completed'],
    ]);
    expect(await sqlSessionStore(store).load('sess-ann')).toHaveLength(4);
  });

  it('prunes on a schedule with startRetention', async () => {
    store = await openStore({ url: ':memory:' });
    const repository = sqlTraceRepository(store);
    const old = Date.now() - 10_000;
    await repository.writeBatch({
      starts: [{ id: 'old', runId: null, kind: 'request', name: 'r', agent: null, session: null, tenant: null, startedAt: old, pid: process.pid, host: 'h' }],
      spans: [],
      counts: [],
      ends: [{ id: 'old', status: 'completed', stopReason: 'completed', endedAt: old }],
    });
    const stop = startRetention({ repository, maxAgeMs: 5_000, intervalMs: 10 });
    const deadline = Date.now() + 5_000;
    while ((await repository.get('old')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    stop();
    expect(await repository.get('old')).toBeUndefined();
  });
});
