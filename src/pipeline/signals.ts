/**
 * Abort plumbing shared by the resilience middleware. Child signals are linked to their
 * parent by hand (not AbortSignal.any) so the link is removed as soon as the call ends:
 * a run's signal outlives thousands of calls and must not collect their listeners.
 */
import { SextantError } from '../errors.js';

/** The error a call ends with when its signal fired: the reason itself when it is a SextantError (a TIMEOUT), else ABORTED. */
export function abortReasonError(signal: AbortSignal): SextantError {
  const reason: unknown = signal.reason;
  if (reason instanceof SextantError) return reason;
  return new SextantError('ABORTED', 'The call was aborted', { cause: reason });
}

/** Resolves after `ms`, or rejects with the abort reason as soon as `signal` fires. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(abortReasonError(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReasonError(signal));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Largest delay setTimeout honours; above it Node fires after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A child of `parent` that a timer can abort. `expired` rejects (with the abort reason as a
 * SextantError) as soon as the child aborts, for whatever reason: racing a call against it
 * ends the call on time even if the code below ignores its signal.
 */
export class Deadline {
  readonly signal: AbortSignal;
  readonly expired: Promise<never>;
  private readonly controller = new AbortController();
  private readonly parent: AbortSignal;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly onParentAbort = () => this.controller.abort(this.parent.reason);

  constructor(parent: AbortSignal) {
    this.parent = parent;
    this.signal = this.controller.signal;
    this.expired = new Promise<never>((_, reject) => {
      this.signal.addEventListener('abort', () => reject(abortReasonError(this.signal)), { once: true });
    });
    // Nobody may be racing against it when it fires (between stream events): not an unhandled rejection.
    this.expired.catch(() => undefined);
    if (parent.aborted) this.onParentAbort();
    else parent.addEventListener('abort', this.onParentAbort, { once: true });
  }

  /** Aborts with `reason()` after `ms` (replacing any earlier timer). A non-positive or infinite `ms` sets no timer. */
  arm(ms: number, reason: () => SextantError): void {
    this.stop();
    if (!(ms > 0) || !Number.isFinite(ms) || this.signal.aborted) return;
    this.timer = setTimeout(() => this.controller.abort(reason()), Math.min(ms, MAX_TIMER_MS));
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Stops the timer and unlinks from the parent. */
  dispose(): void {
    this.stop();
    this.parent.removeEventListener('abort', this.onParentAbort);
  }
}
