/**
 * A real HTTP server on 127.0.0.1 that speaks the OpenAI and Anthropic wire formats exactly,
 * for tests and benchmarks: scripted replies, latency, time to first token, and every fault a
 * real upstream produces (429 + Retry-After, quota, 5xx, 529, hangs, malformed JSON, cut streams).
 *
 *   const upstream = await createFakeUpstream({ script: [{ text: 'Hi!' }] });
 *   // OpenAI-compatible clients: baseURL `${upstream.url}/v1`; Anthropic clients: baseURL upstream.url
 *   await upstream.close();
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { anthropicError, anthropicErrorType, anthropicMessage, anthropicStreamFrames } from './fake-anthropic.js';
import { openaiCompletion, openaiEmbeddings, openaiError, openaiModels, openaiStreamFrames } from './fake-openai.js';
import { isFault, lastUserText, type FakeApi, type FakeFault, type FakeReply, type FakeRequest, type FakeResponse } from './fake-reply.js';

export interface FakeUpstreamOptions {
  /** Default 0: a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Answers consumed in order, one per chat/messages request, before `respond` is asked. */
  script?: FakeResponse[];
  /** Answer as a function of the request; returning undefined falls back to the echo reply. */
  respond?: (request: FakeRequest) => FakeResponse | undefined;
  /** Delay before the response headers, in ms. Default 0 (no timer at all). */
  latencyMs?: number;
  /** For streams: delay between the headers and the first chunk, in ms. */
  timeToFirstTokenMs?: number;
  /** For streams: delay between chunks, in ms. */
  chunkDelayMs?: number;
  /** What GET /v1/models lists. */
  models?: string[];
  /** Embedding size when the request sets none. Default 64. */
  embeddingDimensions?: number;
  /** When set, requests without this key (Bearer, api-key or x-api-key) get a 401. */
  apiKey?: string;
  /** Keep every request in `requests`. Default true; turn off for long benchmarks. */
  record?: boolean;
}

export interface FakeUpstream {
  /** `http://127.0.0.1:<port>`, without a path: OpenAI clients use `${url}/v1`, Anthropic clients `url`. */
  readonly url: string;
  /** Requests received, in order (when recording). */
  readonly requests: FakeRequest[];
  /** Requests whose client closed the connection before the answer was complete (timeouts, aborts). */
  readonly clientClosedCount: number;
  /** Requests answered or in progress. */
  readonly requestCount: number;
  /** TCP connections accepted: fewer than requests when clients keep connections alive. */
  readonly connectionCount: number;
  /** Appends answers to the script. */
  enqueue(...responses: FakeResponse[]): void;
  /** Empties the script, the recorded requests and the counters. */
  reset(): void;
  close(): Promise<void>;
}

