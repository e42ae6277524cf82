import type { Limits } from '../types.js';
import { recordLimit, type RunContext } from './run-context.js';
import type { Stop } from './stop.js';

/**
 * A limit as a value: checked before every step; `spend` conditions are also checked after a
 * model call that asked for tools, so a call that overspent does not get its tools run.
 */
export interface StopCondition {
  readonly spend: boolean;
  check(ctx: RunContext): Stop | undefined;
}

export const stepLimit = (max: number): StopCondition => ({
  spend: false,
  check(ctx) {
    const used = ctx.state.steps.length;
    if (used < max) return undefined;
    recordLimit(ctx, 'steps', max, used);
    return { reason: 'max_steps', detail: `reached the limit of ${max} steps`, answerNow: true };
  },
});

export const tokenLimit = (max: number): StopCondition => ({
  spend: true,
  check(ctx) {
    const used = ctx.state.usage.totalTokens;
    if (used < max) return undefined;
    recordLimit(ctx, 'tokens', max, used);
    return { reason: 'max_tokens', detail: `used ${used} tokens of the limit of ${max}`, answerNow: true };
  },
});

export const costLimit = (max: number): StopCondition => ({
  spend: true,
  check(ctx) {
    const used = ctx.state.cost.totalUsd;
    if (used < max) return undefined;
    recordLimit(ctx, 'cost', max, used);
    return { reason: 'max_cost', detail: `spent $${used.toFixed(6)} of the limit of $${max}`, answerNow: true };
  },
});

/** The run's limits as the conditions the loop checks, in the order they are reported. */
export function limitConditions(limits: Limits): StopCondition[] {
  return [stepLimit(limits.maxSteps), tokenLimit(limits.maxTokens), costLimit(limits.maxCostUsd)];
}

/** The first condition that stops the run (only `spend` ones when `spendOnly`). */
export function firstStop(ctx: RunContext, conditions: readonly StopCondition[], spendOnly = false): Stop | undefined {
  for (const condition of conditions) {
    if (spendOnly && !condition.spend) continue;
    const stop = condition.check(ctx);
    if (stop) return stop;
  }
  return undefined;
}
