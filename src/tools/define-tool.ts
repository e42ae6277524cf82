import { z } from 'zod';
import type { JsonSchema, ToolSpec } from '../model/types.js';
import { SextantError } from '../errors.js';
import { transientToolError, type ToolRetryPolicy } from './retry-policy.js';

/** Where a tool writes what it wants to say about one call; the runtime attaches it to the tool's span. */
export interface ToolLogger {
  debug(message: string, data?: Record<string, unknown>): void;
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
}

/** What a tool's `execute` receives beside its input. */
export interface ToolContext {
  /** The run's signal: aborted when the run times out, is cancelled, or this call's own timeout fires. */
  signal: AbortSignal;
  runId: string;
  sessionId?: string;
  /** The id the model gave this call. Stable across retries and resumes: use it as an idempotency key. */
  toolCallId: string;
  /** 1 for the first attempt, 2 for the first retry... */
  attempt: number;
  logger: ToolLogger;
}

/**
 * What happens when a tool fails (throws, times out, or its output fails validation):
 * `return` sends the error back to the model as the tool's result so it can adapt;
 * `throw` stops the run with stopReason `error`.
 */
export type ToolErrorMode = 'return' | 'throw';

/** What a call past the tool's call limit does; see ToolOptions.onLimit. */
export type ToolLimitAction = 'error' | 'stop';

/**
 * A tool's input: a zod object (typed, the usual way), or a JSON Schema already written
 * elsewhere (an MCP server's tool, an OpenAPI operation), sent to the model as is and
 * validated through zod's `fromJSONSchema`.
 */
export type ToolInputDefinition<I> = { input: z.ZodType<I>; inputSchema?: never } | { inputSchema: JsonSchema; input?: never };

export type ToolDefinition<I, O> = ToolInputDefinition<I> & ToolOptions<I, O>;

export interface ToolOptions<I, O> {
  /** The name the model calls. Letters, digits, `_` and `-` (the common denominator of providers). */
  name: string;
  description: string;
  output?: z.ZodType<O>;
  execute(input: I, ctx: ToolContext): Promise<O> | O;
  /** Per-attempt time limit in ms. Default: DEFAULTS.agent.toolTimeoutMs. */
  timeoutMs?: number;
  /**
   * Extra attempts after a failure that `retryOn` accepts, with exponential backoff and jitter
   * between them (DEFAULTS.agent.toolRetry; a `retryAfterMs` the error carries is waited instead).
   * Default 0.
   */
  retries?: number;
  /**
   * Which failures are tried again. Default `transientToolError`: retryable SextantErrors (a
   * ToolRetryRequest, an upstream's 429/503), network failures that never reached the server
   * (ECONNREFUSED, EAI_AGAIN, a connect timeout) and, only if the tool is `idempotent`, failures
   * after which the call may have had its effect (ECONNRESET, ETIMEDOUT, the tool's timeout).
   * A function of the thrown error and the failed attempt's number takes over entirely: it is how a
   * non-idempotent tool says it is safe to repeat (e.g. it sends `ctx.toolCallId` as an idempotency key).
   * Output that fails the output schema is never retried.
   */
  retryOn?: ToolRetryPolicy;
  /** Pause the run for a human's approval before running. A function decides per input. */
  needsApproval?: boolean | ((input: I) => boolean);
  /**
   * Safe to run twice with the same input (reads, lookups). A resumed run re-runs an interrupted
   * idempotent call; an interrupted non-idempotent one is never repeated. Default false.
   */
  idempotent?: boolean;
  /**
   * The tool reports the state of something that changes over time (a job's status): calling it
   * again with the same input is expected, so the loop detector does not count it as a repeat.
   */
  poller?: boolean;
  errorMode?: ToolErrorMode;
  /**
   * When a call would go past the tool's call limit (the agent's `limits.maxCallsPerTool`):
   * `error` (default) answers that call with a tool error ("limit reached for X") and the run
   * goes on; `stop` stops the run with `tool_call_limit`.
   */
  onLimit?: ToolLimitAction;
  /**
   * The tool's output is the application's own text, not content from outside (a clock, a
   * calculator, a record only your code writes). By default every tool's output is untrusted:
   * the agent scans it for prompt injections and shows it to the model inside untrusted-content
   * markers. A tool that returns anything a third party could have written (web pages, emails,
   * documents, free-text CRM fields) must stay untrusted. Default false.
   */
  trusted?: boolean;
  /**
   * The passages a call's output holds (a retrieval tool's results): they become the run's
   * retrieved documents, which groundedness checks and citation validators use, in place of
   * the whole output as one tool-result document.
   */
  documents?: (output: O) => ToolDocument[];
}

/** A passage a tool returned, cited by its `id` (a source id such as `file#section`). */
export interface ToolDocument {
  id: string;
  text: string;
  metadata?: Record<string, unknown>;
}

