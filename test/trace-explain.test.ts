import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli as cli } from './support/run-cli.js';
import { formatTraceTable, parseSince } from '../src/cli/commands/traces.js';
import { openStore, sqlTraceRepository } from '../src/store/index.js';
import { ATTR, EVENTS, createStoreTracer, explainTrace } from '../src/trace/index.js';

const dir = mkdtempSync(join(tmpdir(), 'sextant-explain-'));
const dbPath = join(dir, 'sextant.db');

beforeAll(async () => {
  process.env.SEXTANT_DATABASE_URL = dbPath;
  const store = await openStore({ url: dbPath });
  const tracer = createStoreTracer({ repository: sqlTraceRepository(store), redact: false });
  const run = tracer.startSpan({
    kind: 'run',
    name: 'support',
    attributes: { [ATTR.RUN_ID]: 'run-explain-1', [ATTR.AGENT_NAME]: 'support', [ATTR.SESSION_ID]: 'sess-7', [ATTR.RUN_INPUT]: 'Where is order 42?' },
  });
  const step1 = tracer.startSpan({ kind: 'step', name: 'step 1', parent: run, attributes: { [ATTR.STEP_INDEX]: 1 } });
  const m1 = tracer.startSpan({ kind: 'model', name: 'chat', parent: step1, attributes: { [ATTR.REQUEST_MODEL]: 'gpt-4o-mini' } });
  m1.set({
    [ATTR.PROVIDER]: 'openai',
    [ATTR.INPUT_TOKENS]: 120,
    [ATTR.OUTPUT_TOKENS]: 18,
    [ATTR.COST_USD]: 0.0002,
    [ATTR.TTFT_MS]: 150,
    [ATTR.CACHE_STATUS]: 'miss',
    [ATTR.DECISION_MESSAGES]: [
      { role: 'system', content: 'Be helpful' },
      { role: 'user', content: 'Where is order 42?' },
    ],
    [ATTR.DECISION_TOOLS]: [{ name: 'crm_lookup' }, { name: 'kb_search' }],
    [ATTR.DECISION_CHOICE]: { type: 'tool_calls', toolCalls: [{ id: 'call_1', name: 'crm_lookup', arguments: '{"order":42}' }] },
    [ATTR.DECISION_RATIONALE]: 'I need the order record first',
  });
  m1.end();
  const t1 = tracer.startSpan({
    kind: 'tool',
    name: 'crm_lookup',
    parent: step1,
    attributes: { [ATTR.TOOL_NAME]: 'crm_lookup', [ATTR.TOOL_INPUT]: { order: 42 } },
  });
  t1.set({ [ATTR.TOOL_OUTPUT]: `{"status":"shipped","notes":"${'x'.repeat(1000)}"}` });
  t1.end();
  step1.end();
  const step2 = tracer.startSpan({ kind: 'step', name: 'step 2', parent: run, attributes: { [ATTR.STEP_INDEX]: 2 } });
  const m2 = tracer.startSpan({ kind: 'model', name: 'chat', parent: step2, attributes: { [ATTR.REQUEST_MODEL]: 'gpt-4o-mini' } });
  m2.set({
    [ATTR.INPUT_TOKENS]: 200,
    [ATTR.OUTPUT_TOKENS]: 25,
    [ATTR.COST_USD]: 0.0003,
    [ATTR.DECISION_CHOICE]: { type: 'answer', text: 'Order 42 has shipped.' },
    [ATTR.DECISION_SOURCES]: [{ kind: 'tool_result', id: 'call_1', title: 'crm_lookup' }],
  });
  m2.end();
  const check = tracer.startSpan({
    kind: 'check',
    name: 'groundedness',
    parent: step2,
    attributes: {
      [ATTR.CHECK_NAME]: 'groundedness',
      [ATTR.CHECK_VERDICT]: 'pass',
      [ATTR.CHECK_SCORE]: 0.93,
      [ATTR.CHECK_REASON]: 'answer matches the CRM record',
    },
  });
  check.end();
  step2.end();
  run.event(EVENTS.LIMIT, { [ATTR.LIMIT_NAME]: 'steps', [ATTR.LIMIT_VALUE]: 2, [ATTR.LIMIT_USED]: 2 });
  run.set({ [ATTR.STOP_REASON]: 'max_steps', [ATTR.STOP_DETAIL]: 'maxSteps 2 reached', [ATTR.RUN_OUTPUT]: 'Order 42 has shipped.', [ATTR.COST_USD]: 0.0005 });
  run.end();
  const other = tracer.startSpan({ kind: 'run', name: 'billing', attributes: { [ATTR.RUN_ID]: 'run-billing-2' } });
  other.end('error', { code: 'TOOL_ERROR', message: 'ledger down' });
  await tracer.close();
  await store.close();
});

