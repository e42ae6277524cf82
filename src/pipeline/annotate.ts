import { SextantError } from '../errors.js';

/**
 * The same error with more context (attempts made, output already sent...). A new error is
 * made, the original kept as `cause`, so an error shared by several callers (a signal's
 * abort reason) is never changed under them.
 */
export function annotate(error: SextantError, context: Record<string, unknown>): SextantError {
  return new SextantError(error.code, error.message, {
    cause: error,
    context: { ...error.context, ...context },
    status: error.status,
    retryable: error.retryable,
    retryAfterMs: error.retryAfterMs,
  });
}
