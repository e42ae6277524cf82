import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { scriptedTerminal } from '../../test/support/pipeline-terminal.js';
import { createPipeline } from './create-pipeline.js';
import { NEVER_ABORTED } from './signals.js';

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
