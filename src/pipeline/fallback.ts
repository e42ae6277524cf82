/**
 * Fallback across targets (model strings, any provider): the request's own model first,
 * then its fallbacks in order, each tried on the error classes in `on`. Targets whose
 * circuit is open are skipped without a call. The answering target and the failed ones are
 * recorded in `meta.target` and `meta.fallbacks`. When every target fails: ALL_TARGETS_FAILED
 * (CIRCUIT_OPEN if every one was skipped as open), with each target's error in `context.targets`.
 * A stream falls back only while nothing beyond `start` has reached the caller.
 */
import { SextantError, toSextantError, type ErrorCode } from '../errors.js';
import type { ModelRequest, ModelResponse, ResponseMeta, StreamEvent } from '../model/types.js';
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

  /**
   * One walk down the chain, shared by plain calls, embeddings and streams: skips open
   * targets, records each failure, moves on or throws what goes up, and settles the meta.
   */
  function walkChain(chain: readonly string[], context: CallContext) {
    const failures: TargetFailure[] = [];
    let attempts = 0;
    let last: SextantError | undefined;
    return {
      failures,
      /** Records `target` as skipped when its circuit is open; then it is not called. */
      skipsOpen(target: string): boolean {
        if (!breaker || breaker.isAvailable(target)) return false;
        failures.push({ target, code: 'CIRCUIT_OPEN', message: `The circuit for ${target} is open`, skipped: true });
        return true;
      },
      settle(meta: ResponseMeta, target: string): void {
        meta.target = target;
        meta.attempts = attempts + (meta.attempts ?? 1);
        if (failures.length > 0) meta.fallbacks = failures;
      },
      /** Records chain[i]'s failure and returns to move on, or throws the error when it goes up as it is. */
      fail(i: number, error: SextantError): void {
        last = error;
        if (!movesOn(error, context)) throw failures.length > 0 ? annotate(error, { fallbacks: failures }) : error;
        failures.push(failureOf(chain[i], error));
        attempts += typeof error.context.attempts === 'number' ? error.context.attempts : 1;
        if (i + 1 < chain.length) options.onFallback?.({ from: chain[i], to: chain[i + 1], error });
      },
      exhausted(): SextantError {
        return allFailed(failures, last);
      },
    };
  }

  /** Plain calls and embeddings: each target is one awaited call. */
  async function callChain<R extends { model: string }, T extends { meta: ResponseMeta }>(
    request: R,
    context: CallContext,
    next: (request: R, context: CallContext) => Promise<T>,
  ): Promise<T> {
    const chain = chainOf(request.model, context);
    if (chain.length === 1) return next(request, context);
    const walk = walkChain(chain, context);
    for (let i = 0; i < chain.length; i++) {
      const target = chain[i];
      if (walk.skipsOpen(target)) continue;
      try {
        const response = await next(target === request.model ? request : { ...request, model: target }, context);
        walk.settle(response.meta, target);
        return response;
      } catch (thrown) {
        walk.fail(i, toSextantError(thrown));
      }
    }
    throw walk.exhausted();
  }

  return {
    name: 'fallback',
    generate: callChain,
    embed: callChain,
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
    const walk = walkChain(chain, context);
    const state = newRelayState();
    for (let i = 0; i < chain.length; i++) {
      const target = chain[i];
      if (walk.skipsOpen(target)) continue;
      try {
        const events = next(target === request.model ? request : { ...request, model: target }, context);
        startAttempt(state);
        const onFinish = (response: ModelResponse) => walk.settle(response.meta, target);
        for await (const event of events) if (relayEvent(event, state, onFinish)) yield event;
        return;
      } catch (thrown) {
        const error = toSextantError(thrown);
        if (state.outputSent) throw annotate(error, { outputSent: true, target, ...(walk.failures.length > 0 ? { fallbacks: walk.failures } : {}) });
        walk.fail(i, error);
      }
    }
    throw walk.exhausted();
  }
}
