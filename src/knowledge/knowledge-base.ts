import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import type { Embedder } from '../cache/embedder.js';
import { createVectorIndex, type VectorIndex } from '../cache/vector-index.js';
import { DEFAULTS } from '../defaults.js';
import { SextantError } from '../errors.js';
import type { SqlStore } from '../store/index.js';
import { chunkMarkdown, embeddingText, type Chunk, type ChunkingOptions } from './chunk.js';

/** A document given directly (instead of a folder). Its text is markdown; plain text is one section. */
export interface KnowledgeDocument {
  /** Stable id: the source ids of its passages start with it. */
  id: string;
  text: string;
}

export interface KnowledgeBaseOptions {
  /** A folder of markdown files (`.md`, `.markdown`, read recursively); document ids are paths relative to it. */
  dir?: string;
  /** Documents given directly. Exactly one of `dir` and `documents`. */
  documents?: KnowledgeDocument[];
  /** The same contract the cache uses: `createHashedEmbedder()` offline, `createOpenAIEmbedder()` hosted. */
  embedder: Embedder;
  chunking?: ChunkingOptions;
  /** Where chunks and vectors persist (SQLite or Postgres): a restart re-embeds only what changed. Without it, memory only. */
  store?: SqlStore;
  /** The knowledge base's name in the store: several can share one. Default: the folder's absolute path, or `default`. */
  name?: string;
  /** Vectors before the index switches from an exact scan to HNSW. Default DEFAULTS.cache.annThreshold. */
  annThreshold?: number;
}

/** A retrieved passage: its source id, where it comes from, its text and its similarity to the query. */
export interface Passage {
  id: string;
  document: string;
  headings: string[];
  offset: number;
  text: string;
  /** Cosine similarity of the query and the passage, in [-1, 1]. */
  score: number;
}

export interface SearchOptions {
  /** Passages to return. Default DEFAULTS.knowledge.topK. */
  k?: number;
  /** Leave out passages scoring below this. Default DEFAULTS.knowledge.minScore. */
  minScore?: number;
  signal?: AbortSignal;
}

/** What one sync did, by document. */
export interface SyncReport {
  added: string[];
  updated: string[];
  removed: string[];
  unchanged: number;
  /** Chunks embedded by this sync (0 when nothing changed). */
  embedded: number;
  /** Chunks in the knowledge base after the sync. */
  chunks: number;
}

export interface KnowledgeBase {
  readonly name: string;
  /** Chunks indexed. */
  readonly size: number;
  /**
   * Re-reads the folder (or takes the new full set of documents) and re-indexes what changed:
   * a document whose content hash is unchanged is not re-embedded; a missing one is dropped.
   */
  sync(documents?: KnowledgeDocument[]): Promise<SyncReport>;
  search(query: string, options?: SearchOptions): Promise<Passage[]>;
  /** Every indexed chunk of a document, in order (for showing a cited source in full). */
  chunksOf(document: string): Chunk[];
}

interface IndexedDocument {
  hash: string;
  entries: { label: number; chunk: Chunk }[];
}

const MARKDOWN = /\.(md|markdown)$/i;

async function readFolder(dir: string): Promise<KnowledgeDocument[]> {
  let names: string[];
  try {
    names = (await readdir(dir, { recursive: true })) as string[];
  } catch (error) {
    throw new SextantError('CONFIG_INVALID', `Cannot read the knowledge base folder ${dir}: ${(error as Error).message}`, { cause: error, context: { dir } });
  }
  const files = names.filter((n) => MARKDOWN.test(n)).sort();
  return Promise.all(files.map(async (file) => ({ id: file.split(sep).join('/'), text: await readFile(join(dir, file), 'utf8') })));
}

function toBlob(vector: Float32Array): Uint8Array {
  return new Uint8Array(vector.buffer.slice(vector.byteOffset, vector.byteOffset + vector.byteLength));
}

function fromBlob(blob: Uint8Array): Float32Array {
  // Copy first: a driver's Buffer may start at an offset that is not a multiple of 4.
  return new Float32Array(Uint8Array.from(blob).buffer);
}

