import { DEFAULTS } from '../defaults.js';
import { sleep } from '../model/abort.js';
import { SextantError, isSextantError, toSextantError } from '../errors.js';
import type { ToolCall } from '../model/types.js';
import { backoffDelayMs } from '../pipeline/backoff.js';
import type { Tool, ToolLogger } from '../tools/define-tool.js';
import type { ToolResultRecord } from './types.js';

export type ParsedArguments = { ok: true; input: unknown } | { ok: false; malformedJson: boolean; message: string; raw: string };

/** Parses a tool call's JSON arguments and validates them against the tool's input schema. */
export function parseToolArguments(tool: Tool, call: ToolCall): ParsedArguments {
  let json: unknown;
  try {
    json = call.arguments.trim() === '' ? {} : JSON.parse(call.arguments);
  } catch (error) {
    return { ok: false, malformedJson: true, message: `arguments are not valid JSON (${(error as Error).message})`, raw: call.arguments };
  }
  const parsed = tool.input.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    return { ok: false, malformedJson: false, message: `arguments do not match the input schema: ${issues}`, raw: call.arguments };
  }
  return { ok: true, input: parsed.data };
}

export interface RunToolOptions {
  /** The run's signal: its abort is rethrown, never turned into a tool result. */
  signal: AbortSignal;
  runId: string;
  sessionId?: string;
  defaultTimeoutMs: number;
  logger: ToolLogger;
}

/**
 * Runs one validated tool call: per-attempt timeout, retries on what the tool's `retryOn` accepts
 * (with backoff and jitter, or the error's `retryAfterMs`, cut short by the run's abort), output
 * validation. Failures become an error result for the model unless the tool's errorMode is
 * 'throw'; an abort of the run always propagates.
 */
export async function runTool(tool: Tool, call: ToolCall, input: unknown, options: RunToolOptions): Promise<ToolResultRecord> {
  const started = performance.now();
  let attempt = 0;
  let lastError: SextantError | undefined;
  let delayMs = 0;
  while (attempt <= tool.retries) {
    attempt++;
    if (delayMs > 0) await sleep(delayMs, options.signal);
    try {
      const output = await attemptOnce(tool, call, input, options, attempt);
      const checked = validateOutput(tool, output);
      return {
        toolCallId: call.id,
        name: tool.name,
        input,
        content: render(checked),
        output: checked,
        isError: false,
        attempts: attempt,
        durationMs: performance.now() - started,
      };
    } catch (error) {
      if (options.signal.aborted) throw options.signal.reason ?? error;
      lastError = toSextantError(error, 'TOOL_ERROR');
      if (attempt > tool.retries || isSextantError(error, 'TOOL_OUTPUT_INVALID') || !tool.retryOn(error, attempt)) break;
      const wait = retryWait(lastError, attempt);
      if (wait === undefined) break;
      delayMs = wait;
    }
  }
  const error = lastError!;
  if (tool.errorMode === 'throw') {
    throw new SextantError(error.code === 'TOOL_TIMEOUT' ? 'TOOL_TIMEOUT' : 'TOOL_ERROR', `tool "${tool.name}" failed: ${error.message}`, {
      cause: error,
      context: { tool: tool.name, toolCallId: call.id, attempts: attempt },
    });
  }
  return {
    toolCallId: call.id,
    name: tool.name,
    input,
    content: `Error (${error.code}): ${error.message}`,
    isError: true,
    ...(error.context.retryRequested === true ? { retryRequested: true } : {}),
    attempts: attempt,
    durationMs: performance.now() - started,
  };
}

/**
 * One attempt. A tool that answers synchronously is done before any timer or listener is set up
 * (most tools in a step are cheap lookups). An asynchronous one races its timeout and the run's
 * abort: the wait ends on either even if the tool ignores its signal. The attempt's signal is made
 * on first use (most tools never read it), chained to the run's by the same listener.
 */
function attemptOnce(tool: Tool, call: ToolCall, input: unknown, options: RunToolOptions, attempt: number): unknown {
  if (options.signal.aborted) throw options.signal.reason;
  let controller: AbortController | undefined;
  let abortedWith: unknown;
  const context = {
    get signal(): AbortSignal {
      if (!controller) {
        controller = new AbortController();
        if (abortedWith !== undefined) controller.abort(abortedWith);
      }
      return controller.signal;
    },
    runId: options.runId,
    sessionId: options.sessionId,
    toolCallId: call.id,
    attempt,
    logger: options.logger,
  };
  const returned = tool.execute(input, context);
  if (!isThenable(returned)) return returned;
  const timeoutMs = tool.timeoutMs ?? options.defaultTimeoutMs;
  const abortAttempt = (reason: unknown) => {
    abortedWith = reason;
    controller?.abort(reason);
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  let forwardAbort: (() => void) | undefined;
  return new Promise<unknown>((resolve, reject) => {
    forwardAbort = () => {
      abortAttempt(options.signal.reason);
      reject(options.signal.reason);
    };
    options.signal.addEventListener('abort', forwardAbort, { once: true });
    timer = setTimeout(() => {
      const timedOut = new SextantError('TOOL_TIMEOUT', `tool "${tool.name}" timed out after ${timeoutMs}ms`, {
        retryable: true,
        context: { tool: tool.name, timeoutMs },
      });
      abortAttempt(timedOut);
      reject(timedOut);
    }, timeoutMs);
    returned.then(resolve, reject);
  }).finally(() => {
    clearTimeout(timer);
    options.signal.removeEventListener('abort', forwardAbort!);
  });
}

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as PromiseLike<unknown>).then === 'function';

/** The wait before the next attempt: the error's `retryAfterMs` (undefined when too long to wait), else backoff with jitter. */
function retryWait(error: SextantError, attempt: number): number | undefined {
  const d = DEFAULTS.agent.toolRetry;
  if (error.retryAfterMs !== undefined) return error.retryAfterMs <= d.maxRetryAfterMs ? error.retryAfterMs : undefined;
  return backoffDelayMs(attempt, d.baseDelayMs, d.maxDelayMs);
}

function validateOutput(tool: Tool, output: unknown): unknown {
  if (!tool.output) return output;
  const parsed = tool.output.safeParse(output);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  throw new SextantError('TOOL_OUTPUT_INVALID', `tool "${tool.name}" returned output that does not match its schema: ${issues}`, {
    context: { tool: tool.name },
  });
}

function render(output: unknown): string {
  if (typeof output === 'string') return output;
  return JSON.stringify(output) ?? 'null';
}
