/**
 * The typed schema shared by SQLite and Postgres. Each feature adds its tables here as
 * it adds its migration. Conventions: timestamps are integer milliseconds since the epoch,
 * JSON documents are stored as text, ids are text.
 */
import type { CheckpointRow, SessionRow, SpanRow, TraceRow } from './core-tables.js';

export interface DatabaseSchema {
  // core (001-core)
  traces: TraceRow;
  spans: SpanRow;
  checkpoints: CheckpointRow;
  sessions: SessionRow;
  // cache (002-cache)
  cache_entries: CacheEntryRow;
  cache_metrics: CacheMetricsRow;
  // security (003-security)
  api_keys: ApiKeyRow;
  audit_log: AuditLogRow;
  budget_counters: BudgetCounterRow;
  budget_reservations: BudgetReservationRow;
  // knowledge bases (004-knowledge)
  knowledge_documents: KnowledgeDocumentRow;
  knowledge_chunks: KnowledgeChunkRow;
  // checkpoint step records (005-checkpoint-records)
  checkpoint_records: CheckpointRecordRow;
}

/** One record of a run's checkpoint: seq 0 is the state as JSON, each later seq a delta on it (store/checkpoint-delta.ts). */
export interface CheckpointRecordRow {
  run_id: string;
  seq: number;
  step: number;
  body: string;
  updated_at: number;
}

/** A virtual API key: only the SHA-256 of the key is kept. `scopes` and `limits` are JSON. */
export interface ApiKeyRow {
  id: string;
  hash: string;
  name: string | null;
  tenant: string;
  scopes: string;
  limits: string;
  created_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
}

/** One entry of the hash-chained audit log; `hash` covers every other column (canonical JSON). */
export interface AuditLogRow {
  seq: number;
  id: string;
  at: number;
  actor: string;
  action: string;
  target: string | null;
  tenant: string | null;
  details: string;
  prev_hash: string;
  hash: string;
}

/** Money spent and held against one budget window, in nano-USD (integers never drift). */
export interface BudgetCounterRow {
  key: string;
  spent_nanos: number;
  reserved_nanos: number;
  updated_at: number;
}

/** An open reservation: which counters it holds and how much; expired ones are released. */
export interface BudgetReservationRow {
  id: string;
  keys: string;
  amount_nanos: number;
  expires_at: number;
}

/** One cached answer. `response` and `tags` are JSON; `vector` is the query embedding as little-endian float32. */
export interface CacheEntryRow {
  id: string;
  exact_key: string;
  scope_key: string;
  partition_key: string;
  tenant: string;
  model: string;
  query_text: string | null;
  embedder_id: string | null;
  vector: Uint8Array | null;
  response: string;
  tags: string;
  bytes: number;
  hits: number;
  latency_ms: number;
  created_at: number;
  last_used_at: number;
  expires_at: number | null;
}

/** Cache counters per scope (tenant, model, system prompt, tools, parameters), summed across processes. */
export interface CacheMetricsRow {
  scope_key: string;
  tenant: string;
  model: string;
  exact_hits: number;
  semantic_hits: number;
  misses: number;
  verifier_rejections: number;
  saved_usd: number;
  saved_ms: number;
  updated_at: number;
}

/** One document of a knowledge base (`kb`): the hash of what was indexed (content, chunking, embedder). */
export interface KnowledgeDocumentRow {
  kb: string;
  document: string;
  content_hash: string;
  chunks: number;
  indexed_at: number;
}

/** One chunk: source id, heading path (JSON array), offset in the document, text and little-endian float32 vector. */
export interface KnowledgeChunkRow {
  kb: string;
  id: string;
  document: string;
  headings: string;
  char_offset: number;
  text: string;
  embedder_id: string;
  vector: Uint8Array;
}
