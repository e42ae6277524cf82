import { createHash } from 'node:crypto';
import { DEFAULTS } from '../defaults.js';

/**
 * The loop detector looks at the last steps of a run and says whether the agent is going in
 * circles. It works on small, serializable observations (hashes, not payloads), so its state
 * rides in the run's checkpoint and costs a few microseconds per step.
 */

export type LoopPattern = 'repeat' | 'cycle' | 'no_progress' | 'error_loop';

export interface LoopDetectorOptions {
  repeatThreshold: number;
  maxCyclePeriod: number;
  noProgressSteps: number;
  errorRepeatThreshold: number;
  maxRequestedRetries: number;
  window: number;
}

/** One tool call of a step, reduced to what the detector compares. */
export interface CallObservation {
  /** Tool name + canonical arguments. */
  key: string;
  tool: string;
  /** Hash of the result text the model saw. */
  result: string;
  /** Normalized error (tool + message, digits masked) when the result was an error. */
  error?: string;
  /** The tool is declared a poller: repeating it is expected. */
  poller: boolean;
  /** The tool asked for this call to be retried. */
  retryRequested: boolean;
}

export interface StepObservation {
  step: number;
  calls: CallObservation[];
  /** Hash of the assistant's text ('' when none). */
  text: string;
  /** Whether the step brought anything unseen in the window (a new result or new text). */
  novel: boolean;
}

export interface LoopEvidence {
  pattern: LoopPattern;
  /** The steps that make up the pattern. */
  steps: number[];
  /** What repeats, in words (tool and arguments, the cycle, the error). */
  detail: string;
}

export interface LoopDetectorState {
  observations: StepObservation[];
  /** Step at which the corrective message was sent; a further detection stops the run. */
  warnedAtStep?: number;
}

export type LoopVerdict = { action: 'none' } | { action: 'warn' | 'stop'; evidence: LoopEvidence };

export function resolveLoopOptions(options?: Partial<LoopDetectorOptions>): LoopDetectorOptions {
  return { ...DEFAULTS.agent.loopDetector, ...options };
}

export function emptyLoopState(): LoopDetectorState {
  return { observations: [] };
}

/** Short texts are their own key; longer ones are hashed so observations stay small. */
export function hashText(text: string): string {
  return text.length <= 32 ? text : createHash('sha1').update(text).digest('base64url');
}

/** Masks digits so "timeout after 1503ms" and "timeout after 1498ms" are the same error. */
export function normalizeError(tool: string, message: string): string {
  return `${tool}: ${message.replace(/\d+/g, '#')}`;
}

/**
 * Records a step and judges the run. The first detection answers `warn` (the runtime sends a
 * corrective message); a detection after a warning answers `stop`.
 */
export function observeStep(state: LoopDetectorState, step: Omit<StepObservation, 'novel'>, options: LoopDetectorOptions): LoopVerdict {
  recordStep(state, step, options);
  const evidence = detect(state.observations, options);
  if (!evidence) return { action: 'none' };
  if (state.warnedAtStep === undefined) {
    state.warnedAtStep = step.step;
    return { action: 'warn', evidence };
  }
  return { action: 'stop', evidence };
}

/** Adds a step to the window without judging (also how a resumed run rebuilds its window from its steps). */
export function recordStep(state: LoopDetectorState, step: Omit<StepObservation, 'novel'>, options: LoopDetectorOptions): void {
  const seenText = (text: string) => state.observations.some((o) => o.text === text);
  const seenResult = (result: string) => state.observations.some((o) => o.calls.some((c) => c.result === result));
  const novel = (step.text !== '' && !seenText(step.text)) || step.calls.some((c) => !seenResult(c.result));
  state.observations.push({ ...step, novel });
  if (state.observations.length > options.window) state.observations.splice(0, state.observations.length - options.window);
}

export function detect(observations: StepObservation[], options: LoopDetectorOptions): LoopEvidence | undefined {
  return errorLoop(observations, options) ?? repeat(observations, options) ?? cycle(observations, options) ?? noProgress(observations, options);
}

/**
 * Occurrences of a call key, each marked whether it is legitimate: a retry the previous
 * occurrence asked for, or part of a polling cycle (a poller was called since the previous
 * occurrence, as in status, wait, status, wait).
 */
function occurrences(observations: StepObservation[], key: string) {
  const found: { step: number; call: CallObservation; requested: boolean; polling: boolean }[] = [];
  let previous: CallObservation | undefined;
  let pollerSince = false;
  for (const o of observations) {
    let polledHere = false;
    for (const call of o.calls) {
      if (call.poller) polledHere = true;
      if (call.key !== key) continue;
      found.push({ step: o.step, call, requested: previous?.retryRequested === true, polling: pollerSince });
      previous = call;
      pollerSince = false;
    }
    if (polledHere) pollerSince = true;
  }
  return found;
}

