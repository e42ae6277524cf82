/**
 * The Anthropic Messages wire format, both ways.
 *
 * - System messages are hoisted to `system`; tool results become `tool_result` blocks in a user
 *   turn; consecutive turns of one role are merged (the API wants them alternating).
 * - Usage: `inputTokens` counts ALL input tokens, cache reads and cache writes included (Anthropic's
 *   `input_tokens` excludes both), so it means the same as OpenAI's `prompt_tokens`;
 *   `cachedInputTokens` = cache_read_input_tokens, `cacheWriteTokens` = cache_creation_input_tokens.
 * - Structured output (`responseFormat` json / json_schema): Anthropic has no JSON mode, so the
 *   schema becomes a tool the model is made to call; its input is returned as the message text and
 *   the call never appears as a tool call. With other tools present the model must call one of
 *   them or the output tool (`tool_choice: any`), so tool use keeps working.
 */
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
import { generatedId } from '../openai-compatible/wire.js';

type Block = Record<string, unknown>;

export interface WireAnthropicUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
}

interface WireContentBlock {
  type: string;
  text?: string;
  thinking?: string;
  id?: string;
  name?: string;
  input?: unknown;
}

export interface WireAnthropicMessage {
  id?: string;
  model?: string;
  content?: WireContentBlock[];
  stop_reason?: string | null;
  usage?: WireAnthropicUsage;
}

/** The output tool's name when the request asks for JSON; undefined otherwise. */
export function outputToolName(request: ModelRequest): string | undefined {
  const format = request.responseFormat;
  if (format?.type === 'json_schema') return format.name;
  if (format?.type === 'json') return 'json_output';
  return undefined;
}

function imageBlock(url: string): Block {
  const data = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  if (data) return { type: 'image', source: { type: 'base64', media_type: data[1], data: data[2] } };
  return { type: 'image', source: { type: 'url', url } };
}

function contentBlocks(content: string | ContentPart[]): Block[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  return content.flatMap((part) => (part.type === 'text' ? (part.text === '' ? [] : [{ type: 'text', text: part.text }]) : [imageBlock(part.url)]));
}

/** Tool-call arguments as an object. Malformed JSON (the model's own mistake, already answered by a tool error) becomes {}. */
function argumentsObject(args: string): unknown {
  try {
    const parsed: unknown = JSON.parse(args);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

function turnOf(message: Exclude<Message, { role: 'system' }>): { role: 'user' | 'assistant'; content: Block[] } {
  switch (message.role) {
    case 'user':
      return { role: 'user', content: contentBlocks(message.content) };
    case 'assistant': {
      const blocks = message.content ? contentBlocks(message.content) : [];
      for (const call of message.toolCalls ?? []) blocks.push({ type: 'tool_use', id: call.id, name: call.name, input: argumentsObject(call.arguments) });
      return { role: 'assistant', content: blocks };
    }
    case 'tool': {
      const block: Block = { type: 'tool_result', tool_use_id: message.toolCallId, content: message.content };
      if (message.isError) block.is_error = true;
      return { role: 'user', content: [block] };
    }
  }
}

function toolChoiceOf(choice: ToolChoice): Block {
  if (choice === 'auto') return { type: 'auto' };
  if (choice === 'none') return { type: 'none' };
  if (choice === 'required') return { type: 'any' };
  return { type: 'tool', name: choice.name };
}

export function requestToAnthropic(request: ModelRequest, providerName: string, defaultMaxTokens: number): Record<string, unknown> {
  const system = request.messages.filter((m) => m.role === 'system').map((m) => m.content);
  const messages: { role: 'user' | 'assistant'; content: Block[] }[] = [];
  for (const message of request.messages) {
    if (message.role === 'system') continue;
    const turn = turnOf(message);
    const last = messages.at(-1);
    if (last && last.role === turn.role) last.content.push(...turn.content);
    else messages.push(turn);
  }
  const body: Record<string, unknown> = { model: request.model, max_tokens: request.maxTokens ?? defaultMaxTokens, messages };
  if (system.length) body.system = system.join('\n\n');

  const tools: Block[] = (request.tools ?? []).map((tool) => ({
    name: tool.name,
    ...(tool.description === undefined ? {} : { description: tool.description }),
    input_schema: tool.parameters,
  }));
  let toolChoice: Block | undefined = request.toolChoice === undefined ? undefined : toolChoiceOf(request.toolChoice);
  const outputTool = outputToolName(request);
  if (outputTool) {
    const format = request.responseFormat!;
    const schema = format.type === 'json_schema' ? format.schema : { type: 'object', additionalProperties: true };
    const description = (format.type === 'json_schema' && format.description) || 'Give your final answer as the input of this tool.';
    toolChoice ??= tools.length ? { type: 'any' } : { type: 'tool', name: outputTool };
    tools.push({ name: outputTool, description, input_schema: schema });
  }
  if (tools.length) body.tools = tools;
  if (request.parallelToolCalls === false && tools.length) toolChoice = { type: 'auto', ...toolChoice, disable_parallel_tool_use: true };
  if (toolChoice) body.tool_choice = toolChoice;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.stop?.length) body.stop_sequences = request.stop;
  // `seed` has no Anthropic equivalent and is dropped.
  const extra = request.providerOptions?.[providerName];
  if (extra) Object.assign(body, extra);
  return body;
}

export function mapStopReason(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case 'end_turn':
    case 'stop_sequence':
      return 'stop';
    case 'max_tokens':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      return 'other';
  }
}

