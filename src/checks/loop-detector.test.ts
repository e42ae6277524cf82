import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../canonical-json.js';
import { emptyLoopState, observeStep, resolveLoopOptions, type CallObservation } from './loop-detector.js';

const options = resolveLoopOptions();
const call = (key: string, result: string, extra: Partial<CallObservation> = {}): CallObservation => ({
  key,
  tool: key.split('(')[0],
  result,
  poller: false,
  retryRequested: false,
  ...extra,
});

function feed(steps: CallObservation[][]) {
  const state = emptyLoopState();
  return steps.map((calls, i) => observeStep(state, { step: i + 1, calls, text: '' }, options).action);
}

describe('loop detector', () => {
  it('canonical JSON sorts keys at every depth and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: undefined } })).toBe('{"a":{"d":[2,{"e":0,"f":1}]},"b":1}');
  });

  it('warns on the first detection, stops on the next', () => {
    expect(feed([[call('a()', 'r')], [call('a()', 'r')], [call('a()', 'r')], [call('a()', 'r')]])).toEqual(['none', 'none', 'warn', 'stop']);
  });

  it('a call that changes its result between occurrences (get_cart between edits) is not a repeat', () => {
    const steps = [0, 1, 2, 3].flatMap((i) => [[call('cart()', `cart v${i}`)], [call(`add(${i})`, `added ${i}`)]]);
    expect(feed(steps)).not.toContain('warn');
  });

  it('status/wait polling cycles are legitimate; a wait loop without a poller is not', () => {
    const polling = Array.from({ length: 10 }, (_, i) => (i % 2 ? [call('wait(5)', 'waited')] : [call('status(j)', 'running', { poller: true })]));
    expect(feed(polling)).not.toContain('warn');
    const waiting = Array.from({ length: 4 }, () => [call('wait(5)', 'waited')]);
    expect(feed(waiting)).toContain('warn');
  });

  it('tool-requested retries are tolerated up to maxRequestedRetries', () => {
    const retry = () => [call('book()', 'busy', { retryRequested: true, error: 'book: busy' })];
    expect(feed([...Array.from({ length: 5 }, retry), [call('book()', 'ok')]])).not.toContain('warn');
    expect(feed(Array.from({ length: 9 }, retry))).toContain('warn');
  });
});
