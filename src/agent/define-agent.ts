import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { DEFAULTS } from '../defaults.js';
import { SextantError } from '../errors.js';
import type { Provider } from '../model/provider.js';
import { priceOf } from '../model/pricing.js';
import { preloadTokenizer } from '../model/tokens.js';
import { createProviderRouter } from '../model/router.js';
import { emptyUsage, type Message, type ModelRequest, type RequestMetadata } from '../model/types.js';
import { createPipeline } from '../pipeline/create-pipeline.js';
import type { Model } from '../pipeline/middleware.js';
import type { Check } from '../checks/types.js';
import type { Tool } from '../tools/define-tool.js';
import type { Tracer } from '../trace/tracer.js';
import type { ContextPolicy } from './context-window.js';
import { emptyLoopState, resolveLoopOptions, type LoopDetectorOptions } from './loop-detector.js';
import { resolveModel } from './resolve-model.js';
import { executeRun } from './run-loop.js';
import { lastUserText } from './runner/conversation.js';
import type { AgentCore } from './runner/run-context.js';
import { resolveUntrustedOptions, type UntrustedContentOptions } from './untrusted.js';
import { parseRunState, RUN_STATE_VERSION } from './run-state.js';
import type { CheckpointStore, SessionStore } from './stores.js';
import type { AgentEvent, ApprovalDecision, Limits, RunResult, RunState } from './types.js';

export interface AgentOptions<Output = string> {
  /** Shown in traces. Default `agent`. */
  name?: string;
  /**
   * A model string (`openai:gpt-4o-mini`: the standard pipeline is built for it over the provider
   * router), a pipeline Model (give `modelName`), or a Provider called directly.
   */
  model: Model | Provider | string;
  /** The model string sent in requests when `model` is a Model or a Provider. */
  modelName?: string;
  /** Providers for a model string's router (e.g. `{ scripted: scriptedModel(...) }`). */
  providers?: Record<string, Provider>;
  instructions?: string;
  tools?: Tool[];
  limits?: Partial<Limits>;
  checks?: Check[];
  /** The answer must be JSON matching this schema; it is parsed into `result.output`. */
  outputSchema?: z.ZodType<Output>;
  /** Loop detector thresholds, or `false` to turn it off. */
  loopDetector?: Partial<LoopDetectorOptions> | false;
  /** How the conversation is kept inside the context window. Default: drop the oldest turns. */
  context?: ContextPolicy;
  /** Where the run's state is saved after each step (resume after a crash or an approval). */
  checkpoints?: CheckpointStore;
  /** Where a session's history is kept between runs. */
  sessions?: SessionStore;
  tracer?: Tracer;
  /** Tool calls of one step run at once up to this. Default DEFAULTS.agent.maxParallelTools. */
  maxParallelTools?: number;
  /** Bounded re-asks: after an answer fails the output schema, after malformed tool-call JSON. */
  repairs?: { output?: number; toolArguments?: number };
  /** Sampling settings passed on every model call. */
  request?: Partial<Pick<ModelRequest, 'temperature' | 'topP' | 'maxTokens' | 'seed' | 'providerOptions'>>;
  /**
   * Prompt-injection defences on the output of every tool not declared `trusted`: the detector's
   * settings and its action, `flag` (default, DEFAULTS.security.injection.action), `strip` or
   * `block`. The output reaches the model inside untrusted-content markers, and the agent's
   * system prompt says how to treat marked content.
   */
  untrustedContent?: UntrustedContentOptions;
}

export interface RunOptions {
  signal?: AbortSignal;
  /** A session id: its history is loaded before the run and saved after. */
  session?: string;
  metadata?: RequestMetadata;
  /** Overrides the agent's limits for this run. */
  limits?: Partial<Limits>;
  /** The run's id (default: a random UUID). Checkpoints are saved under it. */
  runId?: string;
}

export interface ResumeOptions {
  signal?: AbortSignal;
  limits?: Partial<Limits>;
  /** Decisions on the calls a paused run waits for (see `approve()` / `reject()`). */
  approvals?: ApprovalDecision[];
}

/** `agent.stream()`: the run's events as they happen; `result` settles with the finish event. */
export interface AgentStream<Output> extends AsyncIterable<AgentEvent<Output>> {
  readonly result: Promise<RunResult<Output>>;
}

export interface Agent<Output = string> {
  readonly name: string;
  run(input: string | Message[], options?: RunOptions): Promise<RunResult<Output>>;
  stream(input: string | Message[], options?: RunOptions): AgentStream<Output>;
  /**
   * Continues a run from its state (`result.state`, or a run id saved in the agent's checkpoint
   * store). A completed run is final: resuming it returns its recorded result and calls nothing.
   */
  resume(from: RunState | string, options?: ResumeOptions): Promise<RunResult<Output>>;
}

function positiveInteger(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
    throw new SextantError('CONFIG_INVALID', `${name} must be a non-negative integer, got ${value}`, { context: { option: name, value } });
  }
}

function checkLimits(limits: Partial<Limits> | undefined): void {
  if (!limits) return;
  positiveInteger('limits.maxSteps', limits.maxSteps);
  for (const key of ['timeoutMs', 'maxTokens', 'maxCostUsd'] as const) {
    const value = limits[key];
    if (value !== undefined && !(value > 0)) {
      throw new SextantError('CONFIG_INVALID', `limits.${key} must be positive, got ${value}`, { context: { option: `limits.${key}`, value } });
    }
  }
}

