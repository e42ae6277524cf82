import type { ModelResponse, StreamEvent } from '../model/types.js';

/**
 * What the caller of a retried or fallen-back stream has received so far. A stream is only
 * ever replayed while nothing but `start` has gone out; the caller sees a single `start`.
 */
export interface RelayState {
  startSent: boolean;
  /** Set once an event other than `start` of the current attempt has been handed on. */
  outputSent: boolean;
}

export function newRelayState(): RelayState {
  return { startSent: false, outputSent: false };
}

/** Passes one attempt's events on, dropping the repeated `start` of a later attempt; `onFinish` may fill the response's meta. */
export async function* relayAttempt(
  events: AsyncIterable<StreamEvent>,
  state: RelayState,
  onFinish: (response: ModelResponse) => void,
): AsyncGenerator<StreamEvent> {
  state.outputSent = false;
  for await (const event of events) {
    if (event.type === 'start') {
      if (state.startSent) continue;
      state.startSent = true;
    } else if (event.type === 'finish') {
      onFinish(event.response);
    } else {
      state.outputSent = true;
    }
    yield event;
  }
}
