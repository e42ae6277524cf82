import { canonicalJson } from '../../canonical-json.js';
import { textOf, type AssistantMessage } from '../../model/types.js';
import { ATTR, EVENTS } from '../../trace/attributes.js';
import { correctiveMessage, hashText, normalizeError, observeStep } from '../../checks/loop-detector.js';
import type { ToolResultRecord } from '../types.js';
import type { RunContext } from './run-context.js';
import type { Stop } from './stop.js';

/**
 * Shows a closed step to the loop detector. A warning adds a corrective message to the
 * conversation; a stop ends the run with the evidence.
 */
export function observeLoop(ctx: RunContext, step: number, message: AssistantMessage, results: ToolResultRecord[]): Stop | undefined {
  const { agent, state } = ctx;
  if (!agent.loopDetector) return undefined;
  const verdict = observeStep(
    state.loop,
    {
      step,
      text: hashText(textOf(message.content)),
      calls: results.map((r) => ({
        key: `${r.name}(${typeof r.input === 'string' ? r.input : canonicalJson(r.input)})`,
        tool: r.name,
        result: hashText(r.content),
        ...(r.isError ? { error: normalizeError(r.name, r.content) } : {}),
        poller: agent.tools.get(r.name)?.poller ?? false,
        retryRequested: r.retryRequested ?? false,
      })),
    },
    agent.loopDetector,
  );
  if (verdict.action === 'none') return undefined;
  const { evidence } = verdict;
  ctx.runSpan.event(EVENTS.LOOP, {
    [ATTR.LOOP_PATTERN]: evidence.pattern,
    [ATTR.LOOP_STEPS]: evidence.steps,
    [ATTR.LOOP_ACTION]: verdict.action,
    [ATTR.EVENT_DETAIL]: evidence.detail,
  });
  if (verdict.action === 'stop') {
    return { reason: 'loop_detected', detail: `${evidence.pattern}: ${evidence.detail} (steps ${evidence.steps.join(', ')})`, loop: evidence, answerNow: true };
  }
  state.messages.push({ role: 'user', content: correctiveMessage(evidence) });
  ctx.options.emit?.({ type: 'loop-warning', step, evidence });
  return undefined;
}
