import { SextantError, type ErrorCode } from '../../../errors.js';
import { abortError, sleep } from '../../abort.js';
import type { Provider, ProviderCallOptions } from '../../provider.js';
import type { Cost, FinishReason, ModelRequest, ModelResponse, StreamEvent, ToolCall, Usage } from '../../types.js';

/** One tool call a scripted reply makes. `arguments` as an object is serialized; a string is sent as is (malformed JSON on purpose). */
export interface ScriptedToolCall {
  name: string;
  arguments?: Record<string, unknown> | string;
  id?: string;
}

/** What the scripted model answers to one call. */
export interface ScriptedReply {
  text?: string;
  toolCalls?: ScriptedToolCall[];
  reasoning?: string;
  /** Usage to report; missing fields are estimated at 4 characters per token. */
  usage?: Partial<Usage>;
  finishReason?: FinishReason;
  /** Wait before answering (before the first stream event); an abort cuts it short. */
  delayMs?: number;
  /** Never answer: the call only ends when its signal is aborted. */
  hang?: boolean;
  /** Fail the call with this error (a SextantError is thrown as is). */
  error?: SextantError | { code: ErrorCode; message: string; status?: number; retryable?: boolean; retryAfterMs?: number };
}

export type ScriptedReplies = ScriptedReply[] | ((request: ModelRequest, index: number) => ScriptedReply | Promise<ScriptedReply>);

export interface ScriptedModelOptions {
  replies: ScriptedReplies;
  /** Provider name in model strings (`scripted:any`). Default `scripted`. */
  name?: string;
  /** Prices the replies (USD per million tokens) so cost limits can be exercised without a price table. */
  pricing?: { inputUsdPerMillion: number; outputUsdPerMillion: number };
  /** Characters per text-delta when streaming. Default 8. */
  chunkSize?: number;
}

/** A Provider that answers from a script, and remembers every request it was sent. */
export interface ScriptedProvider extends Provider {
  /** Requests received, in order. */
  readonly requests: ModelRequest[];
}

/**
 * A stand-in for an LLM provider in tests, examples and benchmarks: replies come from a list
 * (one per call, in order) or a function of the request. It honours the abort signal in its
 * delays and hangs exactly as a network provider would.
 */
export function scriptedModel(options: ScriptedModelOptions): ScriptedProvider {
  const name = options.name ?? 'scripted';
  const chunkSize = options.chunkSize ?? 8;
  const requests: ModelRequest[] = [];

  async function nextReply(request: ModelRequest, signal: AbortSignal | undefined): Promise<ScriptedReply> {
    const index = requests.length;
    requests.push(request);
    const reply = await pickReply(options.replies, request, index, name);
    throwIfAborted(signal);
    if (reply.delayMs !== undefined && reply.delayMs > 0) await sleep(reply.delayMs, signal, ABORTED_WHAT);
    if (reply.hang) await sleep(Number.POSITIVE_INFINITY, signal, ABORTED_WHAT);
    if (reply.error) throw toError(reply.error);
    return reply;
  }

  function respond(request: ModelRequest, reply: ScriptedReply, index: number): ModelResponse {
    const toolCalls: ToolCall[] | undefined = reply.toolCalls?.map((call, i) => ({
      id: call.id ?? `call_${index}_${i}`,
      name: call.name,
      arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments ?? {}),
    }));
    const text = reply.text ?? null;
    const usage = fillUsage(request, reply, toolCalls);
    const response: ModelResponse = {
      id: `scripted-${index}`,
      model: request.model,
      message: { role: 'assistant', content: text, ...(toolCalls?.length ? { toolCalls } : {}), ...(reply.reasoning ? { reasoning: reply.reasoning } : {}) },
      finishReason: reply.finishReason ?? (toolCalls?.length ? 'tool_calls' : 'stop'),
      usage,
      meta: { provider: name, target: `${name}:${request.model}` },
    };
    if (options.pricing) response.cost = price(usage, options.pricing);
    return response;
  }

  return {
    name,
    requests,
    ...(options.pricing ? { priceOf: () => ({ input: options.pricing!.inputUsdPerMillion, output: options.pricing!.outputUsdPerMillion }) } : {}),
    async generate(request: ModelRequest, callOptions?: ProviderCallOptions): Promise<ModelResponse> {
      const index = requests.length;
      const reply = await nextReply(request, callOptions?.signal);
      return respond(request, reply, index);
    },
    async *stream(request: ModelRequest, callOptions?: ProviderCallOptions): AsyncIterable<StreamEvent> {
      const index = requests.length;
      const reply = await nextReply(request, callOptions?.signal);
      const response = respond(request, reply, index);
      yield { type: 'start', id: response.id, model: response.model };
      if (reply.reasoning) yield { type: 'reasoning-delta', delta: reply.reasoning };
      for (const delta of chunks(reply.text ?? '', chunkSize)) {
        throwIfAborted(callOptions?.signal);
        yield { type: 'text-delta', delta };
      }
      for (const [i, call] of (response.message.toolCalls ?? []).entries()) {
        yield { type: 'tool-call-start', index: i, id: call.id, name: call.name };
        for (const argumentsDelta of chunks(call.arguments, chunkSize)) yield { type: 'tool-call-delta', index: i, argumentsDelta };
      }
      yield { type: 'finish', response };
    },
  };
}

async function pickReply(replies: ScriptedReplies, request: ModelRequest, index: number, name: string): Promise<ScriptedReply> {
  if (typeof replies === 'function') return replies(request, index);
  const reply = replies[index];
  if (reply === undefined) {
    throw new SextantError('UPSTREAM_BAD_RESPONSE', `Scripted model "${name}" has ${replies.length} replies; call ${index + 1} has none`, {
      context: { provider: name, calls: index + 1, replies: replies.length },
    });
  }
  return reply;
}

function toError(error: NonNullable<ScriptedReply['error']>): SextantError {
  if (error instanceof SextantError) return error;
  return new SextantError(error.code, error.message, { status: error.status, retryable: error.retryable, retryAfterMs: error.retryAfterMs });
}

function fillUsage(request: ModelRequest, reply: ScriptedReply, toolCalls: ToolCall[] | undefined): Usage {
  const inputChars = request.messages.reduce((n, m) => n + (typeof m.content === 'string' ? m.content.length : JSON.stringify(m.content ?? '').length), 0);
  const outputChars = (reply.text ?? '').length + (toolCalls ?? []).reduce((n, c) => n + c.name.length + c.arguments.length, 0);
  const inputTokens = reply.usage?.inputTokens ?? Math.ceil(inputChars / 4);
  const outputTokens = reply.usage?.outputTokens ?? Math.ceil(outputChars / 4);
  return { ...reply.usage, inputTokens, outputTokens, totalTokens: reply.usage?.totalTokens ?? inputTokens + outputTokens };
}

function price(usage: Usage, pricing: NonNullable<ScriptedModelOptions['pricing']>): Cost {
  const inputUsd = (usage.inputTokens * pricing.inputUsdPerMillion) / 1e6;
  const outputUsd = (usage.outputTokens * pricing.outputUsdPerMillion) / 1e6;
  return { inputUsd, outputUsd, totalUsd: inputUsd + outputUsd };
}

function* chunks(text: string, size: number): Iterable<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

const ABORTED_WHAT = { what: 'The scripted call' };

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal, ABORTED_WHAT);
}
