import { type ErrorCode, SextantError, toSextantError } from '../errors.js';

/** OpenAI's error body: every client library parses this shape. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

interface HttpMapping {
  status: number;
  /** OpenAI's `error.type`. */
  type: string;
}

/**
 * The one table from SextantError codes to HTTP. Types follow OpenAI's own (clients branch on
 * them); codes outside the table are server errors. 499 is "client closed request" (nginx).
 */
const HTTP_BY_CODE: Partial<Record<ErrorCode, HttpMapping>> = {
  INVALID_REQUEST: { status: 400, type: 'invalid_request_error' },
  INVALID_MODEL_STRING: { status: 400, type: 'invalid_request_error' },
  TOOL_INPUT_INVALID: { status: 400, type: 'invalid_request_error' },
  INJECTION_BLOCKED: { status: 400, type: 'invalid_request_error' },
  SSRF_BLOCKED: { status: 400, type: 'invalid_request_error' },
  UNAUTHORIZED: { status: 401, type: 'authentication_error' },
  FORBIDDEN: { status: 403, type: 'permission_error' },
  UNKNOWN_MODEL: { status: 404, type: 'invalid_request_error' },
  UNKNOWN_PROVIDER: { status: 404, type: 'invalid_request_error' },
  NOT_FOUND: { status: 404, type: 'invalid_request_error' },
  PAYLOAD_TOO_LARGE: { status: 413, type: 'invalid_request_error' },
  OUTPUT_INVALID: { status: 422, type: 'invalid_request_error' },
  CHECK_FAILED: { status: 422, type: 'invalid_request_error' },
  LOOP_DETECTED: { status: 422, type: 'invalid_request_error' },
  RATE_LIMITED: { status: 429, type: 'rate_limit_error' },
  BUDGET_EXCEEDED: { status: 429, type: 'insufficient_quota' },
  UPSTREAM_RATE_LIMITED: { status: 429, type: 'rate_limit_error' },
  UPSTREAM_QUOTA_EXCEEDED: { status: 429, type: 'insufficient_quota' },
  ABORTED: { status: 499, type: 'invalid_request_error' },
  UPSTREAM_ERROR: { status: 502, type: 'upstream_error' },
  UPSTREAM_BAD_RESPONSE: { status: 502, type: 'upstream_error' },
  NETWORK_ERROR: { status: 502, type: 'upstream_error' },
  STREAM_INTERRUPTED: { status: 502, type: 'upstream_error' },
  ALL_TARGETS_FAILED: { status: 502, type: 'upstream_error' },
  CIRCUIT_OPEN: { status: 503, type: 'service_unavailable' },
  TIMEOUT: { status: 504, type: 'timeout' },
};

const SERVER_ERROR: HttpMapping = { status: 500, type: 'server_error' };

export interface HttpError {
  status: number;
  body: OpenAIErrorBody;
  /** Extra headers: Retry-After, and x-should-retry so OpenAI clients do not retry what cannot succeed. */
  headers: Record<string, string>;
}

/**
 * Maps any thrown value to an OpenAI-style error response. An upstream's own client error
 * (4xx other than 429) passes through with its status: the request itself was wrong.
 * Anything that is not a SextantError is a gateway bug: its message is not shown to clients.
 */
export function toHttpError(thrown: unknown): HttpError {
  const known = thrown instanceof SextantError || (thrown instanceof Error && thrown.name === 'AbortError');
  if (!known) {
    return { status: 500, headers: {}, body: { error: { message: 'Internal gateway error', type: 'server_error', param: null, code: 'internal_error' } } };
  }
  const error = toSextantError(thrown);
  const mapping = HTTP_BY_CODE[error.code] ?? SERVER_ERROR;
  const upstreamStatus = error.status;
  const upstreamClientError = error.code === 'UPSTREAM_ERROR' && upstreamStatus !== undefined && upstreamStatus >= 400 && upstreamStatus < 500;
  const status = upstreamClientError ? upstreamStatus : mapping.status;
  const type = upstreamClientError ? 'invalid_request_error' : mapping.type;
  const param = typeof error.context.param === 'string' ? error.context.param : null;
  const headers: Record<string, string> = { 'x-should-retry': String(error.retryable || error.retryAfterMs !== undefined) };
  if (error.retryAfterMs !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(error.retryAfterMs / 1000)));
  return { status, headers, body: { error: { message: error.message, type, param, code: error.code.toLowerCase() } } };
}

/** A request error with the offending parameter named, as OpenAI reports it. */
export function invalidRequest(message: string, param?: string): SextantError {
  return new SextantError('INVALID_REQUEST', message, { context: param === undefined ? {} : { param } });
}
