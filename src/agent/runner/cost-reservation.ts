import { SextantError } from '../../errors.js';
import type { ModelRequest } from '../../model/types.js';
import { DEFAULTS } from '../../defaults.js';
import { messageTokens, tokenUpperBound } from '../context-window.js';
import { recordLimit, type RunContext } from './run-context.js';

const PER_MILLION = 1_000_000;

/**
 * Admits a model call against the run's cost limit before it is made, as the budget middleware
 * does for shared budgets: the most it can cost (its prompt plus `maxTokens`, or the default
 * output allowance, at the model's price) must fit what the run has not spent or reserved.
 * A call that does not fit throws BUDGET_EXCEEDED (the run stops with `max_cost`). Returns the
 * release of the reservation, called when the call settles (its real cost is then accounted).
 * An unpriced model cannot be reserved for; its calls are marked `unpriced` in the run's cost.
 */
export function admitCall(ctx: RunContext, request: ModelRequest): () => void {
  const price = ctx.agent.priceOf(request.model);
  if (!price) return noop;
  const limit = ctx.limits.maxCostUsd;
  const reserved = ctx.reservedUsd;
  const remaining = limit - ctx.state.cost.totalUsd - reserved;
  const outputTokens = request.maxTokens ?? DEFAULTS.pipeline.defaultMaxOutputTokens;
  const outputUsd = (outputTokens * price.output) / PER_MILLION;
  const fixedTokens = toolTokens(request);
  // A character bound first: most calls are far from the limit and are never tokenized.
  let amount = ((tokenUpperBound(request.messages) + fixedTokens) * price.input) / PER_MILLION + outputUsd;
  if (amount > remaining) amount = ((messageTokens(request.messages, request.model) + fixedTokens) * price.input) / PER_MILLION + outputUsd;
  if (amount > remaining) {
    recordLimit(ctx, 'cost', limit, ctx.state.cost.totalUsd + reserved + amount);
    throw new SextantError(
      'BUDGET_EXCEEDED',
      `the next call to ${request.model} may cost up to $${amount.toFixed(6)}; the run has spent $${ctx.state.cost.totalUsd.toFixed(6)} of the limit of $${limit}` +
        (reserved > 0 ? ` with $${reserved.toFixed(6)} reserved by calls in flight` : ''),
      { status: 402, context: { budget: 'run', limitUsd: limit, spentUsd: ctx.state.cost.totalUsd, reservedUsd: reserved, requestedUsd: amount } },
    );
  }
  ctx.reservedUsd += amount;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    ctx.reservedUsd -= amount;
  };
}

function noop(): void {}

/** The tool and response-format definitions, counted by their JSON length (an upper bound: a token is at least one character). */
const toolLengths = new WeakMap<object, number>();
function toolTokens(request: ModelRequest): number {
  const key = request.tools ?? request.responseFormat;
  if (!key) return 0;
  let n = toolLengths.get(key);
  if (n === undefined) {
    n = JSON.stringify([request.tools ?? null, request.responseFormat ?? null]).length;
    toolLengths.set(key, n);
  }
  return n;
}
