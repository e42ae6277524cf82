import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { scriptedTerminal } from '../../test/support/pipeline-terminal.js';
import { createPipeline } from './create-pipeline.js';
import { SextantError } from '../errors.js';
import { Deadline, NEVER_ABORTED } from './signals.js';

describe('calls made without a signal', () => {
  it('share one signal that never aborts and collects no listeners', async () => {
    const terminal = scriptedTerminal(Array.from({ length: 50 }, () => ({ text: 'ok' })));
    // Timeouts off: the shared signal itself reaches the terminal, as it would reach fetch.
    const pipeline = createPipeline({ terminal, timeouts: false });
    for (let i = 0; i < 50; i++) await pipeline.generate({ model: 'fake:m', messages: [{ role: 'user', content: 'hi' }] });
    expect(terminal.calls.every((c) => c.signal === NEVER_ABORTED)).toBe(true);
    NEVER_ABORTED.addEventListener('abort', () => undefined);
    expect(getEventListeners(NEVER_ABORTED, 'abort')).toHaveLength(0);
    expect(NEVER_ABORTED.aborted).toBe(false);
  });

  it('still get timeouts that abort what they pass down', async () => {
    const terminal = scriptedTerminal([{ hang: true }]);
    const pipeline = createPipeline({ terminal, retry: false, timeouts: { attemptMs: 20 } });
    await expect(pipeline.generate({ model: 'fake:m', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(terminal.calls[0].signal.aborted).toBe(true);
  });
});

describe('nested deadlines', () => {
  const expired = () => new SextantError('TIMEOUT', 'outer expired');

  it('link to the parent deadline handed to them, without a listener on its signal, and fire with it', async () => {
    const outer = new Deadline(new AbortController().signal);
    const inner = new Deadline(outer.signal, outer);
    expect(getEventListeners(outer.signal, 'abort')).toHaveLength(0);
    const pending = inner.race(new Promise(() => undefined));
    outer.arm(5, expired);
    await expect(pending).rejects.toMatchObject({ code: 'TIMEOUT', message: 'outer expired' });
    expect(inner.signal.aborted).toBe(true);
    inner.dispose();
    outer.dispose();
  });

  it('stop hearing from the parent once disposed', () => {
    const controller = new AbortController();
    const outer = new Deadline(controller.signal);
    const inner = new Deadline(outer.signal, outer);
    inner.dispose();
    controller.abort(expired());
    expect(outer.signal.aborted).toBe(true);
    expect(inner.signal.aborted).toBe(false);
  });

  it('listen on the signal when the deadline handed over is not the one that made it', () => {
    const unrelated = new Deadline(new AbortController().signal);
    const controller = new AbortController();
    const inner = new Deadline(controller.signal, unrelated);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort(expired());
    expect(inner.signal.reason).toMatchObject({ code: 'TIMEOUT' });
    inner.dispose();
    unrelated.dispose();
  });
});
