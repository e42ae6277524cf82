import { describe, expect, it } from 'vitest';
import { SextantError } from '../errors.js';
import { drain, scriptedTerminal, upstream } from '../../test/support/pipeline-terminal.js';
import { circuitBreaker, createCircuitBreaker, type CircuitStateChange } from './circuit-breaker.js';
import { compose } from './middleware.js';

const target = 'openai:gpt-4o-mini';
const request = { model: target, messages: [{ role: 'user' as const, content: 'hi' }] };

function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('circuit breaker', () => {
  it('opens after N consecutive failures, fails fast while open, probes half-open and closes on success', async () => {
    const time = clock();
    const changes: CircuitStateChange[] = [];
    const breaker = createCircuitBreaker({ failureThreshold: 3, coolDownMs: 1_000, now: time.now, onStateChange: (c) => changes.push(c) });
    const terminal = scriptedTerminal([
      { error: upstream.serverError() },
      { error: upstream.serverError() },
      { error: upstream.serverError() },
      { text: 'back' },
    ]);
    const model = compose([circuitBreaker({ breaker })], terminal);

    for (let i = 0; i < 3; i++) await expect(model.generate(request)).rejects.toMatchObject({ code: 'UPSTREAM_ERROR' });
    expect(breaker.state(target)).toBe('open');
    const open = await model.generate(request).catch((e) => e);
    expect(open.code).toBe('CIRCUIT_OPEN');
    expect(open.retryAfterMs).toBe(1_000);
    expect(terminal.calls).toHaveLength(3);

    time.advance(1_000);
    expect(breaker.state(target)).toBe('half-open');
    expect((await model.generate(request)).message.content).toBe('back');
    expect(breaker.state(target)).toBe('closed');
    expect(changes.map((c) => `${c.from}>${c.to}`)).toEqual(['closed>open', 'open>half-open', 'half-open>closed']);
    expect(changes[0].error?.code).toBe('UPSTREAM_ERROR');
  });

  it('a failed half-open probe opens the circuit again for a new cool-down', async () => {
    const time = clock();
    const breaker = createCircuitBreaker({ failureThreshold: 1, coolDownMs: 500, now: time.now });
    const model = compose([circuitBreaker({ breaker })], scriptedTerminal([{ error: upstream.network() }]));
    await expect(model.generate(request)).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
    time.advance(500);
    await expect(model.generate(request)).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
    expect(breaker.state(target)).toBe('open');
    time.advance(499);
    expect(breaker.isAvailable(target)).toBe(false);
  });

  it('lets only halfOpenProbes calls through while half-open', () => {
    const time = clock();
    const breaker = createCircuitBreaker({ failureThreshold: 1, coolDownMs: 10, halfOpenProbes: 1, now: time.now });
    breaker.acquire(target).failure(upstream.serverError());
    time.advance(10);
    const probe = breaker.acquire(target);
    expect(() => breaker.acquire(target)).toThrow(SextantError);
    expect(breaker.isAvailable(target)).toBe(false);
    probe.release();
    expect(breaker.isAvailable(target)).toBe(true);
  });

  it('opens on the failure rate over the window, with the minimum number of calls', () => {
    const time = clock();
    const breaker = createCircuitBreaker({ failureThreshold: 100, failureRate: 0.5, minimumCalls: 6, windowMs: 10_000, now: time.now });
    // Alternating: never 2 failures in a row, yet half the calls fail.
    for (let i = 0; i < 5; i++) {
      const permit = breaker.acquire(target);
      if (i % 2 === 0) permit.failure(upstream.serverError());
      else permit.success();
    }
    expect(breaker.state(target)).toBe('closed');
    breaker.acquire(target).success();
    breaker.acquire(target).failure(upstream.serverError());
    expect(breaker.state(target)).toBe('open');
  });

  it('forgets failures older than the window', () => {
    const time = clock();
    const breaker = createCircuitBreaker({ failureThreshold: 100, failureRate: 0.5, minimumCalls: 4, windowMs: 1_000, now: time.now });
    for (let i = 0; i < 3; i++) breaker.acquire(target).failure(upstream.serverError());
    breaker.acquire(target).success();
    time.advance(2_000);
    breaker.acquire(target).failure(upstream.serverError());
    expect(breaker.snapshot()[0]).toMatchObject({ state: 'closed', calls: 1, failures: 1 });
  });

  it('does not count bad requests or caller aborts against the upstream', async () => {
    const breaker = createCircuitBreaker({ failureThreshold: 1 });
    const model = compose([circuitBreaker({ breaker })], scriptedTerminal([{ error: upstream.badRequest() }]));
    await expect(model.generate(request)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    breaker.acquire(target).failure(new SextantError('ABORTED', 'caller left'));
    breaker.acquire(target).failure(new SextantError('TIMEOUT', 'run out of time', { context: { scope: 'total' } }));
    expect(breaker.state(target)).toBe('closed');
  });

  it('keeps one circuit per target', () => {
    const breaker = createCircuitBreaker({ failureThreshold: 1 });
    breaker.acquire('a:x').failure(upstream.serverError());
    expect(breaker.state('a:x')).toBe('open');
    expect(breaker.state('b:y')).toBe('closed');
  });

  it('counts a stream that breaks as a failure and one that finishes as a success', async () => {
    const breaker = createCircuitBreaker({ failureThreshold: 2 });
    const terminal = scriptedTerminal([{ error: upstream.serverError(), afterEvents: 2 }, { text: 'ok' }, { error: upstream.serverError() }]);
    const model = compose([circuitBreaker({ breaker })], terminal);
    expect((await drain(model.stream(request))).error?.code).toBe('UPSTREAM_ERROR');
    expect((await drain(model.stream(request))).error).toBeUndefined();
    expect((await drain(model.stream(request))).error?.code).toBe('UPSTREAM_ERROR');
    expect(breaker.state(target)).toBe('closed');
    expect((await drain(model.stream(request))).error?.code).toBe('UPSTREAM_ERROR');
    expect(breaker.state(target)).toBe('open');
  });

  it('frees a half-open probe when the attempt is aborted by a timeout even if the call below never settles', async () => {
    const time = clock();
    const breaker = createCircuitBreaker({ failureThreshold: 1, coolDownMs: 10, now: time.now });
    breaker.acquire(target).failure(upstream.serverError());
    time.advance(10);
    const controller = new AbortController();
    const model = compose([circuitBreaker({ breaker })], scriptedTerminal([{ hang: true, ignoreSignal: true }]));
    void model.generate(request, { signal: controller.signal });
    await Promise.resolve();
    controller.abort(new SextantError('TIMEOUT', 'attempt', { context: { scope: 'attempt' } }));
    expect(breaker.state(target)).toBe('open');
  });
});
