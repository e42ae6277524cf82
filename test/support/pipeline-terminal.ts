/**
 * A scripted Terminal for the pipeline's unit tests: it stands in for the provider router
 * (an LLM provider stand-in, as the scripted model is) and records what reached it.
 */
import { SextantError } from '../../src/errors.js';
import type { ModelResponse, StreamEvent, Usage } from '../../src/model/types.js';
import type { CallContext, Terminal } from '../../src/pipeline/middleware.js';

export type Step =
  /** Answers `text`; `usage: null` reports no usage (all zeros), as a stream without include_usage. */
  | { text: string; usage?: Usage | null; model?: string }
  /** Fails; on a stream after `afterEvents` events (`start` is the first; default 0). */
  | { error: SextantError; afterEvents?: number }
  /** Never answers: ends when the signal fires, or never when `ignoreSignal`. */
  | { hang: true; ignoreSignal?: boolean; afterEvents?: number };

export interface ScriptedTerminal extends Terminal {
  /** One entry per call that reached the terminal. */
  calls: { model: string; signal: AbortSignal; stream: boolean }[];
}

export function response(text: string, model: string, usage?: Usage | null): ModelResponse {
  return {
    id: 'resp-1',
    model,
    message: { role: 'assistant', content: text },
    finishReason: 'stop',
    usage: usage === null ? { inputTokens: 0, outputTokens: 0, totalTokens: 0 } : (usage ?? { inputTokens: 10, outputTokens: 5, totalTokens: 15 }),
    meta: {},
  };
}

function waitForAbort(signal: AbortSignal, ignoreSignal: boolean | undefined): Promise<never> {
  return new Promise((_, reject) => {
    if (ignoreSignal) return;
    const fail = () => reject(signal.reason instanceof SextantError ? signal.reason : new SextantError('ABORTED', 'aborted'));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
}

/** Steps are used in order; the last one repeats. */
export function scriptedTerminal(steps: Step[]): ScriptedTerminal {
  const calls: ScriptedTerminal['calls'] = [];
  const take = (model: string, context: CallContext, stream: boolean): Step => {
    calls.push({ model, signal: context.signal, stream });
    return steps[Math.min(calls.length - 1, steps.length - 1)];
  };
  return {
    calls,
    async generate(request, context) {
      const step = take(request.model, context, false);
      if ('error' in step) throw step.error;
      if ('hang' in step) return waitForAbort(context.signal, step.ignoreSignal);
      return response(step.text, step.model ?? request.model, step.usage);
    },
    async *stream(request, context): AsyncGenerator<StreamEvent> {
      const step = take(request.model, context, true);
      const text = 'text' in step ? step.text : 'partial output here';
      const model = ('text' in step && step.model) || request.model;
      const events: StreamEvent[] = [{ type: 'start', id: 'resp-1', model }];
      for (const word of text.split(/(?<= )/)) events.push({ type: 'text-delta', delta: word });
      const stopAt = 'text' in step ? Infinity : (step.afterEvents ?? 0);
      for (let i = 0; i < events.length && i < stopAt; i++) {
        yield events[i];
        await new Promise((resolve) => setImmediate(resolve));
      }
      if ('error' in step) throw step.error;
      if ('hang' in step) return await waitForAbort(context.signal, step.ignoreSignal);
      yield { type: 'finish', response: response(text, model, step.usage) };
    },
    async embed(request) {
      return { model: request.model, embeddings: request.input.map(() => [0, 1]), usage: { inputTokens: 0 }, meta: {} };
    },
  };
}

/** Errors shaped as the upstream error mapping makes them. */
export const upstream = {
  serverError: () => new SextantError('UPSTREAM_ERROR', 'upstream returned 503', { status: 503, retryable: true }),
  rateLimited: (retryAfterMs?: number) => new SextantError('UPSTREAM_RATE_LIMITED', 'upstream returned 429', { status: 429, retryable: true, retryAfterMs }),
  quota: () => new SextantError('UPSTREAM_QUOTA_EXCEEDED', 'insufficient_quota', { status: 429, retryable: false }),
  badRequest: () => new SextantError('INVALID_REQUEST', 'upstream returned 400', { status: 400, retryable: false }),
  network: () => new SextantError('NETWORK_ERROR', 'ECONNRESET', { retryable: true }),
};

/** Reads a whole stream, returning its events or the error that ended it. */
export async function drain(events: AsyncIterable<StreamEvent>): Promise<{ events: StreamEvent[]; error?: SextantError }> {
  const seen: StreamEvent[] = [];
  try {
    for await (const event of events) seen.push(event);
    return { events: seen };
  } catch (error) {
    return { events: seen, error: error as SextantError };
  }
}
