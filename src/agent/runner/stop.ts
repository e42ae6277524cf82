import { SextantError, isSextantError, toSextantError } from '../../errors.js';
import type { LoopEvidence } from '../../checks/loop-detector.js';
import type { PendingApproval, StopReason } from '../types.js';

/** Why the loop ended, with what the result needs to say so. Every way out of a run is one of these. */
export interface Stop {
  reason: StopReason;
  detail: string;
  loop?: LoopEvidence;
  error?: SextantError;
  pendingApprovals?: PendingApproval[];
  /** Whether one last "answer now" call may be made. */
  answerNow?: boolean;
}

/** The stop for an error that escaped the loop: the run's own abort (timeout or cancel), or a failure. */
export function stopForError(error: unknown, signal: AbortSignal, timeoutMs: number): Stop {
  if (signal.aborted) {
    const reason = abortReason(signal);
    if (reason.code === 'TIMEOUT') return { reason: 'timeout', detail: `reached the time limit of ${timeoutMs}ms`, error: reason };
    return { reason: 'aborted', detail: `the run was cancelled: ${reason.message}`, error: reason };
  }
  const err = toSextantError(error, 'UPSTREAM_ERROR');
  // A budget refused the next call (the run's own cost limit, or a shared budget in the pipeline): the run stopped on cost.
  if (err.code === 'BUDGET_EXCEEDED') return { reason: 'max_cost', detail: err.message, error: err };
  return { reason: 'error', detail: `${err.code}: ${err.message}`, error: err };
}

/** The error an aborted signal carries, as a SextantError. */
export function abortReason(signal: AbortSignal): SextantError {
  const reason: unknown = signal.reason;
  if (isSextantError(reason)) return reason;
  return new SextantError('ABORTED', reason instanceof Error ? reason.message : 'the run was aborted', { cause: reason });
}