function repeat(observations: StepObservation[], options: LoopDetectorOptions): LoopEvidence | undefined {
  const last = observations[observations.length - 1];
  for (const call of last.calls) {
    if (call.poller || timesCalled(observations, call.key) < options.repeatThreshold) continue;
    const all = occurrences(observations, call.key);
    const requested = all.filter((o) => o.requested).length;
    // Retries the tool asked for are legitimate up to the allowance; past it they count again.
    const counted = (requested <= options.maxRequestedRetries ? all.filter((o) => !o.requested) : all).filter((o) => !o.polling);
    if (counted.length < options.repeatThreshold) continue;
    const tail = observations.slice(-options.repeatThreshold);
    const consecutive = requested === 0 && tail.length === options.repeatThreshold && tail.every((o) => o.calls.some((c) => c.key === call.key));
    const results = counted.map((o) => o.call.result);
    const resultRepeats = results.indexOf(results[results.length - 1]) < results.length - 1;
    if (consecutive || resultRepeats) {
      return {
        pattern: 'repeat',
        steps: counted.map((o) => o.step),
        detail: `${call.key} called ${counted.length} times${resultRepeats ? ' with a result already seen' : ' in a row'}`,
      };
    }
  }
  return undefined;
}

/** How often a call appears in the window: most steps make new calls, and need no more than this. */
function timesCalled(observations: StepObservation[], key: string): number {
  let n = 0;
  for (const o of observations) for (const c of o.calls) if (c.key === key) n++;
  return n;
}

function signature(o: StepObservation): string {
  if (o.calls.length === 1) return o.calls[0].key;
  return o.calls.length
    ? o.calls
        .map((c) => c.key)
        .sort()
        .join('|')
    : `text:${o.text}`;
}

function cycle(observations: StepObservation[], options: LoopDetectorOptions): LoopEvidence | undefined {
  const n = observations.length;
  if (n < 4) return undefined;
  const last = signature(observations[n - 1]);
  let all: string[] | undefined;
  for (let period = 2; period <= options.maxCyclePeriod; period++) {
    // Cheap test first: the last step must repeat the step one period earlier.
    if (n < 2 * period || last !== signature(observations[n - 1 - period])) continue;
    all ??= observations.map(signature);
    for (const copies of [2, 3]) {
      const span = period * copies;
      if (n < span) break;
      const tail = observations.slice(n - span);
      if (tail.some((o) => o.calls.some((c) => c.poller || c.retryRequested))) break;
      const sigs = all.slice(n - span);
      const block = sigs.slice(0, period);
      if (new Set(block).size < 2) break; // a period-1 repetition is the repeat detector's case
      if (!sigs.every((s, i) => s === block[i % period])) continue;
      // Two copies suffice when the second brought nothing new; with changing results it takes three.
      if (copies === 2 && tail.slice(period).some((o) => o.novel)) continue;
      return {
        pattern: 'cycle',
        steps: tail.map((o) => o.step),
        detail: `a cycle of ${period} steps repeated ${copies} times: ${block.join(' -> ')}`,
      };
    }
  }
  return undefined;
}

function noProgress(observations: StepObservation[], options: LoopDetectorOptions): LoopEvidence | undefined {
  if (observations[observations.length - 1].novel) return undefined;
  const tail = observations.slice(-options.noProgressSteps);
  if (tail.length < options.noProgressSteps) return undefined;
  const stale = tail.every((o) => !o.novel && o.calls.every((c) => !c.poller && !c.retryRequested));
  if (!stale) return undefined;
  return {
    pattern: 'no_progress',
    steps: tail.map((o) => o.step),
    detail: `${tail.length} steps in a row brought no new tool result or text`,
  };
}

function errorLoop(observations: StepObservation[], options: LoopDetectorOptions): LoopEvidence | undefined {
  const last = observations[observations.length - 1];
  if (!last.calls.some((c) => c.error && !c.retryRequested)) return undefined;
  const tail = observations.slice(-options.errorRepeatThreshold);
  if (tail.length < options.errorRepeatThreshold) return undefined;
  const errorsOf = (o: StepObservation) => new Set(o.calls.filter((c) => c.error && !c.retryRequested).map((c) => c.error!));
  let common = errorsOf(tail[0]);
  for (const o of tail.slice(1)) {
    const errors = errorsOf(o);
    common = new Set([...common].filter((e) => errors.has(e)));
  }
  if (common.size === 0) return undefined;
  const error = [...common][0];
  return { pattern: 'error_loop', steps: tail.map((o) => o.step), detail: `the same error ${tail.length} times: ${error}` };
}

/** The message sent to the model on a first detection. */
export function correctiveMessage(evidence: LoopEvidence): string {
  return (
    `You appear to be stuck in a loop (${evidence.pattern}: ${evidence.detail}; steps ${evidence.steps.join(', ')}). ` +
    'Repeating it will not give a different result. Change your approach (other tools or other arguments), ' +
    'or answer now with what you have and say what is missing.'
  );
}
