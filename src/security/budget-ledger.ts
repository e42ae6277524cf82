import { SextantError } from '../errors.js';

/** One budget a reservation must fit in: a ledger key (scope, id, window, period) and its limit. */
export interface BudgetHold {
  key: string;
  limitUsd: number;
}

export interface BudgetDenial {
  key: string;
  limitUsd: number;
  spentUsd: number;
  reservedUsd: number;
  remainingUsd: number;
  requestedUsd: number;
}

export type ReserveResult = { ok: true } | { ok: false; denied: BudgetDenial };

export interface BudgetUsage {
  spentUsd: number;
  reservedUsd: number;
}

/**
 * Where budgets are counted. `reserve` is all-or-nothing and atomic: across every hold, spent +
 * reserved + amount must stay within the limit, checked and held in one step, so concurrent calls
 * can never overspend. `settle` replaces a reservation by the real cost; `release` drops it.
 * Reservations not settled within their TTL are released (a crashed caller holds nothing forever).
 */
export interface BudgetLedger {
  reserve(input: { id: string; holds: BudgetHold[]; amountUsd: number; ttlMs: number }): Promise<ReserveResult>;
  /** `keys` are the holds' keys: the spend is recorded even if the reservation already expired. */
  settle(input: { id: string; keys: string[]; actualUsd: number }): Promise<void>;
  release(input: { id: string; keys: string[] }): Promise<void>;
  usage(key: string): Promise<BudgetUsage>;
}

/** Ledgers count integer nano-dollars: sums of floats drift, integers never do. */
export const NANOS_PER_USD = 1_000_000_000;

export function toNanos(usd: number, round: 'up' | 'down' = 'up'): number {
  if (!Number.isFinite(usd) || usd < 0) throw new SextantError('INVALID_REQUEST', `Invalid amount ${usd} USD`);
  // Scale first, then strip float noise (0.1 * 1e9 = 100000000.00000001) before rounding.
  const scaled = Number((usd * NANOS_PER_USD).toFixed(3));
  return round === 'up' ? Math.ceil(scaled) : Math.floor(scaled);
}

export const fromNanos = (nanos: number): number => nanos / NANOS_PER_USD;

export function denial(key: string, limitNanos: number, spent: number, reserved: number, requested: number): BudgetDenial {
  return {
    key,
    limitUsd: fromNanos(limitNanos),
    spentUsd: fromNanos(spent),
    reservedUsd: fromNanos(reserved),
    remainingUsd: fromNanos(Math.max(0, limitNanos - spent - reserved)),
    requestedUsd: fromNanos(requested),
  };
}

/** The in-process ledger: one event loop makes check-and-hold atomic. Single process only. */
export function createMemoryBudgetLedger(options: { now?: () => number } = {}): BudgetLedger {
  const now = options.now ?? Date.now;
  const counters = new Map<string, { spent: number; reserved: number }>();
  const reservations = new Map<string, { keys: string[]; amount: number; expiresAt: number }>();
  const counter = (key: string) => {
    let c = counters.get(key);
    if (!c) counters.set(key, (c = { spent: 0, reserved: 0 }));
    return c;
  };
  const drop = (id: string) => {
    const r = reservations.get(id);
    if (!r) return;
    for (const key of r.keys) counter(key).reserved -= r.amount;
    reservations.delete(id);
  };

  return {
    async reserve({ id, holds, amountUsd, ttlMs }) {
      const t = now();
      for (const [rid, r] of reservations) if (r.expiresAt <= t) drop(rid);
      const amount = toNanos(amountUsd);
      for (const hold of holds) {
        const c = counter(hold.key);
        const limit = toNanos(hold.limitUsd, 'down');
        if (c.spent + c.reserved + amount > limit) return { ok: false, denied: denial(hold.key, limit, c.spent, c.reserved, amount) };
      }
      for (const hold of holds) counter(hold.key).reserved += amount;
      reservations.set(id, { keys: holds.map((h) => h.key), amount, expiresAt: t + ttlMs });
      return { ok: true };
    },
    async settle({ id, keys, actualUsd }) {
      drop(id);
      const actual = toNanos(actualUsd);
      for (const key of keys) counter(key).spent += actual;
    },
    async release({ id }) {
      drop(id);
    },
    async usage(key) {
      const c = counters.get(key) ?? { spent: 0, reserved: 0 };
      return { spentUsd: fromNanos(c.spent), reservedUsd: fromNanos(c.reserved) };
    },
  };
}
