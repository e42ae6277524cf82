import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, sqlCheckpointStore, sqlTraceRepository, type SqlStore, type TraceRepository } from '../src/store/index.js';
import { ATTR, EVENTS, createStoreTracer, explainTrace, fanOutTracer } from '../src/trace/index.js';

let store: SqlStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

async function memoryRepo(): Promise<TraceRepository> {
  store = await openStore({ url: ':memory:' });
  return sqlTraceRepository(store);
}

describe('store-backed tracer', () => {
  it('writes a run with its steps, model and tool spans, events, errors and totals', async () => {
    const repository = await memoryRepo();
    const tracer = createStoreTracer({ repository, redact: false });
    const run = tracer.startSpan({ kind: 'run', name: 'support', attributes: { [ATTR.RUN_ID]: 'run-1', [ATTR.SESSION_ID]: 'sess', [ATTR.TENANT]: 'acme' } });
    const step = tracer.startSpan({ kind: 'step', name: 'step 1', parent: run, attributes: { [ATTR.STEP_INDEX]: 1 } });
    const model = tracer.startSpan({ kind: 'model', name: 'chat', parent: step });
    model.set({ [ATTR.DECISION_MESSAGES]: [{ role: 'user', content: 'hi' }], [ATTR.INPUT_TOKENS]: 100, [ATTR.OUTPUT_TOKENS]: 20, [ATTR.COST_USD]: 0.01 });
    model.set({ [ATTR.COST_USD]: 0.015 });
    model.end();
    // Calls after the end change nothing.
    model.set({ [ATTR.COST_USD]: 99 });
    const tool = tracer.startSpan({ kind: 'tool', name: 'crm', parent: step });
    tool.end('error', { code: 'TOOL_TIMEOUT', message: 'crm took too long' });
    step.event(EVENTS.LIMIT, { [ATTR.LIMIT_NAME]: 'steps', [ATTR.LIMIT_VALUE]: 1 });
    step.end();
    run.set({ [ATTR.STOP_REASON]: 'max_steps', [ATTR.COST_USD]: 0.02 });
    run.end();
    await tracer.close();

    const got = await repository.get('run-1');
    expect(got?.trace).toMatchObject({
      agent: 'support',
      session: 'sess',
      tenant: 'acme',
      // It ended on a limit, not with an answer: not `completed`.
      status: 'stopped',
      stop_reason: 'max_steps',
      steps: 1,
      cost_usd: 0.02,
      input_tokens: 100,
      output_tokens: 20,
      span_count: 4,
      dropped_spans: 0,
    });
    const byKind = Object.fromEntries(got!.spans.map((s) => [s.kind, s]));
    expect(byKind.run.parentId).toBeNull();
    expect(byKind.step.parentId).toBe(byKind.run.id);
    expect(byKind.model.parentId).toBe(byKind.step.id);
    expect(byKind.model.attributes[ATTR.DECISION_MESSAGES]).toEqual([{ role: 'user', content: 'hi' }]);
    expect(byKind.model.attributes[ATTR.COST_USD]).toBe(0.015);
    expect(byKind.tool).toMatchObject({ status: 'error', error: { code: 'TOOL_TIMEOUT', message: 'crm took too long' } });
    expect(byKind.step.events).toMatchObject([{ name: 'limit', attributes: { [ATTR.LIMIT_NAME]: 'steps' } }]);
    expect(tracer.stats()).toMatchObject({ written: 5, dropped: 0, queued: 0 });
  });

  it("stores each model call's messages as a delta on the previous call and reads them back in full", async () => {
    const repository = await memoryRepo();
    const tracer = createStoreTracer({ repository, redact: false });
    const run = tracer.startSpan({ kind: 'run', name: 'a', attributes: { [ATTR.RUN_ID]: 'r-delta' } });
    const conversation: { role: string; content: string }[] = [{ role: 'system', content: 'be brief' }];
    for (let i = 1; i <= 4; i++) {
      conversation.push({ role: i % 2 ? 'user' : 'assistant', content: `message ${i} ${'x'.repeat(500)}` });
      const step = tracer.startSpan({ kind: 'step', name: `step ${i}`, parent: run, attributes: { [ATTR.STEP_INDEX]: i } });
      // Each request is a new array holding the same message objects, as the runtime builds it.
      tracer.startSpan({ kind: 'model', name: 'chat', parent: step, attributes: { [ATTR.DECISION_MESSAGES]: [...conversation] } }).end();
      step.end();
    }
    run.end();
    await tracer.close();
    const raw = await store!.db.selectFrom('spans').select('attributes').where('kind', '=', 'model').orderBy('started_at').execute();
    // Each stored call holds only its new message: ~0.5 KB, not a growing copy of the conversation.
    expect(raw.map((r) => r.attributes.length).every((n) => n < 700)).toBe(true);
    expect(raw[3].attributes).toContain('$delta');
    const got = await repository.get('r-delta');
    const shown = got!.spans.filter((s) => s.kind === 'model').map((s) => s.attributes[ATTR.DECISION_MESSAGES] as unknown[]);
    expect(shown.map((m) => m.length)).toEqual([2, 3, 4, 5]);
    expect(shown[3]).toEqual(conversation);
  });

  it('keeps the delta small when a context window drops the oldest turns every call, and reads the lists back in full', async () => {
    const repository = await memoryRepo();
    const tracer = createStoreTracer({ repository, redact: false });
    const run = tracer.startSpan({ kind: 'run', name: 'a', attributes: { [ATTR.RUN_ID]: 'r-window' } });
    const system = { role: 'system', content: 'be brief' };
    const opening = { role: 'user', content: 'read every page' };
    const turns: { role: string; content: string }[] = [];
    const sent: unknown[][] = [];
    for (let i = 0; i < 8; i++) {
      turns.push({ role: i % 2 ? 'tool' : 'assistant', content: `turn ${i} ${'x'.repeat(500)}` });
      // The window keeps the system message, the opening and the last 4 turns: from the 5th call on, one turn drops out of the middle.
      const shown = [system, opening, ...turns.slice(-4)];
      sent.push(shown);
      const step = tracer.startSpan({ kind: 'step', name: `step ${i}`, parent: run, attributes: { [ATTR.STEP_INDEX]: i } });
      tracer.startSpan({ kind: 'model', name: 'chat', parent: step, attributes: { [ATTR.DECISION_MESSAGES]: shown } }).end();
      step.end();
    }
    run.end();
    await tracer.close();
    const raw = await store!.db.selectFrom('spans').select('attributes').where('kind', '=', 'model').orderBy('started_at').execute();
    // Each stored call after the first holds only its new turn, sliding window or not.
    expect(raw.slice(1).every((r) => r.attributes.length < 700)).toBe(true);
    expect(raw[7].attributes).toContain('"from"');
    const got = await repository.get('r-window');
    const shown = got!.spans.filter((s) => s.kind === 'model').map((s) => s.attributes[ATTR.DECISION_MESSAGES]);
    expect(shown).toEqual(sent);
  });

  it('runs the redaction hook on everything before it is written', async () => {
    const repository = await memoryRepo();
    const redact = (value: unknown): unknown => JSON.parse(JSON.stringify(value).replace(/[\w.]+@[\w.]+/g, '[EMAIL]'));
    const tracer = createStoreTracer({ repository, redact });
    const run = tracer.startSpan({ kind: 'run', name: 'a', attributes: { [ATTR.RUN_ID]: 'r-redact', [ATTR.RUN_INPUT]: 'mail me at jo@example.com' } });
    const tool = tracer.startSpan({ kind: 'tool', name: 't', parent: run, attributes: { [ATTR.TOOL_OUTPUT]: { email: 'ann@corp.io' } } });
    tool.event('note', { who: 'x@y.z' });
    tool.end('error', { message: 'no user bob@corp.io' });
    run.end();
    await tracer.close();
    const raw = await store!.db.selectFrom('spans').select(['attributes', 'events', 'error']).execute();
    const text = JSON.stringify(raw);
    expect(text).not.toMatch(/@/);
    expect(text).toContain('[EMAIL]');
  });

  it('writes a large flush in slices with turns of the event loop between them, and loses none of it', async () => {
    const repository = await memoryRepo();
    const tracer = createStoreTracer({ repository, redact: false, writeSliceMs: 0, flushIntervalMs: 60_000, stepFlushMs: 60_000 });
    const run = tracer.startSpan({ kind: 'run', name: 'a', attributes: { [ATTR.RUN_ID]: 'r-slices' } });
    await tracer.flush();
    for (let i = 0; i < 100; i++) tracer.startSpan({ kind: 'tool', name: `t${i}`, parent: run }).end();
    let turns = 0;
    const flushed = tracer.flush();
    const count = (): void => {
      turns++;
      if (turns < 100) setImmediate(count);
    };
    setImmediate(count);
    await flushed;
    // Slices of 16 spans at least: 100 spans take several, each after a turn of the loop.
    expect(turns).toBeGreaterThanOrEqual(5);
    run.end();
    await tracer.close();
    expect(tracer.stats()).toMatchObject({ written: 102, dropped: 0, queued: 0 });
    expect((await repository.get('r-slices'))!.spans).toHaveLength(101);
  });

  it('refuses a tracer that says nothing about redaction: storing unredacted spans is an explicit choice', async () => {
    const repository = await memoryRepo();
    // @ts-expect-error redact is required; a JavaScript caller that leaves it out gets a clear error.
    expect(() => createStoreTracer({ repository })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('redact') }));
    const plain = createStoreTracer({ repository, redact: false });
    plain.startSpan({ kind: 'run', name: 'a', attributes: { [ATTR.RUN_ID]: 'r-plain', [ATTR.RUN_INPUT]: 'jo@example.com' } }).end();
    await plain.close();
    expect((await repository.get('r-plain'))!.spans[0].attributes[ATTR.RUN_INPUT]).toBe('jo@example.com');
  });

  it('samples ordinary spans under pressure, counts the drops, and keeps run/step ends and errors', async () => {
    const repository = await memoryRepo();
    const tracer = createStoreTracer({ repository, redact: false, queueSize: 20, sampleAboveRatio: 0.5 });
    const run = tracer.startSpan({ kind: 'run', name: 'burst', attributes: { [ATTR.RUN_ID]: 'r-burst' } });
    const step = tracer.startSpan({ kind: 'step', name: 'step 1', parent: run });
    // No await between spans: the writer gets no turn, the queue fills.
    for (let i = 0; i < 200; i++) tracer.startSpan({ kind: 'tool', name: `t${i}`, parent: step }).end();
    tracer.startSpan({ kind: 'tool', name: 'failing', parent: step }).end('error', { message: 'boom' });
    step.end();
    run.end();
    await tracer.close();
    const stats = tracer.stats();
    expect(stats.dropped).toBeGreaterThanOrEqual(180);
    const got = await repository.get('r-burst');
    expect(got?.trace.dropped_spans).toBe(stats.dropped);
    expect(got?.trace.status).toBe('completed');
    const names = got!.spans.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['burst', 'step 1', 'failing']));
    expect(got!.spans.filter((s) => s.kind === 'tool').length).toBe(201 - stats.dropped);
  });

  it('survives a failing redactor: the batch is counted as dropped and later spans still land', async () => {
    const repository = await memoryRepo();
    const errors: unknown[] = [];
    let fail = true;
    const tracer = createStoreTracer({
      repository,
      onError: (e) => errors.push(e),
      redact: (v) => {
        if (fail) throw new Error('redactor down');
        return v;
      },
    });
    const run = tracer.startSpan({ kind: 'run', name: 'a', attributes: { [ATTR.RUN_ID]: 'r-fail' } });
    await tracer.flush();
    expect(errors).toHaveLength(1);
    expect(tracer.stats()).toMatchObject({ writeErrors: 1, dropped: 1 });
    fail = false;
    const run2 = tracer.startSpan({ kind: 'run', name: 'b', attributes: { [ATTR.RUN_ID]: 'r-ok' } });
    run2.end();
    run.end();
    await tracer.close();
    expect((await repository.get('r-ok'))?.trace.status).toBe('completed');
  });

  it('lets a later root span join a trace (a gateway session): running again, then completed, totals summed', async () => {
    const repository = await memoryRepo();
    const tracer = createStoreTracer({ repository, redact: false });
    const first = tracer.startSpan({ kind: 'request', name: 'POST /v1/chat/completions', attributes: { [ATTR.SESSION_ID]: 'sess' } });
    tracer.startSpan({ kind: 'model', name: 'chat', parent: first, attributes: { [ATTR.COST_USD]: 0.25, [ATTR.INPUT_TOKENS]: 10 } }).end();
    first.end();
    await tracer.flush();
    const second = tracer.startSpan({ kind: 'request', name: 'POST /v1/chat/completions', traceId: first.traceId });
    await tracer.flush();
    expect((await repository.get(first.traceId))?.trace.status).toBe('running');
    tracer.startSpan({ kind: 'model', name: 'chat', parent: second, attributes: { [ATTR.COST_USD]: 0.5, [ATTR.INPUT_TOKENS]: 20 } }).end();
    second.end();
    await tracer.close();
    const got = await repository.get(first.traceId);
    expect(got?.trace).toMatchObject({ kind: 'request', session: 'sess', status: 'completed', cost_usd: 0.75, input_tokens: 30, span_count: 4 });
  });

  it('fans out to several tracers with one trace id', async () => {
    const repository = await memoryRepo();
    const a = createStoreTracer({ repository, redact: false });
    const otherStore = await openStore({ url: ':memory:' });
    const otherRepo = sqlTraceRepository(otherStore);
    const b = createStoreTracer({ repository: otherRepo, redact: false });
    const tracer = fanOutTracer([a, b]);
    const run = tracer.startSpan({ kind: 'run', name: 'x', attributes: { [ATTR.RUN_ID]: 'r-fan' } });
    tracer.startSpan({ kind: 'step', name: 's', parent: run }).end();
    run.end();
    await tracer.flush?.();
    const [one, two] = [await repository.get('r-fan'), await otherRepo.get('r-fan')];
    expect(one?.trace.id).toBe(run.traceId);
    expect(two?.trace.id).toBe(run.traceId);
    expect(two?.spans.find((s) => s.kind === 'step')?.parentId).toBe(two?.spans.find((s) => s.kind === 'run')?.id);
    await Promise.all([a.close(), b.close()]);
    await otherStore.close();
  });
});

