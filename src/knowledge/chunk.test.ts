import { describe, expect, it } from 'vitest';
import { chunkMarkdown, embeddingText, slug } from './chunk.js';

const ARTICLE = `# Returns policy

## Return window
You can return most items within 30 days of delivery.

The 30 days start on the delivery date.

## Items that cannot be returned
Gift cards cannot be returned.

\`\`\`
# not a heading inside a fence
\`\`\`
`;

describe('chunkMarkdown', () => {
  it('cuts along headings, keeps the heading path, and every offset points at the chunk in the document', () => {
    const chunks = chunkMarkdown('returns.md', ARTICLE);
    expect(chunks.map((c) => c.id)).toEqual(['returns.md#return-window', 'returns.md#items-that-cannot-be-returned']);
    expect(chunks[0].headings).toEqual(['Returns policy', 'Return window']);
    expect(chunks[0].text).toBe('You can return most items within 30 days of delivery.\n\nThe 30 days start on the delivery date.');
    expect(chunks[1].text).toContain('# not a heading inside a fence');
    for (const c of chunks) expect(ARTICLE.slice(c.offset, c.offset + c.text.length)).toBe(c.text);
    expect(embeddingText(chunks[0]).startsWith('Returns policy > Return window\n')).toBe(true);
  });

  it('packs paragraphs up to maxChars and splits a long paragraph at sentence ends', () => {
    const sentence = 'This sentence is about shipping times and costs. ';
    const long = sentence.repeat(10).trim();
    const text = `## Shipping\n${long}\n\nShort paragraph.\n\nAnother short one.\n`;
    const chunks = chunkMarkdown('ship.md', text, { maxChars: 120 });
    expect(chunks.length).toBeGreaterThan(4);
    for (const c of chunks) {
      expect(c.text.length).toBeLessThanOrEqual(120);
      expect(text.slice(c.offset, c.offset + c.text.length)).toBe(c.text);
    }
    // Sentence ends are respected: no chunk of the long paragraph ends mid-sentence.
    for (const c of chunks.slice(0, -1)) expect(c.text.endsWith('.')).toBe(true);
    expect(chunks.map((c) => c.id).slice(0, 3)).toEqual(['ship.md#shipping', 'ship.md#shipping~2', 'ship.md#shipping~3']);
    // Short paragraphs are packed with their neighbours rather than left as tiny chunks.
    expect(chunks.some((c) => c.text.includes('.\n\n'))).toBe(true);
    expect(chunks.length).toBeLessThan(13);
  });

  it('handles text without headings, CRLF line ends, and empty documents', () => {
    expect(chunkMarkdown('plain.txt', 'Just one paragraph.')).toEqual([
      { id: 'plain.txt', document: 'plain.txt', headings: [], offset: 0, text: 'Just one paragraph.' },
    ]);
    const crlf = chunkMarkdown('w.md', '# Title\r\nBody line one.\r\nBody line two.\r\n');
    expect(crlf).toHaveLength(1);
    expect(crlf[0].text).toBe('Body line one.\r\nBody line two.');
    expect(chunkMarkdown('empty.md', '')).toEqual([]);
    expect(chunkMarkdown('only-headings.md', '# A\n## B\n')).toEqual([]);
  });

  it('makes readable, stable slugs', () => {
    expect(slug('Où est ma commande ?')).toBe('ou-est-ma-commande');
    expect(slug('!!!')).toBe('section');
  });
});
