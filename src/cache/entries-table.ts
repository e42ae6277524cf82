import type { CacheEntryRow } from '../store/schema.js';
import type { SqlStore } from '../store/index.js';
import type { CacheEntry } from './entry.js';

function toBlob(vector: Float32Array): Uint8Array {
  return new Uint8Array(vector.buffer.slice(vector.byteOffset, vector.byteOffset + vector.byteLength));
}

function fromBlob(blob: Uint8Array): Float32Array {
  // Copy first: a driver's Buffer may start at an offset that is not a multiple of 4.
  return new Float32Array(Uint8Array.from(blob).buffer);
}

export function toRow(entry: CacheEntry, embedderId: string | undefined): CacheEntryRow {
  return {
    id: entry.id,
    exact_key: entry.exactKey,
    scope_key: entry.scopeKey,
    partition_key: entry.partitionKey,
    tenant: entry.tenant,
    model: entry.model,
    query_text: entry.queryText ?? null,
    embedder_id: entry.vector ? (embedderId ?? null) : null,
    vector: entry.vector ? toBlob(entry.vector) : null,
    response: JSON.stringify(entry.response),
    tags: JSON.stringify(entry.tags),
    bytes: entry.bytes,
    hits: entry.hits,
    latency_ms: entry.latencyMs,
    created_at: entry.createdAt,
    last_used_at: entry.lastUsedAt,
    expires_at: entry.expiresAt ?? null,
  };
}

/**
 * Every live entry, oldest first. A vector made by another embedder is dropped (the entry
 * stays an exact-match entry): vectors from different embedders are not comparable.
 */
export async function loadEntries(store: SqlStore, embedderId: string | undefined, now: number): Promise<Omit<CacheEntry, 'label'>[]> {
  const rows = await store.db
    .selectFrom('cache_entries')
    .selectAll()
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .orderBy('last_used_at')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    exactKey: r.exact_key,
    scopeKey: r.scope_key,
    partitionKey: r.partition_key,
    tenant: r.tenant,
    model: r.model,
    queryText: r.query_text ?? undefined,
    vector: r.vector && r.embedder_id === embedderId ? fromBlob(r.vector) : undefined,
    response: JSON.parse(r.response),
    tags: JSON.parse(r.tags),
    bytes: Number(r.bytes),
    hits: Number(r.hits),
    latencyMs: Number(r.latency_ms),
    createdAt: Number(r.created_at),
    lastUsedAt: Number(r.last_used_at),
    expiresAt: r.expires_at === null ? undefined : Number(r.expires_at),
  }));
}