export function mapAnthropicUsage(wire: WireAnthropicUsage): Usage {
  const read = wire.cache_read_input_tokens ?? undefined;
  const write = wire.cache_creation_input_tokens ?? undefined;
  const inputTokens = (wire.input_tokens ?? 0) + (read ?? 0) + (write ?? 0);
  const outputTokens = wire.output_tokens ?? 0;
  const usage: Usage = { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens };
  if (read !== undefined) usage.cachedInputTokens = read;
  if (write !== undefined) usage.cacheWriteTokens = write;
  return usage;
}

/** Text, reasoning and tool calls assembled into a response; the output tool's call becomes the text. */
function assemble(
  parts: { text: string; reasoning: string; calls: ToolCall[]; structured: string | undefined },
  stopReason: string | null | undefined,
): AssistantMessage & { finish: FinishReason } {
  const text = parts.structured ?? parts.text;
  const message: AssistantMessage & { finish: FinishReason } = {
    role: 'assistant',
    content: text === '' && parts.calls.length ? null : text,
    finish: mapStopReason(stopReason),
  };
  if (parts.calls.length) message.toolCalls = parts.calls;
  if (parts.reasoning) message.reasoning = parts.reasoning;
  // The model "called" the output tool: for the caller that is a finished answer.
  if (parts.structured !== undefined && !parts.calls.length && message.finish === 'tool_calls') message.finish = 'stop';
  return message;
}

function toResponse(
  id: string,
  model: string,
  parts: Parameters<typeof assemble>[0],
  stopReason: string | null | undefined,
  usage: WireAnthropicUsage | undefined,
): ModelResponse {
  const { finish, ...message } = assemble(parts, stopReason);
  return {
    id,
    model,
    message,
    finishReason: finish,
    usage: usage ? mapAnthropicUsage(usage) : { inputTokens: 0, outputTokens: 0, totalTokens: 0 },
    meta: usage ? {} : { usageMissing: true },
  };
}

export function messageFromAnthropic(wire: WireAnthropicMessage, request: ModelRequest): ModelResponse {
  const outputTool = outputToolName(request);
  const parts = { text: '', reasoning: '', calls: [] as ToolCall[], structured: undefined as string | undefined };
  for (const block of wire.content ?? []) {
    if (block.type === 'text') parts.text += block.text ?? '';
    else if (block.type === 'thinking') parts.reasoning += block.thinking ?? '';
    else if (block.type === 'tool_use' && block.name === outputTool) parts.structured = JSON.stringify(block.input ?? {});
    else if (block.type === 'tool_use')
      parts.calls.push({ id: block.id ?? generatedId('toolu'), name: block.name ?? '', arguments: JSON.stringify(block.input ?? {}) });
  }
  return toResponse(wire.id ?? generatedId('msg'), wire.model ?? request.model, parts, wire.stop_reason, wire.usage);
}

