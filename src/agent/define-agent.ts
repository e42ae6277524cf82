import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { DEFAULTS } from '../defaults.js';
import { SextantError } from '../errors.js';
import type { Provider } from '../model/provider.js';
import { priceOf } from '../model/pricing.js';
import { preloadTokenizer } from '../model/tokens.js';
import { createProviderRouter } from '../model/router.js';
import { emptyUsage, type Message, type ModelRequest, type RequestMetadata } from '../model/types.js';
import { createPipeline, type MiddlewareInsertion } from '../pipeline/create-pipeline.js';
import { tracingMiddleware } from '../trace/tracing-middleware.js';
import type { Model } from '../model/model.js';
import type { Check } from '../checks/types.js';
import type { Tool } from '../tools/define-tool.js';
import type { Tracer } from '../trace/tracer.js';
import type { ContextPolicy } from './context-window.js';
import { resolveLoopOptions, type LoopDetectorOptions } from '../checks/loop-detector.js';
import { resolveModel } from './resolve-model.js';
import {
  checkChecks,
  checkContextPolicy,
  checkLimits,
  checkMaxParallelTools,
  checkModelOption,
  checkNonNegativeInteger,
  checkOutputSchema,
  checkTools,
  throwIfConfigurationError,
} from './check-options.js';
import { memorySessionStore } from './memory-stores.js';
import { executeRun } from './run-loop.js';
import { lastUserText } from './runner/conversation.js';
import type { AgentCore } from './runner/run-context.js';
import { resolveUntrustedOptions, type UntrustedContentOptions } from './untrusted.js';
import { parseRunState, RUN_STATE_VERSION } from './run-state.js';
import type { CheckpointStore } from '../store/checkpoints.js';
import type { SessionStore } from '../store/sessions.js';
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
  /**
   * Where a session's history is kept between runs (`run(input, { session })`). Default: an
   * in-memory store, private to this agent and lost when the process exits; give `sqlSessionStore`
   * (or your own) to keep sessions across processes.
   */
  sessions?: SessionStore;
  /** Where the run's spans go: run, step, model (through the pipeline's tracing stage), tool and check spans. */
  tracer?: Tracer;
  /**
   * Your own middleware at named insertion points of the standard pipeline a model string builds
   * (`[{ before: 'cache', use: myMiddleware }]`; see createPipeline). A Model you build yourself takes them there.
   */
  middleware?: readonly MiddlewareInsertion[];
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

export function defineAgent<Output = string>(options: AgentOptions<Output>): Agent<Output> {
  checkModelOption(options.model);
  checkLimits(options.limits);
  checkNonNegativeInteger('repairs.output', options.repairs?.output);
  checkNonNegativeInteger('repairs.toolArguments', options.repairs?.toolArguments);
  checkOutputSchema(options.outputSchema);
  checkContextPolicy(options.context);
  checkMaxParallelTools(options.maxParallelTools);
  const tools = new Map<string, Tool>();
  for (const tool of checkTools(options.tools)) {
    if (tools.has(tool.name)) throw new SextantError('CONFIG_INVALID', `Two tools are named "${tool.name}"`, { context: { tool: tool.name } });
    tools.set(tool.name, tool);
  }
  const router = createProviderRouter({ providers: options.providers });
  const modelString = typeof options.model === 'string' ? options.model : undefined;
  if (modelString !== undefined) router.validate(modelString);
  if (options.middleware && typeof options.model !== 'string') {
    throw new SextantError(
      'CONFIG_INVALID',
      '`middleware` inserts into the pipeline a model string builds; give a Model of your own its middleware where you build it',
      {
        context: { option: 'middleware' },
      },
    );
  }
  const tracing = options.tracer && tracingMiddleware({ tracer: options.tracer });
  const { model, modelName } = resolveModel(
    options.model,
    options.modelName,
    () => createPipeline({ terminal: router, tracing, middleware: options.middleware }),
    tracing,
  );
  /** At the start of every run: a model string's key and base URL are read then, so a missing one throws before anything runs. */
  function checkModelReady(): void {
    if (modelString !== undefined) router.resolve(modelString);
  }
  void preloadTokenizer(modelName, { background: true }).catch(() => {});
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
    checks: checkChecks(options.checks),
    outputSchema: options.outputSchema,
    loopDetector: options.loopDetector === false ? false : resolveLoopOptions(options.loopDetector),
    context: options.context ?? {},
    checkpoints: options.checkpoints,
    sessions: options.sessions ?? memorySessionStore(),
    tracer: options.tracer,
    maxParallelTools: options.maxParallelTools ?? d.maxParallelTools,
    repairs: { output: options.repairs?.output ?? d.maxOutputRepairs, toolArguments: options.repairs?.toolArguments ?? d.maxToolCallRepairs },
    request: options.request ?? {},
    untrustedContent: resolveUntrustedOptions(options.untrustedContent),
  };

  async function newState(input: string | Message[], runOptions: RunOptions): Promise<RunState> {
    checkLimits(runOptions.limits);
    checkModelReady();
    const inputMessages: Message[] = typeof input === 'string' ? [{ role: 'user', content: input }] : input;
    if (inputMessages.length === 0) throw new SextantError('INVALID_REQUEST', 'A run needs an input: a non-empty string or at least one message');
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
      loop: {},
      elapsedMs: 0,
    };
  }

  function stream(input: string | Message[], runOptions: RunOptions = {}): AgentStream<Output> {
    const queue: AgentEvent<Output>[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    // A consumer that stops reading (break, return, a thrown error in its loop) ends the run: nobody is left to read it.
    const consumer = new AbortController();
    const signal = runOptions.signal ? AbortSignal.any([runOptions.signal, consumer.signal]) : consumer.signal;
    const result = newState(input, runOptions)
      .then((state) =>
        executeRun(core, state, {
          signal,
          limits: runOptions.limits,
          stream: true,
          emit: (event) => {
            queue.push(event as AgentEvent<Output>);
            wake?.();
          },
        }),
      )
      .then(throwIfConfigurationError)
      .finally(() => {
        done = true;
        wake?.();
      });
    return {
      result,
      async *[Symbol.asyncIterator]() {
        try {
          for (;;) {
            while (queue.length > 0) yield queue.shift()!;
            if (done) {
              await result;
              return;
            }
            await new Promise<void>((resolve) => (wake = resolve));
            wake = undefined;
          }
        } finally {
          if (!done) consumer.abort(new SextantError('ABORTED', 'the stream was left before the run finished', { context: { reason: 'consumer_left' } }));
        }
      },
    };
  }

  return {
    name: core.name,
    async run(input, runOptions = {}) {
      const state = await newState(input, runOptions);
      return throwIfConfigurationError(await executeRun(core, state, { signal: runOptions.signal, limits: runOptions.limits, stream: false }));
    },
    stream,
    async resume(from, resumeOptions = {}) {
      checkLimits(resumeOptions.limits);
      checkModelReady();
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
      return throwIfConfigurationError(
        await executeRun(core, state, {
          signal: resumeOptions.signal,
          limits: resumeOptions.limits,
          approvals: resumeOptions.approvals,
          stream: false,
          resumedFromStep: state.steps.length,
        }),
      );
    },
  };
}
