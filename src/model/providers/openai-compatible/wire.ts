/**
 * The OpenAI chat completions wire format, both ways: normalized request → request body,
 * response body → ModelResponse, and stream chunks → StreamEvents (with the assembled response).
 */
import { SextantError } from '../../../errors.js';
import type {
  AssistantMessage,
  ContentPart,
  FinishReason,
  Message,
  ModelRequest,
  ModelResponse,
  StreamEvent,
  ToolCall,
  ToolChoice,
  Usage,
} from '../../types.js';
import { emptyUsage } from '../../types.js';

export interface WireUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number | null } | null;
  completion_tokens_details?: { reasoning_tokens?: number | null } | null;
}

interface WireToolCall {
  index?: number;
  id?: string;
  type?: 'function';
  function?: { name?: string; arguments?: string };
}

interface WireMessage {
  content?: string | null;
  /** vLLM, DeepSeek and LM Studio call it reasoning_content; OpenRouter and Ollama call it reasoning. */
  reasoning_content?: string | null;
  reasoning?: string | null;
  refusal?: string | null;
  tool_calls?: WireToolCall[] | null;
}

export interface WireCompletion {
  id?: string;
  model?: string;
  choices?: { message?: WireMessage; finish_reason?: string | null }[];
  usage?: WireUsage | null;
}

export interface WireChunk {
  id?: string;
  model?: string;
  choices?: { index?: number; delta?: WireMessage; finish_reason?: string | null }[];
  usage?: WireUsage | null;
  /** OpenRouter, vLLM and others report a failure inside a 200 stream this way. */
  error?: { message?: string; type?: string; code?: string | number };
}

function contentToWire(content: string | ContentPart[]): unknown {
  if (typeof content === 'string') return content;
  return content.map((part) =>
    part.type === 'text'
      ? { type: 'text', text: part.text }
      : { type: 'image_url', image_url: part.detail ? { url: part.url, detail: part.detail } : { url: part.url } },
  );
}

function messageToWire(message: Message): Record<string, unknown> {
  switch (message.role) {
    case 'system':
      return { role: 'system', content: message.content };
    case 'user':
      return message.name
        ? { role: 'user', content: contentToWire(message.content), name: message.name }
        : { role: 'user', content: contentToWire(message.content) };
    case 'assistant': {
      const wire: Record<string, unknown> = { role: 'assistant', content: message.content };
      if (message.toolCalls?.length) {
        wire.tool_calls = message.toolCalls.map((call) => ({
          id: call.id,
          type: 'function',
          function: { name: call.name, arguments: call.arguments },
        }));
      }
      return wire;
    }
    case 'tool':
      return { role: 'tool', tool_call_id: message.toolCallId, content: message.content };
  }
}

function toolChoiceToWire(choice: ToolChoice): unknown {
  return typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.name } };
}

/** The chat completions body for a request whose `model` is already the bare upstream name. */
export function requestToWire(request: ModelRequest, providerName: string): Record<string, unknown> {
  const body: Record<string, unknown> = { model: request.model, messages: request.messages.map(messageToWire) };
  if (request.tools?.length) {
    body.tools = request.tools.map((tool) => ({
      type: 'function',
      function: {
        name: tool.name,
        ...(tool.description === undefined ? {} : { description: tool.description }),
        parameters: tool.parameters,
        ...(tool.strict === undefined ? {} : { strict: tool.strict }),
      },
    }));
  }
  if (request.toolChoice !== undefined) body.tool_choice = toolChoiceToWire(request.toolChoice);
  if (request.parallelToolCalls !== undefined && request.tools?.length) body.parallel_tool_calls = request.parallelToolCalls;
  const format = request.responseFormat;
  if (format?.type === 'json') body.response_format = { type: 'json_object' };
  if (format?.type === 'json_schema') {
    body.response_format = {
      type: 'json_schema',
      json_schema: {
        name: format.name,
        schema: format.schema,
        ...(format.strict === undefined ? {} : { strict: format.strict }),
        ...(format.description === undefined ? {} : { description: format.description }),
      },
    };
  }
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  // max_tokens rather than max_completion_tokens: every OpenAI-compatible server accepts it;
  // reasoning models that need the other can get it through providerOptions.
  if (request.maxTokens !== undefined) body.max_tokens = request.maxTokens;
  if (request.stop?.length) body.stop = request.stop;
  if (request.seed !== undefined) body.seed = request.seed;
  const extra = request.providerOptions?.[providerName];
  if (extra) Object.assign(body, extra);
  return body;
}

export function mapFinishReason(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case 'stop':
      return 'stop';
    case 'length':
      return 'length';
    case 'tool_calls':
    case 'function_call':
      return 'tool_calls';
    case 'content_filter':
      return 'content_filter';
    default:
      return 'other';
  }
}

