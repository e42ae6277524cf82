import { canonicalJson } from '../../canonical-json.js';
import { textOf, type AssistantMessage } from '../../model/types.js';
import { ATTR, EVENTS } from '../../trace/attributes.js';
import {
  correctiveMessage,
  hashText,
  normalizeError,
  observeStep,
  recordStep,
  type LoopDetectorOptions,
  type LoopDetectorState,
  type StepObservation,
} from '../../checks/loop-detector.js';
import type { Tool } from '../../tools/define-tool.js';
import type { RunState, ToolResultRecord } from '../types.js';
import type { RunContext } from './run-context.js';
import type { Stop } from './stop.js';

/**
 * The loop detector's window of a run. It is derived from the run's closed tool steps, so a
 * checkpoint saves only whether the run was warned; a resumed run rebuilds the window here.
 */
export function loopWindow(state: RunState, tools: Map<string, Tool>, options: LoopDetectorOptions | false): LoopDetectorState {
  const window: LoopDetectorState = { observations: [], ...(state.loop.warnedAtStep !== undefined ? { warnedAtStep: state.loop.warnedAtStep } : {}) };
  if (!options) return window;
  const closed = state.pending ? state.steps.slice(0, -1) : state.steps;
  for (const record of closed.slice(-options.window)) {
    const message = record.response.message;
    if (message.toolCalls?.length) recordStep(window, observation(tools, record.index, message, record.toolResults), options);
  }
  return window;
}

/**
 * Shows a closed step to the loop detector. A warning adds a corrective message to the
 * conversation; a stop ends the run with the evidence.
 */
export function observeLoop(ctx: RunContext, step: number, message: AssistantMessage, results: ToolResultRecord[]): Stop | undefined {
  const { agent, state } = ctx;
  if (!agent.loopDetector) return undefined;
  const verdict = observeStep(ctx.loop, observation(agent.tools, step, message, results), agent.loopDetector);
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
  state.loop = { warnedAtStep: ctx.loop.warnedAtStep };
  state.messages.push({ role: 'user', content: correctiveMessage(evidence) });
  ctx.options.emit?.({ type: 'loop-warning', step, evidence });
  return undefined;
}

/** A step as the detector compares it: hashes and keys, not payloads. */
function observation(tools: Map<string, Tool>, step: number, message: AssistantMessage, results: ToolResultRecord[]): Omit<StepObservation, 'novel'> {
  return {
    step,
    text: hashText(textOf(message.content)),
    calls: results.map((r) => ({
      key: `${r.name}(${typeof r.input === 'string' ? r.input : canonicalJson(r.input)})`,
      tool: r.name,
      result: hashText(r.content),
      ...(r.isError ? { error: normalizeError(r.name, r.content) } : {}),
      poller: tools.get(r.name)?.poller ?? false,
      retryRequested: r.retryRequested ?? false,
    })),
  };
}