export interface AnthropicStreamEvent {
  type: string;
  message?: WireAnthropicMessage;
  index?: number;
  content_block?: WireContentBlock;
  delta?: { type?: string; text?: string; thinking?: string; partial_json?: string; stop_reason?: string | null };
  usage?: WireAnthropicUsage;
  error?: { type?: string; message?: string };
}

/** Turns Anthropic stream events into StreamEvents while assembling the final response. */
export class AnthropicStreamAssembler {
  private id = '';
  private model: string;
  private readonly parts = { text: '', reasoning: '', calls: [] as ToolCall[], structured: undefined as string | undefined };
  private readonly callByBlock = new Map<number, number>();
  private structuredBlock: number | undefined;
  private usage: WireAnthropicUsage | undefined;
  private stopReason: string | null | undefined;
  done = false;

  constructor(private readonly request: ModelRequest) {
    this.model = request.model;
  }

  push(event: AnthropicStreamEvent, out: StreamEvent[]): void {
    switch (event.type) {
      case 'message_start':
        this.id = event.message?.id ?? generatedId('msg');
        if (event.message?.model) this.model = event.message.model;
        if (event.message?.usage) this.usage = { ...event.message.usage };
        out.push({ type: 'start', id: this.id, model: this.model });
        return;
      case 'content_block_start':
        return this.startBlock(event.index ?? 0, event.content_block, out);
      case 'content_block_delta':
        return this.delta(event.index ?? 0, event.delta ?? {}, out);
      case 'message_delta':
        if (event.delta?.stop_reason !== undefined) this.stopReason = event.delta.stop_reason;
        // message_delta usage counts are cumulative: they replace what message_start said.
        if (event.usage) this.usage = { ...this.usage, ...Object.fromEntries(Object.entries(event.usage).filter(([, v]) => v != null)) };
        return;
      case 'message_stop':
        this.done = true;
        return;
      default:
        return; // ping, content_block_stop, and event types added later
    }
  }

  private startBlock(index: number, block: WireContentBlock | undefined, out: StreamEvent[]): void {
    if (!block) return;
    if (block.type === 'tool_use' && block.name === outputToolName(this.request)) {
      this.structuredBlock = index;
      this.parts.structured = '';
    } else if (block.type === 'tool_use') {
      const call: ToolCall = { id: block.id ?? generatedId('toolu'), name: block.name ?? '', arguments: '' };
      this.callByBlock.set(index, this.parts.calls.length);
      this.parts.calls.push(call);
      out.push({ type: 'tool-call-start', index: this.parts.calls.length - 1, id: call.id, name: call.name });
    } else if (block.type === 'text' && block.text) {
      this.parts.text += block.text;
      out.push({ type: 'text-delta', delta: block.text });
    }
  }

  private delta(index: number, delta: NonNullable<AnthropicStreamEvent['delta']>, out: StreamEvent[]): void {
    if (delta.type === 'text_delta' && delta.text) {
      this.parts.text += delta.text;
      out.push({ type: 'text-delta', delta: delta.text });
    } else if (delta.type === 'thinking_delta' && delta.thinking) {
      this.parts.reasoning += delta.thinking;
      out.push({ type: 'reasoning-delta', delta: delta.thinking });
    } else if (delta.type === 'input_json_delta' && delta.partial_json) {
      if (index === this.structuredBlock) {
        this.parts.structured += delta.partial_json;
        out.push({ type: 'text-delta', delta: delta.partial_json });
        return;
      }
      const call = this.callByBlock.get(index);
      if (call === undefined) return;
      this.parts.calls[call].arguments += delta.partial_json;
      out.push({ type: 'tool-call-delta', index: call, argumentsDelta: delta.partial_json });
    }
  }

  finish(): ModelResponse {
    // A tool without parameters streams no JSON at all: its input is still an (empty) object.
    for (const call of this.parts.calls) if (call.arguments === '') call.arguments = '{}';
    if (this.parts.structured === '') this.parts.structured = '{}';
    return toResponse(this.id, this.model, this.parts, this.stopReason, this.usage);
  }
}
