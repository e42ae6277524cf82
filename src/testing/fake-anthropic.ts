/** The Anthropic Messages wire format as the fake upstream writes it: messages, SSE events, errors. */
import { argumentPieces, argumentsText, fakeId, textPieces, usageFor, type FakeReply } from './fake-reply.js';

const STOP_REASONS: Record<string, string> = { stop: 'end_turn', length: 'max_tokens', tool_calls: 'tool_use', content_filter: 'refusal' };

function stopReason(reply: FakeReply): string {
  return STOP_REASONS[reply.finishReason ?? (reply.toolCalls?.length ? 'tool_calls' : 'stop')];
}

/** Anthropic's input_tokens excludes cache reads and writes, which it reports apart. */
function wireUsage(reply: FakeReply, body: any) {
  const u = usageFor(reply, body);
  return {
    input_tokens: Math.max(0, u.inputTokens - u.cachedInputTokens - u.cacheWriteTokens),
    cache_creation_input_tokens: u.cacheWriteTokens,
    cache_read_input_tokens: u.cachedInputTokens,
    output_tokens: u.outputTokens,
  };
}

function parsedInput(args: string): unknown {
  try {
    return JSON.parse(args);
  } catch {
    return {};
  }
}

export function anthropicMessage(reply: FakeReply, body: any): Record<string, unknown> {
  const content: unknown[] = [];
  if (reply.reasoning) content.push({ type: 'thinking', thinking: reply.reasoning, signature: 'fake-signature' });
  if (reply.text) content.push({ type: 'text', text: reply.text });
  for (const call of reply.toolCalls ?? []) {
    content.push({ type: 'tool_use', id: call.id ?? fakeId('toolu'), name: call.name, input: parsedInput(argumentsText(call)) });
  }
  return {
    id: fakeId('msg'),
    type: 'message',
    role: 'assistant',
    model: reply.model ?? body?.model ?? 'fake-claude',
    content,
    stop_reason: stopReason(reply),
    stop_sequence: null,
    usage: wireUsage(reply, body),
  };
}

function event(type: string, data: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

/** The SSE events of a streamed message, in the order the real API sends them. */
export function anthropicStreamFrames(reply: FakeReply, body: any): string[] {
  const usage = wireUsage(reply, body);
  const frames = [
    event('message_start', {
      message: {
        id: fakeId('msg'),
        type: 'message',
        role: 'assistant',
        model: reply.model ?? body?.model ?? 'fake-claude',
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...usage, output_tokens: 1 },
      },
    }),
  ];
  let index = 0;
  if (reply.reasoning) {
    frames.push(event('content_block_start', { index, content_block: { type: 'thinking', thinking: '', signature: '' } }));
    for (const piece of textPieces(reply.reasoning)) frames.push(event('content_block_delta', { index, delta: { type: 'thinking_delta', thinking: piece } }));
    frames.push(event('content_block_delta', { index, delta: { type: 'signature_delta', signature: 'fake-signature' } }));
    frames.push(event('content_block_stop', { index }));
    index++;
  }
  if (reply.text) {
    frames.push(event('content_block_start', { index, content_block: { type: 'text', text: '' } }));
    frames.push(event('ping', {}));
    for (const piece of textPieces(reply.text)) frames.push(event('content_block_delta', { index, delta: { type: 'text_delta', text: piece } }));
    frames.push(event('content_block_stop', { index }));
    index++;
  }
  for (const call of reply.toolCalls ?? []) {
    frames.push(event('content_block_start', { index, content_block: { type: 'tool_use', id: call.id ?? fakeId('toolu'), name: call.name, input: {} } }));
    for (const piece of argumentPieces(argumentsText(call))) {
      frames.push(event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: piece } }));
    }
    frames.push(event('content_block_stop', { index }));
    index++;
  }
  frames.push(event('message_delta', { delta: { stop_reason: stopReason(reply), stop_sequence: null }, usage: { output_tokens: usage.output_tokens } }));
  frames.push(event('message_stop', {}));
  return frames;
}

export function anthropicError(type: string, message: string): Record<string, unknown> {
  return { type: 'error', error: { type, message } };
}

export function anthropicErrorType(status: number): string {
  if (status === 400) return 'invalid_request_error';
  if (status === 401) return 'authentication_error';
  if (status === 402) return 'billing_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 413) return 'request_too_large';
  if (status === 429) return 'rate_limit_error';
  if (status === 529) return 'overloaded_error';
  return 'api_error';
}
