import { textOf, type AssistantMessage } from '../../model/types.js';
import { ATTR, EVENTS } from '../../trace/attributes.js';
import { SextantError } from '../../errors.js';
import type { ToolResultRecord } from '../types.js';
import { parseOutput } from './output.js';
import type { RunContext } from './run-context.js';
import { checkContext, runStageChecks } from './stage-checks.js';
import type { Stop } from './stop.js';

export type AnswerOutcome = { kind: 'accept'; text: string; output: unknown } | { kind: 'retry' } | { kind: 'stop'; stop: Stop };

/**
 * Validates a candidate answer against the output schema, runs the `answer` and `final` checks,
 * and decides: accept it, ask again (the re-ask is already in the conversation), or stop.
 * `mayRetry: false` is the reply made after a limit stopped the run: nothing can be asked again,
 * so a failure that would re-ask stops instead.
 */
export async function judgeAnswer(ctx: RunContext, message: AssistantMessage, mayRetry = true): Promise<AnswerOutcome> {
  const { agent, state } = ctx;
  let text = textOf(message.content);
  let output: unknown = text;
  if (agent.outputSchema) {
    const parsed = parseOutput(agent.outputSchema, text);
    if (!parsed.ok) {
      state.repairs = { ...state.repairs, output: state.repairs.output + 1 };
      if (!mayRetry || state.repairs.output > agent.repairs.output) {
        const detail = `the answer failed the output schema ${state.repairs.output} times (limit ${agent.repairs.output} repairs): ${parsed.error}`;
        const error = new SextantError('OUTPUT_INVALID', `the answer does not match the output schema: ${parsed.error}`, { context: { answer: text } });
        return { kind: 'stop', stop: { reason: 'output_invalid', detail, error } };
      }
      ctx.stepSpan.event(EVENTS.REASK, { [ATTR.EVENT_DETAIL]: `output repair: ${parsed.error}` });
      state.messages.push({
        role: 'user',
        content: `Your answer is not valid: ${parsed.error}\nAnswer again with only a JSON value that matches the required schema.`,
      });
      return { kind: 'retry' };
    }
    output = parsed.value;
  }
  for (const stage of ['answer', 'final'] as const) {
    const failed = await runStageChecks(
      ctx,
      stage,
      (check, span) => checkContext(ctx, stage, check, { text, output }, span),
      (fixed) => {
        text = fixed.text;
        output = fixed.output ?? (agent.outputSchema ? output : fixed.text);
      },
      mayRetry,
    );
    if (!failed) continue;
    if (failed.reask) {
      state.messages.push({ role: 'user', content: failed.reask });
      return { kind: 'retry' };
    }
    return { kind: 'stop', stop: failed.stop! };
  }
  return { kind: 'accept', text, output };
}

/** The `tool-result` checks of one result: a fix rewrites what the model will see; a failure re-asks or stops. */
export async function checkToolResult(ctx: RunContext, result: ToolResultRecord): Promise<{ reask?: string; stop?: Stop }> {
  const failed = await runStageChecks(
    ctx,
    'tool-result',
    (check, span) => ({
      ...checkContext(ctx, 'tool-result', check, { text: '' }, span),
      toolCall: { id: result.toolCallId, name: result.name, input: result.input },
      toolResult: { output: result.output, text: result.content, isError: result.isError },
    }),
    (fixed) => {
      result.content = fixed.text;
    },
  );
  if (!failed) return {};
  if (failed.reask) return { reask: `The result of ${result.name} (${result.toolCallId}) failed the check "${failed.check.name}": ${failed.reason}` };
  return { stop: failed.stop };
}
