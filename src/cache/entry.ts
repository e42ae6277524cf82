import type { ModelResponse } from '../model/types.js';

/** One cached answer, as the cache holds it in memory. */
export interface CacheEntry {
  id: string;
  /** Integer handle of the entry's vector in its partition's index. */
  label: number;
  exactKey: string;
  scopeKey: string;
  partitionKey: string;
  tenant: string;
  model: string;
  /** The embedded text (the last user message); absent when the entry is exact-only. */
  queryText?: string;
  vector?: Float32Array;
  response: ModelResponse;
  tags: string[];
  bytes: number;
  hits: number;
  /** How long the upstream call took: what a hit saves in time. */
  latencyMs: number;
  createdAt: number;
  lastUsedAt: number;
  expiresAt?: number;
}

/** What a shared exact cache (Redis) keeps per key. */
export interface SharedAnswer {
  response: ModelResponse;
  latencyMs: number;
  scopeKey: string;
  tags: string[];
  createdAt: number;
}

/**
 * An exact-match cache shared by several processes (Redis in shared deployments). The
 * in-process cache consults it after its own map and writes every new answer through to it.
 */
export interface SharedExactCache {
  get(exactKey: string): Promise<SharedAnswer | undefined>;
  set(exactKey: string, answer: SharedAnswer, ttlMs: number | undefined): Promise<void>;
  /** Deletes by exact keys, by tag, or by scope; returns how many keys went. */
  invalidate(filter: { keys?: string[]; tag?: string; scopeKey?: string }): Promise<number>;
  clear(): Promise<number>;
}
