import { z } from 'zod';
import { SextantError, isSextantError, toSextantError } from '../errors.js';
import {
  addUsage,
  textOf,
  type AssistantMessage,
  type Message,
  type ModelRequest,
  type ModelResponse,
  type ToolCall,
  type ToolMessage,
} from '../model/types.js';
import { countTokens, contextWindowOf } from '../model/tokens.js';
import type { Model } from '../model/model.js';
import type { Check, CheckContext, CheckDocument, CheckFix, CheckRecord } from '../checks/types.js';
import { isFailure, runCheck } from '../checks/run-check.js';
import type { Tool, ToolLogger } from '../tools/define-tool.js';
import type { Tracer } from '../trace/tracer.js';
import { UNTRUSTED_CONTENT_POLICY, wrapUntrusted, type InjectionAction } from '../security/injection.js';
import type { CheckpointStore } from '../store/checkpoints.js';
import type { SessionStore } from '../store/sessions.js';
import { DEFAULTS } from '../defaults.js';
import { canonicalJson } from '../canonical-json.js';
import { correctiveMessage, hashText, normalizeError, observeStep, type LoopDetectorOptions, type LoopEvidence } from '../checks/loop-detector.js';
import { dropOldest, fits, summaryPrompt, SUMMARY_PREFIX, type ContextPolicy } from './context-window.js';
import { parseToolArguments, runTool } from './run-tool.js';
import { guardToolResult, type UntrustedContentOptions } from './untrusted.js';
import { argsHash } from './approvals.js';
import { decisionAttributes } from '../trace/decision-record.js';
import { NOOP_SPAN, startSpan, type Span } from './tracing.js';
import { ATTR, EVENTS, OPERATIONS } from '../trace/attributes.js';
import type {
  AgentEvent,
  ApprovalDecision,
  Limits,
  PendingApproval,
  RunResult,
  RunState,
  StepRecord,
  StopReason,
  ToolInjectionVerdict,
  ToolResultRecord,
} from './types.js';

