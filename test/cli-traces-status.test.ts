import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, sqlTraceRepository } from '../src/store/index.js';
import { ATTR, createStoreTracer } from '../src/trace/index.js';
import { runCli as cli } from './support/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'sextant-status-'));

beforeAll(async () => {
  process.env.SEXTANT_DATABASE_URL = join(dir, 'sextant.db');
  const store = await openStore();
  const tracer = createStoreTracer({ repository: sqlTraceRepository(store), redact: false });
  // An agent run that ended without an exception, on a failed blocking check.
  const run = tracer.startSpan({ kind: 'run', name: 'support', attributes: { [ATTR.RUN_ID]: 'run-blocked', [ATTR.AGENT_NAME]: 'support' } });
  run.set({ [ATTR.STOP_REASON]: 'check_failed', [ATTR.STOP_DETAIL]: 'groundedness blocked the answer' });
  run.end('ok');
  const answered = tracer.startSpan({ kind: 'run', name: 'support', attributes: { [ATTR.RUN_ID]: 'run-answered', [ATTR.AGENT_NAME]: 'support' } });
  answered.set({ [ATTR.STOP_REASON]: 'completed' });
  answered.end('ok');
  // A gateway session: three requests in one trace, the second refused (422); the last one succeeded.
  let traceId: string | undefined;
  for (const refused of [false, true, false]) {
    const request = tracer.startSpan({ kind: 'request', name: 'POST chat', traceId, attributes: { [ATTR.SESSION_ID]: 'sess-gw' } });
    traceId = request.traceId;
    request.set({ [ATTR.HTTP_STATUS]: refused ? 422 : 200 });
    if (refused) request.end('error', { code: 'INVALID_REQUEST', message: 'messages must not be empty' });
    else request.end('ok');
    await tracer.flush();
  }
  await tracer.close();
  await store.close();
});

afterAll(() => {
  delete process.env.SEXTANT_DATABASE_URL;
  rmSync(dir, { recursive: true, force: true });
});

const lineOf = (out: string, text: string) => out.split('\n').find((l) => l.includes(text)) ?? '';

describe('sextant traces: the status says how a trace ended', () => {
  it("shows an agent run's stop reason, not `completed`, for a run that ended on a failed check", async () => {
    const { code, out } = await cli(['traces']);
    expect(code).toBe(0);
    expect(lineOf(out, 'run-blocked')).toContain('check_failed');
    expect(lineOf(out, 'run-blocked')).not.toContain('completed');
    expect(lineOf(out, 'run-answered')).toContain('completed');
    const completed = await cli(['traces', '--status', 'completed']);
    expect(completed.out).toContain('run-answered');
    expect(completed.out).not.toContain('run-blocked');
    expect((await cli(['traces', '--status', 'stopped'])).out).toContain('run-blocked');
  });

  it('shows the refused requests of a gateway session trace', async () => {
    const { out } = await cli(['traces', '--session', 'sess-gw']);
    expect(out).toContain('1 of 3 failed');
  });
});
