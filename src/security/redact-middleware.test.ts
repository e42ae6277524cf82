import { describe, expect, it } from 'vitest';
import { scriptedTerminal } from '../../test/support/pipeline-terminal.js';
import type { ModelRequest, StreamEvent } from '../model/types.js';
import { compose, type Terminal } from '../pipeline/middleware.js';
import { redactMiddleware } from './redact-middleware.js';

/** A terminal that records the request it received. */
function recording(terminal: Terminal): Terminal & { seen: ModelRequest[] } {
  const seen: ModelRequest[] = [];
  return {
    seen,
    generate: (request, context) => (seen.push(request), terminal.generate(request, context)),
    stream: (request, context) => (seen.push(request), terminal.stream(request, context)),
    embed: terminal.embed,
  };
}

describe('redactMiddleware', () => {
  it('passes a request without PII on as the same object, and marks none redacted', async () => {
    const terminal = recording(scriptedTerminal([{ text: 'Sure.' }, { text: 'Sure, again.' }]));
    const model = compose([redactMiddleware()], terminal);
    const request: ModelRequest = {
      model: 'fake:m',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Order #4411 is late.' },
      ],
    };
    const response = await model.generate(request);
    expect(terminal.seen[0]).toBe(request);
    expect(response.meta.piiRedacted).toBe(0);
    const events: StreamEvent[] = [];
    for await (const event of model.stream(request)) events.push(event);
    expect(terminal.seen[1]).toBe(request);
    expect(events.at(-1)).toMatchObject({ type: 'finish', response: { message: { content: 'Sure, again.' }, meta: { piiRedacted: 0 } } });
  });

  it('replaces PII in the messages that hold it only, and restores it in the answer', async () => {
    const terminal = recording(scriptedTerminal([{ text: 'I wrote to [EMAIL_1].' }]));
    const model = compose([redactMiddleware()], terminal);
    const system = { role: 'system' as const, content: 'Be brief.' };
    const response = await model.generate({ model: 'fake:m', messages: [system, { role: 'user', content: 'Mail ada@example.com please' }] });
    expect(terminal.seen[0].messages[0]).toBe(system);
    expect(terminal.seen[0].messages[1]).toEqual({ role: 'user', content: 'Mail [EMAIL_1] please' });
    expect(response.message.content).toBe('I wrote to ada@example.com.');
    expect(response.meta.piiRedacted).toBe(1);
  });
});
