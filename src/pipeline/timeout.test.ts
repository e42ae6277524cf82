import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drain, scriptedTerminal, upstream } from '../../test/support/pipeline-terminal.js';
import { createOpenAICompatible } from '../model/providers/openai-compatible/provider.js';
import { createProviderRouter } from '../model/router.js';
import { createFakeUpstream, type FakeUpstream } from '../testing/fake-upstream.js';
import { compose } from './middleware.js';
import { retry } from './retry.js';
import { attemptTimeout, totalTimeout } from './timeout.js';

const request = { model: 'fake:gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hi' }] };
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('attemptTimeout', () => {
  it('aborts the attempt below with a TIMEOUT reason and fails with TIMEOUT', async () => {
    const terminal = scriptedTerminal([{ hang: true }]);
    const error = await compose([attemptTimeout({ ms: 20 })], terminal)
      .generate(request)
      .catch((e) => e);
    expect(error.code).toBe('TIMEOUT');
    expect(error.context).toEqual({ scope: 'attempt', timeout: 'attempt', ms: 20 });
    expect(error.retryable).toBe(true);
    expect(terminal.calls[0].signal.aborted).toBe(true);
    expect(terminal.calls[0].signal.reason).toBe(error);
  });

  it('ends on time even when the code below ignores its signal', async () => {
    const terminal = scriptedTerminal([{ hang: true, ignoreSignal: true }]);
    await expect(compose([attemptTimeout({ ms: 20 })], terminal).generate(request)).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it("reports the caller's abort as ABORTED, not as a timeout", async () => {
    const controller = new AbortController();
    const terminal = scriptedTerminal([{ hang: true }]);
    const pending = compose([attemptTimeout({ ms: 10_000 })], terminal).generate(request, { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('gives a target its own timeout, plain and streamed, and every other target the general one', async () => {
    const terminal = scriptedTerminal([{ hang: true }, { hang: true }, { hang: true, afterEvents: 1 }]);
    const model = compose([attemptTimeout({ ms: 40, streamFirstEventMs: 40, perTargetMs: { 'fake:impatient': 10 } })], terminal);
    const own = await model.generate({ ...request, model: 'fake:impatient' }).catch((e) => e);
    const general = await model.generate(request).catch((e) => e);
    const { error: streamed } = await drain(model.stream({ ...request, model: 'fake:impatient' }));
    expect(own.context).toEqual({ scope: 'attempt', timeout: 'attempt', ms: 10 });
    expect(general.context).toEqual({ scope: 'attempt', timeout: 'attempt', ms: 40 });
    expect(streamed?.context).toEqual({ scope: 'attempt', timeout: 'first-event', ms: 10 });
  });

  it('fails a stream with no event after start within streamFirstEventMs', async () => {
    const terminal = scriptedTerminal([{ hang: true, afterEvents: 1 }]);
    const { events, error } = await drain(compose([attemptTimeout({ streamFirstEventMs: 20 })], terminal).stream(request));
    expect(events.map((e) => e.type)).toEqual(['start']);
    expect(error?.code).toBe('TIMEOUT');
    expect(error?.context).toMatchObject({ scope: 'attempt', timeout: 'first-event' });
  });

  it('fails a stream that falls silent for longer than streamIdleMs', async () => {
    const terminal = scriptedTerminal([{ hang: true, afterEvents: 3 }]);
    const { events, error } = await drain(compose([attemptTimeout({ streamIdleMs: 20 })], terminal).stream(request));
    expect(events).toHaveLength(3);
    expect(error?.context).toMatchObject({ timeout: 'idle', ms: 20 });
  });

  it('does not count the time a slow consumer spends on an event against the upstream', async () => {
    const terminal = scriptedTerminal([{ text: 'one two three' }]);
    const events = [];
    for await (const event of compose([attemptTimeout({ streamIdleMs: 15, streamFirstEventMs: 15 })], terminal).stream(request)) {
      events.push(event);
      await pause(40);
    }
    expect(events.at(-1)?.type).toBe('finish');
  });
});

describe('totalTimeout', () => {
  it('bounds retries and their waits together', async () => {
    const terminal = scriptedTerminal([{ error: upstream.rateLimited(5_000) }]);
    const error = await compose([totalTimeout({ ms: 40 }), retry()], terminal)
      .generate(request)
      .catch((e) => e);
    expect(error.code).toBe('TIMEOUT');
    expect(error.context).toMatchObject({ scope: 'total', timeout: 'total', ms: 40 });
    expect(error.retryable).toBe(false);
    expect(terminal.calls).toHaveLength(1);
  });

  it('bounds a whole stream, however lively', async () => {
    const terminal = scriptedTerminal([{ hang: true, afterEvents: 2 }]);
    const { error } = await drain(compose([totalTimeout({ ms: 30 })], terminal).stream(request));
    expect(error?.context).toMatchObject({ scope: 'total' });
  });
});

describe('timeouts against a real HTTP upstream', () => {
  let fake: FakeUpstream;
  let model: ReturnType<typeof compose>;
  beforeAll(async () => {
    fake = await createFakeUpstream({ record: false });
    const router = createProviderRouter({ providers: { fake: createOpenAICompatible({ name: 'fake', baseURL: `${fake.url}/v1` }) } });
    model = compose([retry({ maxAttempts: 2, baseDelayMs: 1 }), attemptTimeout({ ms: 400, streamFirstEventMs: 400 })], router);
  });
  afterAll(() => fake.close());

  it('a timed-out attempt closes its connection and is retried', async () => {
    fake.reset();
    fake.enqueue({ fault: 'hang' }, { text: 'second time lucky' });
    const response = await model.generate(request);
    expect(response.message.content).toBe('second time lucky');
    expect(response.meta.attempts).toBe(2);
    await expect.poll(() => fake.clientClosedCount).toBe(1);
  });

  it('a stream with no first token in time closes its connection; both attempts time out', async () => {
    fake.reset();
    fake.enqueue({ text: 'late', timeToFirstTokenMs: 5_000 }, { text: 'late', timeToFirstTokenMs: 5_000 });
    const { error } = await drain(model.stream(request));
    expect(error?.code).toBe('TIMEOUT');
    expect(error?.context).toMatchObject({ timeout: 'first-event', attempts: 2 });
    await expect.poll(() => fake.clientClosedCount).toBe(2);
  });
});
