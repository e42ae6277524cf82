/**
 * Which failures of a tool call are worth trying again. The default (`transientToolError`) is
 * safe for tools with effects: a call that may have reached its server (a reset connection, a
 * timeout) is repeated only for a tool declared `idempotent`, since repeating a payment or an
 * email after the server acted on it does it twice. A failure that shows the request never left
 * (a refused connection, a DNS lookup that failed for now, a connect timeout) is retried for
 * every tool: nothing happened, so nothing is repeated.
 */
import { isSextantError } from '../errors.js';

/** Decides whether a failed attempt is tried again (within the tool's `retries`). `attempt` is the one that failed (1 = the first). */
export type ToolRetryPolicy = (error: unknown, attempt: number) => boolean;

/** Socket and DNS codes of failures that happened before a request was sent: the server never saw it. */
const NEVER_SENT = new Set(['ECONNREFUSED', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * Codes of transient network failures that may come after the request was sent (the connection
 * reset or closed mid-way, a read timed out). Only undici's transient codes: its others
 * (UND_ERR_INVALID_ARG, UND_ERR_ABORTED, ...) are bugs or aborts that fail the same way again.
 */
const MAYBE_SENT = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** How deep `cause` chains are followed: fetch wraps the socket error once, a client library may wrap that again. */
const MAX_CAUSE_DEPTH = 4;

/**
 * The network error codes an error carries: its own `code`, those of its causes (fetch throws
 * `TypeError('fetch failed')` with the socket error as `cause`) and of an AggregateError's errors
 * (a connection tried on several addresses).
 */
function networkCodes(error: unknown, depth = 0): string[] {
  if (typeof error !== 'object' || error === null || depth > MAX_CAUSE_DEPTH) return [];
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  const codes = typeof code === 'string' ? [code] : [];
  codes.push(...networkCodes(cause, depth + 1));
  if (Array.isArray(errors)) for (const inner of errors) codes.push(...networkCodes(inner, depth + 1));
  return codes;
}

/** Whether the error is a network failure, and whether the request may have reached the server. */
export function networkFailure(error: unknown): 'never-sent' | 'maybe-sent' | undefined {
  const codes = networkCodes(error);
  if (codes.some((c) => MAYBE_SENT.has(c))) return 'maybe-sent';
  if (codes.some((c) => NEVER_SENT.has(c))) return 'never-sent';
  return undefined;
}

/**
 * The default retry policy: a retryable SextantError the tool threw (a ToolRetryRequest, an
 * upstream's 429 or 503) as before; a network failure that never reached the server; and, for an
 * idempotent tool only, a network failure that may have (ECONNRESET, ETIMEDOUT, ...) and the
 * call's own timeout. Anything else (a bug, a validation error, a 4xx) fails the same way again.
 */
export function transientToolError(error: unknown, idempotent: boolean): boolean {
  if (isSextantError(error)) return error.code === 'TOOL_TIMEOUT' ? idempotent : error.retryable;
  const failure = networkFailure(error);
  return failure === 'never-sent' || (failure === 'maybe-sent' && idempotent);
}
