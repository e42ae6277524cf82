import { toSextantError } from '../../errors.js';
import type { Message } from '../../model/types.js';
import type { ToolLogger } from '../../tools/define-tool.js';
import { DEFAULTS } from '../../defaults.js';
import { ATTR, EVENTS, OPERATIONS } from '../../trace/attributes.js';
import { runTool } from '../run-tool.js';
import { NOOP_SPAN, startSpan, type Span } from '../tracing.js';
import { guardToolResult } from '../untrusted.js';
import type { RunState, ToolInjectionVerdict, ToolResultRecord } from '../types.js';
import { checkToolResult } from './answer-checks.js';
import { toolMessage } from './conversation.js';
import { observeLoop } from './loop-check.js';
import { pool } from './pool.js';
import { checkpoint, type RunContext } from './run-context.js';
import { abortReason, type Stop } from './stop.js';
import { admitToolCalls, type RunnableCall } from './tool-admission.js';

/**
 * Runs the tool calls of the pending step (parallel up to the agent's cap), then closes the step:
 * tool-result checks, the results into the conversation, the loop detector, a checkpoint.
 * Returns a stop, or undefined when the step is complete.
 */
export async function runToolStep(ctx: RunContext): Promise<Stop | undefined> {
  const { state, options } = ctx;
  const step = state.steps.length;
  const settle = (result: ToolResultRecord) => {
    updatePending(ctx, (pending) => ({ results: [...pending.results, result] }));
    options.emit?.({ type: 'tool-result', step, result });
  };
  const admission = admitToolCalls(ctx, settle);
  if (admission.stop) return admission.stop;
  await pool(admission.runnable, ctx.agent.maxParallelTools, (call) => executeCall(ctx, step, call, settle));
  if (admission.approvals.length > 0) {
    updatePending(ctx, () => ({ approvals: admission.approvals }));
    return {
      reason: 'approval_required',
      detail: `waiting for approval of ${admission.approvals.map((a) => `${a.toolName} (${a.toolCallId})`).join(', ')}`,
      pendingApprovals: admission.approvals,
    };
  }

  // Every call has a result: close the step.
  const pending = state.pending!;
  const results = (pending.message.toolCalls ?? []).map((c) => pending.results.find((r) => r.toolCallId === c.id)!);
  const reasks: Message[] = [];
  if (ctx.agent.checks.some((check) => check.stage === 'tool-result')) {
    for (const result of results) {
      const outcome = await checkToolResult(ctx, result);
      if (outcome.stop) return outcome.stop;
      if (outcome.reask) reasks.push({ role: 'user', content: outcome.reask });
    }
  }
  for (const result of results) state.messages.push(toolMessage(result));
  state.messages.push(...reasks);
  // A new record in a new list, never the saved one changed in place: a checkpoint writes only the elements it has not seen.
  const record = { ...state.steps[state.steps.length - 1], toolResults: results };
  state.steps = [...state.steps.slice(0, -1), record];
  state.pending = undefined;
  options.emit?.({ type: 'step-finish', step: record });
  const loopStop = observeLoop(ctx, step, pending.message, results);
  if (loopStop) return loopStop;
  await checkpoint(ctx);
  return undefined;
}

/** One admitted call: marked started (and checkpointed) first when it is not idempotent, traced, its result guarded. */
async function executeCall(ctx: RunContext, step: number, { call, tool, input }: RunnableCall, settle: (result: ToolResultRecord) => void): Promise<void> {
  const { state, agent } = ctx;
  ctx.options.emit?.({ type: 'tool-call', step, toolCall: call });
  if (!tool.idempotent) {
    updatePending(ctx, (pending) => ({ started: [...pending.started, call.id] }));
    await checkpoint(ctx);
  }
  const span = agent.tracer
    ? startSpan(agent.tracer, {
        kind: 'tool',
        name: `execute_tool ${tool.name}`,
        parent: ctx.stepSpan,
        attributes: { [ATTR.OPERATION]: OPERATIONS.EXECUTE_TOOL, [ATTR.TOOL_NAME]: tool.name, [ATTR.TOOL_CALL_ID]: call.id, [ATTR.TOOL_INPUT]: input },
      })
    : NOOP_SPAN;
  try {
    const raw = await runTool(tool, call, input, {
      signal: ctx.signal,
      runId: state.runId,
      sessionId: state.sessionId,
      defaultTimeoutMs: DEFAULTS.agent.toolTimeoutMs,
      logger: spanLogger(span),
    });
    state.toolCalls = { ...state.toolCalls, [call.name]: (state.toolCalls[call.name] ?? 0) + 1 };
    const result = tool.trusted ? raw : guardToolResult(raw, agent.untrustedContent);
    if (span !== NOOP_SPAN) {
      // The span keeps what the tool returned; the record holds what the model was given.
      span.set({ [ATTR.TOOL_OUTPUT]: raw.content, [ATTR.TOOL_IS_ERROR]: result.isError, [ATTR.TOOL_ATTEMPTS]: result.attempts });
      if (result.injection) recordInjection(span, result.injection);
      span.end('ok');
    }
    settle(result);
    if (!tool.idempotent) await checkpoint(ctx);
  } catch (error) {
    const err = ctx.signal.aborted ? abortReason(ctx.signal) : toSextantError(error, 'TOOL_ERROR');
    span.end(ctx.signal.aborted ? 'interrupted' : 'error', { code: err.code, message: err.message });
    throw err;
  }
}

/** The pending step with some fields new: a new object, never the saved one changed in place (see CheckpointStore). */
function updatePending(ctx: RunContext, change: (pending: NonNullable<RunState['pending']>) => Partial<NonNullable<RunState['pending']>>): void {
  const pending = ctx.state.pending!;
  ctx.state.pending = { ...pending, ...change(pending) };
}

const NOOP_LOGGER: ToolLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** A tool's log lines become events of its span; without a tracer they go nowhere. */
const spanLogger = (span: Span): ToolLogger =>
  span === NOOP_SPAN
    ? NOOP_LOGGER
    : {
        debug: (message, data) => span.event('log', { level: 'debug', message, ...data }),
        info: (message, data) => span.event('log', { level: 'info', message, ...data }),
        warn: (message, data) => span.event('log', { level: 'warn', message, ...data }),
        error: (message, data) => span.event('log', { level: 'error', message, ...data }),
      };

/** The injection verdict on the tool's span: score and action always, the findings as an event when something was detected. */
function recordInjection(span: Span, verdict: ToolInjectionVerdict): void {
  span.set({ [ATTR.INJECTION_SCORE]: verdict.score, [ATTR.INJECTION_ACTION]: verdict.action });
  if (!verdict.detected) return;
  span.event(EVENTS.INJECTION, {
    [ATTR.INJECTION_SCORE]: verdict.score,
    [ATTR.INJECTION_ACTION]: verdict.action,
    [ATTR.INJECTION_CATEGORIES]: [...new Set(verdict.findings.map((f) => f.category))].join(', '),
    [ATTR.EVENT_DETAIL]: verdict.findings.map((f) => `${f.category}: ${f.evidence}`).join(' | '),
  });
}
