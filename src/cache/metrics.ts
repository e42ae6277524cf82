import { sql } from 'kysely';
import type { SqlStore } from '../store/index.js';

export interface ScopeMetrics {
  scopeKey: string;
  tenant: string;
  model: string;
  exactHits: number;
  semanticHits: number;
  misses: number;
  verifierRejections: number;
  savedUsd: number;
  savedMs: number;
}

type Counter = 'exactHits' | 'semanticHits' | 'misses' | 'verifierRejections' | 'savedUsd' | 'savedMs';

const COLUMNS: Record<Counter, 'exact_hits' | 'semantic_hits' | 'misses' | 'verifier_rejections' | 'saved_usd' | 'saved_ms'> = {
  exactHits: 'exact_hits',
  semanticHits: 'semantic_hits',
  misses: 'misses',
  verifierRejections: 'verifier_rejections',
  savedUsd: 'saved_usd',
  savedMs: 'saved_ms',
};

function empty(scopeKey: string, tenant: string, model: string): ScopeMetrics {
  return { scopeKey, tenant, model, exactHits: 0, semanticHits: 0, misses: 0, verifierRejections: 0, savedUsd: 0, savedMs: 0 };
}

/**
 * Counters per scope. Increments accumulate in memory and `flush` adds them to the store's
 * totals (an additive upsert), so several processes can share one table without losing counts.
 */
export function createMetrics() {
  let pending = new Map<string, ScopeMetrics>();
  return {
    add(scope: { scopeKey: string; tenant: string; model: string }, counter: Counter, amount = 1): void {
      let m = pending.get(scope.scopeKey);
      if (!m) pending.set(scope.scopeKey, (m = empty(scope.scopeKey, scope.tenant, scope.model)));
      m[counter] += amount;
    },
    /** Counts not yet flushed. */
    pending: (): ScopeMetrics[] => [...pending.values()],
    async flush(store: SqlStore | undefined): Promise<void> {
      if (!store || pending.size === 0) return;
      const batch = pending;
      pending = new Map();
      const now = Date.now();
      const upserts = [...batch.values()].map((m) => {
        const add = (c: Counter) => sql<number>`cache_metrics.${sql.ref(COLUMNS[c])} + ${m[c]}`;
        return store.db
          .insertInto('cache_metrics')
          .values({
            scope_key: m.scopeKey,
            tenant: m.tenant,
            model: m.model,
            exact_hits: m.exactHits,
            semantic_hits: m.semanticHits,
            misses: m.misses,
            verifier_rejections: m.verifierRejections,
            saved_usd: m.savedUsd,
            saved_ms: m.savedMs,
            updated_at: now,
          })
          .onConflict((oc) =>
            oc.column('scope_key').doUpdateSet({
              exact_hits: add('exactHits'),
              semantic_hits: add('semanticHits'),
              misses: add('misses'),
              verifier_rejections: add('verifierRejections'),
              saved_usd: add('savedUsd'),
              saved_ms: add('savedMs'),
              updated_at: now,
            }),
          )
          .compile();
      });
      // Through the store's writer (on SQLite, the writer thread): the counts never wait on the event loop for its lock.
      await store.writeBehind(upserts);
    },
  };
}

/** Totals per scope as stored (every process's flushed counts). */
export async function readMetrics(store: SqlStore): Promise<ScopeMetrics[]> {
  const rows = await store.db.selectFrom('cache_metrics').selectAll().orderBy('tenant').orderBy('model').execute();
  return rows.map((r) => ({
    scopeKey: r.scope_key,
    tenant: r.tenant,
    model: r.model,
    exactHits: Number(r.exact_hits),
    semanticHits: Number(r.semantic_hits),
    misses: Number(r.misses),
    verifierRejections: Number(r.verifier_rejections),
    savedUsd: Number(r.saved_usd),
    savedMs: Number(r.saved_ms),
  }));
}
