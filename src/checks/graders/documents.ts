import { DEFAULTS } from '../../defaults.js';
import type { CheckDocument } from '../types.js';

/** Documents as the graders take them: plain strings or the run's documents (with ids). */
export type GraderDocuments = ReadonlyArray<string | CheckDocument>;

export function documentTexts(documents: GraderDocuments): string[] {
  return documents.map((d) => (typeof d === 'string' ? d : d.text));
}

/** Numbered documents for a judge prompt, cut to a total character budget. */
export function formatDocuments(documents: GraderDocuments, maxChars = DEFAULTS.checks.judgeMaxDocumentChars): string {
  let left = maxChars;
  const parts: string[] = [];
  documents.forEach((d, i) => {
    if (left <= 0) return;
    const id = typeof d === 'string' ? String(i + 1) : d.id;
    const text = (typeof d === 'string' ? d : d.text).slice(0, left);
    left -= text.length;
    parts.push(`<document id="${id}">\n${text}\n</document>`);
  });
  return parts.join('\n');
}
