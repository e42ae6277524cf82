import { randomUUID } from 'node:crypto';
import type { Compilable } from 'kysely';
import { DEFAULTS } from '../defaults.js';
import { SextantError } from '../errors.js';
import type { ModelRequest, ModelResponse } from '../model/types.js';
import type { SqlStore } from '../store/index.js';
import type { Embedder } from './embedder.js';
import type { CacheEntry, SharedExactCache } from './entry.js';
import { loadEntries, toRow } from './entries-table.js';
import { cacheable, savedUsdOf, sizeOf } from './entry-policy.js';
import { createHashedEmbedder } from './hashed-embedder.js';
import { cacheKeys, type CacheKeys } from './key.js';
import { createMetrics, readMetrics, type ScopeMetrics } from './metrics.js';
import { createVectorIndex, type VectorIndex } from './vector-index.js';
import { createRuleVerifier, type Verifier } from './verifier.js';

export interface CacheOptions {
  /** Where entries and counters persist (SQLite or Postgres). Without it the cache lives in memory only. */
  store?: SqlStore;
  /** Embeds the last user message for semantic lookup. Default: the built-in offline embedder; `false` turns semantic lookup off. */
  embedder?: Embedder | false;
  /** Run in order on each semantic candidate; all must accept. Default: the rule verifier. Add `createLlmVerifier` for a model's judgement. */
  verifiers?: Verifier[];
  /** A shared exact cache (Redis) consulted after the in-process map and written through. */
  shared?: SharedExactCache;
  threshold?: number;
  topK?: number;
  ttlMs?: number;
  maxEntries?: number;
  maxBytes?: number;
  eviction?: 'lru' | 'lfu';
  maxTurns?: number;
  cacheToolCalls?: boolean;
  annThreshold?: number;
  metricsFlushMs?: number;
  /** Clock in ms since the epoch; tests move it to expire entries. */
  now?: () => number;
  /** A store write that failed (entries are written behind the calls that made them, so a failure never fails a call). Default: a warning on stderr. */
  onError?: (error: unknown) => void;
}

export type LookupResult =
  | { status: 'hit' | 'semantic-hit'; response: ModelResponse; savedUsd: number; similarity?: number; matchedText?: string; keys: CacheKeys }
  | { status: 'miss'; keys: CacheKeys; vector?: Float32Array };

export interface StoreOptions {
  /** Keys (and vector) from the lookup that missed, so nothing is hashed or embedded twice. */
  lookup?: Extract<LookupResult, { status: 'miss' }>;
  tenant?: string;
  tags?: string[];
  ttlMs?: number;
  /** How long the upstream took: what a later hit saves. */
  latencyMs?: number;
}

export interface InvalidateFilter {
  /** An exact key (from `cacheKeys`). */
  exactKey?: string;
  tag?: string;
  /** A scope: tenant + model + system prompt + tools + parameters. */
  scopeKey?: string;
  tenant?: string;
  model?: string;
  /** Entries created more than this many ms ago. */
  olderThanMs?: number;
}

export interface Cache {
  lookup(request: ModelRequest, options?: { tenant?: string; signal?: AbortSignal }): Promise<LookupResult>;
  /** Stores an answer; returns false when policy refuses it (errors, tool calls, truncated output). */
  store(request: ModelRequest, response: ModelResponse, options?: StoreOptions): Promise<boolean>;
  invalidate(filter: InvalidateFilter): Promise<number>;
  clear(): Promise<number>;
  /** Counters per scope: the store's totals plus what this process has not flushed yet. */
  stats(): Promise<ScopeMetrics[]>;
  readonly size: number;
  readonly bytes: number;
  /** Writes pending counters and hit counts to the store. */
  flush(): Promise<void>;
  /** Flushes and stops the flush timer (the store stays open: its owner closes it). */
  close(): Promise<void>;
}

const DEFAULT_TENANT = 'default';

/**
 * The exact and semantic response cache. Entries live in memory (a map by exact key and one
 * vector index per partition) and are written through to the store, from which the next start
 * loads them. Use `cacheMiddleware` to put it in a pipeline.
 */
