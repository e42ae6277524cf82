import { isSextantError } from '../errors.js';
import type { Check, CheckContext, CheckVerdict } from './types.js';

/**
 * Runs one check and always returns a verdict: a check that throws, or returns something
 * that is not a verdict, yields `'unknown'` with the error as the reason — never a pass.
 * Rethrown: an abort of the run, so cancellation stays cancellation, and a budget that refused a
 * model call the check made, so the run stops on cost rather than on a check that could not run.
 */
export async function runCheck(check: Check, ctx: CheckContext): Promise<CheckVerdict> {
  let verdict: unknown;
  try {
    verdict = await check.run(ctx);
  } catch (error) {
    if (ctx.signal.aborted || isSextantError(error, 'ABORTED') || isSextantError(error, 'BUDGET_EXCEEDED')) throw error;
    const message = error instanceof Error ? error.message : String(error);
    return { pass: 'unknown', reason: `check "${check.name}" threw: ${message}`, evidence: isSextantError(error) ? error.toJSON() : undefined };
  }
  return normalizeVerdict(check.name, verdict);
}

function normalizeVerdict(name: string, value: unknown): CheckVerdict {
  if (typeof value !== 'object' || value === null) {
    return { pass: 'unknown', reason: `check "${name}" returned no verdict` };
  }
  const v = value as Partial<CheckVerdict>;
  if (v.pass !== true && v.pass !== false && v.pass !== 'unknown') {
    return { pass: 'unknown', reason: `check "${name}" returned a verdict without pass: true | false | 'unknown'` };
  }
  const out: CheckVerdict = { pass: v.pass, reason: typeof v.reason === 'string' ? v.reason : '' };
  if (typeof v.score === 'number' && Number.isFinite(v.score)) out.score = v.score;
  if (v.evidence !== undefined) out.evidence = v.evidence;
  return out;
}

/** Whether a verdict counts as a failure for this check (an unknown one fails unless the check says warn). */
export function isFailure(check: Check, verdict: CheckVerdict): boolean {
  return verdict.pass === false || (verdict.pass === 'unknown' && check.onUnknown === 'fail');
}
