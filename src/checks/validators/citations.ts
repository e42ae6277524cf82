import { defineCheck } from '../define-check.js';
import type { Check, CheckDocument, CheckVerdict } from '../types.js';
import { checkBase, type ValidatorCheckOptions } from './options.js';

/** `[doc-1]`, `[kb:42]`, `[1][3]`, `[1, 3]`: ids in square brackets, comma-separated. */
export const DEFAULT_CITATION_PATTERN = /\[([^\]\s][^\]]*)\]/g;

export interface CitationOptions {
  /** Finds citations; group 1 holds one id or a comma-separated list. */
  pattern?: RegExp;
  /** Citations the answer needs at least. Default 1. */
  min?: number;
}

export function extractCitations(text: string, pattern: RegExp = DEFAULT_CITATION_PATTERN): string[] {
  const flags = pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`;
  const ids = [...text.matchAll(new RegExp(pattern.source, flags))].flatMap((m) =>
    (m[1] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
  return [...new Set(ids)];
}

/** The answer cites its sources, and every citation names a document the run actually retrieved. */
export function validateCitations(text: string, documents: readonly CheckDocument[], options: CitationOptions = {}): CheckVerdict {
  const cited = extractCitations(text, options.pattern);
  const known = new Set(documents.map((d) => d.id));
  const unknown = cited.filter((id) => !known.has(id));
  const min = options.min ?? 1;
  if (unknown.length > 0) {
    return {
      pass: false,
      score: (cited.length - unknown.length) / cited.length,
      reason: `the answer cites sources that were not retrieved in this run: ${unknown.join(', ')}; cite only ${[...known].join(', ') || '(none retrieved)'}`,
      evidence: { cited, unknown },
    };
  }
  if (cited.length < min)
    return {
      pass: false,
      score: 0,
      reason: `the answer must cite at least ${min} source${min === 1 ? '' : 's'} by id, e.g. [${documents[0]?.id ?? 'doc-id'}]`,
      evidence: { cited },
    };
  return { pass: true, score: 1, reason: `cites ${cited.join(', ')}`, evidence: { cited } };
}

export function citationCheck(options: ValidatorCheckOptions & CitationOptions = {}): Check {
  return defineCheck({ ...checkBase(options, 'citations'), run: (ctx) => validateCitations(ctx.answer.text, ctx.documents, options) });
}
