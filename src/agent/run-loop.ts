/**
 * The agent loop, as orchestration only: each stage is a module of `runner/` working on one
 * explicit RunContext.
 *
 *   limits (stop conditions) → context fit → model call (input checks beside the first)
 *     → tool step (admission, execution, tool-result checks, loop detector, checkpoint)
 *     → or answer checks → … → answer now (after a limit) → finish
 *
 * A run never throws for a run-level failure: the stop says it.
 */
import { textOf } from '../model/types.js';
import { ATTR } from '../trace/attributes.js';
import { NOOP_SPAN, startSpan } from './tracing.js';
import type { RunResult, RunState } from './types.js';
import { judgeAnswer } from './runner/answer-checks.js';
import { answerNow } from './runner/answer-now.js';
import { fitContext } from './runner/context-fit.js';
import { finishRun, runResult } from './runner/finish.js';
import { guardedFirstCall } from './runner/input-guardrails.js';
import { callModel, stepRecord } from './runner/model-call.js';
import { checkpoint, createRunContext, type AgentCore, type ExecuteOptions, type RunContext } from './runner/run-context.js';
import { firstStop, limitConditions, type StopCondition } from './runner/stop-conditions.js';
import { stopForError, type Stop } from './runner/stop.js';
import { runToolStep } from './runner/tool-step.js';

/** Runs (or resumes) a run from its state until it stops. */
export async function executeRun<Output>(agent: AgentCore<Output>, state: RunState, options: ExecuteOptions): Promise<RunResult<Output>> {
  if (state.completed) {
    // A completed run is final: its recorded answer is the result, and nothing is paid for again.
    const result = runResult<Output>(state, { reason: 'completed', detail: state.completed.detail }, state.completed.text, state.completed.output);
    options.emit?.({ type: 'finish', result });
    return result;
  }
  const { ctx, dispose } = createRunContext(agent, state, options);
  let stop: Stop;
  try {
    stop = await loop(ctx, limitConditions(ctx.limits));
  } catch (error) {
    ctx.stepSpan.end(ctx.signal.aborted ? 'interrupted' : 'error');
    stop = stopForError(error, ctx.signal, ctx.limits.timeoutMs);
  }
  // The answer-now call runs under the run's time limit too: the timer is stopped only after it.
  if (stop.answerNow) stop = await answerNow(ctx, stop);
  dispose();
  return finishRun(ctx, stop);
}

async function loop(ctx: RunContext, conditions: StopCondition[]): Promise<Stop> {
  const { state } = ctx;
  for (;;) {
    if (state.pending) {
      const stop = await runToolStep(ctx);
      endStep(ctx);
      if (stop) return stop;
      continue;
    }
    const limitStop = firstStop(ctx, conditions);
    if (limitStop) return limitStop;
    const step = state.steps.length + 1;
    ctx.stepSpan = startSpan(ctx.agent.tracer, { kind: 'step', name: `step ${step}`, parent: ctx.runSpan, attributes: { [ATTR.STEP_INDEX]: step } });
    ctx.options.emit?.({ type: 'step-start', step });
    await fitContext(ctx);
    const began = performance.now();
    const called =
      step === 1
        ? await guardedFirstCall(ctx, (signal) => callModel(ctx, state.messages, step, {}, signal))
        : { response: await callModel(ctx, state.messages, step) };
    if ('stop' in called) {
      endStep(ctx);
      return called.stop;
    }
    const { response } = called;
    const record = stepRecord(step, response, began);
    state.steps.push(record);
    state.messages.push(response.message);
    if (response.message.toolCalls?.length) {
      state.pending = { message: response.message, results: [], started: [], approvals: [] };
      // A call that overspent does not get its tools run: the budget is a hard stop.
      const overspent = firstStop(ctx, conditions, true);
      if (overspent) {
        endStep(ctx);
        return overspent;
      }
      await checkpoint(ctx);
      continue;
    }
    ctx.options.emit?.({ type: 'step-finish', step: record });
    const outcome = await judgeAnswer(ctx, response.message);
    await checkpoint(ctx);
    endStep(ctx);
    if (outcome.kind === 'accept') {
      ctx.answer = { text: outcome.text, output: outcome.output };
      return { reason: 'completed', detail: `answered after ${state.steps.length} steps` };
    }
    if (outcome.kind === 'stop') {
      ctx.answer = { text: textOf(response.message.content) };
      return outcome.stop;
    }
  }
}

function endStep(ctx: RunContext): void {
  ctx.stepSpan.end('ok');
  ctx.stepSpan = NOOP_SPAN;
}
