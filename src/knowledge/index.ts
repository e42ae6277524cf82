/**
 * Knowledge-base retrieval: markdown chunked along headings and paragraphs, embedded with the
 * cache's Embedder contract, searched in its vector index, persisted in the store and re-indexed
 * incrementally; `retrievalTool` hands the passages to an agent as its retrieved documents.
 */
export {
  knowledgeBase,
  type KnowledgeBase,
  type KnowledgeBaseOptions,
  type KnowledgeDocument,
  type Passage,
  type SearchOptions,
  type SyncReport,
} from './knowledge-base.js';
export { chunkMarkdown, embeddingText, slug, type Chunk, type ChunkingOptions } from './chunk.js';
export { retrievalTool, type RetrievalInput, type RetrievalOutput, type RetrievalToolOptions } from './retrieval-tool.js';
