import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineAgent } from '../src/agent/index.js';
import { runCli as cli } from './support/run-cli.js';
import { openStore, sqlTraceRepository } from '../src/store/index.js';
import { createStoreTracer } from '../src/trace/index.js';
import recorded from './trace-replay-agent.js';

const dir = mkdtempSync(join(tmpdir(), 'sextant-replay-'));
const agentModule = join(import.meta.dirname, 'trace-replay-agent.ts');

beforeAll(async () => {
  process.env.SEXTANT_DATABASE_URL = join(dir, 'sextant.db');
  const store = await openStore();
  const tracer = createStoreTracer({ repository: sqlTraceRepository(store), redact: false });
  await defineAgent({ ...recorded(), tracer }).run('Where is order 42?', { runId: 'run-cli-1' });
  await tracer.close();
  await store.close();
});

afterAll(() => {
  delete process.env.SEXTANT_DATABASE_URL;
  rmSync(dir, { recursive: true, force: true });
});

describe('sextant replay', () => {
  it('reports a match against the recorded agent (a .ts module)', async () => {
    const r = await cli(['replay', 'run-cli-1', '--agent', agentModule]);
    expect(r.err).toBe('');
    expect(r.out).toBe('Replay of run-cli-1 matches the recording: 2 steps, stopped with completed.');
    expect(r.code).toBe(0);
  });

  it('reports the first divergence of a changed agent and exits 3', async () => {
    const recordedMode = await cli(['replay', 'run-cli-1', '--agent', agentModule, '--export', 'changed']);
    expect(recordedMode.code).toBe(3);
    expect(recordedMode.out).toContain('diverges at step 1 (request): the model request no longer matches the recording: message 0 (system) differs');

    const live = await cli(['replay', 'run-cli-1', '--agent', agentModule, '--export', 'changed', '--live']);
    expect(live.code).toBe(3);
    expect(live.out).toBe('Replay of run-cli-1 diverges at step 1 (tool): different tool: expected crm_lookup, got kb_search');
  });

  it('explains what is wrong with bad input', async () => {
    const noAgent = await cli(['replay', 'run-cli-1']);
    expect(noAgent.code).toBe(2);
    expect(noAgent.err).toBe("error: required option '--agent <module>' not specified");
    const missing = await cli(['replay', 'run-cli-1', '--agent', join(dir, 'nope.ts')]);
    expect(missing.err).toContain('[NOT_FOUND]: No agent module at');
    const noExport = await cli(['replay', 'run-cli-1', '--agent', agentModule, '--export', 'other']);
    expect(noExport.err).toContain('must export under export "other" a function');
    const noRun = await cli(['replay', 'no-such-run', '--agent', agentModule]);
    expect(noRun.err).toContain('[NOT_FOUND]');
  });
});
