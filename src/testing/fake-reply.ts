/**
 * What a fake upstream answers with: scripted replies and faults, in normalized terms. The
 * wire writers (fake-openai.ts, fake-anthropic.ts) turn a reply into each API's exact format.
 */
import type { IncomingHttpHeaders } from 'node:http';

export interface FakeToolCall {
  /** Generated when absent. */
  id?: string;
  name: string;
  /** A string is sent as is (so a test can send malformed JSON); an object is JSON-encoded. */
  arguments: string | Record<string, unknown>;
}

/** Token counts to report, in Sextant's terms: `inputTokens` includes cached reads and cache writes. */
export interface FakeUsage {
  inputTokens?: number;
  outputTokens?: number;
  cachedInputTokens?: number;
  cacheWriteTokens?: number;
  reasoningTokens?: number;
}

export interface FakeReply {
  text?: string;
  reasoning?: string;
  toolCalls?: FakeToolCall[];
  /** Counts to report; estimated from the text when absent; `false` sends no usage at all (OpenAI only). */
  usage?: FakeUsage | false;
  /** Normalized reason; default `tool_calls` when there are tool calls, else `stop`. */
  finishReason?: 'stop' | 'length' | 'tool_calls' | 'content_filter';
  /** The model the reply claims; default the requested one. */
  model?: string;
  /** Per-reply timing, overriding the upstream's options. */
  latencyMs?: number;
  timeToFirstTokenMs?: number;
  chunkDelayMs?: number;
}

export type FakeFault =
  /** 429 with `Retry-After` in seconds, or as an HTTP date, and/or `retry-after-ms`. */
  | { fault: 'rate-limit'; retryAfterSeconds?: number; retryAfterDate?: Date; retryAfterMs?: number }
  /** OpenAI: 429 `insufficient_quota`; Anthropic: 402 `billing_error`. */
  | { fault: 'quota' }
  /** Any error status in the API's error format: 500, 503, 529 (Anthropic overloaded)... */
  | { fault: 'status'; status: number; message?: string; retryAfterSeconds?: number }
  /** Accepts the request and never answers (until the client gives up). */
  | { fault: 'hang' }
  /** 200 with a body that is not JSON (for a stream: a chunk that is not JSON). */
  | { fault: 'malformed-json' }
  /** Sends the headers and `afterChunks` chunks (or part of the body), then destroys the socket. */
  | { fault: 'cut-stream'; afterChunks: number }
  /** Destroys the socket without answering: a connection failure for the client. */
  | { fault: 'reset' };

export type FakeResponse = FakeReply | FakeFault;

export type FakeApi = 'openai-chat' | 'openai-embeddings' | 'openai-models' | 'anthropic-messages';

/** A request the fake upstream received. */
export interface FakeRequest {
  api: FakeApi;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body (undefined for GET). */
  body: any;
  stream: boolean;
}

export function isFault(response: FakeResponse): response is FakeFault {
  return 'fault' in response;
}

export function argumentsText(call: FakeToolCall): string {
  return typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments);
}

/** Word-sized pieces, like a real tokenizer-driven stream: "Hello there" → ["Hello ", "there"]. */
export function textPieces(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

/** Tool arguments split in three uneven pieces, so clients must really concatenate deltas. */
export function argumentPieces(args: string): string[] {
  if (args.length < 3) return args ? [args] : [];
  const a = Math.max(1, Math.floor(args.length / 3));
  const b = Math.max(a + 1, Math.floor((2 * args.length) / 3));
  return [args.slice(0, a), args.slice(a, b), args.slice(b)];
}

/** Counts to report: the scripted ones, else about four characters per token. */
export function usageFor(reply: FakeReply, requestBody: unknown): Required<FakeUsage> {
  const given = reply.usage || {};
  const out = (reply.text ?? '') + (reply.reasoning ?? '') + (reply.toolCalls ?? []).map(argumentsText).join('');
  const inputTokens = given.inputTokens ?? Math.max(1, Math.ceil(JSON.stringify((requestBody as { messages?: unknown })?.messages ?? '').length / 4));
  const outputTokens = given.outputTokens ?? Math.max(1, Math.ceil(out.length / 4));
  return {
    inputTokens,
    outputTokens,
    cachedInputTokens: given.cachedInputTokens ?? 0,
    cacheWriteTokens: given.cacheWriteTokens ?? 0,
    reasoningTokens: given.reasoningTokens ?? 0,
  };
}

let ids = 0;
export function fakeId(prefix: string): string {
  ids = (ids + 1) % Number.MAX_SAFE_INTEGER;
  return `${prefix}_fake${ids.toString(36).padStart(6, '0')}`;
}

/** The last user message's text, for the default echo reply. */
export function lastUserText(body: any): string {
  const messages: any[] = Array.isArray(body?.messages) ? body.messages : [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m?.role !== 'user') continue;
    if (typeof m.content === 'string') return m.content;
    if (Array.isArray(m.content))
      return m.content
        .filter((p: any) => p?.type === 'text')
        .map((p: any) => p.text)
        .join('');
  }
  return '';
}

/**
 * A deterministic embedding: hashed bag of words, L2-normalized. Texts sharing words get a
 * high cosine similarity, so semantic-cache tests behave like they would with a real model.
 */
export function fakeEmbedding(text: string, dimensions: number): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  for (const word of words) {
    let hash = 2166136261;
    for (let i = 0; i < word.length; i++) hash = Math.imul(hash ^ word.charCodeAt(i), 16777619);
    vector[(hash >>> 0) % dimensions] += hash & 0x80000000 ? -1 : 1;
  }
  const norm = Math.hypot(...vector);
  if (norm === 0) {
    vector[0] = 1;
    return vector;
  }
  return vector.map((v) => v / norm);
}
