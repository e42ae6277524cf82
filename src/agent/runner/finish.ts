import { ATTR } from '../../trace/attributes.js';
import type { RunResult, RunState } from '../types.js';
import { closingToolMessages, lastAssistantText } from './conversation.js';
import { checkpoint, type RunContext } from './run-context.js';
import type { Stop } from './stop.js';

/**
 * Ends a run: the answer settled, the last checkpoint and the session saved, the run span closed
 * with the stop, and the result handed out (and emitted as the `finish` event).
 */
export async function finishRun<Output>(ctx: RunContext<Output>, stop: Stop): Promise<RunResult<Output>> {
  const { state, agent, answer } = ctx;
  if (!answer.text) answer.text = lastAssistantText(state.messages);
  if (stop.reason === 'completed')
    state.completed = { text: answer.text, ...(answer.output !== undefined ? { output: answer.output } : {}), detail: stop.detail };
  await checkpoint(ctx).catch(() => undefined);
  if (stop.reason !== 'approval_required' && agent.sessions && state.sessionId) {
    // Dangling tool calls of an unfinished step are closed, so the next run can send the conversation.
    await agent.sessions.save(state.sessionId, [...state.messages, ...closingToolMessages(state, 'Not run: the run stopped first.')]);
  }
  ctx.runSpan.set({
    [ATTR.RUN_OUTPUT]: (answer.output ?? answer.text) as unknown,
    [ATTR.STOP_REASON]: stop.reason,
    [ATTR.STOP_DETAIL]: stop.detail,
    [ATTR.RUN_STEPS]: state.steps.length,
    [ATTR.INPUT_TOKENS]: state.usage.inputTokens,
    [ATTR.OUTPUT_TOKENS]: state.usage.outputTokens,
    [ATTR.COST_USD]: state.cost.totalUsd,
  });
  const status = stop.reason === 'error' ? 'error' : stop.reason === 'timeout' || stop.reason === 'aborted' ? 'interrupted' : 'ok';
  ctx.runSpan.end(status, stop.error ? { code: stop.error.code, message: stop.error.message } : undefined);
  const result = runResult<Output>(state, stop, answer.text, answer.output);
  ctx.options.emit?.({ type: 'finish', result });
  return result;
}

/** The result of a run that is over. Its state is handed out as is (resume copies it before use). */
export function runResult<Output>(state: RunState, stop: Stop, text: string, output: unknown): RunResult<Output> {
  return {
    runId: state.runId,
    ...(state.sessionId ? { sessionId: state.sessionId } : {}),
    output: output as Output | undefined,
    text,
    stopReason: stop.reason,
    stopDetail: stop.detail,
    steps: state.steps,
    usage: state.usage,
    cost: state.cost,
    messages: state.messages,
    checks: state.checks,
    state,
    ...(stop.loop ? { loop: stop.loop } : {}),
    ...(stop.pendingApprovals ? { pendingApprovals: stop.pendingApprovals } : {}),
    ...(stop.error ? { error: stop.error } : {}),
  };
}
