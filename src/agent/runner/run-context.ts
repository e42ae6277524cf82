import type { z } from 'zod';
import { SextantError } from '../../errors.js';
import type { Message, ModelRequest, RequestMetadata, ToolSpec } from '../../model/types.js';
import type { Model } from '../../model/model.js';
import type { ModelPrice } from '../../model/pricing.js';
import type { Check } from '../../checks/types.js';
import type { Tool } from '../../tools/define-tool.js';
import type { Tracer } from '../../trace/tracer.js';
import { ATTR, EVENTS, OPERATIONS } from '../../trace/attributes.js';
import { UNTRUSTED_CONTENT_POLICY, type InjectionAction } from '../../security/injection.js';
import type { ContextPolicy } from '../context-window.js';
import type { LoopDetectorOptions, LoopDetectorState } from '../../checks/loop-detector.js';
import type { CheckpointStore, SessionStore } from '../../store/index.js';
import { NOOP_SPAN, startSpan, type Span } from '../tracing.js';
import type { UntrustedContentOptions } from '../untrusted.js';
import type { AgentEvent, ApprovalDecision, Limits, RunState } from '../types.js';
import { questionOf } from './conversation.js';
import { loopWindow } from './loop-check.js';

/** Everything about an agent the loop needs, resolved once at definition. */
export interface AgentCore<Output> {
  name: string;
  model: Model;
  modelName: string;
  instructions?: string;
  tools: Map<string, Tool>;
  limits: Limits;
  /** The price the run reserves with: the model's own (a pipeline's prices, a provider's pricing), so reservation and cost agree. */
  priceOf: (model: string) => ModelPrice | undefined;
  checks: Check[];
  outputSchema?: z.ZodType<Output>;
  loopDetector: LoopDetectorOptions | false;
  context: ContextPolicy;
  checkpoints?: CheckpointStore;
  sessions?: SessionStore;
  tracer?: Tracer;
  maxParallelTools: number;
  repairs: { output: number; toolArguments: number };
  request: Partial<Pick<ModelRequest, 'temperature' | 'topP' | 'maxTokens' | 'seed' | 'providerOptions'>>;
  untrustedContent: UntrustedContentOptions & { action: InjectionAction };
}

export interface ExecuteOptions {
  signal?: AbortSignal;
  limits?: Partial<Limits>;
  approvals?: ApprovalDecision[];
  emit?: (event: AgentEvent<any>) => void;
  /** Stream model calls (text deltas reach `emit` as they arrive). */
  stream: boolean;
  resumedFromStep?: number;
}

/**
 * One run in progress: the agent, its state (what a checkpoint saves) and what lives only as
 * long as this process runs it (signal, spans, the answer so far). Every runner module works on it.
 */
export interface RunContext<Output = unknown> {
  readonly agent: AgentCore<Output>;
  readonly state: RunState;
  readonly limits: Limits;
  /** The run's one signal: the caller's, and the run's time limit. Aborting it cancels model calls and tools. */
  readonly signal: AbortSignal;
  readonly options: ExecuteOptions;
  readonly systemMessages: Message[];
  readonly toolSpecs: ToolSpec[];
  readonly runSpan: Span;
  /** The span of the step in progress (NOOP_SPAN between steps). */
  stepSpan: Span;
  /** The answer the run will return. */
  answer: { text: string; output?: unknown };
  /** What the run's model calls in flight may still cost: parallel calls reserve against the same cost limit. */
  reservedUsd: number;
  /** The loop detector's window: derived from the closed steps (see loop-check), not saved. */
  readonly loop: LoopDetectorState;
  /** Input tokens a call may send, once computed (see context-fit). */
  contextBudget?: number;
  readonly startedAt: number;
  readonly elapsedBefore: number;
}

/** Starts a run: its signal with the time limit, its span, the messages every call begins with. `dispose` stops the timer. */
export function createRunContext<Output>(agent: AgentCore<Output>, state: RunState, options: ExecuteOptions): { ctx: RunContext<Output>; dispose: () => void } {
  const limits: Limits = { ...agent.limits, ...options.limits };
  const timeController = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, timeController.signal]) : timeController.signal;
  const remainingMs = Math.max(0, limits.timeoutMs - state.elapsedMs);
  const timer = setTimeout(
    () =>
      timeController.abort(
        new SextantError('TIMEOUT', `the run exceeded its time limit of ${limits.timeoutMs}ms`, { context: { limit: 'time', timeoutMs: limits.timeoutMs } }),
      ),
    remainingMs,
  );
  const systemMessages: Message[] = agent.instructions ? [{ role: 'system', content: agent.instructions }] : [];
  // The policy for marked content, in its own system message so the agent's instructions stay as written.
  if ([...agent.tools.values()].some((t) => !t.trusted)) systemMessages.push({ role: 'system', content: UNTRUSTED_CONTENT_POLICY });
  const ctx: RunContext<Output> = {
    agent,
    state,
    limits,
    signal,
    options,
    systemMessages,
    toolSpecs: [...agent.tools.values()].map((t) => t.spec),
    runSpan: startSpan(agent.tracer, {
      kind: 'run',
      name: agent.name,
      attributes: {
        [ATTR.OPERATION]: OPERATIONS.INVOKE_AGENT,
        [ATTR.RUN_ID]: state.runId,
        [ATTR.AGENT_NAME]: agent.name,
        ...(state.sessionId ? { [ATTR.SESSION_ID]: state.sessionId } : {}),
        ...(state.metadata.tenant ? { [ATTR.TENANT]: state.metadata.tenant } : {}),
        ...(state.metadata.user ? { [ATTR.USER]: state.metadata.user } : {}),
        [ATTR.RUN_INPUT]: questionOf(state),
        ...(options.resumedFromStep !== undefined ? { [ATTR.RESUMED_FROM_STEP]: options.resumedFromStep } : {}),
      },
    }),
    stepSpan: NOOP_SPAN,
    answer: { text: '' },
    loop: loopWindow(state, agent.tools, agent.loopDetector),
    reservedUsd: 0,
    startedAt: performance.now(),
    elapsedBefore: state.elapsedMs,
  };
  return { ctx, dispose: () => clearTimeout(timer) };
}

/** The metadata every model call of the run carries: budgets, rate limits and traces key on it. */
export function requestMetadata(ctx: RunContext): RequestMetadata {
  const { state } = ctx;
  return { ...state.metadata, run: state.runId, agent: ctx.agent.name, ...(state.sessionId ? { session: state.sessionId } : {}) };
}

export function recordLimit(ctx: RunContext, limit: string, value: number, used: number): void {
  ctx.runSpan.event(EVENTS.LIMIT, { [ATTR.LIMIT_NAME]: limit, [ATTR.LIMIT_VALUE]: value, [ATTR.LIMIT_USED]: used });
}

/** Saves the run's state (when the agent has a checkpoint store) with the time used so far. */
export async function checkpoint(ctx: RunContext): Promise<void> {
  const { state } = ctx;
  state.elapsedMs = ctx.elapsedBefore + (performance.now() - ctx.startedAt);
  if (!ctx.agent.checkpoints) return;
  // The live state: the store writes what changed since its last save of it.
  await ctx.agent.checkpoints.save({ runId: state.runId, step: state.steps.length, state, updatedAt: Date.now() });
  if (ctx.stepSpan !== NOOP_SPAN) ctx.stepSpan.event(EVENTS.CHECKPOINT, { [ATTR.STEP_INDEX]: state.steps.length });
}