const ROUTES: Record<string, FakeApi> = {
  'POST /v1/chat/completions': 'openai-chat',
  'POST /v1/embeddings': 'openai-embeddings',
  'GET /v1/models': 'openai-models',
  'POST /v1/messages': 'anthropic-messages',
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Responses the fake itself cut (faults), so they are not counted as closed by the client. */
const cutByServer = new WeakSet<ServerResponse>();

function cut(res: ServerResponse): void {
  cutByServer.add(res);
  res.destroy();
}

/** Resolves once the frame is handed to the kernel, so a cut right after it still delivers it. */
const flushed = (res: ServerResponse, data: string) => new Promise<void>((resolve) => res.write(data, () => resolve()));

export async function createFakeUpstream(options: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
  const script: FakeResponse[] = [...(options.script ?? [])];
  const requests: FakeRequest[] = [];
  const record = options.record ?? true;
  let clientClosedCount = 0;
  let requestCount = 0;
  let connectionCount = 0;

  function nextResponse(request: FakeRequest): FakeResponse {
    return script.shift() ?? options.respond?.(request) ?? { text: `Echo: ${lastUserText(request.body)}` };
  }

  function authorized(req: IncomingMessage): boolean {
    if (!options.apiKey) return true;
    const bearer = req.headers.authorization?.replace(/^Bearer\s+/i, '');
    return [bearer, req.headers['api-key'], req.headers['x-api-key']].includes(options.apiKey);
  }

  async function handle(req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    const api = ROUTES[`${req.method} ${path}`];
    const anthropic = api === 'anthropic-messages';
    const sendJson = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      if (res.destroyed) return;
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
      res.end(text);
    };
    const sendError = (status: number, message: string, openaiType: string, openaiCode: string | null, headers?: Record<string, string>) =>
      sendJson(status, anthropic ? anthropicError(anthropicErrorType(status), message) : openaiError(message, openaiType, openaiCode), headers);

    if (!api) return sendError(404, `Unknown route ${req.method} ${path}`, 'invalid_request_error', 'not_found');
    let body: any;
    if (req.method === 'POST') {
      try {
        body = JSON.parse(raw);
      } catch {
        return sendError(400, 'The request body is not valid JSON', 'invalid_request_error', null);
      }
    }
    const request: FakeRequest = { api, method: req.method ?? 'GET', path, headers: req.headers, body, stream: body?.stream === true };
    if (record) requests.push(request);
    if (!authorized(req)) return sendError(401, 'Incorrect API key provided', 'invalid_request_error', 'invalid_api_key');
    if (api === 'openai-models') return sendJson(200, openaiModels(options.models ?? ['fake-model']));
    if (api === 'openai-embeddings') return sendJson(200, openaiEmbeddings(body, options.embeddingDimensions ?? 64));
    if (anthropic && typeof body?.max_tokens !== 'number') {
      return sendError(400, 'max_tokens: Field required', 'invalid_request_error', null);
    }

    const answer = nextResponse(request);
    const reply: FakeReply = isFault(answer) ? {} : answer;
    const latency = reply.latencyMs ?? options.latencyMs ?? 0;
    if (!(isFault(answer) && answer.fault === 'hang') && latency > 0) await sleep(latency);
    if (res.destroyed) return;
    if (isFault(answer)) return sendFault(answer, request, res, sendError);

    if (!request.stream) return sendJson(200, anthropic ? anthropicMessage(reply, body) : openaiCompletion(reply, body));
    const frames = anthropic ? anthropicStreamFrames(reply, body) : openaiStreamFrames(reply, body);
    await writeFrames(res, frames, {
      timeToFirstTokenMs: reply.timeToFirstTokenMs ?? options.timeToFirstTokenMs ?? 0,
      chunkDelayMs: reply.chunkDelayMs ?? options.chunkDelayMs ?? 0,
    });
  }

  const server = createServer((req, res) => {
    requestCount++;
    res.on('close', () => {
      if (!res.writableFinished && !cutByServer.has(res)) clientClosedCount++;
    });
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => {
      handle(req, res, Buffer.concat(parts).toString('utf8')).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify(openaiError(`fake upstream failure: ${String(error)}`, 'server_error', null)));
      });
    });
  });
  server.on('connection', () => connectionCount++);
  server.keepAliveTimeout = 60_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;

  return {
    url: `http://${address.address}:${address.port}`,
    requests,
    get clientClosedCount() {
      return clientClosedCount;
    },
    get requestCount() {
      return requestCount;
    },
    get connectionCount() {
      return connectionCount;
    },
    enqueue: (...responses) => void script.push(...responses),
    reset() {
      script.length = 0;
      requests.length = 0;
      clientClosedCount = 0;
      requestCount = 0;
      connectionCount = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function writeFrames(res: ServerResponse, frames: string[], timing: { timeToFirstTokenMs: number; chunkDelayMs: number }, cutAfter?: number) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  // Headers go out now, so a client sees the time to first token as the gap to the first chunk.
  res.flushHeaders();
  for (let i = 0; i < frames.length; i++) {
    const delay = i === 0 ? timing.timeToFirstTokenMs : timing.chunkDelayMs;
    if (delay > 0) await sleep(delay);
    if (res.destroyed) return;
    if (cutAfter === undefined) {
      res.write(frames[i]);
      continue;
    }
    if (i >= cutAfter) return cut(res);
    await flushed(res, frames[i]);
  }
  res.end();
}

function sendFault(
  fault: FakeFault,
  request: FakeRequest,
  res: ServerResponse,
  sendError: (status: number, message: string, type: string, code: string | null, headers?: Record<string, string>) => void,
): void | Promise<void> {
  const anthropic = request.api === 'anthropic-messages';
  switch (fault.fault) {
    case 'rate-limit': {
      const headers: Record<string, string> = {};
      if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
      if (fault.retryAfterDate !== undefined) headers['retry-after'] = fault.retryAfterDate.toUTCString();
      if (fault.retryAfterMs !== undefined) headers['retry-after-ms'] = String(fault.retryAfterMs);
      return sendError(429, 'Rate limit reached for requests', 'requests', 'rate_limit_exceeded', headers);
    }
    case 'quota':
      return anthropic
        ? sendError(402, 'Your credit balance is too low to access the Anthropic API.', 'billing_error', null)
        : sendError(429, 'You exceeded your current quota, please check your plan and billing details.', 'insufficient_quota', 'insufficient_quota');
    case 'status': {
      const message = fault.message ?? (fault.status === 529 ? 'Overloaded' : 'The server had an error while processing your request.');
      const headers: Record<string, string> = fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) };
      return sendError(fault.status, message, 'server_error', null, headers);
    }
    case 'hang':
      return; // The response stays open until the client closes it or the server shuts down.
    case 'malformed-json': {
      if (request.stream) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const prefix = anthropic ? 'event: message_start\n' : '';
        res.end(`${prefix}data: {"id": "broken", "choices": [\n\n`);
        return;
      }
      const text = '{"id": "chatcmpl_broken", "choices": [{"message": ';
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    case 'cut-stream': {
      const reply: FakeReply = { text: 'This answer is cut off before it can finish, because the connection drops.' };
      if (request.stream) {
        const frames = anthropic ? anthropicStreamFrames(reply, request.body) : openaiStreamFrames(reply, request.body);
        return writeFrames(res, frames, { timeToFirstTokenMs: 0, chunkDelayMs: 0 }, fault.afterChunks);
      }
      const text = JSON.stringify(anthropic ? anthropicMessage(reply, request.body) : openaiCompletion(reply, request.body));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      return flushed(res, text.slice(0, Math.floor(text.length / 2))).then(() => cut(res));
    }
    case 'reset':
      cutByServer.add(res);
      res.socket?.destroy();
      return;
  }
}