export async function createCache(options: CacheOptions = {}): Promise<Cache> {
  const d = DEFAULTS.cache;
  const settings = {
    threshold: options.threshold ?? d.threshold,
    topK: options.topK ?? d.topK,
    ttlMs: options.ttlMs ?? d.ttlMs,
    maxEntries: options.maxEntries ?? d.maxEntries,
    maxBytes: options.maxBytes ?? d.maxBytes,
    eviction: options.eviction ?? d.eviction,
    maxTurns: options.maxTurns ?? d.maxTurns,
    cacheToolCalls: options.cacheToolCalls ?? d.cacheToolCalls,
    annThreshold: options.annThreshold ?? d.annThreshold,
  };
  for (const [name, value] of Object.entries({
    threshold: settings.threshold,
    topK: settings.topK,
    ttlMs: settings.ttlMs,
    maxEntries: settings.maxEntries,
    maxBytes: settings.maxBytes,
  })) {
    if (typeof value !== 'number' || !(value > 0) || (name === 'threshold' && value > 1)) {
      throw new SextantError('CONFIG_INVALID', `cache.${name} must be a positive number${name === 'threshold' ? ' at most 1' : ''}, got ${String(value)}`, {
        context: { [name]: value },
      });
    }
  }
  const { store, shared } = options;
  const embedder = options.embedder === false ? undefined : (options.embedder ?? createHashedEmbedder());
  const verifiers = options.verifiers ?? [createRuleVerifier()];
  const now = options.now ?? Date.now;
  const metrics = createMetrics();

  // Map order is recency order: a hit moves its entry to the end, so the first entry is the LRU victim.
  const entries = new Map<string, CacheEntry>();
  const byExact = new Map<string, string>();
  const byLabel = new Map<number, CacheEntry>();
  const partitions = new Map<string, VectorIndex>();
  const touched = new Set<string>();
  let totalBytes = 0;
  let nextLabel = 1;

  const onError = options.onError ?? ((error: unknown) => process.stderr.write(`sextant: ${(error as Error).message ?? error}\n`));
  /** The latest write handed to the store: writes run in order, so `close()` waits for this one. */
  let lastWrite: Promise<void> = Promise.resolve();
  /**
   * Entries are written behind the call that made them (the in-memory index already answers for
   * them): a cache miss does not wait for a commit, nor on the event loop for the store's writer.
   */
  const writeBehind = (what: string, queries: (db: SqlStore['db']) => Compilable[]) => {
    if (!store) return;
    lastWrite = store.writeBehind(queries(store.db).map((q) => q.compile())).catch((error: unknown) => {
      onError(new SextantError('STORE_ERROR', `Cache ${what} failed: ${(error as Error).message}`, { cause: error, context: { location: store.location } }));
    });
  };

  const index = (entry: CacheEntry) => {
    entries.set(entry.id, entry);
    byExact.set(entry.exactKey, entry.id);
    byLabel.set(entry.label, entry);
    totalBytes += entry.bytes;
    if (entry.vector && embedder) {
      let part = partitions.get(entry.partitionKey);
      if (!part) partitions.set(entry.partitionKey, (part = createVectorIndex({ dimensions: embedder.dimensions, annThreshold: settings.annThreshold })));
      part.add(entry.label, entry.vector);
    }
  };

  const unindex = (entry: CacheEntry) => {
    if (!entries.delete(entry.id)) return;
    if (byExact.get(entry.exactKey) === entry.id) byExact.delete(entry.exactKey);
    byLabel.delete(entry.label);
    touched.delete(entry.id);
    totalBytes -= entry.bytes;
    const part = partitions.get(entry.partitionKey);
    if (part) {
      part.remove(entry.label);
      if (part.size === 0) partitions.delete(entry.partitionKey);
    }
  };

  const remove = (victims: CacheEntry[]) => {
    if (victims.length === 0) return;
    for (const v of victims) unindex(v);
    const ids = victims.map((v) => v.id);
    const chunks: string[][] = [];
    for (let i = 0; i < ids.length; i += 500) chunks.push(ids.slice(i, i + 500));
    writeBehind('delete', (db) => chunks.map((chunk) => db.deleteFrom('cache_entries').where('id', 'in', chunk)));
  };

  const evict = () => {
    if (entries.size <= settings.maxEntries && totalBytes <= settings.maxBytes) return;
    const targetEntries = Math.floor(settings.maxEntries * d.evictToShare);
    const targetBytes = Math.floor(settings.maxBytes * d.evictToShare);
    const order = settings.eviction === 'lru' ? [...entries.values()] : [...entries.values()].sort((a, b) => a.hits - b.hits || a.lastUsedAt - b.lastUsedAt);
    const victims: CacheEntry[] = [];
    let count = entries.size;
    let bytes = totalBytes;
    for (const e of order) {
      if (count <= targetEntries && bytes <= targetBytes) break;
      victims.push(e);
      count--;
      bytes -= e.bytes;
    }
    remove(victims);
  };

  const expired = (e: CacheEntry) => e.expiresAt !== undefined && e.expiresAt <= now();

  const use = (entry: CacheEntry) => {
    entry.hits++;
    entry.lastUsedAt = now();
    entries.delete(entry.id);
    entries.set(entry.id, entry);
    touched.add(entry.id);
  };

  if (store) {
    for (const row of await loadEntries(store, embedder?.id, now())) index({ ...row, label: nextLabel++ });
  }

  const flush = async () => {
    await metrics.flush(store);
    if (!store || touched.size === 0) return;
    const used = [...touched].flatMap((id) => entries.get(id) ?? []);
    touched.clear();
    writeBehind('hit count update', (db) =>
      used.map((e) => db.updateTable('cache_entries').set({ hits: e.hits, last_used_at: e.lastUsedAt }).where('id', '=', e.id)),
    );
  };
  const flushMs = options.metricsFlushMs ?? d.metricsFlushMs;
  const timer = store ? setInterval(() => void flush().catch(() => undefined), flushMs) : undefined;
  timer?.unref();

  const hit = (
    status: 'hit' | 'semantic-hit',
    keys: CacheKeys,
    tenant: string,
    model: string,
    entry: { response: ModelResponse; latencyMs: number },
    startedAt: number,
    extra: { similarity?: number; matchedText?: string } = {},
  ): LookupResult => {
    const savedUsd = savedUsdOf(entry.response);
    const scope = { scopeKey: keys.scopeKey, tenant, model };
    metrics.add(scope, status === 'hit' ? 'exactHits' : 'semanticHits');
    metrics.add(scope, 'savedUsd', savedUsd);
    metrics.add(scope, 'savedMs', Math.max(0, entry.latencyMs - (performance.now() - startedAt)));
    return { status, response: entry.response, savedUsd, keys, ...extra };
  };

  const cache: Cache = {
    get size() {
      return entries.size;
    },
    get bytes() {
      return totalBytes;
    },

    async lookup(request, lookupOptions = {}) {
      const startedAt = performance.now();
      const tenant = lookupOptions.tenant ?? DEFAULT_TENANT;
      const keys = cacheKeys(request, tenant);
      const miss = (vector?: Float32Array): LookupResult => {
        metrics.add({ scopeKey: keys.scopeKey, tenant, model: request.model }, 'misses');
        return { status: 'miss', keys, vector };
      };
      const exactId = byExact.get(keys.exactKey);
      const exact = exactId === undefined ? undefined : entries.get(exactId);
      if (exact && expired(exact)) remove([exact]);
      else if (exact) {
        use(exact);
        return hit('hit', keys, tenant, request.model, exact, startedAt);
      }
      if (shared) {
        const answer = await shared.get(keys.exactKey);
        if (answer) return hit('hit', keys, tenant, request.model, answer, startedAt);
      }
      if (!embedder || keys.queryText === undefined || keys.queryText.trim() === '' || keys.turns > settings.maxTurns) return miss();
      const [vector] = await embedder.embed([keys.queryText], { signal: lookupOptions.signal });
      const part = partitions.get(keys.partitionKey);
      if (!part) return miss(vector);
      for (const match of part.search(vector, settings.topK)) {
        if (match.score < settings.threshold) break;
        const candidate = byLabel.get(match.label);
        if (!candidate || candidate.queryText === undefined) continue;
        if (expired(candidate)) {
          remove([candidate]);
          continue;
        }
        let accepted = true;
        for (const verifier of verifiers) {
          // A verifier that fails (an LLM judge timing out) rejects: a miss is safe, a wrong answer is not.
          const verdict = await verifier
            .verify({ query: keys.queryText, candidate: candidate.queryText, similarity: match.score, signal: lookupOptions.signal })
            .catch(() => ({ ok: false }));
          if (!verdict.ok) {
            accepted = false;
            metrics.add({ scopeKey: keys.scopeKey, tenant, model: request.model }, 'verifierRejections');
            break;
          }
        }
        if (!accepted) continue;
        use(candidate);
        return hit('semantic-hit', keys, tenant, request.model, candidate, startedAt, { similarity: match.score, matchedText: candidate.queryText });
      }
      return miss(vector);
    },

    async store(request, response, storeOptions = {}) {
      if (!cacheable(response, settings.cacheToolCalls)) return false;
      const tenant = storeOptions.tenant ?? DEFAULT_TENANT;
      const keys = storeOptions.lookup?.keys ?? cacheKeys(request, tenant);
      let vector = storeOptions.lookup?.vector;
      if (!vector && embedder && keys.queryText?.trim() && keys.turns <= settings.maxTurns) [vector] = await embedder.embed([keys.queryText]);
      const ttlMs = storeOptions.ttlMs ?? settings.ttlMs;
      const createdAt = now();
      const stored: ModelResponse = { ...response, meta: { provider: response.meta.provider, target: response.meta.target } };
      const entry: CacheEntry = {
        id: randomUUID(),
        label: nextLabel++,
        exactKey: keys.exactKey,
        scopeKey: keys.scopeKey,
        partitionKey: keys.partitionKey,
        tenant,
        model: request.model,
        queryText: vector ? keys.queryText : undefined,
        vector,
        response: stored,
        tags: storeOptions.tags ?? [],
        bytes: sizeOf(stored, keys.queryText, vector),
        hits: 0,
        latencyMs: storeOptions.latencyMs ?? response.meta.latencyMs ?? 0,
        createdAt,
        lastUsedAt: createdAt,
        expiresAt: createdAt + ttlMs,
      };
      const previousId = byExact.get(keys.exactKey);
      const previous = previousId === undefined ? undefined : entries.get(previousId);
      if (previous) remove([previous]);
      index(entry);
      writeBehind('insert', (db) => [db.insertInto('cache_entries').values(toRow(entry, embedder?.id))]);
      if (shared)
        await shared.set(keys.exactKey, { response: stored, latencyMs: entry.latencyMs, scopeKey: keys.scopeKey, tags: entry.tags, createdAt }, ttlMs);
      evict();
      return true;
    },

    async invalidate(filter) {
      if (Object.values(filter).every((v) => v === undefined)) {
        throw new SextantError('INVALID_REQUEST', 'cache.invalidate needs at least one of exactKey, tag, scopeKey, tenant, model, olderThanMs', {
          context: { filter },
        });
      }
      const cutoff = filter.olderThanMs === undefined ? undefined : now() - filter.olderThanMs;
      const victims = [...entries.values()].filter(
        (e) =>
          (filter.exactKey === undefined || e.exactKey === filter.exactKey) &&
          (filter.tag === undefined || e.tags.includes(filter.tag)) &&
          (filter.scopeKey === undefined || e.scopeKey === filter.scopeKey) &&
          (filter.tenant === undefined || e.tenant === filter.tenant) &&
          (filter.model === undefined || e.model === filter.model) &&
          (cutoff === undefined || e.createdAt <= cutoff),
      );
      remove(victims);
      if (shared) {
        const keys = filter.exactKey !== undefined ? [filter.exactKey] : victims.map((v) => v.exactKey);
        await shared.invalidate({ keys, tag: filter.tag, scopeKey: filter.scopeKey });
      }
      return victims.length;
    },

    async clear() {
      const count = entries.size;
      for (const e of [...entries.values()]) unindex(e);
      writeBehind('clear', (db) => [db.deleteFrom('cache_entries')]);
      await lastWrite;
      if (shared) await shared.clear();
      return count;
    },

    async stats() {
      const totals = new Map<string, ScopeMetrics>();
      for (const m of store ? await readMetrics(store) : []) totals.set(m.scopeKey, m);
      for (const p of metrics.pending()) {
        const t = totals.get(p.scopeKey);
        if (!t) totals.set(p.scopeKey, { ...p });
        else for (const k of ['exactHits', 'semanticHits', 'misses', 'verifierRejections', 'savedUsd', 'savedMs'] as const) t[k] += p[k];
      }
      return [...totals.values()];
    },

    flush,
    async close() {
      if (timer) clearInterval(timer);
      await flush();
      await lastWrite;
    },
  };
  return cache;
}
