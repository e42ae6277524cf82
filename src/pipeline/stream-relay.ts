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

/** Starts a new attempt: nothing of it has been handed on yet. */
export function startAttempt(state: RelayState): void {
  state.outputSent = false;
}

/**
 * Whether to pass one event of the current attempt on: not the repeated `start` of a later
 * attempt. `onFinish` may fill the finish event's response meta. A function the caller's own
 * loop calls, not a generator wrapped around the attempt: each generator layer costs every
 * event of every stream a resume and a promise.
 */
export function relayEvent(event: StreamEvent, state: RelayState, onFinish: (response: ModelResponse) => void): boolean {
  if (event.type === 'start') {
    if (state.startSent) return false;
    state.startSent = true;
  } else if (event.type === 'finish') {
    onFinish(event.response);
  } else {
    state.outputSent = true;
  }
  return true;
}
