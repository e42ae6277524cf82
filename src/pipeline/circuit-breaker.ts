/**
 * A circuit breaker per target (model string): after `failureThreshold` consecutive failures,
 * or a failure rate of `failureRate` over `windowMs` (with at least `minimumCalls` calls),
 * the target's circuit opens and calls to it fail at once with CIRCUIT_OPEN, so fallback
 * moves on without waiting on a sick upstream. After `coolDownMs` it turns half-open and
 * lets `halfOpenProbes` calls through: a success closes it, a failure opens it again.
 *
 * Only the upstream's faults count (5xx, 429, network, per-attempt timeout, broken stream,
 * rejected credentials); a 400 proves the upstream is up and counts as a success; a call the
 * caller aborted counts for nothing.
 */
import { DEFAULTS } from '../defaults.js';
import { SextantError, toSextantError, type ErrorCode } from '../errors.js';
import type { StreamEvent } from '../model/types.js';
import type { Middleware } from './middleware.js';
import { abortError } from '../model/abort.js';

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitStateChange {
  target: string;
  from: CircuitState;
  to: CircuitState;
  /** The failure that opened the circuit. */
  error?: SextantError;
}

export interface CircuitBreakerOptions {
  failureThreshold?: number;
  failureRate?: number;
  minimumCalls?: number;
  windowMs?: number;
  coolDownMs?: number;
  halfOpenProbes?: number;
  /** Which errors are the upstream's fault; default `isUpstreamFailure`. */
  isFailure?: (error: SextantError) => boolean;
  onStateChange?: (change: CircuitStateChange) => void;
  /** Clock in ms; injectable so tests can pass a cool-down without waiting. */
  now?: () => number;
}

/** The outcome of one call let through; the first report wins, later ones are ignored. */
export interface CircuitPermit {
  /** True for a half-open probe: a probe stuck below must still free its slot. */
  readonly probe: boolean;
  success(): void;
  /** Classifies the error: an upstream fault is a failure, anything else shows the upstream is up. */
  failure(error: unknown): void;
  /** The call ended without telling anything about the upstream (the caller aborted, stopped reading). */
  release(): void;
}

export interface CircuitSnapshot {
  target: string;
  state: CircuitState;
  consecutiveFailures: number;
  /** Calls and failures in the current window. */
  calls: number;
  failures: number;
  /** When an open circuit lets a probe through (ms since epoch). */
  retryAt?: number;
}

export interface CircuitBreaker {
  state(target: string): CircuitState;
  /** Whether a call to `target` would be let through now. Does not take a half-open probe slot. */
  isAvailable(target: string): boolean;
  /** Lets a call through, or throws CIRCUIT_OPEN (with `retryAfterMs` when known). */
  acquire(target: string): CircuitPermit;
  snapshot(): CircuitSnapshot[];
}

/** Codes that put the fault on the upstream (the target), not on the request. Fallback moves on from these too. */
export const UPSTREAM_FAULT_CODES: readonly ErrorCode[] = [
  'UPSTREAM_ERROR',
  'UPSTREAM_RATE_LIMITED',
  'UPSTREAM_QUOTA_EXCEEDED',
  'UPSTREAM_BAD_RESPONSE',
  'NETWORK_ERROR',
  'STREAM_INTERRUPTED',
  'UNAUTHORIZED',
  'FORBIDDEN',
];

const UPSTREAM_FAULTS: ReadonlySet<ErrorCode> = new Set(UPSTREAM_FAULT_CODES);

/** Default failure rule. A TIMEOUT counts unless it is the whole call's budget running out, which says nothing about this target. */
export function isUpstreamFailure(error: SextantError): boolean {
  if (error.code === 'TIMEOUT') return error.context.scope !== 'total';
  return UPSTREAM_FAULTS.has(error.code);
}

/** The window is kept as 10 buckets: O(1) per call, rate accurate to a tenth of the window. */
const BUCKETS = 10;

