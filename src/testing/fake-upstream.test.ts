import { afterEach, describe, expect, it } from 'vitest';
import { createFakeUpstream, type FakeUpstream } from './index.js';

let upstream: FakeUpstream | undefined;
afterEach(() => upstream?.close());

const chat = (url: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe('createFakeUpstream', () => {
  it('answers from the script first, then from respond(), then echoes', async () => {
    upstream = await createFakeUpstream({
      script: [{ text: 'scripted' }],
      respond: (request) => (request.body.messages[0].content === 'ask fn' ? { text: 'from function' } : undefined),
    });
    const texts = [];
    for (const content of ['a', 'ask fn', 'echo me']) {
      const response = await chat(upstream.url, { model: 'm', messages: [{ role: 'user', content }] });
      texts.push(((await response.json()) as { choices: { message: { content: string } }[] }).choices[0].message.content);
    }
    expect(texts).toEqual(['scripted', 'from function', 'Echo: echo me']);
    expect(upstream.requests.map((r) => r.body.messages[0].content)).toEqual(['a', 'ask fn', 'echo me']);
  });

  it('records nothing when asked not to, but still counts', async () => {
    upstream = await createFakeUpstream({ record: false });
    await (await chat(upstream.url, { model: 'm', messages: [] })).json();
    expect(upstream.requests).toHaveLength(0);
    expect(upstream.requestCount).toBe(1);
  });

  it('streams OpenAI chunks as `data:` frames ending with [DONE], usage only when asked', async () => {
    upstream = await createFakeUpstream({ script: [{ text: 'a b' }, { text: 'a b' }] });
    const plain = await (await chat(upstream.url, { model: 'm', messages: [], stream: true })).text();
    const withUsage = await (await chat(upstream.url, { model: 'm', messages: [], stream: true, stream_options: { include_usage: true } })).text();
    for (const text of [plain, withUsage]) {
      expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
      expect(
        text
          .split('\n\n')
          .filter(Boolean)
          .every((frame) => frame.startsWith('data: ')),
      ).toBe(true);
    }
    expect(plain).not.toContain('"usage"');
    const frames = withUsage.split('\n\n').filter((f) => f.startsWith('data: {'));
    expect(JSON.parse(frames.at(-1)!.slice(6))).toMatchObject({ choices: [], usage: { prompt_tokens: expect.any(Number) } });
  });

  it('answers unknown routes and bad JSON like the real API, and enforces its key', async () => {
    upstream = await createFakeUpstream({ apiKey: 'k' });
    const missing = await fetch(`${upstream.url}/v1/nothing`, { method: 'POST', body: '{}' });
    expect(missing.status).toBe(404);
    const bad = await fetch(`${upstream.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: 'Bearer k' }, body: '{oops' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
    expect((await chat(upstream.url, { model: 'm', messages: [] })).status).toBe(401);
    expect((await chat(upstream.url, { model: 'm', messages: [] }, { authorization: 'Bearer k' })).status).toBe(200);
  });

  it('reset() empties the script, the records and the counters', async () => {
    upstream = await createFakeUpstream({ script: [{ fault: 'status', status: 500 }] });
    await (await chat(upstream.url, { model: 'm', messages: [] })).text();
    upstream.enqueue({ fault: 'status', status: 500 });
    upstream.reset();
    expect(upstream.requests).toHaveLength(0);
    expect(upstream.requestCount).toBe(0);
    expect((await chat(upstream.url, { model: 'm', messages: [] })).status).toBe(200);
  });
});
