/**
 * Maps everything that can go wrong talking to an upstream onto SextantError, deciding
 * `retryable` where the facts are known (status, body, whether output was already sent),
 * so the retry, fallback and circuit-breaker middleware branch on `code` and `retryable` only.
 */
import { SextantError, type ErrorCode } from '../errors.js';
import { abortError } from './abort.js';

/** Who made the call, to put in every error's context (never the key itself). */
export interface UpstreamCallInfo {
  provider: string;
  /** Only used to scrub the key out of upstream messages that echo it. */
  apiKey?: string;
}

/**
 * The server-advised wait, in ms: `retry-after-ms` (OpenAI) first, then `Retry-After` as
 * seconds or as an HTTP date. Undefined when absent or unparsable.
 */
export function parseRetryAfter(headers: Headers, now: number = Date.now()): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '') {
    const value = Number(ms);
    if (Number.isFinite(value) && value >= 0) return value;
  }
  const header = headers.get('retry-after');
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const date = Date.parse(header);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** The `error` object of an OpenAI- or Anthropic-style error body, when the body is one. */
interface UpstreamErrorBody {
  message?: string;
  type?: string;
  code?: string;
}

function readErrorBody(text: string): UpstreamErrorBody {
  try {
    const parsed = JSON.parse(text) as { error?: unknown; message?: unknown };
    const error = parsed?.error;
    if (typeof error === 'string') return { message: error };
    if (error && typeof error === 'object') {
      const e = error as Record<string, unknown>;
      return {
        message: typeof e.message === 'string' ? e.message : undefined,
        type: typeof e.type === 'string' ? e.type : undefined,
        code: typeof e.code === 'string' ? e.code : e.code === undefined || e.code === null ? undefined : String(e.code),
      };
    }
    if (typeof parsed?.message === 'string') return { message: parsed.message };
  } catch {
    // Not JSON: the raw text (truncated) is the message.
  }
  return {};
}

/** Upstreams sometimes echo the key (e.g. "Incorrect API key provided: sk-..."): never let it through. */
export function scrubSecret(text: string, apiKey: string | undefined): string {
  if (!apiKey || apiKey.length < 4) return text;
  return text.split(apiKey).join('[redacted]');
}

const MAX_RAW_MESSAGE_CHARS = 500;

function codeForStatus(status: number, body: UpstreamErrorBody): { code: ErrorCode; retryable: boolean } {
  const quota = body.code === 'insufficient_quota' || body.type === 'insufficient_quota' || body.type === 'billing_error';
  if (status === 429) return quota ? { code: 'UPSTREAM_QUOTA_EXCEEDED', retryable: false } : { code: 'UPSTREAM_RATE_LIMITED', retryable: true };
  // 402 Payment Required: OpenRouter's and Anthropic's "out of credits".
  if (status === 402 || quota) return { code: 'UPSTREAM_QUOTA_EXCEEDED', retryable: false };
  if (status === 401) return { code: 'UNAUTHORIZED', retryable: false };
  if (status === 403) return { code: 'FORBIDDEN', retryable: false };
  if (status === 404) return { code: 'NOT_FOUND', retryable: false };
  if (status === 413) return { code: 'PAYLOAD_TOO_LARGE', retryable: false };
  if (status >= 400 && status < 500) return { code: 'INVALID_REQUEST', retryable: false };
  // 5xx, including Anthropic's 529 "overloaded": the same call can succeed later.
  return { code: 'UPSTREAM_ERROR', retryable: status >= 500 };
}

/** An HTTP error response from an upstream, with the upstream's own message kept. */
export function upstreamHttpError(info: UpstreamCallInfo, status: number, headers: Headers, bodyText: string): SextantError {
  const body = readErrorBody(bodyText);
  const { code, retryable } = codeForStatus(status, body);
  const raw = body.message ?? (bodyText.trim().slice(0, MAX_RAW_MESSAGE_CHARS) || `HTTP ${status}`);
  const message = scrubSecret(`${info.provider} returned ${status}: ${raw}`, info.apiKey);
  const retryAfterMs = parseRetryAfter(headers);
  return new SextantError(code, message, {
    status,
    retryable,
    retryAfterMs,
    context: { provider: info.provider, status, upstreamType: body.type, upstreamCode: body.code, retryAfterMs },
  });
}

/** The reason to throw when the caller's signal fired: its own SextantError (e.g. a TIMEOUT set by the timeout middleware) or ABORTED naming the provider. */
export function providerAbortError(info: UpstreamCallInfo, signal: AbortSignal | undefined, cause?: unknown): SextantError {
  return abortError(signal, { what: `The call to ${info.provider}`, context: { provider: info.provider }, cause });
}

/** The request rejected: an abort when the signal fired, otherwise a connection failure (retryable). */
export function fetchError(info: UpstreamCallInfo, error: unknown, signal: AbortSignal | undefined): SextantError {
  if (error instanceof SextantError) return error;
  if (signal?.aborted) return providerAbortError(info, signal, error);
  // fetch wraps the socket error in `cause`; undici's request API throws it as is.
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause ?? (error as { code?: string; message?: string });
  const detail = cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
  return new SextantError('NETWORK_ERROR', scrubSecret(`Could not reach ${info.provider}: ${detail}`, info.apiKey), {
    cause: error,
    retryable: true,
    context: { provider: info.provider, networkCode: cause?.code },
  });
}

/** A 2xx response whose body is not what the wire format promises. */
export function badResponseError(info: UpstreamCallInfo, detail: string, cause?: unknown): SextantError {
  return new SextantError('UPSTREAM_BAD_RESPONSE', `${info.provider} sent a response that could not be read: ${detail}`, {
    cause,
    retryable: false,
    context: { provider: info.provider },
  });
}

/**
 * A stream that ended badly after it had started. `outputSent` tells the retry middleware
 * whether anything already reached the caller: such a stream must never be replayed.
 */
export function streamInterruptedError(
  info: UpstreamCallInfo,
  detail: string,
  state: { outputSent: boolean; chunks: number; upstreamType?: string },
  cause?: unknown,
): SextantError {
  return new SextantError('STREAM_INTERRUPTED', scrubSecret(`The stream from ${info.provider} was interrupted: ${detail}`, info.apiKey), {
    cause,
    retryable: !state.outputSent,
    context: { provider: info.provider, outputSent: state.outputSent, chunksReceived: state.chunks, upstreamType: state.upstreamType },
  });
}