/** A tool ready for an agent: its definition with defaults applied and its JSON Schema computed once. */
export interface Tool<I = any, O = any> {
  readonly name: string;
  readonly description: string;
  readonly input: z.ZodType<I>;
  readonly output?: z.ZodType<O>;
  readonly execute: (input: I, ctx: ToolContext) => Promise<O> | O;
  readonly timeoutMs?: number;
  readonly retries: number;
  readonly retryOn: ToolRetryPolicy;
  readonly needsApproval: boolean | ((input: I) => boolean);
  readonly idempotent: boolean;
  readonly poller: boolean;
  readonly errorMode: ToolErrorMode;
  readonly onLimit: ToolLimitAction;
  readonly trusted: boolean;
  // A method signature (bivariant), so a Tool<I, never> (a tool that only throws) is still a Tool.
  documents?(output: O): ToolDocument[];
  /** JSON Schema of the input, as sent to the model. */
  readonly parameters: JsonSchema;
  /** The tool as the model layer describes it. */
  readonly spec: ToolSpec;
}

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/**
 * A tool error that asks the model to call again (the upstream was busy, the resource is not ready).
 * The loop detector treats the retry it asks for as legitimate, not as a repeat.
 */
export class ToolRetryRequest extends SextantError {
  constructor(message: string, options: { retryAfterMs?: number; context?: Record<string, unknown> } = {}) {
    super('TOOL_ERROR', message, { retryable: true, retryAfterMs: options.retryAfterMs, context: { ...options.context, retryRequested: true } });
  }
}

export function defineTool<I, O>(definition: ToolDefinition<I, O>): Tool<I, O> {
  if (!TOOL_NAME.test(definition.name)) {
    throw new SextantError('CONFIG_INVALID', `Tool name "${definition.name}" must be 1-64 letters, digits, "_" or "-"`, {
      context: { tool: definition.name },
    });
  }
  if (definition.retries !== undefined && (!Number.isInteger(definition.retries) || definition.retries < 0)) {
    throw new SextantError('CONFIG_INVALID', `Tool "${definition.name}": retries must be a non-negative integer`, {
      context: { tool: definition.name, retries: definition.retries },
    });
  }
  if (definition.onLimit !== undefined && definition.onLimit !== 'error' && definition.onLimit !== 'stop') {
    throw new SextantError('CONFIG_INVALID', `Tool "${definition.name}": onLimit must be 'error' or 'stop'`, {
      context: { tool: definition.name, onLimit: definition.onLimit },
    });
  }
  if (definition.timeoutMs !== undefined && !(definition.timeoutMs > 0)) {
    throw new SextantError('CONFIG_INVALID', `Tool "${definition.name}": timeoutMs must be positive`, {
      context: { tool: definition.name, timeoutMs: definition.timeoutMs },
    });
  }
  if ((definition.input === undefined) === (definition.inputSchema === undefined)) {
    throw new SextantError('CONFIG_INVALID', `Tool "${definition.name}": give either input (a zod object) or inputSchema (a JSON Schema)`, {
      context: { tool: definition.name },
    });
  }
  const { input, parameters } = definition.inputSchema
    ? fromJsonSchema<I>(definition.name, definition.inputSchema)
    : fromZod(definition.name, definition.input);
  if (parameters.type !== 'object') {
    throw new SextantError('CONFIG_INVALID', `Tool "${definition.name}": input must be an object schema (models pass named arguments)`, {
      context: { tool: definition.name, schemaType: parameters.type },
    });
  }
  delete parameters.$schema;
  const idempotent = definition.idempotent ?? false;
  return Object.freeze({
    name: definition.name,
    description: definition.description,
    input,
    output: definition.output,
    execute: definition.execute,
    timeoutMs: definition.timeoutMs,
    retries: definition.retries ?? 0,
    retryOn: definition.retryOn ?? ((error: unknown) => transientToolError(error, idempotent)),
    needsApproval: definition.needsApproval ?? false,
    idempotent,
    poller: definition.poller ?? false,
    errorMode: definition.errorMode ?? 'return',
    onLimit: definition.onLimit ?? 'error',
    trusted: definition.trusted ?? false,
    documents: definition.documents,
    parameters,
    spec: { name: definition.name, description: definition.description, parameters },
  });
}

function fromZod<I>(tool: string, input: z.ZodType<I>): { input: z.ZodType<I>; parameters: JsonSchema } {
  try {
    return { input, parameters: z.toJSONSchema(input, { target: 'draft-7', io: 'input' }) as JsonSchema };
  } catch (cause) {
    throw new SextantError('CONFIG_INVALID', `Tool "${tool}": its input schema cannot be expressed as JSON Schema`, { cause, context: { tool } });
  }
}

function fromJsonSchema<I>(tool: string, schema: JsonSchema): { input: z.ZodType<I>; parameters: JsonSchema } {
  // A copy: the model is sent the schema as given, and the caller's object stays its own.
  const parameters = structuredClone(schema);
  try {
    return { input: z.fromJSONSchema(parameters) as z.ZodType<I>, parameters };
  } catch (cause) {
    throw new SextantError('CONFIG_INVALID', `Tool "${tool}": its input JSON Schema cannot be validated (${(cause as Error).message})`, {
      cause,
      context: { tool },
    });
  }
}
