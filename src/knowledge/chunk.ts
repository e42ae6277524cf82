import { DEFAULTS } from '../defaults.js';

export interface ChunkingOptions {
  /** A chunk holds at most this many characters (one paragraph longer than this is split at sentences). Default DEFAULTS.knowledge.maxChunkChars. */
  maxChars?: number;
}

/** One passage of a document, with where it comes from. */
export interface Chunk {
  /** Source id: `file#heading-slug`, then `~2`, `~3`... for further chunks of the same section. */
  id: string;
  /** The document's id (its path relative to the knowledge base's folder). */
  document: string;
  /** Headings above the passage, outermost first. */
  headings: string[];
  /** Character offset of the passage's first character in the document. */
  offset: number;
  /** The passage exactly as written in the document. */
  text: string;
}

interface Span {
  start: number;
  end: number;
}

const HEADING = /^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$/;
const FENCE = /^[ \t]*(```|~~~)/;

export function slug(text: string): string {
  return (
    text
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'section'
  );
}

/** Splits a too-long span at sentence ends, then (for a run-on sentence) at the last space before the limit. */
function splitLong(text: string, span: Span, maxChars: number): Span[] {
  const pieces: Span[] = [];
  let start = span.start;
  while (span.end - start > maxChars) {
    const window = text.slice(start, start + maxChars);
    let cut = -1;
    for (const match of window.matchAll(/[.!?](?=\s)/g)) cut = match.index + 1;
    if (cut <= 0) cut = window.lastIndexOf(' ');
    if (cut <= 0) cut = maxChars;
    pieces.push({ start, end: start + cut });
    start += cut;
    while (start < span.end && /\s/.test(text[start])) start++;
  }
  if (start < span.end) pieces.push({ start, end: span.end });
  return pieces;
}

/** Packs consecutive paragraphs into spans of at most maxChars (measured from the first paragraph's start to the last one's end). */
function pack(text: string, paragraphs: Span[], maxChars: number): Span[] {
  const out: Span[] = [];
  let current: Span | undefined;
  for (const paragraph of paragraphs.flatMap((p) => (p.end - p.start > maxChars ? splitLong(text, p, maxChars) : [p]))) {
    if (current && paragraph.end - current.start <= maxChars) current.end = paragraph.end;
    else {
      if (current) out.push(current);
      current = { ...paragraph };
    }
  }
  if (current) out.push(current);
  return out;
}

/**
 * Chunks a markdown document along its structure: one section per heading (headings inside
 * fenced code are not headings), paragraphs packed together up to `maxChars`, long paragraphs
 * split at sentence ends. Every chunk keeps its heading path and its offset in the document,
 * so a citation can point back to the exact place.
 */
export function chunkMarkdown(document: string, text: string, options: ChunkingOptions = {}): Chunk[] {
  const maxChars = options.maxChars ?? DEFAULTS.knowledge.maxChunkChars;
  const chunks: Chunk[] = [];
  const used = new Map<string, number>();
  let headings: string[] = [];
  let paragraphs: Span[] = [];
  let paragraph: Span | undefined;
  let inFence = false;

  const endParagraph = () => {
    if (paragraph) paragraphs.push(paragraph);
    paragraph = undefined;
  };
  const endSection = () => {
    endParagraph();
    for (const span of pack(text, paragraphs, maxChars)) {
      const base = headings.length ? `${document}#${slug(headings[headings.length - 1])}` : document;
      const n = (used.get(base) ?? 0) + 1;
      used.set(base, n);
      chunks.push({ id: n === 1 ? base : `${base}~${n}`, document, headings: [...headings], offset: span.start, text: text.slice(span.start, span.end) });
    }
    paragraphs = [];
  };

  let lineStart = 0;
  while (lineStart <= text.length) {
    const newline = text.indexOf('\n', lineStart);
    const lineEnd = newline === -1 ? text.length : newline;
    const line = text.slice(lineStart, lineEnd).replace(/\r$/, '');
    const heading = inFence ? null : HEADING.exec(line);
    if (FENCE.test(line)) inFence = !inFence;
    if (heading) {
      endSection();
      const level = heading[1].length;
      headings = [...headings.slice(0, level - 1), heading[2]];
    } else if (line.trim() === '' && !inFence) {
      endParagraph();
    } else {
      const contentEnd = lineStart + line.length;
      if (paragraph) paragraph.end = contentEnd;
      else paragraph = { start: lineStart + (line.length - line.trimStart().length), end: contentEnd };
    }
    if (newline === -1) break;
    lineStart = newline + 1;
  }
  endSection();
  return chunks;
}

/** The text an embedder sees for a chunk: its heading path first, so a section's title counts toward its meaning. */
export function embeddingText(chunk: Chunk): string {
  return chunk.headings.length ? `${chunk.headings.join(' > ')}\n${chunk.text}` : chunk.text;
}
