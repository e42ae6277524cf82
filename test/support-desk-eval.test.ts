/**
 * examples/support-desk/eval.yaml, run the way `sextant eval` runs it, on the scripted model:
 * every case must pass (facts stated, tools used, the agent's checks passing on the final answer).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAgentModule, loadSuite, runSuite } from '../src/eval/index.js';

const dir = mkdtempSync(join(tmpdir(), 'sextant-support-eval-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('support-desk eval suite', () => {
  it('has at least 20 cases and passes every one on the scripted model', async () => {
    // The module's default export opens the default store: point it at a throwaway database.
    process.env.SEXTANT_DATABASE_URL = join(dir, 'sextant.db');
    delete process.env.SUPPORT_DESK_MODEL;
    const suite = await loadSuite(join(import.meta.dirname, '../examples/support-desk/eval.yaml'));
    expect(suite.cases.length).toBeGreaterThanOrEqual(20);
    const module = await loadAgentModule(suite.agentPath);
    const report = await runSuite({ suite, module, repeats: 1, concurrency: 2 });
    const failed = report.cases.filter((c) => c.successes === 0).map((c) => ({ name: c.name, trials: c.trials }));
    expect(failed).toEqual([]);
    expect(report.summary.passAt1).toBe(1);
  }, 60_000);
});
