/**
 * Fallback across targets (model strings, any provider): the request's own model first,
 * then its fallbacks in order, each tried on the error classes in `on`. Targets whose
 * circuit is open are skipped without a call. The answering target and the failed ones are
 * recorded in `meta.target` and `meta.fallbacks`. When every target fails: ALL_TARGETS_FAILED
 * (CIRCUIT_OPEN if every one was skipped as open), with each target's error in `context.targets`.
 * A stream falls back only while nothing beyond `start` has reached the caller.
 */
import { SextantError, toSextantError, type ErrorCode } from '../errors.js';
import type { EmbeddingRequest, ModelRequest, ModelResponse, ResponseMeta, StreamEvent } from '../model/types.js';
import { annotate } from './annotate.js';
import { UPSTREAM_FAULT_CODES, type CircuitBreaker } from './circuit-breaker.js';
import type { CallContext, Middleware } from './middleware.js';
import { newRelayState, relayEvent, startAttempt } from './stream-relay.js';

/**
 * The target, not the request, is at fault: another model or provider may answer. The
 * circuit breaker's upstream faults, plus a per-attempt TIMEOUT, an open circuit and a model
 * the target does not have (NOT_FOUND). Not included: INVALID_REQUEST and PAYLOAD_TOO_LARGE (the same body fails everywhere), ABORTED
 * and a total TIMEOUT (the caller is gone or out of time), configuration errors.
 */
export const DEFAULT_FALLBACK_ON: readonly ErrorCode[] = [...UPSTREAM_FAULT_CODES, 'TIMEOUT', 'CIRCUIT_OPEN', 'NOT_FOUND'];

export interface FallbackEvent {
  from: string;
  to: string;
  error: SextantError;
}

export interface FallbackOptions {
  /**
   * Fallback targets per model string, tried in order after it (`'*'` applies to any model
   * without its own entry), or a function of the request. A call's `controls.fallbacks` replaces them.
   */
  targets?: Readonly<Record<string, readonly string[]>> | ((model: string) => readonly string[]);
  /** Error codes that move on to the next target. */
  on?: readonly ErrorCode[];
  /** Open targets are skipped without a call. */
  breaker?: CircuitBreaker;
  onFallback?: (event: FallbackEvent) => void;
}

/** One failed target, as recorded in `meta.fallbacks` and in ALL_TARGETS_FAILED's `context.targets`. */
export interface TargetFailure {
  target: string;
  code: ErrorCode;
  message: string;
  status?: number;
  attempts?: number;
  retryAfterMs?: number;
  /** True when the target was not called because its circuit was open. */
  skipped?: boolean;
}

function failureOf(target: string, error: SextantError, skipped = false): TargetFailure {
  const failure: TargetFailure = { target, code: error.code, message: error.message };
  if (error.status !== undefined) failure.status = error.status;
  if (typeof error.context.attempts === 'number') failure.attempts = error.context.attempts;
  if (error.retryAfterMs !== undefined) failure.retryAfterMs = error.retryAfterMs;
  if (skipped) failure.skipped = true;
  return failure;
}

function allFailed(failures: TargetFailure[], last: SextantError | undefined): SextantError {
  const allOpen = failures.every((f) => f.code === 'CIRCUIT_OPEN');
  const waits = failures.map((f) => f.retryAfterMs).filter((ms): ms is number => ms !== undefined);
  // Worth trying again only once the soonest target is expected back, and only if every target said when.
  const retryAfterMs = waits.length === failures.length ? Math.min(...waits) : undefined;
  const list = failures.map((f) => `${f.target}: ${f.code}`).join('; ');
  return new SextantError(
    allOpen ? 'CIRCUIT_OPEN' : 'ALL_TARGETS_FAILED',
    allOpen ? `Every target's circuit is open (${list})` : `Every target failed (${list})`,
    { cause: last, retryAfterMs, context: { targets: failures, retryAfterMs } },
  );
}

