/**
 * The normalized model layer. Every provider maps its wire format onto these types and
 * every middleware, the agent runtime and the gateway speak only these.
 */

export type JsonSchema = Record<string, unknown>;

export type TextPart = { type: 'text'; text: string };
export type ImagePart = { type: 'image'; url: string; detail?: 'auto' | 'low' | 'high' };
export type ContentPart = TextPart | ImagePart;

/** A tool call as the model emitted it. `arguments` is the raw JSON text: it may be malformed. */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

export interface SystemMessage {
  role: 'system';
  content: string;
}
export interface UserMessage {
  role: 'user';
  content: string | ContentPart[];
  name?: string;
}
export interface AssistantMessage {
  role: 'assistant';
  content: string | null;
  toolCalls?: ToolCall[];
  /** Reasoning text, when the provider returns it. */
  reasoning?: string;
}
export interface ToolMessage {
  role: 'tool';
  toolCallId: string;
  content: string;
  /** The tool's name; needed by providers that key results by name. */
  name?: string;
  isError?: boolean;
}
export type Message = SystemMessage | UserMessage | AssistantMessage | ToolMessage;

export interface ToolSpec {
  name: string;
  description?: string;
  /** JSON Schema of the tool's input object. */
  parameters: JsonSchema;
  strict?: boolean;
}

export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

export type ResponseFormat =
  { type: 'text' } | { type: 'json' } | { type: 'json_schema'; name: string; schema: JsonSchema; strict?: boolean; description?: string };

/** Who and what a call belongs to. Used for tenancy, budgets, tracing and cache partitions. */
export interface RequestMetadata {
  tenant?: string;
  user?: string;
  session?: string;
  run?: string;
  /** Id of the virtual API key the call was made with (never the key itself). */
  keyId?: string;
  agent?: string;
  tags?: string[];
}

export interface ModelRequest {
  /** A model string: `provider:model` (e.g. `openai:gpt-4o-mini`) or a gateway alias. */
  model: string;
  messages: Message[];
  tools?: ToolSpec[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
  responseFormat?: ResponseFormat;
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  stop?: string[];
  seed?: number;
  metadata?: RequestMetadata;
  /** Passed through to the provider untouched (e.g. `{ openai: { logprobs: true } }`). */
  providerOptions?: Record<string, Record<string, unknown>>;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'error' | 'other';

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  /** Input tokens served from the provider's prompt cache (a subset of inputTokens). */
  cachedInputTokens?: number;
  /** Input tokens written to the provider's prompt cache (Anthropic). */
  cacheWriteTokens?: number;
  /** Output tokens spent on reasoning (a subset of outputTokens). */
  reasoningTokens?: number;
  /** True when counted locally with a tokenizer because the upstream sent no usage. */
  estimated?: boolean;
}

export type CacheStatus = 'hit' | 'semantic-hit' | 'miss' | 'bypass' | 'refresh';

/** What the pipeline learned while serving a call. Filled by middleware, read by fronts. */
export interface ResponseMeta {
  /** The provider that answered (`openai`, `anthropic`, ...). */
  provider?: string;
  /** The concrete target that answered, e.g. `openai:gpt-4o-mini` (after fallbacks and routing). */
  target?: string;
  cache?: CacheStatus;
  /** Attempts made, including the first (retries and fallbacks). */
  attempts?: number;
  latencyMs?: number;
  timeToFirstTokenMs?: number;
  /** Money a cache hit saved, in USD. */
  savedUsd?: number;
  [key: string]: unknown;
}

export interface Cost {
  inputUsd: number;
  outputUsd: number;
  totalUsd: number;
  /** True when the model had no price in the table; totals are then 0 and must not be trusted. */
  unpriced?: boolean;
}

export interface ModelResponse {
  id: string;
  /** The model the upstream reports having used. */
  model: string;
  message: AssistantMessage;
  finishReason: FinishReason;
  usage: Usage;
  cost?: Cost;
  meta: ResponseMeta;
}

/**
 * Streaming events. A stream always ends with exactly one `finish` event that carries the
 * whole assembled response, so middleware after the stream (cache store, budget settle,
 * tracing) sees the same thing as in the non-streaming case.
 */
export type StreamEvent =
  | { type: 'start'; id: string; model: string }
  | { type: 'text-delta'; delta: string }
  | { type: 'reasoning-delta'; delta: string }
  | { type: 'tool-call-start'; index: number; id: string; name: string }
  | { type: 'tool-call-delta'; index: number; argumentsDelta: string }
  | { type: 'finish'; response: ModelResponse };

export interface EmbeddingRequest {
  model: string;
  input: string[];
  dimensions?: number;
  metadata?: RequestMetadata;
}

export interface EmbeddingResponse {
  model: string;
  embeddings: number[][];
  usage: { inputTokens: number };
  cost?: Cost;
  meta: ResponseMeta;
}

export function emptyUsage(): Usage {
  return { inputTokens: 0, outputTokens: 0, totalTokens: 0 };
}

export function addUsage(a: Usage, b: Usage): Usage {
  const sum = (x?: number, y?: number) => (x === undefined && y === undefined ? undefined : (x ?? 0) + (y ?? 0));
  const out: Usage = {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    totalTokens: a.totalTokens + b.totalTokens,
  };
  const cached = sum(a.cachedInputTokens, b.cachedInputTokens);
  if (cached !== undefined) out.cachedInputTokens = cached;
  const write = sum(a.cacheWriteTokens, b.cacheWriteTokens);
  if (write !== undefined) out.cacheWriteTokens = write;
  const reasoning = sum(a.reasoningTokens, b.reasoningTokens);
  if (reasoning !== undefined) out.reasoningTokens = reasoning;
  if (a.estimated || b.estimated) out.estimated = true;
  return out;
}

/** The text of a message's content, parts joined. */
export function textOf(content: string | ContentPart[] | null): string {
  if (content === null) return '';
  if (typeof content === 'string') return content;
  return content.map((p) => (p.type === 'text' ? p.text : '')).join('');
}
