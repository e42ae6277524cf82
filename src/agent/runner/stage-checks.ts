import { SextantError } from '../../errors.js';
import { isFailure, runCheck } from '../../checks/run-check.js';
import type { Check, CheckContext, CheckFix, CheckRecord, CheckStage } from '../../checks/types.js';
import { ATTR } from '../../trace/attributes.js';
import { startSpan, type Span } from '../tracing.js';
import { documentsOf, questionOf } from './conversation.js';
import type { RunContext } from './run-context.js';
import { runModel } from './run-model.js';
import type { Stop } from './stop.js';

/** A check that failed and was not settled by a warning or a fix: what the runtime does next. */
export interface CheckFailure {
  check: Check;
  reason: string;
  /** The re-ask text, when the check may still re-ask. */
  reask?: string;
  /** The stop, when it may not. */
  stop?: Stop;
}

/** What a check sees at `stage`: the run's question, documents and conversation, and the run's model (traced and accounted). */
export function checkContext(ctx: RunContext, stage: CheckStage, check: Check, answer: CheckContext['answer'], span: Span): CheckContext {
  const { state, agent } = ctx;
  return {
    stage,
    question: questionOf(state),
    answer,
    documents: documentsOf(state, agent.tools),
    messages: state.messages,
    signal: ctx.signal,
    model: runModel(ctx, () => span),
    modelName: agent.modelName,
    attempt: state.reasks[check.name] ?? 0,
    runId: state.runId,
  };
}

/**
 * Runs one stage's checks in order: each verdict recorded (a check span, parent of any model call
 * the check makes), warnings passed, fixes handed to `onFix` (the next check sees the fixed text
 * through `contextOf`), and the first failure that re-asks or stops returned.
 * `mayReask: false` (input checks, the reply made at a limit) turns a re-ask into a stop.
 */
export async function runStageChecks(
  ctx: RunContext,
  stage: CheckStage,
  contextOf: (check: Check, span: Span) => CheckContext,
  onFix: (fixed: CheckFix) => void,
  mayReask = true,
): Promise<CheckFailure | undefined> {
  for (const check of ctx.agent.checks) {
    if (check.stage !== stage) continue;
    const began = performance.now();
    const span = startSpan(ctx.agent.tracer, {
      kind: 'check',
      name: `check ${check.name}`,
      parent: ctx.stepSpan,
      attributes: { [ATTR.CHECK_NAME]: check.name },
    });
    const checkCtx = contextOf(check, span);
    let verdict;
    try {
      verdict = await runCheck(check, checkCtx);
    } catch (error) {
      span.end(ctx.signal.aborted ? 'interrupted' : 'error', { message: (error as Error).message });
      throw error;
    }
    const failed = isFailure(check, verdict);
    recordCheck(ctx, span, check, verdict, failed ? check.onFail : 'none', began);
    if (!failed || check.onFail === 'warn') continue;
    if (check.onFail === 'fix' && check.fix) {
      onFix(await check.fix(checkCtx, verdict));
      continue;
    }
    return { check, reason: verdict.reason, ...onFailure(ctx, check, verdict.reason, mayReask) };
  }
  return undefined;
}

function recordCheck(ctx: RunContext, span: Span, check: Check, verdict: CheckRecord['verdict'], action: CheckRecord['action'], began: number): void {
  const attempt = ctx.state.reasks[check.name] ?? 0;
  ctx.state.checks.push({ check: check.name, stage: check.stage, verdict, action, attempt, durationMs: performance.now() - began });
  span.set({
    [ATTR.CHECK_VERDICT]: verdict.pass === true ? 'pass' : verdict.pass === false ? 'fail' : 'unknown',
    ...(verdict.score !== undefined ? { [ATTR.CHECK_SCORE]: verdict.score } : {}),
    [ATTR.CHECK_REASON]: verdict.reason,
    [ATTR.CHECK_ACTION]: action,
  });
  span.end('ok');
}

/** What a failed check does, shared by every stage: the re-ask text, or a stop. */
function onFailure(ctx: RunContext, check: Check, reason: string, mayReask: boolean): { reask?: string; stop?: Stop } {
  const used = ctx.state.reasks[check.name] ?? 0;
  if (mayReask && check.onFail === 'reask' && used < check.maxReasks) {
    ctx.state.reasks = { ...ctx.state.reasks, [check.name]: used + 1 };
    return { reask: `Your previous answer failed the check "${check.name}": ${reason}\nReflect on what went wrong and answer again.` };
  }
  const exhausted = check.onFail === 'reask' && mayReask ? ` after ${used} re-asks` : '';
  const detail = `check "${check.name}" failed${exhausted}: ${reason}`;
  return {
    stop: { reason: 'check_failed', detail, error: new SextantError('CHECK_FAILED', detail, { context: { check: check.name, stage: check.stage } }) },
  };
}
