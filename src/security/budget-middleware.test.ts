import { describe, expect, it } from 'vitest';
import { scriptedTerminal } from '../../test/support/pipeline-terminal.js';
import { isSextantError } from '../errors.js';
import type { ModelRequest } from '../model/types.js';
import { createPipeline } from '../pipeline/create-pipeline.js';
import { createMemoryBudgetLedger } from './budget-ledger.js';
import { budgetKey, budgetMiddleware } from './budget-middleware.js';

/** A model no bundled price knows: it is priced only through the pipeline's `prices`. */
const PRICES = { 'house-model': { input: 10, output: 100 } };
const request: ModelRequest = { model: 'local:house-model', maxTokens: 20, messages: [{ role: 'user', content: 'hi' }], metadata: { session: 's1' } };

describe('budgetMiddleware in a pipeline', () => {
  it("reserves at the pipeline's own prices: 10 concurrent calls never spend more than the session budget", async () => {
    const ledger = createMemoryBudgetLedger();
    const limitUsd = 0.01;
    // Each call costs $0.00185 (5 input tokens at $10/M, 18 output tokens at $100/M): 10 of them would spend $0.0185.
    const usage = { inputTokens: 5, outputTokens: 18, totalTokens: 23 };
    const pipeline = createPipeline({
      terminal: scriptedTerminal([{ text: 'ok', usage }]),
      budget: budgetMiddleware({ ledger, budgets: [{ scope: 'session', window: 'total', limitUsd }] }),
      prices: PRICES,
      timeouts: false,
    });
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => pipeline.generate(request)));
    const served = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    expect(served[0].cost?.totalUsd).toBeCloseTo(0.00185, 10);
    const spent = (await ledger.usage(budgetKey('session', 's1', 'total', Date.now()))).spentUsd;
    expect(spent).toBeLessThanOrEqual(limitUsd);
    expect(served.reduce((sum, r) => sum + r.cost!.totalUsd, 0)).toBeLessThanOrEqual(limitUsd);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((e) => isSextantError(e, 'BUDGET_EXCEEDED'))).toBe(true);
  });
});
