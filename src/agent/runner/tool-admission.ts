import { SextantError } from '../../errors.js';
import type { ToolCall } from '../../model/types.js';
import type { Tool } from '../../tools/define-tool.js';
import { DEFAULTS } from '../../defaults.js';
import { ATTR, EVENTS } from '../../trace/attributes.js';
import { argsHash } from '../approvals.js';
import { parseToolArguments } from '../run-tool.js';
import type { PendingApproval, ToolResultRecord } from '../types.js';
import { errorResult } from './conversation.js';
import { recordLimit, type RunContext } from './run-context.js';
import type { Stop } from './stop.js';

export interface RunnableCall {
  call: ToolCall;
  tool: Tool;
  input: unknown;
}

export interface Admission {
  /** Calls cleared to run now. */
  runnable: RunnableCall[];
  /** Calls waiting for a human. */
  approvals: PendingApproval[];
  /** Set when a call stops the run (repairs exhausted, a tool whose limit stops the run). */
  stop?: Stop;
}

/**
 * Decides, for each call of the pending step not yet settled, whether it runs: an unknown tool,
 * bad arguments, a call past its tool's limit, an interrupted non-idempotent call or a rejected
 * approval is settled with a tool error the model can act on; a call that needs approval waits.
 */
export function admitToolCalls(ctx: RunContext, settle: (result: ToolResultRecord) => void): Admission {
  const { agent, state, limits } = ctx;
  const pending = state.pending!;
  const admission: Admission = { runnable: [], approvals: [] };
  const stepCounts = new Map<string, number>();
  for (const call of pending.message.toolCalls ?? []) {
    if (state.pending!.results.some((r) => r.toolCallId === call.id)) continue;
    const tool = agent.tools.get(call.name);
    if (!tool) {
      const available = [...agent.tools.keys()].join(', ') || 'none';
      settle(errorResult(call, call.arguments, 'TOOL_NOT_FOUND', `there is no tool "${call.name}"; available tools: ${available}`));
      continue;
    }
    const parsed = parseToolArguments(tool, call);
    if (!parsed.ok) {
      if (parsed.malformedJson) {
        state.repairs = { ...state.repairs, toolArguments: state.repairs.toolArguments + 1 };
        if (state.repairs.toolArguments > agent.repairs.toolArguments) {
          admission.stop = {
            reason: 'output_invalid',
            detail: `tool-call arguments were malformed JSON ${state.repairs.toolArguments} times (limit ${agent.repairs.toolArguments} repairs): ${parsed.message}`,
            error: new SextantError('OUTPUT_INVALID', `malformed tool-call JSON for "${call.name}" after ${agent.repairs.toolArguments} repairs`, {
              context: { tool: call.name, arguments: call.arguments },
            }),
          };
          return admission;
        }
        ctx.stepSpan.event(EVENTS.REASK, { [ATTR.EVENT_DETAIL]: `tool-call JSON repair for ${call.name}: ${parsed.message}` });
      }
      settle(
        errorResult(
          call,
          parsed.raw,
          'TOOL_INPUT_INVALID',
          `${parsed.message}. Call "${call.name}" again with arguments that are a valid JSON object matching its schema.`,
        ),
      );
      continue;
    }
    const used = (state.toolCalls[call.name] ?? 0) + (stepCounts.get(call.name) ?? 0);
    const max = typeof limits.maxCallsPerTool === 'number' ? limits.maxCallsPerTool : (limits.maxCallsPerTool[call.name] ?? DEFAULTS.agent.maxCallsPerTool);
    if (used >= max) {
      recordLimit(ctx, 'tool_calls', max, used);
      const detail = `tool "${call.name}" reached its limit of ${max} calls`;
      if (tool.onLimit === 'stop') {
        admission.stop = { reason: 'tool_call_limit', detail, answerNow: true };
        return admission;
      }
      settle(errorResult(call, parsed.input, 'TOOL_CALL_LIMIT', `limit reached for ${call.name}: ${detail} in this run and was not called. Go on without it.`));
      continue;
    }
    stepCounts.set(call.name, (stepCounts.get(call.name) ?? 0) + 1);
    if (pending.started.includes(call.id) && !tool.idempotent) {
      settle(
        errorResult(
          call,
          parsed.input,
          'TOOL_ERROR',
          `the call was interrupted by a restart and its outcome is unknown; it was not repeated because "${call.name}" is not idempotent. Check its effect before calling it again.`,
        ),
      );
      continue;
    }
    const needs = typeof tool.needsApproval === 'function' ? tool.needsApproval(parsed.input) : tool.needsApproval;
    if (needs && !approved(ctx, call, tool, parsed.input, admission, settle)) continue;
    admission.runnable.push({ call, tool, input: parsed.input });
  }
  return admission;
}

/** Whether a call that needs approval may run: it waits without a decision, is settled as rejected, or runs. */
function approved(ctx: RunContext, call: ToolCall, tool: Tool, input: unknown, admission: Admission, settle: (result: ToolResultRecord) => void): boolean {
  const hash = argsHash(call.name, input);
  const decision = ctx.options.approvals?.find((d) => d.toolCallId === call.id);
  if (!decision) {
    admission.approvals.push({ toolCallId: call.id, toolName: call.name, input, argsHash: hash });
    ctx.runSpan.event(EVENTS.APPROVAL, { [ATTR.TOOL_NAME]: call.name, [ATTR.TOOL_CALL_ID]: call.id, [ATTR.EVENT_DETAIL]: 'waiting for approval' });
    return false;
  }
  if (decision.argsHash !== hash) {
    throw new SextantError('APPROVAL_MISMATCH', `the approval for call ${call.id} was given for other arguments than "${call.name}" is called with`, {
      context: { toolCallId: call.id, tool: call.name, approvedHash: decision.argsHash, actualHash: hash },
    });
  }
  ctx.runSpan.event(EVENTS.APPROVAL, {
    [ATTR.TOOL_NAME]: call.name,
    [ATTR.TOOL_CALL_ID]: call.id,
    [ATTR.EVENT_DETAIL]: decision.approved ? 'approved' : 'rejected',
  });
  if (decision.approved) return true;
  settle(errorResult(call, input, 'FORBIDDEN', `a human rejected this call${decision.reason ? `: ${decision.reason}` : ''}. Do not retry it as is.`));
  return false;
}
