/**
 * What a call ends with when its AbortSignal fires, and a wait that an abort cuts short. The
 * providers, the pipeline and the agent all need both; they live here, in the lowest layer.
 */
import { SextantError } from '../errors.js';

export interface AbortErrorOptions {
  /** What was aborted, as the message's subject: `The call to openai`. Default `The call`. */
  what?: string;
  context?: Record<string, unknown>;
  /** Kept as the cause when the signal carries no reason of its own. */
  cause?: unknown;
}

/** The signal's reason when it is a SextantError (a TIMEOUT set by a timeout), else ABORTED. */
export function abortError(signal: AbortSignal | undefined, options: AbortErrorOptions = {}): SextantError {
  const reason: unknown = signal?.reason;
  if (reason instanceof SextantError) return reason;
  return new SextantError('ABORTED', `${options.what ?? 'The call'} was aborted`, { cause: reason ?? options.cause, context: options.context });
}

/**
 * Resolves after `ms` (never, for Infinity), or rejects with abortError as soon as `signal` fires.
 * The listener is removed when the wait ends: a run's signal outlives thousands of waits.
 */
export function sleep(ms: number, signal?: AbortSignal, options?: AbortErrorOptions): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortError(signal, options));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal, options));
    };
    const timer = Number.isFinite(ms)
      ? setTimeout(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }, ms)
      : undefined;
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