describe('a process killed mid-run', () => {
  it('leaves its trace marked interrupted with every completed step', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sextant-kill-'));
    const dbPath = join(dir, 'sextant.db');
    const runId = `run-${randomUUID()}`;
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'trace-kill-child.ts'), dbPath, runId], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => d.toString().includes('hanging') && resolve());
        child.on('exit', (code) => reject(new Error(`child exited early with ${code}`)));
      });
      // Wait (bounded) until the tracer's own flushing has written the third step, then kill without warning.
      const reader = await openStore({ url: dbPath });
      const deadline = Date.now() + 10_000;
      while (
        (await reader.db.selectFrom('spans').select('id').where('kind', '=', 'step').where('status', '=', 'ok').execute()).length < 3 &&
        Date.now() < deadline
      ) {
        await new Promise((r) => setTimeout(r, 20));
      }
      await reader.close();
      const exited = new Promise((resolve) => child.on('exit', resolve));
      child.kill('SIGKILL');
      await exited;

      // Opening the store finds the dead pid and marks the run interrupted.
      store = await openStore({ url: dbPath });
      const got = await sqlTraceRepository(store).get(runId);
      expect(got?.trace).toMatchObject({ status: 'interrupted', stop_reason: 'interrupted', agent: 'killed-agent', steps: 3 });
      const steps = got!.spans.filter((s) => s.kind === 'step' && s.status === 'ok');
      expect(steps.map((s) => s.attributes[ATTR.STEP_INDEX])).toEqual([1, 2, 3]);
      const tools = got!.spans.filter((s) => s.kind === 'tool' && s.status === 'ok');
      expect(tools.map((s) => s.attributes[ATTR.TOOL_OUTPUT])).toEqual(['record 1', 'record 2', 'record 3']);
      expect(got!.spans.find((s) => s.kind === 'run')).toMatchObject({ status: 'interrupted', attributes: { [ATTR.RUN_INPUT]: 'Look up records 1 to 10.' } });
      // The agent's checkpoint, in the same store, holds the run's state (saved before step 4's tool call): it can resume.
      const checkpoint = await sqlCheckpointStore(store).load(runId);
      expect(checkpoint?.step).toBeGreaterThanOrEqual(3);
      // `sextant explain` says what happened.
      expect(explainTrace(got!)).toContain('The process writing this run died mid-run');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
