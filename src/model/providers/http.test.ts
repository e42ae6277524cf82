import { Readable } from 'node:stream';
import { Agent, buildConnector } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFakeUpstream, type FakeUpstream } from '../../testing/index.js';
import { createOpenAICompatible } from './openai-compatible/provider.js';
import type { StreamEvent } from '../types.js';
import { postJson, readSse, streamSse, type SseDecoder, type SseEvent, type UpstreamResponse } from './http.js';

function body(...parts: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const part of parts) controller.enqueue(encoder.encode(part));
      controller.close();
    },
  });
}

async function events(stream: AsyncIterable<Uint8Array>): Promise<SseEvent[]> {
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

describe('readSse over a Node stream (what the undici transport hands it)', () => {
  it('reads events split across chunks', async () => {
    const stream = Readable.from([Buffer.from('data: {"a"'), Buffer.from(':1}\r\n\r\nevent: end\ndata: x\n\n')]);
    expect(await events(stream)).toEqual([
      { event: undefined, data: '{"a":1}' },
      { event: 'end', data: 'x' },
    ]);
  });

  it('destroys the stream when the consumer stops early', async () => {
    const stream = new Readable({
      read() {
        this.push(Buffer.from('data: more\n\n'));
      },
    });
    for await (const _ of readSse(stream)) break;
    expect(stream.destroyed).toBe(true);
  });
});

describe('the transport: a keep-alive pool per origin', () => {
  let upstream: FakeUpstream;
  beforeAll(async () => {
    upstream = await createFakeUpstream({});
  });
  afterAll(() => upstream.close());
  beforeEach(() => upstream.reset());
  const ask = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'Hi' }] };

  it('sends plain calls and whole streams over one reused connection', async () => {
    const provider = createOpenAICompatible({ baseURL: `${upstream.url}/v1` });
    // The pool marks a connection free just after the body ends: a turn of the event loop between calls lets the next one take it.
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    for (let i = 0; i < 3; i++) {
      await provider.generate(ask);
      await turn();
      for await (const _ of provider.stream(ask));
      await turn();
    }
    expect(upstream.requestCount).toBe(6);
    expect(upstream.connectionCount).toBe(1);
  });

  it('sends through the dispatcher it is given', async () => {
    let connects = 0;
    const connect = buildConnector({});
    const dispatcher = new Agent({
      connect: (options, callback) => {
        connects++;
        connect(options, callback);
      },
    });
    const provider = createOpenAICompatible({ baseURL: `${upstream.url}/v1`, dispatcher });
    await provider.generate(ask);
    await new Promise((resolve) => setImmediate(resolve));
    await provider.generate(ask);
    expect(connects).toBe(1);
    await dispatcher.close();
  });

  it('maps a refused connection to a retryable NETWORK_ERROR naming the socket error', async () => {
    const failure = postJson({ provider: 'local', url: new URL('http://127.0.0.1:1/v1/chat/completions'), headers: {}, body: {} });
    await expect(failure).rejects.toMatchObject({ code: 'NETWORK_ERROR', retryable: true, context: { provider: 'local', networkCode: 'ECONNREFUSED' } });
  });
});

describe('streamSse', () => {
  const info = { provider: 'p' };
  const response = (...parts: string[]) => ({ body: body(...parts) }) as unknown as UpstreamResponse;
  /** A decoder whose events are text deltas, ending on `[END]`; `done` after an event `stop`. */
  function decoder(): SseDecoder & { texts: string[] } {
    const texts: string[] = [];
    let stopped = false;
    return {
      texts,
      endMarker: '[END]',
      done: () => stopped,
      push(data, out) {
        if (data.startsWith('error:')) return { type: 'overloaded', message: data.slice(6) };
        if (data === 'stop') stopped = true;
        else out.push({ type: 'text-delta', delta: data });
        texts.push(data);
      },
      incomplete: (sawEnd) => (sawEnd || stopped ? undefined : 'cut'),
      finish: () => ({ finish: texts.join('|') }) as never,
    };
  }
  async function read(stream: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
    const out: StreamEvent[] = [];
    for await (const event of stream) out.push(event);
    return out;
  }

  it('yields the decoded events, then the finish event; after the end it reads on and drops the rest', async () => {
    const d = decoder();
    const events = await read(streamSse(response('data: a\n\ndata: b\n\ndata: [END]\n\ndata: late\n\n'), d, info));
    expect(events.map((e) => e.type)).toEqual(['text-delta', 'text-delta', 'finish']);
    expect(d.texts).toEqual(['a', 'b']);
    const stopped = decoder();
    await read(streamSse(response('data: a\n\ndata: stop\n\ndata: late\n\n'), stopped, info));
    expect(stopped.texts).toEqual(['a', 'stop']);
  });

  it('turns an error event or a body cut short into STREAM_INTERRUPTED, retryable only before any output', async () => {
    await expect(read(streamSse(response('data: error:busy\n\n'), decoder(), info))).rejects.toMatchObject({
      code: 'STREAM_INTERRUPTED',
      retryable: true,
      context: { upstreamType: 'overloaded', chunksReceived: 1 },
    });
    await expect(read(streamSse(response('data: a\n\n'), decoder(), info))).rejects.toMatchObject({
      code: 'STREAM_INTERRUPTED',
      message: expect.stringContaining('cut'),
      retryable: false,
    });
  });

  it('throws the abort reason when the signal fired and the body failed under it', async () => {
    const controller = new AbortController();
    async function* dying() {
      yield new TextEncoder().encode('data: a\n\n');
      controller.abort();
      throw new Error('socket closed');
    }
    const cut = { body: dying() } as unknown as UpstreamResponse;
    await expect(read(streamSse(cut, decoder(), info, controller.signal))).rejects.toMatchObject({ code: 'ABORTED', context: { provider: 'p' } });
  });
});
