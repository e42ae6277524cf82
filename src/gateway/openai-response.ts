import type { EmbeddingResponse, FinishReason, ModelResponse, StreamEvent, Usage } from '../model/types.js';
import type { OpenAIErrorBody } from './http-errors.js';

/** OpenAI has no `error`/`other` finish reasons; both end the choice like a normal stop. */
function toFinishReason(reason: FinishReason): 'stop' | 'length' | 'tool_calls' | 'content_filter' {
  return reason === 'error' || reason === 'other' ? 'stop' : reason;
}

export function toOpenAIUsage(usage: Usage) {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.totalTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedInputTokens ?? 0 },
    completion_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
  };
}

const unixSeconds = () => Math.floor(Date.now() / 1000);

export function toChatCompletion(response: ModelResponse) {
  const { message } = response;
  const out: Record<string, unknown> = { role: 'assistant', content: message.content, refusal: null };
  if (message.toolCalls?.length) {
    out.tool_calls = message.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } }));
  }
  if (message.reasoning !== undefined) out.reasoning_content = message.reasoning;
  return {
    id: response.id,
    object: 'chat.completion',
    created: unixSeconds(),
    model: response.model,
    choices: [{ index: 0, message: out, logprobs: null, finish_reason: toFinishReason(response.finishReason) }],
    usage: toOpenAIUsage(response.usage),
  };
}

/** Float32 little-endian bytes, base64: what OpenAI returns for `encoding_format: "base64"` (its client's default). */
function toBase64(vector: number[]): string {
  const floats = new Float32Array(vector);
  return Buffer.from(floats.buffer, floats.byteOffset, floats.byteLength).toString('base64');
}

export function toEmbeddingList(response: EmbeddingResponse, encoding: 'float' | 'base64') {
  return {
    object: 'list',
    data: response.embeddings.map((vector, index) => ({ object: 'embedding', index, embedding: encoding === 'base64' ? toBase64(vector) : vector })),
    model: response.model,
    usage: { prompt_tokens: response.usage.inputTokens, total_tokens: response.usage.inputTokens },
  };
}

export const SSE_DONE = 'data: [DONE]\n\n';

export function sseFrame(data: unknown): string {
  return `data: ${JSON.stringify(data)}\n\n`;
}

/** An error after the stream began: OpenAI clients raise it from `data: {"error": ...}`. */
export function sseErrorFrame(body: OpenAIErrorBody): string {
  return sseFrame(body);
}

export interface ChunkEncoderOptions {
  /** Send the final usage chunk (`stream_options.include_usage`). */
  includeUsage: boolean;
  /** Fallbacks until the stream's `start` event names them. */
  id: string;
  model: string;
}

/**
 * Turns StreamEvents into `chat.completion.chunk` SSE frames. Stateful: it emits the role
 * chunk once, before the first content, whichever event comes first.
 */
export function createChunkEncoder(options: ChunkEncoderOptions) {
  let { id, model } = options;
  const created = unixSeconds();
  let started = false;
  const chunk = (delta: Record<string, unknown>, finishReason: string | null = null, extra: Record<string, unknown> = {}) => {
    const out: Record<string, unknown> = {
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      ...extra,
    };
    if (options.includeUsage) out.usage = null;
    return sseFrame(out);
  };
  const start = (frames: string[]) => {
    if (started) return;
    started = true;
    frames.push(chunk({ role: 'assistant', content: '' }));
  };

  return {
    /** Frames for one event. `trailer` holds the fields added to the finish chunk (Sextant's own stats). */
    encode(event: StreamEvent, trailer: Record<string, unknown> = {}): string[] {
      const frames: string[] = [];
      switch (event.type) {
        case 'start':
          id = event.id || id;
          model = event.model || model;
          start(frames);
          break;
        case 'text-delta':
          start(frames);
          frames.push(chunk({ content: event.delta }));
          break;
        case 'reasoning-delta':
          start(frames);
          frames.push(chunk({ reasoning_content: event.delta }));
          break;
        case 'tool-call-start':
          start(frames);
          frames.push(chunk({ tool_calls: [{ index: event.index, id: event.id, type: 'function', function: { name: event.name, arguments: '' } }] }));
          break;
        case 'tool-call-delta':
          start(frames);
          frames.push(chunk({ tool_calls: [{ index: event.index, function: { arguments: event.argumentsDelta } }] }));
          break;
        case 'finish': {
          start(frames);
          frames.push(chunk({}, toFinishReason(event.response.finishReason), trailer));
          if (options.includeUsage) {
            frames.push(sseFrame({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: toOpenAIUsage(event.response.usage) }));
          }
          break;
        }
      }
      return frames;
    },
  };
}