export function fallback(options: FallbackOptions = {}): Middleware {
  const on = new Set(options.on ?? DEFAULT_FALLBACK_ON);
  const { breaker, targets } = options;

  function chainOf(model: string, context: CallContext): readonly string[] {
    const rest = context.controls.fallbacks ?? (typeof targets === 'function' ? targets(model) : (targets?.[model] ?? targets?.['*'] ?? []));
    if (rest.length === 0) return [model];
    return [...new Set([model, ...rest])];
  }

  /** Whether to move on after `error`; anything else goes up as it is. */
  function movesOn(error: SextantError, context: CallContext): boolean {
    if (context.signal.aborted || !on.has(error.code)) return false;
    return !(error.code === 'TIMEOUT' && error.context.scope === 'total');
  }

  /** Tries the chain; `call` runs one target. Shared by plain calls and embeddings. */
  async function tryChain<T extends { meta: ResponseMeta }>(chain: readonly string[], context: CallContext, call: (target: string) => Promise<T>): Promise<T> {
    const failures: TargetFailure[] = [];
    let attempts = 0;
    let last: SextantError | undefined;
    for (let i = 0; i < chain.length; i++) {
      const target = chain[i];
      if (breaker && !breaker.isAvailable(target)) {
        failures.push({ target, code: 'CIRCUIT_OPEN', message: `The circuit for ${target} is open`, skipped: true });
        continue;
      }
      try {
        const response = await call(target);
        settleMeta(response.meta, target, failures, attempts);
        return response;
      } catch (thrown) {
        last = toSextantError(thrown);
        if (!movesOn(last, context)) throw failures.length > 0 ? annotate(last, { fallbacks: failures }) : last;
        failures.push(failureOf(target, last));
        attempts += typeof last.context.attempts === 'number' ? last.context.attempts : 1;
        if (i + 1 < chain.length) options.onFallback?.({ from: target, to: chain[i + 1], error: last });
      }
    }
    throw allFailed(failures, last);
  }

  function settleMeta(meta: ResponseMeta, target: string, failures: TargetFailure[], earlierAttempts: number): void {
    meta.target = target;
    meta.attempts = earlierAttempts + (meta.attempts ?? 1);
    if (failures.length > 0) meta.fallbacks = failures;
  }

  return {
    name: 'fallback',
    generate(request, context, next) {
      const chain = chainOf(request.model, context);
      if (chain.length === 1) return next(request, context);
      return tryChain(chain, context, (target) => next(target === request.model ? request : { ...request, model: target }, context));
    },
    embed(request: EmbeddingRequest, context, next) {
      const chain = chainOf(request.model, context);
      if (chain.length === 1) return next(request, context);
      return tryChain(chain, context, (target) => next(target === request.model ? request : { ...request, model: target }, context));
    },
    stream(request, context, next) {
      const chain = chainOf(request.model, context);
      if (chain.length === 1) return next(request, context);
      return streamChain(request, chain, context, next);
    },
  };

  async function* streamChain(
    request: ModelRequest,
    chain: readonly string[],
    context: CallContext,
    next: (request: ModelRequest, context: CallContext) => AsyncIterable<StreamEvent>,
  ): AsyncGenerator<StreamEvent> {
    const failures: TargetFailure[] = [];
    const state = newRelayState();
    let attempts = 0;
    let last: SextantError | undefined;
    for (let i = 0; i < chain.length; i++) {
      const target = chain[i];
      if (breaker && !breaker.isAvailable(target)) {
        failures.push({ target, code: 'CIRCUIT_OPEN', message: `The circuit for ${target} is open`, skipped: true });
        continue;
      }
      try {
        const events = next(target === request.model ? request : { ...request, model: target }, context);
        startAttempt(state);
        const onFinish = (response: ModelResponse) => settleMeta(response.meta, target, failures, attempts);
        for await (const event of events) if (relayEvent(event, state, onFinish)) yield event;
        return;
      } catch (thrown) {
        last = toSextantError(thrown);
        if (state.outputSent) throw annotate(last, { outputSent: true, target, ...(failures.length > 0 ? { fallbacks: failures } : {}) });
        if (!movesOn(last, context)) throw failures.length > 0 ? annotate(last, { fallbacks: failures }) : last;
        failures.push(failureOf(target, last));
        attempts += typeof last.context.attempts === 'number' ? last.context.attempts : 1;
        if (i + 1 < chain.length) options.onFallback?.({ from: target, to: chain[i + 1], error: last });
      }
    }
    throw allFailed(failures, last);
  }
}
