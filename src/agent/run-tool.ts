import { SextantError, isSextantError, toSextantError } from '../errors.js';
import type { ToolCall } from '../model/types.js';
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
 * Runs one validated tool call: per-attempt timeout, retries on what may succeed if repeated,
 * output validation. Failures become an error result for the model unless the tool's
 * errorMode is 'throw'; an abort of the run always propagates.
 */
export async function runTool(tool: Tool, call: ToolCall, input: unknown, options: RunToolOptions): Promise<ToolResultRecord> {
  const started = performance.now();
  const timeoutMs = tool.timeoutMs ?? options.defaultTimeoutMs;
  let attempt = 0;
  let lastError: SextantError | undefined;
  while (attempt <= tool.retries) {
    attempt++;
    if (attempt > 1 && lastError?.retryAfterMs) await sleep(lastError.retryAfterMs, options.signal);
    // One controller per attempt, chained to the run's signal by a listener (cheaper than AbortSignal.any on the hot path).
    const attemptController = new AbortController();
    const signal = attemptController.signal;
    const forwardAbort = () => attemptController.abort(options.signal.reason);
    options.signal.addEventListener('abort', forwardAbort, { once: true });
    const timer = setTimeout(
      () => attemptController.abort(new SextantError('TOOL_TIMEOUT', `tool "${tool.name}" timed out after ${timeoutMs}ms`, { retryable: true, context: { tool: tool.name, timeoutMs } })),
      timeoutMs,
    );
    try {
      const output = await raceAbort(
        Promise.resolve(tool.execute(input, { signal, runId: options.runId, sessionId: options.sessionId, toolCallId: call.id, attempt, logger: options.logger })),
        signal,
      );
      const checked = validateOutput(tool, output);
      return { toolCallId: call.id, name: tool.name, input, content: render(checked), output: checked, isError: false, attempts: attempt, durationMs: performance.now() - started };
    } catch (error) {
      if (options.signal.aborted) throw options.signal.reason ?? error;
      lastError = signal.aborted ? (signal.reason as SextantError) : toSextantError(error, 'TOOL_ERROR');
      if (!lastError.retryable || isSextantError(lastError, 'TOOL_OUTPUT_INVALID')) break;
    } finally {
      clearTimeout(timer);
      options.signal.removeEventListener('abort', forwardAbort);
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

/** Ends the wait when the signal aborts, even if the tool ignores its signal. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
