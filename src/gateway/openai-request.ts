import type { z } from 'zod';
import type { ContentPart, EmbeddingRequest, Message, ModelRequest, ResponseFormat, ToolChoice } from '../model/types.js';
import { invalidRequest } from './http-errors.js';
import {
  type ChatCompletionRequest,
  type ChatMessage,
  chatCompletionRequestSchema,
  type EmbeddingRequestBody,
  embeddingRequestSchema,
  MAPPED_CHAT_PARAMS,
} from './openai-schema.js';

/** `messages[0].content`, the way OpenAI names a parameter in its errors. */
function paramPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), '');
}

function parseWith<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidRequest('The request body must be a JSON object');
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const param = paramPath(issue.path);
  throw invalidRequest(param ? `Invalid value for '${param}': ${issue.message}` : issue.message, param || undefined);
}

function joinText(content: string | { text: string }[]): string {
  return typeof content === 'string' ? content : content.map((p) => p.text).join('');
}

function toMessage(message: ChatMessage): Message {
  switch (message.role) {
    case 'system':
    case 'developer':
      return { role: 'system', content: joinText(message.content) };
    case 'user': {
      const content: string | ContentPart[] =
        typeof message.content === 'string'
          ? message.content
          : message.content.map((p) =>
              p.type === 'text' ? { type: 'text', text: p.text } : { type: 'image', url: p.image_url.url, detail: p.image_url.detail },
            );
      return message.name === undefined ? { role: 'user', content } : { role: 'user', content, name: message.name };
    }
    case 'assistant': {
      const content =
        message.content == null
          ? null
          : typeof message.content === 'string'
            ? message.content
            : message.content.map((p) => (p.type === 'text' ? p.text : p.refusal)).join('');
      const out: Message = { role: 'assistant', content };
      if (message.tool_calls?.length) out.toolCalls = message.tool_calls.map((c) => ({ id: c.id, name: c.function.name, arguments: c.function.arguments }));
      if (message.reasoning_content !== undefined) out.reasoning = message.reasoning_content;
      return out;
    }
    case 'tool':
      return { role: 'tool', toolCallId: message.tool_call_id, content: joinText(message.content) };
  }
}

function toToolChoice(choice: ChatCompletionRequest['tool_choice']): ToolChoice | undefined {
  if (choice === undefined) return undefined;
  return typeof choice === 'string' ? choice : { name: choice.function.name };
}

function toResponseFormat(format: ChatCompletionRequest['response_format']): ResponseFormat | undefined {
  if (format === undefined) return undefined;
  if (format.type === 'text') return { type: 'text' };
  if (format.type === 'json_object') return { type: 'json' };
  const { name, schema, strict, description } = format.json_schema;
  const out: ResponseFormat = { type: 'json_schema', name, schema: schema ?? {} };
  if (strict != null) out.strict = strict;
  if (description !== undefined) out.description = description;
  return out;
}

export interface ParsedChatRequest {
  request: ModelRequest;
  stream: boolean;
  includeUsage: boolean;
}

/** Validates an OpenAI chat completion body and maps it onto the normalized ModelRequest. */
export function parseChatCompletionRequest(body: unknown): ParsedChatRequest {
  const parsed = parseWith(chatCompletionRequestSchema, body);
  const request: ModelRequest = { model: parsed.model, messages: parsed.messages.map(toMessage) };
  if (parsed.tools?.length) {
    request.tools = parsed.tools.map(({ function: f }) => {
      const spec: NonNullable<ModelRequest['tools']>[number] = { name: f.name, parameters: f.parameters ?? { type: 'object', properties: {} } };
      if (f.description !== undefined) spec.description = f.description;
      if (f.strict != null) spec.strict = f.strict;
      return spec;
    });
  }
  const toolChoice = toToolChoice(parsed.tool_choice);
  if (toolChoice !== undefined) request.toolChoice = toolChoice;
  if (parsed.parallel_tool_calls !== undefined) request.parallelToolCalls = parsed.parallel_tool_calls;
  const responseFormat = toResponseFormat(parsed.response_format);
  if (responseFormat !== undefined) request.responseFormat = responseFormat;
  if (parsed.temperature != null) request.temperature = parsed.temperature;
  if (parsed.top_p != null) request.topP = parsed.top_p;
  const maxTokens = parsed.max_completion_tokens ?? parsed.max_tokens;
  if (maxTokens != null) request.maxTokens = maxTokens;
  if (parsed.stop != null) request.stop = typeof parsed.stop === 'string' ? [parsed.stop] : parsed.stop;
  if (parsed.seed != null) request.seed = parsed.seed;
  if (parsed.user !== undefined) request.metadata = { user: parsed.user };
  const passthrough = Object.fromEntries(Object.entries(parsed).filter(([key]) => !MAPPED_CHAT_PARAMS.has(key)));
  if (Object.keys(passthrough).length > 0) request.providerOptions = { openai: passthrough };
  return { request, stream: parsed.stream === true, includeUsage: parsed.stream_options?.include_usage === true };
}

export interface ParsedEmbeddingRequest {
  request: EmbeddingRequest;
  encoding: 'float' | 'base64';
}

export function parseEmbeddingRequest(body: unknown): ParsedEmbeddingRequest {
  const parsed: EmbeddingRequestBody = parseWith(embeddingRequestSchema, body);
  const request: EmbeddingRequest = { model: parsed.model, input: typeof parsed.input === 'string' ? [parsed.input] : parsed.input };
  if (parsed.dimensions !== undefined) request.dimensions = parsed.dimensions;
  if (parsed.user !== undefined) request.metadata = { user: parsed.user };
  return { request, encoding: parsed.encoding_format ?? 'float' };
}
