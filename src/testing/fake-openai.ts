/** The OpenAI wire format as the fake upstream writes it: completions, chunks, embeddings, errors. */
import { argumentPieces, argumentsText, fakeEmbedding, fakeId, textPieces, usageFor, type FakeReply } from './fake-reply.js';

function finishReason(reply: FakeReply): string {
  return reply.finishReason ?? (reply.toolCalls?.length ? 'tool_calls' : 'stop');
}

function wireUsage(reply: FakeReply, body: any) {
  const u = usageFor(reply, body);
  return {
    prompt_tokens: u.inputTokens,
    completion_tokens: u.outputTokens,
    total_tokens: u.inputTokens + u.outputTokens,
    prompt_tokens_details: { cached_tokens: u.cachedInputTokens, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: u.reasoningTokens, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

function toolCallIds(reply: FakeReply): string[] {
  return (reply.toolCalls ?? []).map((call) => call.id ?? fakeId('call'));
}

export function openaiCompletion(reply: FakeReply, body: any): Record<string, unknown> {
  const ids = toolCallIds(reply);
  const message: Record<string, unknown> = { role: 'assistant', content: reply.text ?? (reply.toolCalls?.length ? null : ''), refusal: null };
  if (reply.reasoning) message.reasoning_content = reply.reasoning;
  if (reply.toolCalls?.length) {
    message.tool_calls = reply.toolCalls.map((call, i) => ({ id: ids[i], type: 'function', function: { name: call.name, arguments: argumentsText(call) } }));
  }
  const completion: Record<string, unknown> = {
    id: fakeId('chatcmpl'),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: reply.model ?? body?.model ?? 'fake-model',
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(reply) }],
    system_fingerprint: 'fp_fake',
  };
  if (reply.usage !== false) completion.usage = wireUsage(reply, body);
  return completion;
}

/** The SSE frames of a streamed completion, `data: [DONE]` included. */
export function openaiStreamFrames(reply: FakeReply, body: any): string[] {
  const id = fakeId('chatcmpl');
  const created = Math.floor(Date.now() / 1000);
  const model = reply.model ?? body?.model ?? 'fake-model';
  const includeUsage = body?.stream_options?.include_usage === true && reply.usage !== false;
  const frame = (choices: unknown[], usage?: unknown) =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, system_fingerprint: 'fp_fake', choices, ...(includeUsage ? { usage: usage ?? null } : {}) })}\n\n`;
  const delta = (d: Record<string, unknown>, finish: string | null = null) => frame([{ index: 0, delta: d, logprobs: null, finish_reason: finish }]);

  const frames = [delta({ role: 'assistant', content: '', refusal: null })];
  for (const piece of textPieces(reply.reasoning ?? '')) frames.push(delta({ reasoning_content: piece }));
  for (const piece of textPieces(reply.text ?? '')) frames.push(delta({ content: piece }));
  const ids = toolCallIds(reply);
  (reply.toolCalls ?? []).forEach((call, index) => {
    frames.push(delta({ tool_calls: [{ index, id: ids[index], type: 'function', function: { name: call.name, arguments: '' } }] }));
    for (const piece of argumentPieces(argumentsText(call))) frames.push(delta({ tool_calls: [{ index, function: { arguments: piece } }] }));
  });
  frames.push(delta({}, finishReason(reply)));
  if (includeUsage) frames.push(frame([], wireUsage(reply, body)));
  frames.push('data: [DONE]\n\n');
  return frames;
}

/** `encoding_format: 'base64'` (the official client's default) is little-endian float32, base64. */
export function openaiEmbeddings(body: any, defaultDimensions: number): Record<string, unknown> {
  const inputs: string[] = Array.isArray(body?.input) ? body.input.map(String) : [String(body?.input ?? '')];
  const dimensions = typeof body?.dimensions === 'number' ? body.dimensions : defaultDimensions;
  const base64 = body?.encoding_format === 'base64';
  const data = inputs.map((text, index) => {
    const vector = fakeEmbedding(text, dimensions);
    const embedding = base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
    return { object: 'embedding', index, embedding };
  });
  const tokens = inputs.reduce((n, text) => n + Math.max(1, Math.ceil(text.length / 4)), 0);
  return { object: 'list', data, model: body?.model ?? 'fake-embedding', usage: { prompt_tokens: tokens, total_tokens: tokens } };
}

export function openaiModels(models: string[]): Record<string, unknown> {
  return { object: 'list', data: models.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'sextant-fake' })) };
}

export function openaiError(message: string, type: string, code: string | null): Record<string, unknown> {
  return { error: { message, type, param: null, code } };
}
