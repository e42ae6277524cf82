import type { ModelResponse, StreamEvent } from '../model/types.js';

/** A cached answer as the normalized events a live stream would have produced, ending in `finish`. */
export function* replayAsStream(response: ModelResponse): Generator<StreamEvent> {
  yield { type: 'start', id: response.id, model: response.model };
  const { message } = response;
  if (message.reasoning) yield { type: 'reasoning-delta', delta: message.reasoning };
  if (message.content) yield { type: 'text-delta', delta: message.content };
  for (const [index, call] of (message.toolCalls ?? []).entries()) {
    yield { type: 'tool-call-start', index, id: call.id, name: call.name };
    yield { type: 'tool-call-delta', index, argumentsDelta: call.arguments };
  }
  yield { type: 'finish', response };
}
