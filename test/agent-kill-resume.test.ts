import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../src/store/db.js';
import { sqlCheckpointStore } from '../src/store/checkpoints.js';
import { killResumeAgent } from './fixtures/agent-kill-resume-agent.js';

const dir = mkdtempSync(join(tmpdir(), 'sextant-kill-resume-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const lines = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').filter(Boolean) : []);

describe('kill and resume', () => {
  it('a run killed mid-step (SIGKILL) resumes from its checkpoint without repeating completed or interrupted non-idempotent calls', async () => {
    const dbPath = join(dir, 'sextant.db');
    const ledger = join(dir, 'ledger.txt');
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/agent-kill-resume-child.ts', dbPath, ledger, 'run-kill-1'], { stdio: 'inherit' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    // Wait until both step-2 tools are running (and hanging), then kill the process.
    for (let i = 0; i < 400 && lines(ledger).length < 3; i++) await new Promise((r) => setTimeout(r, 25));
    expect(lines(ledger).sort()).toEqual(['charge 4200', 'ship A1', 'stock SKU-9']);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const store = await openStore({ url: dbPath });
    try {
      const agent = killResumeAgent({ checkpoints: sqlCheckpointStore(store), ledger, hangInStep2: false });
      const result = await agent.resume('run-kill-1');
      expect(result.stopReason).toBe('completed');
      // charge (step 1) and ship (interrupted, not idempotent) did not run again; check_stock (idempotent) did.
      expect(lines(ledger).sort()).toEqual(['charge 4200', 'ship A1', 'stock SKU-9', 'stock SKU-9']);
      const shipResult = result.steps[1].toolResults.find((r) => r.name === 'ship')!;
      expect(shipResult).toMatchObject({ isError: true });
      expect(shipResult.content).toContain('interrupted by a restart');
      expect(result.output).toContain('check_stock: 12 left');
      expect(result.steps).toHaveLength(3);
    } finally {
      await store.close();
    }
  }, 30_000);
});
