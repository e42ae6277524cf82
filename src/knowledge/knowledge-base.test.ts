import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHashedEmbedder, type Embedder } from '../cache/index.js';
import { openStore, type SqlStore } from '../store/index.js';
import { knowledgeBase } from './knowledge-base.js';

/** The built-in embedder, counting the texts it embeds. */
function countingEmbedder(): Embedder & { texts: number } {
  const inner = createHashedEmbedder();
  const counter = {
    id: inner.id,
    dimensions: inner.dimensions,
    texts: 0,
    embed: async (texts: string[]) => {
      counter.texts += texts.length;
      return inner.embed(texts);
    },
  };
  return counter;
}

const DOCS = {
  'returns.md':
    '# Returns\n\n## Return window\nYou can return most items within 30 days of delivery for a full refund.\n\n## Refund timing\nRefunds reach your card 5 to 10 business days after we receive the return.\n',
  'shipping.md':
    '# Shipping\n\n## Standard shipping\nStandard shipping takes 3 to 5 business days and costs $4.99.\n\n## Express shipping\nExpress shipping takes 1 to 2 business days.\n',
  'account.md': '# Account\n\n## Password reset\nUse the "Forgot password" link on the sign-in page to get a reset email.\n',
};

function writeKb(dir: string, docs: Record<string, string>) {
  for (const [name, text] of Object.entries(docs)) writeFileSync(join(dir, name), text);
}

describe('knowledgeBase (memory)', () => {
  it('finds the passage that answers a question, with its source id and score', async () => {
    const kb = await knowledgeBase({ documents: Object.entries(DOCS).map(([id, text]) => ({ id, text })), embedder: createHashedEmbedder() });
    expect(kb.size).toBe(5);
    const [top] = await kb.search('How long do I have to return an item?');
    expect(top.id).toBe('returns.md#return-window');
    expect(top).toMatchObject({ document: 'returns.md', headings: ['Returns', 'Return window'] });
    expect(DOCS['returns.md'].slice(top.offset, top.offset + top.text.length)).toBe(top.text);
    expect(top.score).toBeGreaterThan(0.2);
    const [reset] = await kb.search('I forgot my password');
    expect(reset.id).toBe('account.md#password-reset');
  });

  it('re-embeds only changed documents and drops removed ones', async () => {
    const embedder = countingEmbedder();
    const kb = await knowledgeBase({ documents: Object.entries(DOCS).map(([id, text]) => ({ id, text })), embedder });
    expect(embedder.texts).toBe(5);
    const changed = { ...DOCS, 'shipping.md': DOCS['shipping.md'].replace('$4.99', '$5.99') };
    delete (changed as Partial<typeof DOCS>)['account.md'];
    const report = await kb.sync(Object.entries(changed).map(([id, text]) => ({ id, text })));
    expect(report).toMatchObject({ added: [], updated: ['shipping.md'], removed: ['account.md'], unchanged: 1, embedded: 2, chunks: 4 });
    expect(embedder.texts).toBe(5 + 2 + 0);
    const hits = await kb.search('password reset email', { k: 10, minScore: -1 });
    expect(hits.some((h) => h.document === 'account.md')).toBe(false);
    expect((await kb.search('standard shipping cost'))[0].text).toContain('$5.99');
  });

  it('refuses bad options and bad queries with clear errors', async () => {
    const embedder = createHashedEmbedder();
    await expect(knowledgeBase({ embedder } as never)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(
      knowledgeBase({
        documents: [
          { id: 'a', text: 'x' },
          { id: 'a', text: 'y' },
        ],
        embedder,
      }),
    ).rejects.toThrow(/Two knowledge documents have the id "a"/);
    await expect(knowledgeBase({ dir: '/nonexistent/kb', embedder })).rejects.toThrow(/Cannot read the knowledge base folder/);
    await expect(knowledgeBase({ documents: [], embedder, chunking: { maxChars: 3 } })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    const kb = await knowledgeBase({ documents: [{ id: 'a.md', text: 'hello world' }], embedder });
    await expect(kb.search('   ')).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(kb.search('hello', { k: 0 })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    const wrong: Embedder = { id: 'wrong', dimensions: 8, embed: async (texts) => texts.map(() => new Float32Array(4)) };
    await expect(knowledgeBase({ documents: [{ id: 'a.md', text: 'hello' }], embedder: wrong })).rejects.toThrow(/4 dimensions, not 8/);
  });
});

/** Persistence and incremental re-indexing behave the same on both SQL engines. */
function persistenceSuite(engine: string, open: () => Promise<SqlStore>) {
  describe(`knowledgeBase on ${engine}`, () => {
    it('persists chunks and vectors: a restart embeds nothing, an edited file is re-embedded, a deleted one is dropped', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sextant-kb-'));
      try {
        writeKb(dir, DOCS);
        const name = `kb-${randomUUID()}`;
        let store = await open();
        const first = countingEmbedder();
        const kb1 = await knowledgeBase({ dir, embedder: first, store, name });
        expect(first.texts).toBe(5);
        await store.close();

        store = await open();
        const second = countingEmbedder();
        const kb2 = await knowledgeBase({ dir, embedder: second, store, name });
        expect(second.texts).toBe(0);
        expect(kb2.size).toBe(kb1.size);
        expect((await kb2.search('return items within 30 days'))[0].id).toBe('returns.md#return-window');

        writeFileSync(join(dir, 'account.md'), DOCS['account.md'] + '\n## Two-factor\nTurn on two-factor authentication in Settings.\n');
        unlinkSync(join(dir, 'shipping.md'));
        const embeddedBefore = second.texts;
        const report = await kb2.sync();
        expect(report).toMatchObject({ updated: ['account.md'], removed: ['shipping.md'], unchanged: 1, embedded: 2, chunks: 4 });
        expect(second.texts - embeddedBefore).toBe(2);
        await store.close();

        store = await open();
        const third = countingEmbedder();
        const kb3 = await knowledgeBase({ dir, embedder: third, store, name });
        expect(third.texts).toBe(0);
        expect((await kb3.search('two-factor authentication'))[0].id).toBe('account.md#two-factor');
        const rows = await store.db.selectFrom('knowledge_documents').select('document').where('kb', '=', name).orderBy('document').execute();
        expect(rows.map((r) => r.document)).toEqual(['account.md', 'returns.md']);
        // Another embedder never reuses these vectors: everything is embedded again.
        const other = createHashedEmbedder({ dimensions: 128 });
        let otherTexts = 0;
        await knowledgeBase({ dir, store, name, embedder: { ...other, embed: async (t) => ((otherTexts += t.length), other.embed(t)) } });
        expect(otherTexts).toBe(4);
        await store.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

const sqliteDir = mkdtempSync(join(tmpdir(), 'sextant-kb-db-'));
afterAll(() => rmSync(sqliteDir, { recursive: true, force: true }));
persistenceSuite('SQLite', () => openStore({ url: join(sqliteDir, 'kb.db') }));

const schema = `knowledge_test_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/test' });
beforeAll(async () => {
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
});
afterAll(async () => {
  await admin.query(`DROP SCHEMA ${schema} CASCADE`);
  await admin.end();
});
persistenceSuite('Postgres', () => openStore({ url: `postgres://postgres@127.0.0.1:5432/test?options=${encodeURIComponent(`-c search_path=${schema}`)}` }));
