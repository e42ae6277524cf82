import { randomUUID } from 'node:crypto';
import { DEFAULTS } from '../defaults.js';
import { SextantError } from '../errors.js';
import { costOf, estimateMaxCost, type PriceTable } from '../model/pricing.js';
import { countRequestTokens } from '../model/tokens.js';
import type { ModelRequest, ModelResponse, RequestMetadata, StreamEvent } from '../model/types.js';
import type { AuditLog } from './audit.js';
import type { BudgetHold, BudgetLedger } from './budget-ledger.js';
import type { BudgetWindow } from './keys.js';
import type { CallContext, Middleware } from '../pipeline/middleware.js';

export type BudgetScope = 'run' | 'session' | 'key' | 'tenant';
export type { BudgetWindow };

export interface BudgetRule {
  scope: BudgetScope;
  window: BudgetWindow;
  limitUsd: number;
  /** Applies to this one run/session/key/tenant only; without it, to each one of the scope. */
  id?: string;
}

export interface BudgetMiddlewareOptions {
  ledger: BudgetLedger;
  /** Budgets that apply to every call whose metadata names the scope. */
  budgets?: BudgetRule[];
  /** More budgets per call, e.g. the calling key's own (`keyBudgets`). */
  resolve?: (context: CallContext) => BudgetRule[] | Promise<BudgetRule[]>;
  /** Blocked calls are appended here as `budget.exceeded`. */
  audit?: AuditLog;
  reservationTtlMs?: number;
  now?: () => number;
}

const SCOPE_FIELD: Record<BudgetScope, keyof RequestMetadata> = { run: 'run', session: 'session', key: 'keyId', tenant: 'tenant' };

/** The period a window falls in, in UTC: `2025-01-30` for a day, `2025-01` for a month. */
function periodOf(window: BudgetWindow, at: number): string {
  const iso = new Date(at).toISOString();
  return window === 'day' ? iso.slice(0, 10) : window === 'month' ? iso.slice(0, 7) : 'all';
}

/** The ledger key of a budget: `tenant:acme:day:2025-01-30`. */
export function budgetKey(scope: BudgetScope, id: string, window: BudgetWindow, at: number): string {
  return `${scope}:${id}:${window}:${periodOf(window, at)}`;
}

interface ActiveHold extends BudgetHold {
  rule: BudgetRule;
  id: string;
}

function holdsFor(rules: BudgetRule[], metadata: RequestMetadata, at: number): ActiveHold[] {
  const holds = new Map<string, ActiveHold>();
  for (const rule of rules) {
    const id = metadata[SCOPE_FIELD[rule.scope]];
    if (typeof id !== 'string' || (rule.id !== undefined && rule.id !== id)) continue;
    const key = budgetKey(rule.scope, id, rule.window, at);
    const existing = holds.get(key);
    // Two rules on the same budget: the tighter one counts.
    if (!existing || rule.limitUsd < existing.limitUsd) holds.set(key, { key, limitUsd: rule.limitUsd, rule, id });
  }
  return [...holds.values()];
}

/** Real cost of a finished call: the response's (usage/cost sets it), else its usage at the pipeline's prices. */
function actualCost(request: ModelRequest, response: ModelResponse, prices: PriceTable | undefined): number {
  return response.cost?.totalUsd ?? costOf(request.model, response.usage, prices).totalUsd;
}

/** Cost of a stream cut before its finish event: the prompt plus the output seen so far. */
function partialCost(request: ModelRequest, outputText: string, prices: PriceTable | undefined): number {
  const inputTokens = countRequestTokens(request);
  const outputTokens = Math.ceil(outputText.length / 4);
  return costOf(request.model, { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens, estimated: true }, prices).totalUsd;
}

