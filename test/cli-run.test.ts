import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, sqlTraceRepository } from '../src/store/index.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'sextant-cli-run-'));
const env = { ...process.env, SEXTANT_DATABASE_URL: join(dir, 'sextant.db') };
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The CLI in a child process, from source (the same `main` bin/sextant.js calls from dist/). */
async function sextant(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const script = "import { main } from './src/cli/index.ts'; process.exitCode = await main(process.argv.slice(1));";
  const child = run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, ...args], { cwd: root, env, timeout: 60_000 });
  if (input !== undefined) {
    child.child.stdin!.end(input);
  }
  try {
    const { stdout, stderr } = await child;
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('sextant run', () => {
  it('runs the support desk on the quick-start question, then `sextant explain` shows the same run', async () => {
    const result = await sextant(['run', 'examples/support-desk', 'Where is my order 1042?']);
    expect(result.code).toBe(0);
    const answer = JSON.parse(result.stdout);
    expect(answer.answer).toContain('UPS');
    expect(answer.answer).toContain('2026-11-24');
    expect(answer.citations).toContain('crm:order:1042');
    // Steps as they happened, then the stop, cost and run id.
    expect(result.stderr).toMatch(/● step 1/);
    expect(result.stderr).toMatch(/tool crm_lookup\(\{"order_id":1042\}\) →/);
    expect(result.stderr).toMatch(/check groundedness: pass/);
    expect(result.stderr).toMatch(/cost so far \$\d+\.\d{6}/);
    expect(result.stderr).toMatch(/stop: completed \(answered after 2 steps\) · cost \$0\.000\d+/);
    const runId = /run id: ([0-9a-f-]{36})/.exec(result.stderr)![1];

    const explained = await sextant(['explain', runId]);
    expect(explained.code).toBe(0);
    expect(explained.stdout).toContain(`Run ${runId} · agent support-desk`);
    expect(explained.stdout).toContain('tool crm_lookup');
    expect(explained.stdout).toContain('check citations: pass');
    expect(explained.stdout).toContain('Stopped: completed');
  });

  it('reads the input from standard input and prints JSON with --json', async () => {
    const result = await sextant(['run', 'examples/support-desk/index.ts', '--json', '--session', 'cli-test'], 'Can I change my shipping address?\n');
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json).toMatchObject({ stopReason: 'completed', sessionId: 'cli-test' });
    expect(json.output.answer).toContain('address');
    expect(json.output.citations).toEqual(['shipping-address.md#changing-a-shipping-address']);
    expect(typeof json.runId).toBe('string');
  });

  it('stores the run with PII redacted (the default)', async () => {
    const result = await sextant(['run', 'examples/support-desk', 'Where is my order 1042? Mail me at jane.doe@example.com']);
    expect(result.code).toBe(0);
    const runId = /run id: ([0-9a-f-]{36})/.exec(result.stderr)![1];
    const store = await openStore({ url: env.SEXTANT_DATABASE_URL });
    try {
      const stored = await sqlTraceRepository(store).get(runId);
      const text = JSON.stringify(stored!.spans);
      expect(text).toContain('[EMAIL]');
      expect(text).not.toContain('jane.doe@example.com');
    } finally {
      await store.close();
    }
  });

  it('says clearly what is wrong with a bad module or input', async () => {
    const missing = await sextant(['run', 'examples/nope', 'hi']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('error [NOT_FOUND]: No agent module at');

    const notAFactory = join(dir, 'bad-agent.ts');
    writeFileSync(notAFactory, 'export const agent = 42;\n');
    const bad = await sextant(['run', notAFactory, 'hi']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('error [CONFIG_INVALID]');
    expect(bad.stderr).toContain('must export (as default or `agent`) a function of the run');

    const empty = await sextant(['run', 'examples/support-desk'], '   \n');
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('error [INVALID_REQUEST]: The input is empty');

    const badModel = await sextant(['run', 'examples/support-desk', 'hi', '--model', 'nonsense']);
    expect(badModel.code).toBe(1);
    expect(badModel.stderr).toContain('error [INVALID_MODEL_STRING]');
  });
});
