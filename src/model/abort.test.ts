import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { SextantError } from '../errors.js';
import { abortError, sleep } from './abort.js';

describe('abortError', () => {
  it('returns a SextantError reason as it is (a timeout stays a TIMEOUT)', () => {
    const timeout = new SextantError('TIMEOUT', 'too slow');
    expect(abortError(AbortSignal.abort(timeout))).toBe(timeout);
  });

  it('turns any other reason into ABORTED naming what was aborted, with the reason as cause', () => {
    const reason = new Error('user left');
    const error = abortError(AbortSignal.abort(reason), { what: 'The call to openai', context: { provider: 'openai' } });
    expect(error).toMatchObject({ code: 'ABORTED', message: 'The call to openai was aborted', context: { provider: 'openai' } });
    expect(error.cause).toBe(reason);
  });
});

describe('sleep', () => {
  it('resolves after the delay and leaves no listener behind', async () => {
    const controller = new AbortController();
    await sleep(5, controller.signal);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('rejects at once when the signal fires, even for an endless wait', async () => {
    const controller = new AbortController();
    const waiting = sleep(Number.POSITIVE_INFINITY, controller.signal);
    controller.abort(new SextantError('TIMEOUT', 'deadline'));
    await expect(waiting).rejects.toMatchObject({ code: 'TIMEOUT' });
    await expect(sleep(1000, AbortSignal.abort())).rejects.toMatchObject({ code: 'ABORTED', message: 'The call was aborted' });
  });
});
