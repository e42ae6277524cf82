import { describe, expect, it } from 'vitest';
import { readSse, type SseEvent } from './http.js';

function body(...parts: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const part of parts) controller.enqueue(encoder.encode(part));
      controller.close();
    },
  });
}

async function events(stream: ReadableStream<Uint8Array>): Promise<SseEvent[]> {
  const out: SseEvent[] = [];
  for await (const event of readSse(stream)) out.push(event);
  return out;
}

describe('readSse', () => {
  it('reads events split anywhere across reads, with CRLF, names, comments and multi-line data', async () => {
    const parsed = await events(body('data: {"a"', ':1}\r\n\r\n: keep-alive\n\nevent: ping\ndata: x\n', 'data: y\n\ndata:[DONE]\n\n'));
    expect(parsed).toEqual([
      { event: undefined, data: '{"a":1}' },
      { event: 'ping', data: 'x\ny' },
      { event: undefined, data: '[DONE]' },
    ]);
  });

  it('drops an event cut off by the end of the body', async () => {
    expect(await events(body('data: one\n\ndata: tw'))).toEqual([{ event: undefined, data: 'one' }]);
  });

  it('keeps multi-byte characters split across reads', async () => {
    const bytes = new TextEncoder().encode('data: héllo ✓\n\n');
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, 8));
        controller.enqueue(bytes.slice(8));
        controller.close();
      },
    });
    expect(await events(stream)).toEqual([{ event: undefined, data: 'héllo ✓' }]);
  });

  it('cancels the body when the consumer stops early', async () => {
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode('data: more\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const _ of readSse(stream)) break;
    expect(cancelled).toBe(true);
  });
});