interface Circuit {
  state: CircuitState;
  consecutiveFailures: number;
  openedAt: number;
  probes: number;
  bucketIds: number[];
  calls: number[];
  failures: number[];
}

export function createCircuitBreaker(options: CircuitBreakerOptions = {}): CircuitBreaker {
  const d = DEFAULTS.pipeline.breaker;
  const failureThreshold = options.failureThreshold ?? d.failureThreshold;
  const failureRate = options.failureRate ?? d.failureRate;
  const minimumCalls = options.minimumCalls ?? d.minimumCalls;
  const bucketMs = (options.windowMs ?? d.windowMs) / BUCKETS;
  const coolDownMs = options.coolDownMs ?? d.coolDownMs;
  const halfOpenProbes = options.halfOpenProbes ?? d.halfOpenProbes;
  const isFailure = options.isFailure ?? isUpstreamFailure;
  const now = options.now ?? Date.now;
  const circuits = new Map<string, Circuit>();

  function circuitOf(target: string): Circuit {
    let circuit = circuits.get(target);
    if (!circuit) {
      circuit = {
        state: 'closed',
        consecutiveFailures: 0,
        openedAt: 0,
        probes: 0,
        bucketIds: new Array<number>(BUCKETS).fill(-1),
        calls: new Array<number>(BUCKETS).fill(0),
        failures: new Array<number>(BUCKETS).fill(0),
      };
      circuits.set(target, circuit);
    }
    return circuit;
  }

  function move(target: string, circuit: Circuit, to: CircuitState, error?: SextantError): void {
    const from = circuit.state;
    circuit.state = to;
    if (to === 'open') circuit.openedAt = now();
    if (to === 'half-open') circuit.probes = 0;
    if (to === 'closed') {
      circuit.consecutiveFailures = 0;
      circuit.bucketIds.fill(-1);
    }
    options.onStateChange?.({ target, from, to, error });
  }

  /** An open circuit whose cool-down has passed is half-open. */
  function current(target: string, circuit: Circuit): CircuitState {
    if (circuit.state === 'open' && now() - circuit.openedAt >= coolDownMs) move(target, circuit, 'half-open');
    return circuit.state;
  }

  function windowTotals(circuit: Circuit): { calls: number; failures: number } {
    const newest = Math.floor(now() / bucketMs);
    let calls = 0;
    let failures = 0;
    for (let i = 0; i < BUCKETS; i++) {
      if (circuit.bucketIds[i] > newest - BUCKETS) {
        calls += circuit.calls[i];
        failures += circuit.failures[i];
      }
    }
    return { calls, failures };
  }

  function count(circuit: Circuit, failed: boolean): void {
    const id = Math.floor(now() / bucketMs);
    const i = id % BUCKETS;
    if (circuit.bucketIds[i] !== id) {
      circuit.bucketIds[i] = id;
      circuit.calls[i] = 0;
      circuit.failures[i] = 0;
    }
    circuit.calls[i]++;
    if (failed) circuit.failures[i]++;
  }

  function onSuccess(target: string, circuit: Circuit, probe: boolean): void {
    if (probe) circuit.probes--;
    if (circuit.state === 'half-open') return move(target, circuit, 'closed');
    circuit.consecutiveFailures = 0;
    count(circuit, false);
  }

  function onFailure(target: string, circuit: Circuit, probe: boolean, error: SextantError): void {
    if (probe) circuit.probes--;
    if (circuit.state === 'half-open') return move(target, circuit, 'open', error);
    if (circuit.state === 'open') return;
    circuit.consecutiveFailures++;
    count(circuit, true);
    const { calls, failures } = windowTotals(circuit);
    if (circuit.consecutiveFailures >= failureThreshold || (calls >= minimumCalls && failures / calls >= failureRate)) {
      move(target, circuit, 'open', error);
    }
  }

  function openError(target: string, circuit: Circuit): SextantError {
    const retryAfterMs = circuit.state === 'open' ? Math.max(0, circuit.openedAt + coolDownMs - now()) : undefined;
    return new SextantError('CIRCUIT_OPEN', `The circuit for ${target} is open: it failed repeatedly and is out of rotation for a cool-down`, {
      retryable: false,
      retryAfterMs,
      context: { target, state: circuit.state, consecutiveFailures: circuit.consecutiveFailures, retryAfterMs },
    });
  }

  return {
    state: (target) => current(target, circuitOf(target)),
    isAvailable(target) {
      const circuit = circuitOf(target);
      const state = current(target, circuit);
      return state === 'closed' || (state === 'half-open' && circuit.probes < halfOpenProbes);
    },
    acquire(target) {
      const circuit = circuitOf(target);
      const state = current(target, circuit);
      if (state === 'open' || (state === 'half-open' && circuit.probes >= halfOpenProbes)) throw openError(target, circuit);
      const probe = state === 'half-open';
      if (probe) circuit.probes++;
      let settled = false;
      const once = (report: () => void) => {
        if (settled) return;
        settled = true;
        report();
      };
      return {
        probe,
        success: () => once(() => onSuccess(target, circuit, probe)),
        failure: (thrown) =>
          once(() => {
            const error = toSextantError(thrown);
            if (error.code === 'ABORTED') {
              if (probe) circuit.probes--;
            } else if (isFailure(error)) onFailure(target, circuit, probe, error);
            else onSuccess(target, circuit, probe);
          }),
        release: () =>
          once(() => {
            if (probe) circuit.probes--;
          }),
      };
    },
    snapshot() {
      return [...circuits].map(([target, circuit]) => {
        const state = current(target, circuit);
        return {
          target,
          state,
          consecutiveFailures: circuit.consecutiveFailures,
          ...windowTotals(circuit),
          retryAt: state === 'open' ? circuit.openedAt + coolDownMs : undefined,
        };
      });
    },
  };
}