function checkDocuments(documents: KnowledgeDocument[]): void {
  const seen = new Set<string>();
  for (const d of documents) {
    if (typeof d?.id !== 'string' || d.id.length === 0 || typeof d.text !== 'string') {
      throw new SextantError('CONFIG_INVALID', 'Each knowledge document needs a non-empty string id and a string text', { context: { id: d?.id } });
    }
    if (seen.has(d.id)) throw new SextantError('CONFIG_INVALID', `Two knowledge documents have the id "${d.id}"`, { context: { id: d.id } });
    seen.add(d.id);
  }
}

/**
 * A knowledge base over markdown documents: chunked along headings and paragraphs, embedded
 * with an Embedder, searched in the cache's vector index, persisted in the store. Resolves once
 * the documents are indexed (only changed ones are embedded when the store already holds them).
 */
export async function knowledgeBase(options: KnowledgeBaseOptions): Promise<KnowledgeBase> {
  if ((options.dir === undefined) === (options.documents === undefined)) {
    throw new SextantError('CONFIG_INVALID', 'knowledgeBase needs exactly one of `dir` and `documents`');
  }
  const { embedder, store } = options;
  if (!embedder || typeof embedder.embed !== 'function') throw new SextantError('CONFIG_INVALID', 'knowledgeBase needs an `embedder`');
  const maxChars = options.chunking?.maxChars ?? DEFAULTS.knowledge.maxChunkChars;
  if (!Number.isInteger(maxChars) || maxChars < 50) {
    throw new SextantError('CONFIG_INVALID', `chunking.maxChars must be an integer of at least 50, got ${maxChars}`, { context: { maxChars } });
  }
  const dir = options.dir === undefined ? undefined : resolve(options.dir);
  const name = options.name ?? dir ?? 'default';
  let givenDocuments = options.documents;
  if (givenDocuments) checkDocuments(givenDocuments);

  const index: VectorIndex = createVectorIndex({ dimensions: embedder.dimensions, annThreshold: options.annThreshold });
  const byLabel = new Map<number, Chunk>();
  const indexed = new Map<string, IndexedDocument>();
  let nextLabel = 1;

  /** Everything that changes a document's chunks or vectors: a different hash means re-embed. */
  const hashOf = (text: string) => createHash('sha256').update(`${embedder.id}\n${maxChars}\n${text}`).digest('hex');

  const addToIndex = (doc: string, hash: string, chunks: Chunk[], vectors: Float32Array[]) => {
    const entries = chunks.map((chunk, i) => {
      const label = nextLabel++;
      index.add(label, vectors[i]);
      byLabel.set(label, chunk);
      return { label, chunk };
    });
    indexed.set(doc, { hash, entries });
  };

  const dropFromIndex = (doc: string) => {
    for (const { label } of indexed.get(doc)?.entries ?? []) {
      index.remove(label);
      byLabel.delete(label);
    }
    indexed.delete(doc);
  };

  const embedAll = async (texts: string[]): Promise<Float32Array[]> => {
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += DEFAULTS.knowledge.embedBatchSize) {
      const vectors = await embedder.embed(texts.slice(i, i + DEFAULTS.knowledge.embedBatchSize));
      for (const v of vectors) {
        if (v.length !== embedder.dimensions) {
          throw new SextantError('CONFIG_INVALID', `Embedder ${embedder.id} returned a vector of ${v.length} dimensions, not ${embedder.dimensions}`, {
            context: { embedder: embedder.id },
          });
        }
      }
      out.push(...vectors);
    }
    return out;
  };

  const loadStored = async () => {
    if (!store) return;
    const docs = await store.db.selectFrom('knowledge_documents').selectAll().where('kb', '=', name).execute();
    const rows = await store.db
      .selectFrom('knowledge_chunks')
      .selectAll()
      .where('kb', '=', name)
      .where('embedder_id', '=', embedder.id)
      .orderBy('document')
      .orderBy('char_offset')
      .execute();
    const chunksByDoc = new Map<string, typeof rows>();
    for (const row of rows) chunksByDoc.set(row.document, [...(chunksByDoc.get(row.document) ?? []), row]);
    for (const doc of docs) {
      const own = chunksByDoc.get(doc.document) ?? [];
      // A document whose chunks are missing (or were made by another embedder) is re-indexed by the sync.
      if (own.length !== Number(doc.chunks)) continue;
      const chunks = own.map((r) => ({
        id: r.id,
        document: r.document,
        headings: JSON.parse(r.headings) as string[],
        offset: Number(r.char_offset),
        text: r.text,
      }));
      addToIndex(
        doc.document,
        doc.content_hash,
        chunks,
        own.map((r) => fromBlob(r.vector)),
      );
    }
  };

  const persist = async (doc: string, hash: string, chunks: Chunk[], vectors: Float32Array[] | undefined) => {
    if (!store) return;
    await store.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('knowledge_chunks').where('kb', '=', name).where('document', '=', doc).execute();
      await trx.deleteFrom('knowledge_documents').where('kb', '=', name).where('document', '=', doc).execute();
      if (!vectors) return;
      await trx
        .insertInto('knowledge_documents')
        .values({ kb: name, document: doc, content_hash: hash, chunks: chunks.length, indexed_at: Date.now() })
        .execute();
      if (chunks.length === 0) return;
      await trx
        .insertInto('knowledge_chunks')
        .values(
          chunks.map((c, i) => ({
            kb: name,
            id: c.id,
            document: c.document,
            headings: JSON.stringify(c.headings),
            char_offset: c.offset,
            text: c.text,
            embedder_id: embedder.id,
            vector: toBlob(vectors[i]),
          })),
        )
        .execute();
    });
  };

  let syncing: Promise<unknown> = Promise.resolve();

  const runSync = async (documents: KnowledgeDocument[]): Promise<SyncReport> => {
    const report: SyncReport = { added: [], updated: [], removed: [], unchanged: 0, embedded: 0, chunks: 0 };
    const current = new Set(documents.map((d) => d.id));
    for (const doc of [...indexed.keys()]) {
      if (current.has(doc)) continue;
      await persist(doc, '', [], undefined);
      dropFromIndex(doc);
      report.removed.push(doc);
    }
    for (const document of documents) {
      const hash = hashOf(document.text);
      const before = indexed.get(document.id);
      if (before?.hash === hash) {
        report.unchanged++;
        continue;
      }
      const chunks = chunkMarkdown(document.id, document.text, { maxChars });
      const vectors = await embedAll(chunks.map(embeddingText));
      await persist(document.id, hash, chunks, vectors);
      dropFromIndex(document.id);
      addToIndex(document.id, hash, chunks, vectors);
      report.embedded += chunks.length;
      (before ? report.updated : report.added).push(document.id);
    }
    report.chunks = byLabel.size;
    return report;
  };

  const sync = (documents?: KnowledgeDocument[]): Promise<SyncReport> => {
    if (documents) {
      if (dir) throw new SextantError('CONFIG_INVALID', 'This knowledge base reads a folder: call sync() without documents', { context: { dir } });
      checkDocuments(documents);
      givenDocuments = documents;
    }
    // One sync at a time: two overlapping syncs would embed the same change twice.
    const next = syncing.then(async () => runSync(dir ? await readFolder(dir) : givenDocuments!));
    syncing = next.catch(() => undefined);
    return next;
  };

  await loadStored();
  await sync();

  return {
    name,
    get size() {
      return byLabel.size;
    },
    sync,
    async search(query, searchOptions = {}) {
      const k = searchOptions.k ?? DEFAULTS.knowledge.topK;
      const minScore = searchOptions.minScore ?? DEFAULTS.knowledge.minScore;
      if (!Number.isInteger(k) || k < 1) throw new SextantError('INVALID_REQUEST', `k must be a positive integer, got ${k}`, { context: { k } });
      if (typeof query !== 'string' || query.trim() === '') throw new SextantError('INVALID_REQUEST', 'A knowledge base search needs a non-empty query');
      const [vector] = await embedder.embed([query], { signal: searchOptions.signal });
      return index
        .search(vector, k)
        .filter((m) => m.score >= minScore && byLabel.has(m.label))
        .map((m) => ({ ...byLabel.get(m.label)!, score: m.score }));
    },
    chunksOf(document) {
      return (indexed.get(document)?.entries ?? []).map((e) => e.chunk);
    },
  };
}
