import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dot } from './embedder.js';
import { createOpenAIEmbedder } from './openai-embedder.js';

let server: Server;
let baseUrl: string;
const seen: any[] = [];

beforeAll(async () => {
  // A real HTTP server speaking the OpenAI embeddings format: a vector from each text's letters.
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const json = JSON.parse(body);
      seen.push({ auth: req.headers.authorization, ...json });
      if (json.model === 'broken') {
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"message":"boom"}}');
        return;
      }
      const dims = json.model === 'wrong-dims' ? 3 : 4;
      const data = (json.input as string[]).map((text, index) => ({
        object: 'embedding',
        index,
        embedding: Array.from({ length: dims }, (_, i) => [...text].filter((ch) => ch.charCodeAt(0) % dims === i).length + 0.5),
      }));
      // Out of order on purpose: clients must sort by index.
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ object: 'list', data: data.reverse(), model: json.model, usage: { prompt_tokens: 1, total_tokens: 1 } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('OpenAI-compatible embedder', () => {
  it('embeds in batches, in input order, as unit vectors, with the API key', async () => {
    const embedder = createOpenAIEmbedder({ baseUrl, model: 'm', dimensions: 4, apiKey: 'sk-test', batchSize: 2 });
    const texts = ['alpha', 'beta', 'gamma', 'alpha'];
    const vectors = await embedder.embed(texts);
    expect(vectors).toHaveLength(4);
    expect(dot(vectors[0], vectors[0])).toBeCloseTo(1, 5);
    expect(dot(vectors[0], vectors[3])).toBeCloseTo(1, 5);
    expect(dot(vectors[0], vectors[1])).toBeLessThan(0.9999);
    expect(seen.filter((s) => s.model === 'm')).toHaveLength(2);
    expect(seen[0].auth).toBe('Bearer sk-test');
  });

  it('turns upstream errors and malformed answers into typed errors', async () => {
    await expect(createOpenAIEmbedder({ baseUrl, model: 'broken', dimensions: 4 }).embed(['x'])).rejects.toMatchObject({ code: 'UPSTREAM_ERROR', status: 500 });
    await expect(createOpenAIEmbedder({ baseUrl, model: 'wrong-dims', dimensions: 4 }).embed(['x'])).rejects.toMatchObject({ code: 'UPSTREAM_BAD_RESPONSE' });
    await expect(createOpenAIEmbedder({ baseUrl: 'http://127.0.0.1:1/v1', model: 'm', dimensions: 4 }).embed(['x'])).rejects.toMatchObject({
      code: 'NETWORK_ERROR',
    });
  });
});
