/**
 * Timeouts that really cancel: each one derives a child AbortSignal from the call's signal,
 * passes it down in the context (so the provider's fetch is aborted and the connection
 * closed) and races the call against it (so it ends on time even if the code below ignores
 * its signal). Expiry fails with code TIMEOUT and context `{ scope, timeout, ms }`.
 *
 * - `totalTimeout` bounds the whole call, retries, backoff waits and fallbacks included.
 * - `attemptTimeout` bounds one attempt. A plain call must answer within `ms`. A stream has
 *   no bound on its length (a long answer is not a fault); instead it must deliver its first
 *   event after `start` (first token, tool call or finish) within `streamFirstEventMs` of
 *   the request, and then never fall silent for more than `streamIdleMs` between events.
 *   Time the caller spends consuming an event does not count against the upstream. A target
 *   may have its own timeout (`perTargetMs`, the gateway's routes): it sits below fallback, so
 *   `request.model` is the target being tried.
 */
import { DEFAULTS } from '../defaults.js';
import { SextantError } from '../errors.js';
import type { StreamEvent } from '../model/types.js';
import type { CallContext, Middleware } from './middleware.js';
import { abortError } from '../model/abort.js';
import { Deadline } from './signals.js';

type Scope = 'total' | 'attempt';
type Which = 'total' | 'attempt' | 'first-event' | 'idle';

function timeoutError(scope: Scope, which: Which, ms: number): () => SextantError {
  return () =>
    new SextantError('TIMEOUT', `The model call timed out (${which} timeout of ${ms} ms)`, {
      // Another attempt may be faster; a spent total budget is final.
      retryable: scope === 'attempt',
      context: { scope, timeout: which, ms },
    });
}

async function raceGenerate<T>(context: CallContext, ms: number, scope: Scope, call: (context: CallContext) => Promise<T>): Promise<T> {
  const deadline = new Deadline(context.signal, context.deadline);
  deadline.arm(ms, timeoutError(scope, scope, ms));
  try {
    return await deadline.race(call({ ...context, signal: deadline.signal, deadline }));
  } catch (error) {
    // Whatever the code below threw once its signal fired (an AbortError, a reset socket), the cause is the timeout.
    if (deadline.signal.aborted) throw abortError(deadline.signal);
    throw error;
  } finally {
    deadline.dispose();
  }
}

interface StreamLimits {
  scope: Scope;
  /** Timer from the request to the first event after `start`. */
  firstEventMs: number;
  /** Timer between events once output flows; for the total scope, the same single timer keeps running. */
  idleMs?: number;
}

async function* raceStream(
  events: (context: CallContext) => AsyncIterable<StreamEvent>,
  context: CallContext,
  limits: StreamLimits,
): AsyncGenerator<StreamEvent> {
  const deadline = new Deadline(context.signal, context.deadline);
  const firstEvent = timeoutError(limits.scope, limits.scope === 'total' ? 'total' : 'first-event', limits.firstEventMs);
  const idle = limits.idleMs === undefined ? undefined : timeoutError(limits.scope, 'idle', limits.idleMs);
  if (idle) deadline.watch(limits.firstEventMs, firstEvent);
  else deadline.arm(limits.firstEventMs, firstEvent);
  const iterator = events({ ...context, signal: deadline.signal, deadline })[Symbol.asyncIterator]();
  let flowing = false;
  let finished = false;
  try {
    for (;;) {
      const result = await deadline.race(iterator.next());
      if (result.done) {
        finished = true;
        return;
      }
      if (!idle) {
        yield result.value;
        continue;
      }
      if (!flowing && result.value.type !== 'start') {
        flowing = true;
        deadline.watch(limits.idleMs!, idle);
      }
      deadline.pause();
      yield result.value;
      deadline.resume();
    }
  } catch (error) {
    if (deadline.signal.aborted) throw abortError(deadline.signal);
    throw error;
  } finally {
    deadline.dispose();
    // Closes the upstream stream when the caller stopped early or the deadline fired. Not awaited:
    // a source that ignores its signal would never settle, and the caller must not wait for it.
    if (!finished) iterator.return?.()?.catch(() => undefined);
  }
}

export interface TotalTimeoutOptions {
  /** The whole call, retries and fallbacks included. */
  ms?: number;
}

export function totalTimeout(options: TotalTimeoutOptions = {}): Middleware {
  const ms = options.ms ?? DEFAULTS.pipeline.timeout.totalMs;
  return {
    name: 'total-timeout',
    generate: (request, context, next) => raceGenerate(context, ms, 'total', (inner) => next(request, inner)),
    embed: (request, context, next) => raceGenerate(context, ms, 'total', (inner) => next(request, inner)),
    stream: (request, context, next) => raceStream((inner) => next(request, inner), context, { scope: 'total', firstEventMs: ms }),
  };
}

export interface AttemptTimeoutOptions {
  /** One plain (or embedding) attempt. */
  ms?: number;
  /** A stream attempt, from the request to its first event after `start`. */
  streamFirstEventMs?: number;
  /** A stream attempt, longest silence between events once output flows. */
  streamIdleMs?: number;
  /**
   * Targets' own timeouts (`provider:model` → ms), replacing `ms` and `streamFirstEventMs` for
   * attempts on that target: a slow model given more time, or a fast one cut sooner so fallback
   * moves on. Idle silence stays `streamIdleMs`.
   */
  perTargetMs?: Readonly<Record<string, number>>;
}

export function attemptTimeout(options: AttemptTimeoutOptions = {}): Middleware {
  const d = DEFAULTS.pipeline.timeout;
  const ms = options.ms ?? d.attemptMs;
  const limits: StreamLimits = {
    scope: 'attempt',
    firstEventMs: options.streamFirstEventMs ?? d.streamFirstEventMs,
    idleMs: options.streamIdleMs ?? d.streamIdleMs,
  };
  const perTarget = new Map<string, { ms: number; stream: StreamLimits }>();
  for (const [target, targetMs] of Object.entries(options.perTargetMs ?? {})) {
    perTarget.set(target, { ms: targetMs, stream: { scope: 'attempt', firstEventMs: targetMs, idleMs: limits.idleMs } });
  }
  return {
    name: 'attempt-timeout',
    generate: (request, context, next) => raceGenerate(context, perTarget.get(request.model)?.ms ?? ms, 'attempt', (inner) => next(request, inner)),
    embed: (request, context, next) => raceGenerate(context, perTarget.get(request.model)?.ms ?? ms, 'attempt', (inner) => next(request, inner)),
    stream: (request, context, next) => raceStream((inner) => next(request, inner), context, perTarget.get(request.model)?.stream ?? limits),
  };
}