afterAll(() => {
  delete process.env.SEXTANT_DATABASE_URL;
  rmSync(dir, { recursive: true, force: true });
});

describe('sextant explain', () => {
  it('prints the timeline: decisions and why, trimmed tool output, checks, cost and the stop', async () => {
    const { code, out } = await cli(['explain', 'run-explain-1']);
    expect(code).toBe(0);
    expect(out).toContain('Run run-explain-1 · agent support · session sess-7');
    expect(out).toContain('Input: Where is order 42?');
    expect(out).toMatch(/Step 1 \+\d+ ms/);
    expect(out).toContain('model gpt-4o-mini (openai) · 120→18 tokens');
    expect(out).toContain('shown:   2 messages, last user: "Where is order 42?"; tools: crm_lookup, kb_search');
    expect(out).toContain('chose:   crm_lookup({"order":42})');
    expect(out).toContain('why:     "I need the order record first"');
    expect(out).toContain('input:  {"order":42}');
    expect(out).toMatch(/output: \{"status":"shipped","notes":"x+…/);
    expect(out.split('\n').find((l) => l.includes('output:'))!.length).toBeLessThan(320);
    expect(out).toContain('chose:   answer "Order 42 has shipped."');
    expect(out).toContain('sources: tool_result call_1 (crm_lookup)');
    expect(out).toContain('check groundedness: pass (0.93) — answer matches the CRM record');
    expect(out).toContain('! limit hit: steps (used 2 of 2)');
    expect(out).toContain('Stopped: max_steps — maxSteps 2 reached');
    expect(out).toContain('Output: Order 42 has shipped.');
    expect(out).toContain('$0.0005');
    // Steps appear in order.
    expect(out.indexOf('Step 1')).toBeLessThan(out.indexOf('Step 2'));
  });

  it('finds a run by a unique prefix and says clearly when there is none', async () => {
    expect((await cli(['explain', 'run-expl'])).out).toContain('Run run-explain-1');
    const missing = await cli(['explain', 'run-nope']);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('[NOT_FOUND]');
    expect((await cli(['explain'])).code).toBe(2);
  });

  it('formats an error run with its error as the stop reason', async () => {
    const store = await openStore({ url: dbPath });
    const found = await sqlTraceRepository(store).get('run-billing-2');
    await store.close();
    const text = explainTrace(found!);
    expect(text).toContain('error');
    expect(text).toContain('Stopped: TOOL_ERROR — ledger down');
  });
});

describe('sextant traces', () => {
  it('lists runs newest first with filters', async () => {
    const all = await cli(['traces']);
    expect(all.code).toBe(0);
    const lines = all.out.split('\n');
    expect(lines[0]).toMatch(/^RUN\s+STARTED\s+AGENT\s+STATUS/);
    expect(lines[1]).toContain('run-billing-2');
    expect(lines[2]).toContain('run-explain-1');
    expect((await cli(['traces', '--status', 'error'])).out).not.toContain('run-explain-1');
    expect((await cli(['traces', '--agent', 'support'])).out).not.toContain('run-billing-2');
    expect((await cli(['traces', '--session', 'sess-7'])).out).toContain('run-explain-1');
    expect((await cli(['traces', '--min-cost', '0.0004'])).out).not.toContain('run-billing-2');
    expect((await cli(['traces', '--since', '1h'])).out).toContain('run-explain-1');
    expect((await cli(['traces', '--since', '2999-01-01'])).out).toContain('No traces match');
  });

  it('rejects bad filters with a clear error', async () => {
    for (const args of [
      ['--status', 'done'],
      ['--min-cost', 'cheap'],
      ['--since', 'yesterday-ish'],
      ['--limit', '0'],
    ]) {
      const r = await cli(['traces', ...args]);
      expect(r.code).toBe(1);
      expect(r.err).toContain('[CONFIG_INVALID]');
    }
  });

  it('fits the table to the terminal width by cutting and dropping columns', async () => {
    const store = await openStore({ url: dbPath });
    const rows = await sqlTraceRepository(store).list();
    await store.close();
    const wide = formatTraceTable(rows, 200);
    expect(wide.split('\n')[0]).toContain('SESSION');
    const narrow = formatTraceTable(rows, 50);
    for (const line of narrow.split('\n')) expect(line.length).toBeLessThanOrEqual(50);
    expect(narrow).toContain('STATUS');
    expect(narrow).not.toContain('SESSION');
  });

  it('parses --since as a duration or a date', () => {
    expect(parseSince('30m', 1_000_000_000)).toBe(1_000_000_000 - 30 * 60_000);
    expect(parseSince('2024-01-01T00:00:00Z')).toBe(Date.UTC(2024, 0, 1));
  });
});
