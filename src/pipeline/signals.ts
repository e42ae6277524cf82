/**
 * Abort plumbing shared by the resilience middleware. Child signals are linked to their
 * parent by hand (not AbortSignal.any) so the link is removed as soon as the call ends:
 * a run's signal outlives thousands of calls and must not collect their listeners.
 */
import type { SextantError } from '../errors.js';
import { abortError } from '../model/abort.js';

/**
 * The signal of a call made without one: nobody can abort it. One shared instance rather than
 * a new AbortController per call (~7 µs in Node 20, measured). Listeners on a signal that never
 * fires are never called, so adding one is a no-op here: a long-lived shared signal must not
 * collect the listeners of every call (fetch adds one per request and drops it only on GC).
 */
export const NEVER_ABORTED: AbortSignal = (() => {
  const signal = new AbortController().signal;
  signal.addEventListener = () => undefined;
  signal.removeEventListener = () => undefined;
  return signal;
})();

/** Largest delay setTimeout honours; above it Node fires after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A child of `parent` that a timer can abort. `race(promise)` rejects (with the abort reason as
 * a SextantError) as soon as the child aborts, for whatever reason: racing a call against it
 * ends the call on time even if the code below ignores its signal.
 *
 * Adding a listener to a fresh AbortSignal costs about 10 µs in Node 20 (measured), more than
 * the rest of the pipeline: a deadline under another deadline is linked through a plain set,
 * and a pending race is rejected directly rather than from a listener on its own signal.
 * The parent deadline is handed over by the caller (the call context carries it), not looked up
 * from its signal in a WeakMap: a WeakMap value that references its key survives every young-
 * generation GC in V8, so each call's deadline and all it held were promoted to the old heap.
 */
export class Deadline {
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private readonly parent: AbortSignal;
  private readonly parentDeadline: Deadline | undefined;
  /** Nested deadlines, created on the first one (most deadlines have none). */
  private children: Set<Deadline> | undefined;
  /** Rejects the race in progress (a stream races once per event, one at a time). */
  private rejectRace: ((error: SextantError) => void) | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly onParentAbort = () => this.fire(this.parent.reason);

  /** Nests under `parent`; `parentDeadline` is the deadline whose signal that is, if any (ignored when it is not). */
  constructor(parent: AbortSignal, parentDeadline?: Deadline) {
    this.parent = parent;
    this.signal = this.controller.signal;
    this.parentDeadline = parentDeadline?.signal === parent ? parentDeadline : undefined;
    if (parent.aborted) this.onParentAbort();
    else if (this.parentDeadline) (this.parentDeadline.children ??= new Set()).add(this);
    else parent.addEventListener('abort', this.onParentAbort, { once: true });
  }

  private fire(reason: unknown): void {
    if (this.signal.aborted) return;
    this.stop();
    this.controller.abort(reason);
    this.rejectRace?.(abortError(this.signal));
    this.rejectRace = undefined;
    if (this.children) for (const child of this.children) child.fire(reason);
  }

  /**
   * `promise`, or the abort error as soon as this deadline fires. Not Promise.race against a
   * shared "expired" promise: each such race leaves a reaction on it until the deadline ends,
   * so a long stream (one race per event) would pile up thousands.
   */
  race<T>(promise: Promise<T>): Promise<T> {
    if (this.signal.aborted) {
      promise.then(undefined, () => undefined);
      return Promise.reject(abortError(this.signal));
    }
    return new Promise<T>((resolve, reject) => {
      this.rejectRace = reject;
      promise.then(resolve, reject);
    });
  }

  /** Aborts with `reason()` after `ms` (replacing any earlier timer). A non-positive or infinite `ms` sets no timer. */
  arm(ms: number, reason: () => SextantError): void {
    this.stop();
    if (!(ms > 0) || !Number.isFinite(ms) || this.signal.aborted) return;
    this.timer = setTimeout(() => this.fire(reason()), Math.min(ms, MAX_TIMER_MS));
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private watchMs = 0;
  private watchReason: () => SextantError = () => abortError(this.signal);
  private lastActivity = 0;
  private paused = false;

  /**
   * Aborts with `reason()` once `ms` pass without `resume()` being called (and not while
   * paused). For per-event stream deadlines: one timer per call, re-armed lazily when it
   * fires early, instead of a clearTimeout/setTimeout pair on every event.
   */
  watch(ms: number, reason: () => SextantError): void {
    this.stop();
    this.watchMs = ms;
    this.watchReason = reason;
    this.lastActivity = performance.now();
    if (!(ms > 0) || !Number.isFinite(ms) || this.signal.aborted) return;
    this.timer = setTimeout(this.check, Math.min(ms, MAX_TIMER_MS));
  }

  /** Stops the watch clock (the caller is busy with an event, not waiting on the upstream). */
  pause(): void {
    this.paused = true;
  }

  /** Restarts the watch clock from now. */
  resume(): void {
    this.paused = false;
    this.lastActivity = performance.now();
  }

  private readonly check = () => {
    const quiet = performance.now() - this.lastActivity;
    if (!this.paused && quiet >= this.watchMs) {
      this.timer = undefined;
      this.fire(this.watchReason());
      return;
    }
    const wait = this.paused ? this.watchMs : this.watchMs - quiet;
    this.timer = setTimeout(this.check, Math.max(1, Math.min(wait, MAX_TIMER_MS)));
  };

  /** Stops the timer and unlinks from the parent. */
  dispose(): void {
    this.stop();
    if (this.parentDeadline) this.parentDeadline.children?.delete(this);
    else this.parent.removeEventListener('abort', this.onParentAbort);
  }
}