export function defineAgent<Output = string>(options: AgentOptions<Output>): Agent<Output> {
  checkLimits(options.limits);
  positiveInteger('repairs.output', options.repairs?.output);
  positiveInteger('repairs.toolArguments', options.repairs?.toolArguments);
  const tools = new Map<string, Tool>();
  for (const tool of options.tools ?? []) {
    if (tools.has(tool.name)) throw new SextantError('CONFIG_INVALID', `Two tools are named "${tool.name}"`, { context: { tool: tool.name } });
    tools.set(tool.name, tool);
  }
  const { model, modelName } = resolveModel(options.model, options.modelName, () =>
    createPipeline({ terminal: createProviderRouter({ providers: options.providers }) }),
  );
  void preloadTokenizer(modelName).catch(() => {});
  const d = DEFAULTS.agent;
  const core: AgentCore<Output> = {
    name: options.name ?? 'agent',
    model,
    modelName,
    priceOf: model.priceOf ? (name) => model.priceOf!(name) : (name) => priceOf(name),
    instructions: options.instructions,
    tools,
    limits: {
      maxSteps: d.maxSteps,
      timeoutMs: d.timeoutMs,
      maxTokens: d.maxTokens,
      maxCostUsd: d.maxCostUsd,
      maxCallsPerTool: d.maxCallsPerTool,
      answerOnLimit: d.answerOnLimit,
      ...options.limits,
    },
    checks: options.checks ?? [],
    outputSchema: options.outputSchema,
    loopDetector: options.loopDetector === false ? false : resolveLoopOptions(options.loopDetector),
    context: options.context ?? {},
    checkpoints: options.checkpoints,
    sessions: options.sessions,
    tracer: options.tracer,
    maxParallelTools: options.maxParallelTools ?? d.maxParallelTools,
    repairs: { output: options.repairs?.output ?? d.maxOutputRepairs, toolArguments: options.repairs?.toolArguments ?? d.maxToolCallRepairs },
    request: options.request ?? {},
    untrustedContent: resolveUntrustedOptions(options.untrustedContent),
  };

  async function newState(input: string | Message[], runOptions: RunOptions): Promise<RunState> {
    checkLimits(runOptions.limits);
    const inputMessages: Message[] = typeof input === 'string' ? [{ role: 'user', content: input }] : input;
    if (inputMessages.length === 0) throw new SextantError('INVALID_REQUEST', 'A run needs an input: a non-empty string or at least one message');
    if (runOptions.session && !core.sessions) {
      throw new SextantError('CONFIG_INVALID', 'A run with a session needs an agent with a `sessions` store', { context: { session: runOptions.session } });
    }
    const history = runOptions.session ? await core.sessions!.load(runOptions.session) : [];
    return {
      version: RUN_STATE_VERSION,
      runId: runOptions.runId ?? randomUUID(),
      agent: core.name,
      ...(runOptions.session ? { sessionId: runOptions.session } : {}),
      metadata: runOptions.metadata ?? {},
      question: lastUserText(inputMessages),
      messages: [...history, ...inputMessages],
      steps: [],
      usage: emptyUsage(),
      cost: { inputUsd: 0, outputUsd: 0, totalUsd: 0 },
      toolCalls: {},
      repairs: { output: 0, toolArguments: 0 },
      reasks: {},
      checks: [],
      loop: emptyLoopState(),
      elapsedMs: 0,
    };
  }

  function stream(input: string | Message[], runOptions: RunOptions = {}): AgentStream<Output> {
    const queue: AgentEvent<Output>[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    const result = newState(input, runOptions)
      .then((state) =>
        executeRun(core, state, {
          signal: runOptions.signal,
          limits: runOptions.limits,
          stream: true,
          emit: (event) => {
            queue.push(event as AgentEvent<Output>);
            wake?.();
          },
        }),
      )
      .finally(() => {
        done = true;
        wake?.();
      });
    return {
      result,
      async *[Symbol.asyncIterator]() {
        for (;;) {
          while (queue.length > 0) yield queue.shift()!;
          if (done) {
            await result;
            return;
          }
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
      },
    };
  }

  return {
    name: core.name,
    async run(input, runOptions = {}) {
      const state = await newState(input, runOptions);
      return executeRun(core, state, { signal: runOptions.signal, limits: runOptions.limits, stream: false });
    },
    stream,
    async resume(from, resumeOptions = {}) {
      checkLimits(resumeOptions.limits);
      let state: RunState;
      if (typeof from === 'string') {
        if (!core.checkpoints)
          throw new SextantError('CONFIG_INVALID', 'Resuming by run id needs an agent with a `checkpoints` store', { context: { runId: from } });
        const record = await core.checkpoints.load(from);
        if (!record) throw new SextantError('NOT_FOUND', `No checkpoint for run ${from}`, { context: { runId: from } });
        state = parseRunState(record.state);
      } else {
        state = parseRunState(from);
      }
      return executeRun(core, state, {
        signal: resumeOptions.signal,
        limits: resumeOptions.limits,
        approvals: resumeOptions.approvals,
        stream: false,
        resumedFromStep: state.steps.length,
      });
    },
  };
}