export function mapUsage(wire: WireUsage | null | undefined): Usage | undefined {
  if (!wire) return undefined;
  const inputTokens = wire.prompt_tokens ?? 0;
  const outputTokens = wire.completion_tokens ?? 0;
  const usage: Usage = { inputTokens, outputTokens, totalTokens: wire.total_tokens ?? inputTokens + outputTokens };
  const cached = wire.prompt_tokens_details?.cached_tokens;
  if (typeof cached === 'number') usage.cachedInputTokens = cached;
  const reasoning = wire.completion_tokens_details?.reasoning_tokens;
  if (typeof reasoning === 'number') usage.reasoningTokens = reasoning;
  return usage;
}

let generatedIds = 0;
/** Some local servers omit ids; tool results must still be able to point at their call. */
export function generatedId(prefix: string): string {
  generatedIds = (generatedIds + 1) % Number.MAX_SAFE_INTEGER;
  return `${prefix}_${Date.now().toString(36)}${generatedIds.toString(36)}`;
}

/** ModelResponse from a non-streamed body. Usage the upstream did not send is zero with `meta.usageMissing`. */
export function completionFromWire(wire: WireCompletion, requestedModel: string): ModelResponse {
  const choice = wire.choices?.[0];
  if (!choice?.message) {
    throw new SextantError('UPSTREAM_BAD_RESPONSE', 'the completion has no choices[0].message');
  }
  const m = choice.message;
  const message: AssistantMessage = { role: 'assistant', content: m.content ?? null };
  if (m.content == null && m.refusal) message.content = m.refusal;
  const reasoning = m.reasoning_content ?? m.reasoning;
  if (reasoning) message.reasoning = reasoning;
  if (m.tool_calls?.length) {
    message.toolCalls = m.tool_calls.map((call) => ({
      id: call.id ?? generatedId('call'),
      name: call.function?.name ?? '',
      arguments: call.function?.arguments ?? '',
    }));
  }
  const usage = mapUsage(wire.usage);
  return {
    id: wire.id ?? generatedId('chatcmpl'),
    model: wire.model ?? requestedModel,
    message,
    finishReason: mapFinishReason(choice.finish_reason),
    usage: usage ?? emptyUsage(),
    meta: usage ? {} : { usageMissing: true },
  };
}

/**
 * Turns chunks into StreamEvents while assembling the final response. Tool calls are keyed by
 * the upstream's `index` (parallel calls interleave by index) and renumbered 0..n in order of appearance.
 */
export class ChunkAssembler {
  private started = false;
  private id = '';
  private model: string;
  private text = '';
  private reasoning = '';
  private readonly calls: ToolCall[] = [];
  private readonly callByWireIndex = new Map<number, number>();
  private finishReason: string | null | undefined;
  private usage: Usage | undefined;

  constructor(requestedModel: string) {
    this.model = requestedModel;
  }

  get sawFinishAndUsage(): boolean {
    return this.finishReason != null && this.usage !== undefined;
  }

  push(chunk: WireChunk, out: StreamEvent[]): void {
    if (!this.started) {
      this.started = true;
      this.id = chunk.id ?? generatedId('chatcmpl');
      if (chunk.model) this.model = chunk.model;
      out.push({ type: 'start', id: this.id, model: this.model });
    }
    const usage = mapUsage(chunk.usage);
    if (usage) this.usage = usage;
    const choice = chunk.choices?.[0];
    if (!choice) return;
    const delta = choice.delta;
    if (delta) {
      const reasoning = delta.reasoning_content ?? delta.reasoning;
      if (reasoning) {
        this.reasoning += reasoning;
        out.push({ type: 'reasoning-delta', delta: reasoning });
      }
      if (delta.content) {
        this.text += delta.content;
        out.push({ type: 'text-delta', delta: delta.content });
      }
      if (delta.tool_calls) for (const call of delta.tool_calls) this.pushToolCall(call, out);
    }
    if (choice.finish_reason) this.finishReason = choice.finish_reason;
  }

  private pushToolCall(wire: WireToolCall, out: StreamEvent[]): void {
    const wireIndex = wire.index ?? 0;
    let index = this.callByWireIndex.get(wireIndex);
    if (index === undefined) {
      index = this.calls.length;
      this.callByWireIndex.set(wireIndex, index);
      const call: ToolCall = { id: wire.id ?? generatedId('call'), name: wire.function?.name ?? '', arguments: '' };
      this.calls.push(call);
      out.push({ type: 'tool-call-start', index, id: call.id, name: call.name });
    }
    // A server that sends the name after the first delta still gets it into the assembled call.
    if (!this.calls[index].name && wire.function?.name) this.calls[index].name = wire.function.name;
    const args = wire.function?.arguments;
    if (args) {
      this.calls[index].arguments += args;
      out.push({ type: 'tool-call-delta', index, argumentsDelta: args });
    }
  }

  finish(): ModelResponse {
    const message: AssistantMessage = {
      role: 'assistant',
      content: this.text === '' && this.calls.length > 0 ? null : this.text,
    };
    if (this.calls.length) message.toolCalls = this.calls;
    if (this.reasoning) message.reasoning = this.reasoning;
    return {
      id: this.id,
      model: this.model,
      message,
      finishReason: mapFinishReason(this.finishReason),
      usage: this.usage ?? emptyUsage(),
      meta: this.usage ? {} : { usageMissing: true },
    };
  }
}
