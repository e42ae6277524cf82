import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli as cli } from './support/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'sextant-replay-desk-'));
const changed = join(import.meta.dirname, 'fixtures', 'support-desk-changed.ts');
let runId: string;

beforeAll(async () => {
  process.env.SEXTANT_DATABASE_URL = join(dir, 'sextant.db');
  // The run's live view goes to stderr; keep the test output quiet.
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const run = await cli(['run', 'examples/support-desk', 'Where is my order 1042?', '--json']);
    expect(run.code).toBe(0);
    runId = JSON.parse(run.out).runId;
  } finally {
    stderr.mockRestore();
  }
}, 120_000);

afterAll(() => {
  delete process.env.SEXTANT_DATABASE_URL;
  rmSync(dir, { recursive: true, force: true });
});

describe('sextant replay of the support-desk example', () => {
  it("matches the example's own, unchanged run", async () => {
    const r = await cli(['replay', runId, '--agent', 'examples/support-desk']);
    expect(r.err).toBe('');
    expect(r.out).toBe(`Replay of ${runId} matches the recording: 2 steps, stopped with completed.`);
    expect(r.code).toBe(0);
    const live = await cli(['replay', runId, '--agent', 'examples/support-desk', '--live-tools']);
    expect(live.out).toContain('matches the recording');
    expect(live.code).toBe(0);
  }, 60_000);

  it('prints the cause of a divergence', async () => {
    const r = await cli(['replay', runId, '--agent', changed, '--export', 'brokenDocuments']);
    expect(r.code).toBe(3);
    expect(r.out).toContain(`Replay of ${runId} diverges at step`);
    expect(r.out).toContain('cause: the replayed run failed with');
    expect(r.out).toContain('the CRM passages exploded');
  }, 60_000);

  it('runs the tools with --live-tools, so a changed tool shows as a divergence', async () => {
    const recorded = await cli(['replay', runId, '--agent', changed, '--export', 'changedCrm']);
    expect(recorded.out).toContain('matches the recording');
    const live = await cli(['replay', runId, '--agent', changed, '--export', 'changedCrm', '--live-tools']);
    expect(live.code).toBe(3);
    expect(live.out).toMatch(/diverges at step 1 \(tool_result\): crm_lookup returned something else/);
    expect(live.out).toContain('FedEx');
  }, 60_000);
});
