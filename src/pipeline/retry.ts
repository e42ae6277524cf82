/**
 * Retry with exponential backoff and jitter. Retries only what can succeed when tried again
 * (error.retryable, as decided where the error was made: 429 rate limits, 5xx, network
 * errors, a per-attempt timeout), never a 400-409 or an exhausted quota, and never a stream
 * once output beyond `start` has reached the caller.
 */
import { DEFAULTS } from '../defaults.js';
import { SextantError, toSextantError, type ErrorCode } from '../errors.js';
import type { ModelResponse, ResponseMeta } from '../model/types.js';
import { annotate } from './annotate.js';
import { backoffDelayMs } from './backoff.js';
import type { CallContext, Middleware } from './middleware.js';
import { sleep } from '../model/abort.js';
import { newRelayState, relayEvent, startAttempt } from './stream-relay.js';

export interface RetryEvent {
  /** The attempt that failed (1 = the first call). */
  attempt: number;
  /** Wait before the next attempt. */
  delayMs: number;
  error: SextantError;
  /** The model string being retried. */
  model: string;
}

export interface RetryOptions {
  /** Attempts per call, the first included. */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A server-advised wait (Retry-After) longer than this is not waited for: the error goes up at once. */
  maxRetryAfterMs?: number;
  /** Which errors to retry; default `isRetryableError`. */
  shouldRetry?: (error: SextantError) => boolean;
  /** Called before each wait (for tracing and logs). */
  onRetry?: (event: RetryEvent) => void;
}

/** Codes that fail the same way however often they are sent. */
const NEVER_RETRIED: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'UPSTREAM_QUOTA_EXCEEDED',
  'INVALID_REQUEST',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'PAYLOAD_TOO_LARGE',
  'ABORTED',
  'CIRCUIT_OPEN',
]);

/** Default retry rule: the error says it is retryable, and it is no 400-409, no quota error, no total timeout. */
export function isRetryableError(error: SextantError): boolean {
  if (NEVER_RETRIED.has(error.code)) return false;
  if (error.status !== undefined && error.status >= 400 && error.status <= 409) return false;
  if (error.code === 'TIMEOUT') return error.context.scope === 'attempt';
  return error.retryable;
}

/** One entry of `meta.retries`: an attempt that failed and was retried. */
export interface RetryRecord {
  attempt: number;
  code: ErrorCode;
  delayMs: number;
}

export function retry(options: RetryOptions = {}): Middleware {
  const d = DEFAULTS.pipeline.retry;
  const maxAttempts = Math.max(1, options.maxAttempts ?? d.maxAttempts);
  const baseDelayMs = options.baseDelayMs ?? d.baseDelayMs;
  const maxDelayMs = options.maxDelayMs ?? d.maxDelayMs;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? d.maxRetryAfterMs;
  const shouldRetry = options.shouldRetry ?? isRetryableError;

  /** The wait before the next attempt, or a reason to give up (then the error goes up). */
  function plan(error: SextantError, attempt: number, context: CallContext): { delayMs: number } | { giveUp: string } {
    if (context.signal.aborted) return { giveUp: 'aborted' };
    if (!shouldRetry(error)) return { giveUp: 'not retryable' };
    if (attempt >= maxAttempts) return { giveUp: 'attempts exhausted' };
    if (error.retryAfterMs !== undefined) {
      if (error.retryAfterMs > maxRetryAfterMs) return { giveUp: 'retry-after exceeds maxRetryAfterMs' };
      return { delayMs: error.retryAfterMs };
    }
    return { delayMs: backoffDelayMs(attempt, baseDelayMs, maxDelayMs) };
  }

  async function failOrWait(thrown: unknown, attempt: number, model: string, context: CallContext, retries: RetryRecord[], extra?: Record<string, unknown>) {
    const error = toSextantError(thrown);
    const next = extra ? { giveUp: 'output already sent' } : plan(error, attempt, context);
    if ('giveUp' in next) throw annotate(error, { attempts: attempt, retryStop: next.giveUp, ...extra });
    retries.push({ attempt, code: error.code, delayMs: Math.round(next.delayMs) });
    options.onRetry?.({ attempt, delayMs: next.delayMs, error, model });
    await sleep(next.delayMs, context.signal);
  }

  function record(response: { meta: ResponseMeta }, attempt: number, retries: RetryRecord[]): void {
    response.meta.attempts = attempt;
    if (retries.length > 0) response.meta.retries = retries;
  }

  async function call<T extends { meta: ResponseMeta }>(model: string, context: CallContext, once: () => Promise<T>): Promise<T> {
    const retries: RetryRecord[] = [];
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await once();
        record(response, attempt, retries);
        return response;
      } catch (thrown) {
        await failOrWait(thrown, attempt, model, context, retries);
      }
    }
  }

  return {
    name: 'retry',
    generate(request, context, next) {
      return call(request.model, context, () => next(request, context));
    },
    embed(request, context, next) {
      return call(request.model, context, () => next(request, context));
    },
    async *stream(request, context, next) {
      const retries: RetryRecord[] = [];
      const state = newRelayState();
      for (let attempt = 1; ; attempt++) {
        try {
          startAttempt(state);
          const onFinish = (response: ModelResponse) => record(response, attempt, retries);
          for await (const event of next(request, context)) if (relayEvent(event, state, onFinish)) yield event;
          return;
        } catch (thrown) {
          await failOrWait(thrown, attempt, request.model, context, retries, state.outputSent ? { outputSent: true } : undefined);
        }
      }
    },
  };
}