export interface CircuitBreakerMiddlewareOptions {
  breaker: CircuitBreaker;
}

/**
 * Guards each attempt with the breaker of its target (`request.model`). A half-open probe also
 * reports when the attempt's signal fires, so a call stuck below (ignoring its signal) still
 * frees its slot; other calls skip that listener (it costs ~10 µs on a fresh signal).
 */
export function circuitBreaker({ breaker }: CircuitBreakerMiddlewareOptions): Middleware {
  async function guarded<T>(target: string, signal: AbortSignal, call: () => Promise<T>): Promise<T> {
    const permit = breaker.acquire(target);
    const onAbort = () => permit.failure(abortError(signal));
    if (permit.probe) signal.addEventListener('abort', onAbort, { once: true });
    try {
      const result = await call();
      permit.success();
      return result;
    } catch (error) {
      permit.failure(signal.aborted ? abortError(signal) : error);
      throw error;
    } finally {
      if (permit.probe) signal.removeEventListener('abort', onAbort);
    }
  }

  return {
    name: 'circuit-breaker',
    generate: (request, context, next) => guarded(request.model, context.signal, () => next(request, context)),
    embed: (request, context, next) => guarded(request.model, context.signal, () => next(request, context)),
    async *stream(request, context, next): AsyncGenerator<StreamEvent> {
      const permit = breaker.acquire(request.model);
      const onAbort = () => permit.failure(abortError(context.signal));
      if (permit.probe) context.signal.addEventListener('abort', onAbort, { once: true });
      try {
        for await (const event of next(request, context)) {
          if (event.type === 'finish') permit.success();
          yield event;
        }
      } catch (error) {
        permit.failure(context.signal.aborted ? abortError(context.signal) : error);
        throw error;
      } finally {
        if (permit.probe) context.signal.removeEventListener('abort', onAbort);
        permit.release();
      }
    },
  };
}
