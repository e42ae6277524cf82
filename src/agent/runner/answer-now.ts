import { textOf } from '../../model/types.js';
import { toSextantError } from '../../errors.js';
import { ATTR } from '../../trace/attributes.js';
import { startSpan } from '../tracing.js';
import { judgeAnswer } from './answer-checks.js';
import { closingToolMessages } from './conversation.js';
import { callModel, stepRecord } from './model-call.js';
import type { RunContext } from './run-context.js';
import type { Stop } from './stop.js';

/**
 * After a limit stopped the run: one last call without tools asks for the best answer so far,
 * when the agent allows it and the run's tokens allow it (its cost is admitted like any call).
 * The reply goes through the answer and final checks; nothing can be asked again, so a check
 * that would re-ask withholds it like a block: the stop keeps its reason, says why in its
 * detail, and the result has no output.
 */
export async function answerNow(ctx: RunContext, stop: Stop): Promise<Stop> {
  const { state, limits } = ctx;
  if (!limits.answerOnLimit || !stop.answerNow || ctx.signal.aborted) return stop;
  const lastTokens = state.steps.at(-1)?.response.usage.totalTokens ?? 0;
  if (state.usage.totalTokens + lastTokens > limits.maxTokens) return stop;
  const messages = [
    ...state.messages,
    ...closingToolMessages(state, `Not run: ${stop.detail}`),
    {
      role: 'user' as const,
      content: `The run must stop now (${stop.detail}). Do not call tools. Give your best answer from what you have, and say what is missing.`,
    },
  ];
  const step = state.steps.length + 1;
  ctx.stepSpan = startSpan(ctx.agent.tracer, { kind: 'step', name: `step ${step} (answer now)`, parent: ctx.runSpan, attributes: { [ATTR.STEP_INDEX]: step } });
  try {
    const began = performance.now();
    const response = await callModel(ctx, messages, step, { toolChoice: 'none' });
    state.steps.push(stepRecord(step, response, began));
    // The conversation now holds the closed step, the request to answer and the answer: a session or a resume continues from it.
    state.messages = [...messages, response.message];
    state.pending = undefined;
    const outcome = await judgeAnswer(ctx, response.message, false);
    ctx.stepSpan.end('ok');
    if (outcome.kind === 'accept') {
      ctx.answer = { text: outcome.text, output: outcome.output };
      return stop;
    }
    ctx.answer = { text: textOf(response.message.content) };
    if (outcome.kind === 'retry') return stop;
    return { ...stop, detail: `${stop.detail}; the answer given at the limit was withheld: ${outcome.stop.detail}`, error: outcome.stop.error };
  } catch (error) {
    // The stop stands; the failed last call is recorded on its span.
    ctx.stepSpan.end('error', { message: toSextantError(error).message });
    return stop;
  }
}
