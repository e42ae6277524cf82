/**
 * Configuration errors of an agent, found where they are made: `defineAgent` and the start of a
 * run throw them as a SextantError, so a misconfigured script fails loudly instead of returning a
 * run that stopped with `error` (and exiting 0).
 */
import { SextantError, type ErrorCode } from '../errors.js';
import { defineCheck } from '../checks/define-check.js';
import type { Check } from '../checks/types.js';
import type { Tool } from '../tools/define-tool.js';
import type { ContextPolicy } from './context-window.js';
import type { Limits, RunResult } from './types.js';

/** Codes that say the agent or its environment is set up wrong, not that a call failed. */
const CONFIGURATION_ERRORS: ReadonlySet<ErrorCode> = new Set([
  'CONFIG_INVALID',
  'UNKNOWN_PROVIDER',
  'MISSING_API_KEY',
  'INVALID_MODEL_STRING',
  'UNKNOWN_MODEL',
]);

function invalid(option: string, message: string, context: Record<string, unknown> = {}): SextantError {
  return new SextantError('CONFIG_INVALID', message, { context: { option, ...context } });
}

export function checkNonNegativeInteger(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 0)) throw invalid(name, `${name} must be a non-negative integer, got ${value}`, { value });
}

export function checkLimits(limits: Partial<Limits> | undefined): void {
  if (!limits) return;
  checkNonNegativeInteger('limits.maxSteps', limits.maxSteps);
  for (const key of ['timeoutMs', 'maxTokens', 'maxCostUsd'] as const) {
    const value = limits[key];
    if (value !== undefined && !(value > 0)) throw invalid(`limits.${key}`, `limits.${key} must be positive, got ${value}`, { value });
  }
  const perTool = limits.maxCallsPerTool;
  if (typeof perTool === 'number') checkNonNegativeInteger('limits.maxCallsPerTool', perTool);
  else if (perTool !== undefined) for (const [tool, max] of Object.entries(perTool)) checkNonNegativeInteger(`limits.maxCallsPerTool.${tool}`, max);
}

/** A model option that is neither a model string, a pipeline Model nor a Provider would only fail at the first call. */
export function checkModelOption(model: unknown): void {
  const isObject = typeof model === 'object' && model !== null;
  if (typeof model === 'string' || (isObject && ('generate' in model || 'stream' in model))) return;
  throw invalid('model', `model must be a model string (e.g. "openai:gpt-4o-mini" or "scripted"), a pipeline Model or a Provider, got ${describe(model)}`);
}

/**
 * Tools must come from `defineTool` (or `mcpTools`, `retrievalTool`...): a hand-made object lacks the
 * validated input schema and the JSON Schema the model is sent, and would fail on its first call.
 */
export function checkTools(tools: unknown): Tool[] {
  if (tools === undefined) return [];
  if (!Array.isArray(tools)) throw invalid('tools', `tools must be an array of tools, got ${describe(tools)}`);
  for (const [index, tool] of tools.entries()) {
    const t = tool as Partial<Tool> | null;
    const made = typeof t?.name === 'string' && typeof t.execute === 'function' && typeof t.input?.safeParse === 'function' && t.spec !== undefined;
    if (!made) {
      throw invalid('tools', `tools[${index}]${typeof t?.name === 'string' ? ` ("${t.name}")` : ''} is not a tool made by defineTool()`, { index });
    }
  }
  return tools as Tool[];
}

/** Checks go through defineCheck's validation again, so a hand-made check with a bad stage is refused, not silently never run. */
export function checkChecks(checks: unknown): Check[] {
  if (checks === undefined) return [];
  if (!Array.isArray(checks)) throw invalid('checks', `checks must be an array of checks, got ${describe(checks)}`);
  for (const check of checks as Check[]) defineCheck(check);
  return checks as Check[];
}

export function checkOutputSchema(schema: unknown): void {
  if (schema !== undefined && typeof (schema as { safeParse?: unknown } | null)?.safeParse !== 'function') {
    throw invalid('outputSchema', `outputSchema must be a zod schema, got ${describe(schema)}`);
  }
}

export function checkContextPolicy(policy: ContextPolicy | undefined): void {
  if (policy?.strategy !== undefined && policy.strategy !== 'drop-oldest' && policy.strategy !== 'summarize') {
    throw invalid('context.strategy', `context.strategy must be "drop-oldest" or "summarize", got ${describe(policy.strategy)}`);
  }
  for (const key of ['maxInputTokens', 'reserveOutputTokens'] as const) checkNonNegativeInteger(`context.${key}`, policy?.[key]);
}

export function checkMaxParallelTools(value: number | undefined): void {
  if (value !== undefined && !(Number.isInteger(value) && value >= 1))
    throw invalid('maxParallelTools', `maxParallelTools must be an integer ≥ 1, got ${value}`, { value });
}

/**
 * A configuration error met during the run (the key or base URL a pipeline Model's router needs,
 * a model the upstream does not know) is thrown, not returned as a run that stopped with `error`.
 */
export function throwIfConfigurationError<Output>(result: RunResult<Output>): RunResult<Output> {
  if (result.stopReason === 'error' && result.error && CONFIGURATION_ERRORS.has(result.error.code)) throw result.error;
  return result;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? JSON.stringify(value) : typeof value;
}
