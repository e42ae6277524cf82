import { describe, expect, it } from 'vitest';
import { SextantError } from '../errors.js';
import { drain, scriptedTerminal, upstream } from '../../test/support/pipeline-terminal.js';
import { compose } from './middleware.js';
import { retry, type RetryEvent } from './retry.js';

const request = { model: 'openai:gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hi' }] };
const fast = { baseDelayMs: 1, maxDelayMs: 2 };

describe('retry', () => {
  it('retries 5xx and network errors, then answers with the attempts recorded', async () => {
    const terminal = scriptedTerminal([{ error: upstream.serverError() }, { error: upstream.network() }, { text: 'ok' }]);
    const response = await compose([retry(fast)], terminal).generate(request);
    expect(response.message.content).toBe('ok');
    expect(response.meta.attempts).toBe(3);
    expect(response.meta.retries).toEqual([
      expect.objectContaining({ attempt: 1, code: 'UPSTREAM_ERROR' }),
      expect.objectContaining({ attempt: 2, code: 'NETWORK_ERROR' }),
    ]);
  });

  it('waits exactly the Retry-After the upstream asked for', async () => {
    const events: RetryEvent[] = [];
    const terminal = scriptedTerminal([{ error: upstream.rateLimited(30) }, { text: 'ok' }]);
    await compose([retry({ ...fast, onRetry: (e) => events.push(e) })], terminal).generate(request);
    expect(events).toHaveLength(1);
    expect(events[0].delayMs).toBe(30);
    expect(events[0].error.code).toBe('UPSTREAM_RATE_LIMITED');
  });

  it('does not wait for a Retry-After above maxRetryAfterMs: the error goes up at once', async () => {
    const terminal = scriptedTerminal([{ error: upstream.rateLimited(60_000) }, { text: 'ok' }]);
    const error = await compose([retry({ ...fast, maxRetryAfterMs: 1_000 })], terminal)
      .generate(request)
      .catch((e) => e);
    expect(error.code).toBe('UPSTREAM_RATE_LIMITED');
    expect(error.context).toMatchObject({ attempts: 1, retryStop: 'retry-after exceeds maxRetryAfterMs' });
    expect(error.retryAfterMs).toBe(60_000);
    expect(terminal.calls).toHaveLength(1);
  });

  it('never retries a 400 or an exhausted quota', async () => {
    for (const error of [upstream.badRequest(), upstream.quota(), new SextantError('UPSTREAM_ERROR', '409', { status: 409, retryable: true })]) {
      const terminal = scriptedTerminal([{ error }, { text: 'ok' }]);
      const thrown = await compose([retry(fast)], terminal)
        .generate(request)
        .catch((e) => e);
      expect(thrown.code).toBe(error.code);
      expect(thrown.context.retryStop).toBe('not retryable');
      expect(terminal.calls).toHaveLength(1);
    }
  });

  it('gives up after maxAttempts with the last error and the attempt count', async () => {
    const terminal = scriptedTerminal([{ error: upstream.serverError() }]);
    const error = await compose([retry({ ...fast, maxAttempts: 4 })], terminal)
      .generate(request)
      .catch((e) => e);
    expect(error).toBeInstanceOf(SextantError);
    expect(error.context).toMatchObject({ attempts: 4, retryStop: 'attempts exhausted' });
    expect(terminal.calls).toHaveLength(4);
  });

  it('retries a per-attempt timeout but not a total one', async () => {
    const attempt = new SextantError('TIMEOUT', 'attempt', { retryable: true, context: { scope: 'attempt' } });
    const total = new SextantError('TIMEOUT', 'total', { context: { scope: 'total' } });
    const retried = scriptedTerminal([{ error: attempt }, { text: 'ok' }]);
    expect((await compose([retry(fast)], retried).generate(request)).meta.attempts).toBe(2);
    const final = scriptedTerminal([{ error: total }, { text: 'ok' }]);
    await expect(compose([retry(fast)], final).generate(request)).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(final.calls).toHaveLength(1);
  });

  it('the wait between attempts ends as soon as the caller aborts', async () => {
    const controller = new AbortController();
    const terminal = scriptedTerminal([{ error: upstream.rateLimited(20_000) }, { text: 'ok' }]);
    const pending = compose([retry({ maxRetryAfterMs: 60_000, onRetry: () => controller.abort() })], terminal).generate(request, {
      signal: controller.signal,
    });
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED' });
    expect(terminal.calls).toHaveLength(1);
  });

  it('retries a stream that failed before any output, with a single start event', async () => {
    const terminal = scriptedTerminal([{ error: upstream.serverError(), afterEvents: 1 }, { text: 'hello there' }]);
    const { events, error } = await drain(compose([retry(fast)], terminal).stream(request));
    expect(error).toBeUndefined();
    expect(events.filter((e) => e.type === 'start')).toHaveLength(1);
    expect(events.map((e) => (e.type === 'text-delta' ? e.delta : '')).join('')).toBe('hello there');
    const finish = events.at(-1);
    expect(finish?.type === 'finish' && finish.response.meta.attempts).toBe(2);
  });

  it('never replays a stream once output was sent: the error says so', async () => {
    const terminal = scriptedTerminal([{ error: upstream.serverError(), afterEvents: 2 }, { text: 'hello there' }]);
    const { events, error } = await drain(compose([retry(fast)], terminal).stream(request));
    expect(events.map((e) => e.type)).toEqual(['start', 'text-delta']);
    expect(error?.code).toBe('UPSTREAM_ERROR');
    expect(error?.context).toMatchObject({ outputSent: true, attempts: 1 });
    expect(terminal.calls).toHaveLength(1);
  });

  it('retries embeddings', async () => {
    let calls = 0;
    const terminal = {
      ...scriptedTerminal([{ text: '' }]),
      async embed() {
        if (++calls === 1) throw upstream.serverError();
        return { model: 'text-embedding-3-small', embeddings: [[1]], usage: { inputTokens: 1 }, meta: {} };
      },
    };
    const response = await compose([retry(fast)], terminal).embed({ model: 'openai:text-embedding-3-small', input: ['a'] });
    expect(response.meta.attempts).toBe(2);
  });
});