/**
 * Budgets per run, session, key and tenant, over a total, a day or a month. Before a call the
 * estimated maximum cost is reserved in every budget that applies (atomically, all or none); after
 * it the reservation is settled with the real cost. A call that fails releases its reservation; a
 * stream cut mid-way settles what was used. A call that does not fit throws BUDGET_EXCEEDED.
 * Prices are the pipeline's (`context.prices`, see compose), the ones its usage/cost middleware
 * costs the call at: a model priced only through `createPipeline({ prices })` is reserved for
 * at that price, never at $0.
 */
export function budgetMiddleware(options: BudgetMiddlewareOptions): Middleware {
  const { ledger, audit } = options;
  const now = options.now ?? Date.now;
  const ttlMs = options.reservationTtlMs ?? DEFAULTS.budget.reservationTtlMs;

  async function reserve(request: ModelRequest, context: CallContext) {
    const rules = [...(options.budgets ?? []), ...((await options.resolve?.(context)) ?? [])];
    const holds = holdsFor(rules, context.metadata, now());
    const reservation = { id: randomUUID(), keys: holds.map((h) => h.key) };
    if (holds.length === 0) return reservation;
    const amountUsd = estimateMaxCost(request, { prices: context.prices }).totalUsd;
    const result = await ledger.reserve({ id: reservation.id, holds, amountUsd, ttlMs });
    if (!result.ok) {
      const hold = holds.find((h) => h.key === result.denied.key)!;
      const d = result.denied;
      const context_ = { budget: d.key, scope: hold.rule.scope, id: hold.id, window: hold.rule.window, ...d };
      await audit?.append({
        actor: context.metadata.keyId ?? 'system',
        action: 'budget.exceeded',
        target: d.key,
        tenant: context.metadata.tenant,
        details: { model: request.model, ...context_ },
      });
      throw new SextantError(
        'BUDGET_EXCEEDED',
        `Budget ${d.key} exceeded: limit $${d.limitUsd}, spent $${d.spentUsd}, reserved $${d.reservedUsd}, remaining $${d.remainingUsd}; this call may cost up to $${d.requestedUsd}`,
        { context: context_, status: 402 },
      );
    }
    return reservation;
  }

  return {
    name: 'budget',
    async generate(request, context, next) {
      const reservation = await reserve(request, context);
      let response: ModelResponse;
      try {
        response = await next(request, context);
      } catch (error) {
        await ledger.release(reservation);
        throw error;
      }
      await ledger.settle({ id: reservation.id, keys: reservation.keys, actualUsd: actualCost(request, response, context.prices) });
      return response;
    },
    async *stream(request, context, next) {
      const reservation = await reserve(request, context);
      let settled = false;
      let sawEvent = false;
      let output = '';
      try {
        for await (const event of next(request, context) as AsyncIterable<StreamEvent>) {
          sawEvent = true;
          if (event.type === 'text-delta' || event.type === 'reasoning-delta') output += event.delta;
          else if (event.type === 'tool-call-delta') output += event.argumentsDelta;
          else if (event.type === 'finish') {
            settled = true;
            await ledger.settle({ id: reservation.id, keys: reservation.keys, actualUsd: actualCost(request, event.response, context.prices) });
          }
          yield event;
        }
      } finally {
        // Failed before any output: nothing was generated, release. Cut mid-way (error, abort or the
        // consumer stopping): the upstream billed the prompt and what it sent, settle that.
        if (!settled) {
          if (sawEvent) await ledger.settle({ id: reservation.id, keys: reservation.keys, actualUsd: partialCost(request, output, context.prices) });
          else await ledger.release(reservation);
        }
      }
    },
  };
}

/** Budgets from the calling key's own limits (`sextant keys create --budget 10/day`). */
export function keyBudgets(options: { limitsOf: (keyId: string) => Promise<{ budgets?: { window: BudgetWindow; limitUsd: number }[] } | undefined> }) {
  return async (context: CallContext): Promise<BudgetRule[]> => {
    const keyId = context.metadata.keyId;
    if (!keyId) return [];
    const limits = await options.limitsOf(keyId);
    return (limits?.budgets ?? []).map((b) => ({ scope: 'key' as const, id: keyId, window: b.window, limitUsd: b.limitUsd }));
  };
}
