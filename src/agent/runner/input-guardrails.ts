import { SextantError } from '../../errors.js';
import type { ModelResponse } from '../../model/types.js';
import { questionOf } from './conversation.js';
import type { RunContext } from './run-context.js';
import { checkContext, runStageChecks } from './stage-checks.js';
import type { Stop } from './stop.js';

/**
 * The run's first model call with the `input` checks running beside it, as input guardrails:
 * the user waits for neither alone. A check that blocks aborts the call in flight and the run
 * stops with `check_failed` before any tool runs; otherwise the call's response is returned once
 * every input check has passed (or warned).
 */
export async function guardedFirstCall(
  ctx: RunContext,
  call: (signal: AbortSignal) => Promise<ModelResponse>,
): Promise<{ response: ModelResponse } | { stop: Stop }> {
  if (!ctx.agent.checks.some((c) => c.stage === 'input')) return { response: await call(ctx.signal) };
  const guardrail = new AbortController();
  const signal = AbortSignal.any([ctx.signal, guardrail.signal]);
  const input = { text: questionOf(ctx.state) };
  const answer = call(signal).then(
    (response) => ({ response }),
    (error: unknown) => ({ error }),
  );
  let failure;
  try {
    failure = await runStageChecks(ctx, 'input', (check, span) => checkContext(ctx, 'input', check, input, span), noFix, false);
  } catch (error) {
    // A check that could not run (its judge refused by the budget, the run cancelled) ends the run: so does the call beside it.
    guardrail.abort(error);
    await answer;
    throw error;
  }
  if (failure) {
    guardrail.abort(new SextantError('CHECK_FAILED', `input check "${failure.check.name}" blocked the run`, { context: { check: failure.check.name } }));
    await answer;
    return { stop: failure.stop! };
  }
  const settled = await answer;
  if ('error' in settled) throw settled.error;
  return settled;
}

function noFix(): void {}
