import { z } from 'zod';
import { DEFAULTS } from '../defaults.js';
import { defineTool, type Tool } from '../tools/define-tool.js';
import type { KnowledgeBase, Passage } from './knowledge-base.js';

export interface RetrievalToolOptions {
  /** The name the model calls. Default `search_knowledge_base`. */
  name?: string;
  /** What the model is told the knowledge base holds. */
  description?: string;
  /** Passages per call unless the model asks for another number. Default DEFAULTS.knowledge.topK. */
  k?: number;
  minScore?: number;
}

export interface RetrievalInput {
  query: string;
  k?: number;
}

export interface RetrievalOutput {
  passages: Passage[];
}

/**
 * A tool that searches the knowledge base. Its passages become the run's retrieved documents
 * (kind `retrieval`, id = the passage's source id): what groundedness checks judge an answer
 * against and what a citation validator accepts as a source.
 */
export function retrievalTool(kb: KnowledgeBase, options: RetrievalToolOptions = {}): Tool<RetrievalInput, RetrievalOutput> {
  const maxK = DEFAULTS.knowledge.maxK;
  return defineTool<RetrievalInput, RetrievalOutput>({
    name: options.name ?? 'search_knowledge_base',
    description:
      options.description ??
      'Searches the knowledge base and returns the most relevant passages, each with a source id (`file#section`) to cite and a similarity score.',
    input: z.object({
      query: z.string().min(1).describe('What to look for, in a few words or a question'),
      k: z
        .number()
        .int()
        .min(1)
        .max(maxK)
        .optional()
        .describe(`How many passages to return (default ${options.k ?? DEFAULTS.knowledge.topK})`),
    }),
    idempotent: true,
    execute: async ({ query, k }, ctx) => ({
      passages: (await kb.search(query, { k: k ?? options.k, minScore: options.minScore, signal: ctx.signal })).map((p) => ({
        ...p,
        score: Math.round(p.score * 1000) / 1000,
      })),
    }),
    documents: (output) =>
      output.passages.map((p) => ({
        id: p.id,
        text: p.headings.length ? `${p.headings.join(' > ')}\n${p.text}` : p.text,
        metadata: { document: p.document, headings: p.headings, offset: p.offset, score: p.score },
      })),
  });
}