/** Everything about an agent the loop needs, resolved once at definition. */
export interface AgentCore<Output> {
  name: string;
  model: Model;
  modelName: string;
  instructions?: string;
  tools: Map<string, Tool>;
  limits: Limits;
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

interface Stop {
  reason: StopReason;
  detail: string;
  loop?: LoopEvidence;
  error?: SextantError;
  pendingApprovals?: PendingApproval[];
  /** Whether one last "answer now" call may be made. */
  answerNow?: boolean;
}

type AnswerOutcome = { kind: 'accept'; text: string; output: unknown } | { kind: 'retry' } | { kind: 'stop'; stop: Stop };

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

/** Runs (or resumes) a run from its state until it stops. Never throws for a run-level failure: the stop says it. */
export async function executeRun<Output>(agent: AgentCore<Output>, state: RunState, options: ExecuteOptions): Promise<RunResult<Output>> {
  if (state.completed) {
    // A completed run is final: its recorded answer is the result, and nothing is paid for again.
    const result = runResult<Output>(state, { reason: 'completed', detail: state.completed.detail }, state.completed.text, state.completed.output);
    options.emit?.({ type: 'finish', result });
    return result;
  }
  const limits: Limits = { ...agent.limits, ...options.limits };
  const emit = options.emit;
  const timeController = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, timeController.signal]) : timeController.signal;
  const startedAt = performance.now();
  const elapsedBefore = state.elapsedMs;
  const remainingMs = Math.max(0, limits.timeoutMs - elapsedBefore);
  const timer = setTimeout(
    () =>
      timeController.abort(
        new SextantError('TIMEOUT', `the run exceeded its time limit of ${limits.timeoutMs}ms`, { context: { limit: 'time', timeoutMs: limits.timeoutMs } }),
      ),
    remainingMs,
  );
  const runSpan = startSpan(agent.tracer, {
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
  });
  const toolSpecs = [...agent.tools.values()].map((t) => t.spec);
  const systemMessages: Message[] = agent.instructions ? [{ role: 'system', content: agent.instructions }] : [];
  // The policy for marked content, in its own system message so the agent's instructions stay as written.
  if ([...agent.tools.values()].some((t) => !t.trusted)) systemMessages.push({ role: 'system', content: UNTRUSTED_CONTENT_POLICY });
  let stepSpan: Span = NOOP_SPAN;
  let finalText = '';
  let finalOutput: unknown;

  const checkpoint = async () => {
    state.elapsedMs = elapsedBefore + (performance.now() - startedAt);
    if (!agent.checkpoints) return;
    await agent.checkpoints.save({ runId: state.runId, step: state.steps.length, state, updatedAt: Date.now() });
    stepSpan.event(EVENTS.CHECKPOINT, { [ATTR.STEP_INDEX]: state.steps.length });
  };

  let budgetCache: number | undefined;
  const contextBudget = (): number => (budgetCache ??= computeBudget());
  const computeBudget = (): number => {
    const window =
      agent.context.maxInputTokens ?? contextWindowOf(agent.modelName) - (agent.context.reserveOutputTokens ?? DEFAULTS.agent.context.reserveOutputTokens);
    const fixed = systemMessages.reduce((n, m) => n + (m.content as string).length, 0) + (toolSpecs.length ? JSON.stringify(toolSpecs).length : 0);
    // The fixed part is counted in characters when short (an upper bound); tokenized only when it matters.
    return window - (fixed < window / 4 ? fixed : countTokens(JSON.stringify([systemMessages, toolSpecs]), agent.modelName));
  };

  /** Keeps `state.messages` inside the context window, summarizing or dropping the oldest turns. */
  const fitContext = async () => {
    const budget = contextBudget();
    if (fits(state.messages, budget, agent.modelName)) return;
    const { messages, removed } = dropOldest(state.messages, budget, agent.modelName);
    if (removed.length === 0) return;
    if (agent.context.strategy === 'summarize') {
      const response = await agent.model.generate({ model: agent.modelName, messages: summaryPrompt(removed), metadata: requestMetadata() }, { signal });
      account(response);
      const summary: Message = { role: 'system', content: SUMMARY_PREFIX + textOf(response.message.content) };
      state.messages = dropOldest([summary, ...messages], budget, agent.modelName).messages;
    } else {
      state.messages = messages;
    }
    runSpan.event('context_compacted', { [ATTR.EVENT_DETAIL]: `${agent.context.strategy ?? 'drop-oldest'}: ${removed.length} messages taken out` });
  };

  const requestMetadata = () => ({ ...state.metadata, run: state.runId, agent: agent.name, ...(state.sessionId ? { session: state.sessionId } : {}) });

  const account = (response: ModelResponse) => {
    state.usage = addUsage(state.usage, response.usage);
    if (response.cost) {
      state.cost = {
        inputUsd: state.cost.inputUsd + response.cost.inputUsd,
        outputUsd: state.cost.outputUsd + response.cost.outputUsd,
        totalUsd: state.cost.totalUsd + response.cost.totalUsd,
        ...(state.cost.unpriced || response.cost.unpriced ? { unpriced: true } : {}),
      };
    }
  };

  const callModel = async (messages: Message[], step: number, extra: Partial<ModelRequest> = {}): Promise<ModelResponse> => {
    const request: ModelRequest = {
      model: agent.modelName,
      messages: [...systemMessages, ...messages],
      ...(toolSpecs.length ? { tools: toolSpecs } : {}),
      ...(agent.outputSchema ? { responseFormat: outputFormat(agent.outputSchema) } : {}),
      ...agent.request,
      metadata: requestMetadata(),
      ...extra,
    };
    const span = startSpan(agent.tracer, {
      kind: 'model',
      name: `chat ${agent.modelName}`,
      parent: stepSpan,
      attributes: { [ATTR.OPERATION]: OPERATIONS.CHAT, [ATTR.REQUEST_MODEL]: agent.modelName, [ATTR.STREAM]: options.stream },
    });
    const began = performance.now();
    let firstTokenMs: number | undefined;
    try {
      let response: ModelResponse | undefined;
      if (options.stream) {
        for await (const event of agent.model.stream(request, { signal })) {
          if (firstTokenMs === undefined && event.type !== 'start') firstTokenMs = performance.now() - began;
          if (event.type === 'text-delta') emit?.({ type: 'text-delta', step, delta: event.delta });
          else if (event.type === 'finish') response = event.response;
        }
        if (!response) throw new SextantError('STREAM_INTERRUPTED', 'the model stream ended without a finish event', { context: { model: agent.modelName } });
      } else {
        response = await agent.model.generate(request, { signal });
      }
      account(response);
      if (agent.tracer) {
        span.set({
          [ATTR.PROVIDER]: response.meta.provider,
          [ATTR.RESPONSE_MODEL]: response.model,
          [ATTR.RESPONSE_ID]: response.id,
          [ATTR.FINISH_REASON]: response.finishReason,
          [ATTR.INPUT_TOKENS]: response.usage.inputTokens,
          [ATTR.OUTPUT_TOKENS]: response.usage.outputTokens,
          ...(response.usage.cachedInputTokens !== undefined ? { [ATTR.CACHED_INPUT_TOKENS]: response.usage.cachedInputTokens } : {}),
          ...(response.usage.reasoningTokens !== undefined ? { [ATTR.REASONING_TOKENS]: response.usage.reasoningTokens } : {}),
          [ATTR.COST_USD]: response.cost?.totalUsd ?? 0,
          [ATTR.LATENCY_MS]: response.meta.latencyMs ?? performance.now() - began,
          ...((response.meta.timeToFirstTokenMs ?? firstTokenMs) !== undefined ? { [ATTR.TTFT_MS]: response.meta.timeToFirstTokenMs ?? firstTokenMs } : {}),
          ...(response.meta.cache ? { [ATTR.CACHE_STATUS]: response.meta.cache } : {}),
          ...(response.meta.attempts !== undefined ? { [ATTR.ATTEMPTS]: response.meta.attempts } : {}),
          'sextant.model.response': response.message,
        });
        span.set(decisionAttributes(request, response, () => documentsOf(state, agent.tools)));
      }
      span.end('ok');
      return response;
    } catch (error) {
      const err = signal.aborted ? abortReason(signal) : toSextantError(error);
      span.end(signal.aborted ? 'interrupted' : 'error', { code: err.code, message: err.message });
      throw err;
    }
  };

  const recordLimit = (limit: string, value: number, used: number) =>
    runSpan.event(EVENTS.LIMIT, { [ATTR.LIMIT_NAME]: limit, [ATTR.LIMIT_VALUE]: value, [ATTR.LIMIT_USED]: used });

  const budgetStop = (): Stop | undefined => {
    if (state.steps.length >= limits.maxSteps) {
      recordLimit('steps', limits.maxSteps, state.steps.length);
      return { reason: 'max_steps', detail: `reached the limit of ${limits.maxSteps} steps`, answerNow: true };
    }
    return spendStop();
  };

  const spendStop = (): Stop | undefined => {
    if (state.usage.totalTokens >= limits.maxTokens) {
      recordLimit('tokens', limits.maxTokens, state.usage.totalTokens);
      return { reason: 'max_tokens', detail: `used ${state.usage.totalTokens} tokens of the limit of ${limits.maxTokens}`, answerNow: true };
    }
    if (state.cost.totalUsd >= limits.maxCostUsd) {
      recordLimit('cost', limits.maxCostUsd, state.cost.totalUsd);
      return { reason: 'max_cost', detail: `spent $${state.cost.totalUsd.toFixed(6)} of the limit of $${limits.maxCostUsd}`, answerNow: true };
    }
    return undefined;
  };

  /** Runs the tool calls of the pending step. Returns a stop, or undefined when the step is complete. */
  const runPendingStep = async (): Promise<Stop | undefined> => {
    const pending = state.pending!;
    const step = state.steps.length;
    const calls = pending.message.toolCalls ?? [];
    const approvals: PendingApproval[] = [];
    const runnable: { call: ToolCall; tool: Tool; input: unknown }[] = [];
    const stepCounts = new Map<string, number>();
    const settle = (result: ToolResultRecord) => {
      pending.results[result.toolCallId] = result;
      emit?.({ type: 'tool-result', step, result });
    };
    for (const call of calls) {
      if (pending.results[call.id]) continue;
      const tool = agent.tools.get(call.name);
      if (!tool) {
        const available = [...agent.tools.keys()].join(', ') || 'none';
        settle(errorResult(call, call.arguments, 'TOOL_NOT_FOUND', `there is no tool "${call.name}"; available tools: ${available}`));
        continue;
      }
      const parsed = parseToolArguments(tool, call);
      if (!parsed.ok) {
        if (parsed.malformedJson) {
          state.repairs.toolArguments++;
          if (state.repairs.toolArguments > agent.repairs.toolArguments) {
            return {
              reason: 'output_invalid',
              detail: `tool-call arguments were malformed JSON ${state.repairs.toolArguments} times (limit ${agent.repairs.toolArguments} repairs): ${parsed.message}`,
              error: new SextantError('OUTPUT_INVALID', `malformed tool-call JSON for "${call.name}" after ${agent.repairs.toolArguments} repairs`, {
                context: { tool: call.name, arguments: call.arguments },
              }),
            };
          }
          stepSpan.event(EVENTS.REASK, { [ATTR.EVENT_DETAIL]: `tool-call JSON repair for ${call.name}: ${parsed.message}` });
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
        recordLimit('tool_calls', max, used);
        return { reason: 'tool_call_limit', detail: `tool "${call.name}" reached its limit of ${max} calls`, answerNow: true };
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
      if (needs) {
        const hash = argsHash(call.name, parsed.input);
        const decision = options.approvals?.find((d) => d.toolCallId === call.id);
        if (!decision) {
          approvals.push({ toolCallId: call.id, toolName: call.name, input: parsed.input, argsHash: hash });
          runSpan.event(EVENTS.APPROVAL, { [ATTR.TOOL_NAME]: call.name, [ATTR.TOOL_CALL_ID]: call.id, [ATTR.EVENT_DETAIL]: 'waiting for approval' });
          continue;
        }
        if (decision.argsHash !== hash) {
          throw new SextantError('APPROVAL_MISMATCH', `the approval for call ${call.id} was given for other arguments than "${call.name}" is called with`, {
            context: { toolCallId: call.id, tool: call.name, approvedHash: decision.argsHash, actualHash: hash },
          });
        }
        runSpan.event(EVENTS.APPROVAL, {
          [ATTR.TOOL_NAME]: call.name,
          [ATTR.TOOL_CALL_ID]: call.id,
          [ATTR.EVENT_DETAIL]: decision.approved ? 'approved' : 'rejected',
        });
        if (!decision.approved) {
          settle(
            errorResult(call, parsed.input, 'FORBIDDEN', `a human rejected this call${decision.reason ? `: ${decision.reason}` : ''}. Do not retry it as is.`),
          );
          continue;
        }
      }
      runnable.push({ call, tool, input: parsed.input });
    }

    await pool(runnable, agent.maxParallelTools, async ({ call, tool, input }) => {
      emit?.({ type: 'tool-call', step, toolCall: call });
      if (!tool.idempotent) {
        pending.started.push(call.id);
        await checkpoint();
      }
      const span = startSpan(agent.tracer, {
        kind: 'tool',
        name: `execute_tool ${tool.name}`,
        parent: stepSpan,
        attributes: { [ATTR.OPERATION]: OPERATIONS.EXECUTE_TOOL, [ATTR.TOOL_NAME]: tool.name, [ATTR.TOOL_CALL_ID]: call.id, [ATTR.TOOL_INPUT]: input },
      });
      try {
        const raw = await runTool(tool, call, input, {
          signal,
          runId: state.runId,
          sessionId: state.sessionId,
          defaultTimeoutMs: DEFAULTS.agent.toolTimeoutMs,
          logger: spanLogger(span),
        });
        state.toolCalls[call.name] = (state.toolCalls[call.name] ?? 0) + 1;
        const result = tool.trusted ? raw : guardToolResult(raw, agent.untrustedContent);
        // The span keeps what the tool returned; the record holds what the model was given.
        span.set({ [ATTR.TOOL_OUTPUT]: raw.content, [ATTR.TOOL_IS_ERROR]: result.isError, [ATTR.TOOL_ATTEMPTS]: result.attempts });
        if (result.injection) recordInjection(span, result.injection);
        span.end('ok');
        settle(result);
        if (!tool.idempotent) await checkpoint();
      } catch (error) {
        const err = signal.aborted ? abortReason(signal) : toSextantError(error, 'TOOL_ERROR');
        span.end(signal.aborted ? 'interrupted' : 'error', { code: err.code, message: err.message });
        throw err;
      }
    });

    if (approvals.length > 0) {
      pending.approvals = approvals;
      return {
        reason: 'approval_required',
        detail: `waiting for approval of ${approvals.map((a) => `${a.toolName} (${a.toolCallId})`).join(', ')}`,
        pendingApprovals: approvals,
      };
    }

    // Every call has a result: close the step.
    const results = calls.map((c) => pending.results[c.id]);
    const reaskMessages: Message[] = [];
    for (const result of results) {
      const outcome = await runToolResultChecks(result);
      if (outcome.stop) return outcome.stop;
      if (outcome.reask) reaskMessages.push({ role: 'user', content: outcome.reask });
    }
    for (const result of results) state.messages.push(toolMessage(result));
    state.messages.push(...reaskMessages);
    const record = state.steps[state.steps.length - 1];
    record.toolResults = results;
    state.pending = undefined;
    emit?.({ type: 'step-finish', step: record });

    if (agent.loopDetector) {
      const text = textOf(pending.message.content);
      const verdict = observeStep(
        state.loop,
        {
          step,
          text: hashText(text),
          calls: results.map((r) => {
            const tool = agent.tools.get(r.name);
            return {
              key: `${r.name}(${typeof r.input === 'string' ? r.input : canonicalJson(r.input)})`,
              tool: r.name,
              result: hashText(r.content),
              ...(r.isError ? { error: normalizeError(r.name, r.content) } : {}),
              poller: tool?.poller ?? false,
              retryRequested: r.retryRequested ?? false,
            };
          }),
        },
        agent.loopDetector,
      );
      if (verdict.action !== 'none') {
        runSpan.event(EVENTS.LOOP, {
          [ATTR.LOOP_PATTERN]: verdict.evidence.pattern,
          [ATTR.LOOP_STEPS]: verdict.evidence.steps,
          [ATTR.LOOP_ACTION]: verdict.action,
          [ATTR.EVENT_DETAIL]: verdict.evidence.detail,
        });
        if (verdict.action === 'stop') {
          return {
            reason: 'loop_detected',
            detail: `${verdict.evidence.pattern}: ${verdict.evidence.detail} (steps ${verdict.evidence.steps.join(', ')})`,
            loop: verdict.evidence,
            answerNow: true,
          };
        }
        state.messages.push({ role: 'user', content: correctiveMessage(verdict.evidence) });
        emit?.({ type: 'loop-warning', step, evidence: verdict.evidence });
      }
    }
    await checkpoint();
    return undefined;
  };

  const checkContext = (stage: Check['stage'], check: Check, answer: { text: string; output?: unknown }): CheckContext => ({
    stage,
    question: questionOf(state),
    answer,
    documents: documentsOf(state, agent.tools),
    messages: state.messages,
    signal,
    model: agent.model,
    modelName: agent.modelName,
    attempt: state.reasks[check.name] ?? 0,
    runId: state.runId,
  });

  const recordCheck = (check: Check, verdict: CheckRecord['verdict'], action: CheckRecord['action'], began: number) => {
    const record: CheckRecord = {
      check: check.name,
      stage: check.stage,
      verdict,
      action,
      attempt: state.reasks[check.name] ?? 0,
      durationMs: performance.now() - began,
    };
    state.checks.push(record);
    const span = startSpan(agent.tracer, {
      kind: 'check',
      name: `check ${check.name}`,
      parent: stepSpan,
      attributes: {
        [ATTR.CHECK_NAME]: check.name,
        [ATTR.CHECK_VERDICT]: verdict.pass === true ? 'pass' : verdict.pass === false ? 'fail' : 'unknown',
        ...(verdict.score !== undefined ? { [ATTR.CHECK_SCORE]: verdict.score } : {}),
        [ATTR.CHECK_REASON]: verdict.reason,
        [ATTR.CHECK_ACTION]: action,
      },
    });
    span.end('ok');
  };

  /** What a failed check does, shared by every stage: the re-ask text, a stop, or nothing more. */
  const onFailure = (check: Check, reason: string): { reask?: string; stop?: Stop } => {
    const used = state.reasks[check.name] ?? 0;
    if (check.onFail === 'reask' && used < check.maxReasks) {
      state.reasks[check.name] = used + 1;
      return { reask: `Your previous answer failed the check "${check.name}": ${reason}\nReflect on what went wrong and answer again.` };
    }
    const exhausted = check.onFail === 'reask' ? ` after ${used} re-asks` : '';
    return {
      stop: {
        reason: 'check_failed',
        detail: `check "${check.name}" failed${exhausted}: ${reason}`,
        error: new SextantError('CHECK_FAILED', `check "${check.name}" failed${exhausted}: ${reason}`, { context: { check: check.name, stage: check.stage } }),
      },
    };
  };

  /**
   * Runs one stage's checks in order: each verdict recorded, warnings passed, fixes handed to
   * `onFix` (the next check sees the fixed text through `contextOf`), and the first failure
   * that re-asks or stops returned with what `onFailure` decided.
   */
  const runStageChecks = async (
    stage: Check['stage'],
    contextOf: (check: Check) => CheckContext,
    onFix: (fixed: CheckFix) => void,
  ): Promise<{ check: Check; reason: string; reask?: string; stop?: Stop } | undefined> => {
    for (const check of agent.checks) {
      if (check.stage !== stage) continue;
      const began = performance.now();
      const ctx = contextOf(check);
      const verdict = await runCheck(check, ctx);
      if (!isFailure(check, verdict)) {
        recordCheck(check, verdict, 'none', began);
        continue;
      }
      recordCheck(check, verdict, check.onFail, began);
      if (check.onFail === 'warn') continue;
      if (check.onFail === 'fix' && check.fix) {
        onFix(await check.fix(ctx, verdict));
        continue;
      }
      return { check, reason: verdict.reason, ...onFailure(check, verdict.reason) };
    }
    return undefined;
  };

  const runToolResultChecks = async (result: ToolResultRecord): Promise<{ reask?: string; stop?: Stop }> => {
    const failed = await runStageChecks(
      'tool-result',
      (check) => ({
        ...checkContext('tool-result', check, { text: '' }),
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
  };

  /** Validates a candidate answer, runs the answer and final checks, and decides what happens next. */
  const judgeAnswer = async (message: AssistantMessage): Promise<AnswerOutcome> => {
    let text = textOf(message.content);
    let output: unknown = text;
    if (agent.outputSchema) {
      const parsed = parseOutput(agent.outputSchema, text);
      if (!parsed.ok) {
        state.repairs.output++;
        if (state.repairs.output > agent.repairs.output) {
          return {
            kind: 'stop',
            stop: {
              reason: 'output_invalid',
              detail: `the answer failed the output schema ${state.repairs.output} times (limit ${agent.repairs.output} repairs): ${parsed.error}`,
              error: new SextantError('OUTPUT_INVALID', `the answer does not match the output schema: ${parsed.error}`, { context: { answer: text } }),
            },
          };
        }
        stepSpan.event(EVENTS.REASK, { [ATTR.EVENT_DETAIL]: `output repair: ${parsed.error}` });
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
        stage,
        (check) => checkContext(stage, check, { text, output }),
        (fixed) => {
          text = fixed.text;
          output = fixed.output ?? (agent.outputSchema ? output : fixed.text);
        },
      );
      if (!failed) continue;
      if (failed.reask) {
        state.messages.push({ role: 'user', content: failed.reask });
        return { kind: 'retry' };
      }
      return { kind: 'stop', stop: failed.stop! };
    }
    return { kind: 'accept', text, output };
  };

  /** One last call without tools, when a limit stopped the run and the budget allows it. */
  const answerNow = async (stop: Stop): Promise<void> => {
    if (!limits.answerOnLimit || !stop.answerNow || signal.aborted) return;
    const last = state.steps[state.steps.length - 1];
    const lastTokens = last?.response.usage.totalTokens ?? 0;
    const lastCost = last?.response.costUsd ?? 0;
    if (state.usage.totalTokens + lastTokens > limits.maxTokens || state.cost.totalUsd + lastCost > limits.maxCostUsd) return;
    const messages = [...state.messages];
    if (state.pending) {
      for (const call of state.pending.message.toolCalls ?? []) {
        const done = state.pending.results[call.id];
        messages.push(done ? toolMessage(done) : { role: 'tool', toolCallId: call.id, name: call.name, content: `Not run: ${stop.detail}`, isError: true });
      }
    }
    messages.push({
      role: 'user',
      content: `The run must stop now (${stop.detail}). Do not call tools. Give your best answer from what you have, and say what is missing.`,
    });
    const step = state.steps.length + 1;
    stepSpan = startSpan(agent.tracer, { kind: 'step', name: `step ${step} (answer now)`, parent: runSpan, attributes: { [ATTR.STEP_INDEX]: step } });
    try {
      const began = performance.now();
      const response = await callModel(messages, step, { toolChoice: 'none' });
      state.steps.push(stepRecord(step, response, began));
      // The conversation now holds the closed step, the request to answer and the answer: a session or a resume continues from it.
      state.messages = [...messages, response.message];
      state.pending = undefined;
      const text = textOf(response.message.content);
      finalText = text;
      finalOutput = agent.outputSchema ? (parseOutput(agent.outputSchema, text) as { value?: unknown }).value : text;
      stepSpan.end('ok');
    } catch (error) {
      // The stop stands; the failed last call is recorded on its span.
      stepSpan.end('error', { message: toSextantError(error).message });
    }
  };

  const loop = async (): Promise<Stop> => {
    for (;;) {
      if (state.pending) {
        const stop = await runPendingStep();
        stepSpan.end('ok');
        stepSpan = NOOP_SPAN;
        if (stop) return stop;
        continue;
      }
      const limitStop = budgetStop();
      if (limitStop) return limitStop;
      const step = state.steps.length + 1;
      stepSpan = startSpan(agent.tracer, { kind: 'step', name: `step ${step}`, parent: runSpan, attributes: { [ATTR.STEP_INDEX]: step } });
      emit?.({ type: 'step-start', step });
      await fitContext();
      const began = performance.now();
      const response = await callModel(state.messages, step);
      const record = stepRecord(step, response, began);
      state.steps.push(record);
      state.messages.push(response.message);
      const calls = response.message.toolCalls ?? [];
      if (calls.length > 0) {
        state.pending = { message: response.message, results: {}, started: [], approvals: [] };
        // A call that overspent does not get its tools run: the budget is a hard stop.
        const overspent = spendStop();
        if (overspent) {
          stepSpan.end('ok');
          return overspent;
        }
        await checkpoint();
        continue;
      }
      emit?.({ type: 'step-finish', step: record });
      const outcome = await judgeAnswer(response.message);
      await checkpoint();
      stepSpan.end('ok');
      stepSpan = NOOP_SPAN;
      if (outcome.kind === 'accept') {
        finalText = outcome.text;
        finalOutput = outcome.output;
        return { reason: 'completed', detail: `answered after ${state.steps.length} steps` };
      }
      if (outcome.kind === 'stop') {
        finalText = textOf(response.message.content);
        return outcome.stop;
      }
    }
  };

  let stop: Stop;
  try {
    stop = await loop();
  } catch (error) {
    stepSpan.end(signal.aborted ? 'interrupted' : 'error');
    stop = classifyError(error, signal, limits);
  } finally {
    clearTimeout(timer);
  }
  if (stop.answerNow) await answerNow(stop);
  if (!finalText) finalText = lastAssistantText(state.messages);
  if (stop.reason === 'completed') state.completed = { text: finalText, ...(finalOutput !== undefined ? { output: finalOutput } : {}), detail: stop.detail };
  await checkpoint().catch(() => undefined);
  if (stop.reason !== 'approval_required' && agent.sessions && state.sessionId) {
    await agent.sessions.save(state.sessionId, closedConversation(state));
  }
  runSpan.set({
    [ATTR.RUN_OUTPUT]: (finalOutput ?? finalText) as unknown,
    [ATTR.STOP_REASON]: stop.reason,
    [ATTR.STOP_DETAIL]: stop.detail,
    [ATTR.RUN_STEPS]: state.steps.length,
    [ATTR.INPUT_TOKENS]: state.usage.inputTokens,
    [ATTR.OUTPUT_TOKENS]: state.usage.outputTokens,
    [ATTR.COST_USD]: state.cost.totalUsd,
  });
  runSpan.end(
    stop.reason === 'error' ? 'error' : stop.reason === 'timeout' || stop.reason === 'aborted' ? 'interrupted' : 'ok',
    stop.error ? { code: stop.error.code, message: stop.error.message } : undefined,
  );
  const result = runResult<Output>(state, stop, finalText, finalOutput);
  emit?.({ type: 'finish', result });
  return result;
}

/** The result of a run that is over. Its state is handed out as is (resume copies it before use). */
function runResult<Output>(state: RunState, stop: Stop, text: string, output: unknown): RunResult<Output> {
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

function classifyError(error: unknown, signal: AbortSignal, limits: Limits): Stop {
  if (signal.aborted) {
    const reason = abortReason(signal);
    if (reason.code === 'TIMEOUT') return { reason: 'timeout', detail: `reached the time limit of ${limits.timeoutMs}ms`, error: reason };
    return { reason: 'aborted', detail: `the run was cancelled: ${reason.message}`, error: reason };
  }
  const err = toSextantError(error, 'UPSTREAM_ERROR');
  return { reason: 'error', detail: `${err.code}: ${err.message}`, error: err };
}

function abortReason(signal: AbortSignal): SextantError {
  const reason: unknown = signal.reason;
  if (isSextantError(reason)) return reason;
  return new SextantError('ABORTED', reason instanceof Error ? reason.message : 'the run was aborted', { cause: reason });
}

/** The conversation to keep in a session: dangling tool calls of an unfinished step are closed so the next run can send it. */
function closedConversation(state: RunState): Message[] {
  if (!state.pending) return state.messages;
  const closing: ToolMessage[] = (state.pending.message.toolCalls ?? []).map((call) => {
    const done = state.pending!.results[call.id];
    return done ? toolMessage(done) : { role: 'tool', toolCallId: call.id, name: call.name, content: 'Not run: the run stopped first.', isError: true };
  });
  return [...state.messages, ...closing];
}

function stepRecord(index: number, response: ModelResponse, began: number): StepRecord {
  return {
    index,
    response: {
      id: response.id,
      model: response.model,
      message: response.message,
      finishReason: response.finishReason,
      usage: response.usage,
      costUsd: response.cost?.totalUsd ?? 0,
    },
    toolResults: [],
    durationMs: performance.now() - began,
  };
}

/** The tool message the model is given: an untrusted tool's text inside untrusted-content markers (a blocked result's note is the runtime's own). */
function toolMessage(result: ToolResultRecord): ToolMessage {
  const content = result.injection && result.injection.action !== 'block' ? wrapUntrusted(result.content, { source: `tool ${result.name}` }) : result.content;
  return { role: 'tool', toolCallId: result.toolCallId, name: result.name, content, ...(result.isError ? { isError: true } : {}) };
}

function errorResult(call: ToolCall, input: unknown, code: string, message: string): ToolResultRecord {
  return { toolCallId: call.id, name: call.name, input, content: `Error (${code}): ${message}`, isError: true, attempts: 0, durationMs: 0 };
}

/** The user's question: recorded at the run's start; the last user message for states saved before that. */
function questionOf(state: RunState): string {
  return state.question ?? lastUserText(state.messages);
}

export function lastUserText(messages: readonly Message[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m.role === 'user') return textOf(m.content);
  }
  return '';
}

function lastAssistantText(messages: readonly Message[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m.role === 'assistant' && m.content) return textOf(m.content);
  }
  return '';
}

/**
 * Tool results the run has seen so far, as check documents and decision sources. A tool that
 * says which passages its output holds (a retrieval tool) contributes those, by source id.
 */
function documentsOf(state: RunState, tools: Map<string, Tool>): CheckDocument[] {
  const docs: CheckDocument[] = [];
  for (const step of state.steps) {
    for (const r of step.toolResults) {
      if (r.isError) continue;
      const passages = tools.get(r.name)?.documents?.(r.output);
      if (passages) for (const p of passages) docs.push({ ...p, kind: 'retrieval', metadata: { ...p.metadata, tool: r.name, toolCallId: r.toolCallId } });
      else docs.push({ id: r.toolCallId, text: r.content, kind: 'tool-result', metadata: { tool: r.name } });
    }
  }
  return docs;
}

function outputFormat(schema: z.ZodType): ModelRequest['responseFormat'] {
  return { type: 'json_schema', name: 'answer', schema: jsonSchemaOf(schema) };
}

const schemaCache = new WeakMap<z.ZodType, Record<string, unknown>>();
function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  let json = schemaCache.get(schema);
  if (!json) {
    json = z.toJSONSchema(schema, { target: 'draft-7' }) as Record<string, unknown>;
    delete json.$schema;
    schemaCache.set(schema, json);
  }
  return json;
}

export function parseOutput(schema: z.ZodType, text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  const body = text.trim().replace(/^```(?:json)?\s*([\s\S]*?)\s*```$/, '$1');
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    return { ok: false, error: `the answer is not valid JSON (${(error as Error).message})` };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    return {
      ok: false,
      error: `the answer does not match the schema: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    };
  }
  return { ok: true, value: parsed.data };
}

/** Runs `work` over `items`, at most `cap` at a time; the first failure is rethrown after the others settle. */
async function pool<T>(items: T[], cap: number, work: (item: T) => Promise<void>): Promise<void> {
  if (items.length === 0) return;
  if (items.length === 1) return work(items[0]);
  let next = 0;
  const errors: unknown[] = [];
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      try {
        await work(item);
      } catch (error) {
        errors.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(cap, items.length) }, worker));
  if (errors.length > 0) throw errors[0];
}
