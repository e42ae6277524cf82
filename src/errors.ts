/**
 * One error type for the whole toolkit. `code` is stable: callers (and the gateway's
 * HTTP mapping) branch on it, never on the message. `context` holds what a caller needs
 * to act on the error (what remains of a budget, which limit, which upstream...).
 */
export const ERROR_CODES = [
  // configuration
  'CONFIG_INVALID',
  'UNKNOWN_PROVIDER',
  'MISSING_API_KEY',
  'INVALID_MODEL_STRING',
  'UNKNOWN_MODEL',
  // requests and upstreams
  'INVALID_REQUEST',
  'UPSTREAM_ERROR',
  'UPSTREAM_RATE_LIMITED',
  'UPSTREAM_QUOTA_EXCEEDED',
  'UPSTREAM_BAD_RESPONSE',
  'NETWORK_ERROR',
  'STREAM_INTERRUPTED',
  'TIMEOUT',
  'ABORTED',
  'CIRCUIT_OPEN',
  'ALL_TARGETS_FAILED',
  // agent runtime
  'MAX_STEPS',
  'LOOP_DETECTED',
  'TOOL_ERROR',
  'TOOL_TIMEOUT',
  'TOOL_INPUT_INVALID',
  'TOOL_OUTPUT_INVALID',
  'TOOL_NOT_FOUND',
  'TOOL_CALL_LIMIT',
  'APPROVAL_REQUIRED',
  'APPROVAL_MISMATCH',
  'OUTPUT_INVALID',
  'CHECK_FAILED',
  'RUN_STATE_INVALID',
  // cost and security
  'BUDGET_EXCEEDED',
  'RATE_LIMITED',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'SSRF_BLOCKED',
  'INJECTION_BLOCKED',
  'PAYLOAD_TOO_LARGE',
  'SANDBOX_ERROR',
  'SANDBOX_UNAVAILABLE',
  // storage
  'STORE_ERROR',
  'NOT_FOUND',
  'AUDIT_CHAIN_BROKEN',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface SextantErrorOptions {
  /** Anything a caller needs to act on the error. Never holds secrets. */
  context?: Record<string, unknown>;
  cause?: unknown;
  /** HTTP status from an upstream, when there was one. */
  status?: number;
  /** Whether the same call may succeed if retried. Decided where the error is made. */
  retryable?: boolean;
  /** Server-advised wait before a retry, in ms (from Retry-After / retry-after-ms). */
  retryAfterMs?: number;
}

/**
 * Marks every SextantError, whichever copy of this module made it: an agent module that `sextant
 * run` loads with its own module instances (tsx's tsImport), or a bundled copy, throws errors of
 * another class object, and their codes (MISSING_API_KEY...) must survive `instanceof`.
 */
const SEXTANT_ERROR = Symbol.for('sextant.error');

export class SextantError extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    // Subclasses (ToolRetryRequest) keep the ordinary prototype check.
    if (this !== SextantError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[SEXTANT_ERROR] === true;
  }

  readonly [SEXTANT_ERROR] = true;
  readonly code: ErrorCode;
  readonly context: Record<string, unknown>;
  readonly status?: number;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;

  constructor(code: ErrorCode, message: string, options: SextantErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SextantError';
    this.code = code;
    this.context = options.context ?? {};
    this.status = options.status;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, status: this.status, context: this.context };
  }
}

export function isSextantError(error: unknown, code?: ErrorCode): error is SextantError {
  return error instanceof SextantError && (code === undefined || error.code === code);
}

/** Wraps anything thrown into a SextantError, keeping SextantErrors as they are. */
export function toSextantError(error: unknown, fallbackCode: ErrorCode = 'UPSTREAM_ERROR'): SextantError {
  if (error instanceof SextantError) return error;
  if (error instanceof Error && error.name === 'AbortError') {
    return new SextantError('ABORTED', error.message || 'The operation was aborted', { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new SextantError(fallbackCode, message, { cause: error });
}
