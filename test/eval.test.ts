import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { defineAgent } from '../src/agent/index.js';
import { main } from '../src/cli/index.js';
import { compareWithBaseline, loadAgentModule, loadSuite, parseSuite, passHatK, progressBar, runSuite, type EvalReport } from '../src/eval/index.js';
import { openStore } from '../src/store/db.js';
import { sqlTraceRepository } from '../src/store/traces.js';
import { recordingFromSpans } from '../src/eval/index.js';
import { createMemoryTracer, createStoreTracer } from '../src/trace/index.js';
import goodOptions from './fixtures/eval/support-agent.js';

const fixtures = resolve(import.meta.dirname, 'fixtures/eval');
const suitePath = join(fixtures, 'suite.yaml');
const regressedAgent = join(fixtures, 'support-agent-regressed.ts');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sextant-eval-'));
});
afterAll(() => vi.restoreAllMocks());

/** Runs the CLI with stdout captured. */
async function cli(args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  try {
    return { code: await main(['eval', ...args, '--no-progress']), out: lines.join('\n') };
  } finally {
    spy.mockRestore();
  }
}

describe('pass^k', () => {
  it('is C(c,k)/C(n,k): 1 only when every trial passed, for k = n', () => {
    expect(passHatK(3, 3, 3)).toBe(1);
    expect(passHatK(2, 3, 3)).toBe(0);
    expect(passHatK(2, 4, 2)).toBeCloseTo(1 / 6);
    expect(passHatK(4, 4, 1)).toBe(1);
  });
});

describe('runSuite against the scripted model', () => {
  it('repeats each case k times and reports pass@1, pass^k, cost and latency', async () => {
    const suite = await loadSuite(suitePath);
    const module = await loadAgentModule(suite.agentPath);
    const seen: number[] = [];
    const report = await runSuite({ suite, module, onProgress: (p) => seen.push(p.done) });
    const byName = Object.fromEntries(report.cases.map((c) => [c.name, c]));
    expect(byName['refund window']).toMatchObject({ successes: 3, passAt1: 1, passHatK: 1 });
    expect(byName['shipping time']).toMatchObject({ successes: 3, passAt1: 1, passHatK: 1 });
    // Right on every other call: 2 of 3 trials pass, so pass@1 is 2/3 but pass^3 is 0.
    expect(byName['support email']).toMatchObject({ successes: 2, passHatK: 0 });
    expect(byName['support email'].passAt1).toBeCloseTo(2 / 3);
    expect(report.summary).toMatchObject({ cases: 3, trials: 9, k: 3 });
    expect(report.summary.passAt1).toBeCloseTo((1 + 1 + 2 / 3) / 3);
    expect(report.summary.passHatK).toBeCloseTo(2 / 3);
    expect(report.summary.costUsd).toBeGreaterThan(0);
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const refundTrial = byName['refund window'].trials[0];
    expect(refundTrial.assertions.map((a) => a.name)).toEqual([
      'stopReason',
      'contains "30 days"',
      'called search_kb',
      'check length',
      'check groundedness',
      'check citations',
    ]);
    const failed = byName['support email'].trials.find((t) => !t.pass)!;
    expect(failed.assertions.find((a) => !a.pass)?.name).toBe('matches /support@acme\\.test/');
  });
});

describe('sextant eval', () => {
  it('writes JSON and JUnit, and gives a regression verdict against the saved baseline', async () => {
    const baseline = join(dir, 'baseline.json');
    const junit = join(dir, 'junit.xml');
    const first = await cli([suitePath, '--json', baseline, '--junit', junit]);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/3 cases × k=3: pass@1 88\.9%, pass\^k 66\.7%/);
    const xml = await readFile(junit, 'utf8');
    expect(xml.match(/<testcase /g)).toHaveLength(9);
    expect(xml).toContain('failures="1"');
    expect(xml).toContain('name="support email #2"');

    const same = await cli([suitePath, '--baseline', baseline]);
    expect(same.code).toBe(0);
    expect(same.out).toContain('No regression against the baseline');

    const worse = await cli([suitePath, '--agent', regressedAgent, '--baseline', baseline, '--json', join(dir, 'worse.json')]);
    expect(worse.code).toBe(3);
    expect(worse.out).toContain('REGRESSION against the baseline');
    expect(worse.out).toContain('case "refund window" passed every trial in the baseline and fails every trial now');
    const saved = JSON.parse(await readFile(join(dir, 'worse.json'), 'utf8')) as EvalReport & { regression: { regressed: boolean } };
    expect(saved.regression.regressed).toBe(true);
    const refund = saved.cases.find((c) => c.name === 'refund window')!;
    expect(refund.trials[0].assertions.filter((a) => !a.pass).map((a) => a.name)).toEqual(['contains "30 days"', 'check groundedness', 'check citations']);
  });

  it('flags a cost rise beyond the tolerance, and tolerates noise within it', () => {
    const report = (passAt1: number, cost: number) =>
      ({
        suite: 's',
        agent: 'a',
        startedAt: '',
        cases: [],
        summary: {
          cases: 0,
          trials: 0,
          k: 3,
          passAt1,
          passHatK: passAt1,
          costUsd: cost,
          meanCostPerTrialUsd: cost,
          latencyP50Ms: 0,
          latencyP95Ms: 0,
          durationMs: 0,
        },
      }) as EvalReport;
    expect(compareWithBaseline(report(0.9, 1.1), report(0.92, 1)).regressed).toBe(false);
    const verdict = compareWithBaseline(report(0.8, 1.5), report(0.9, 1));
    expect(verdict.reasons).toHaveLength(3);
  });

  it('replays a recorded run as a case: the same agent matches, a changed prompt diverges', async () => {
    const tracer = createMemoryTracer();
    await defineAgent({ ...goodOptions, tracer }).run('How long do I have to get a refund?');
    const recording = recordingFromSpans(tracer.spans);
    await writeFile(join(dir, 'refund-run.json'), JSON.stringify(recording));
    const suite = join(dir, 'replay.yaml');
    await writeFile(
      suite,
      `agent: ${join(fixtures, 'support-agent.ts')}\nrepeats: 1\ncases:\n  - name: recorded refund\n    replay: ./refund-run.json\n    expect: { contains: ["30 days"] }\n`,
    );
    const same = await cli([suite, '--json', join(dir, 'replay-base.json')]);
    expect(same.out).toMatch(/recorded refund\s+100\.0%/);
    const changed = await cli([suite, '--agent', regressedAgent, '--baseline', join(dir, 'replay-base.json')]);
    expect(changed.code).toBe(3);
    expect(changed.out).toMatch(/replay matches the recording: step 1/);
  });

  it('replays a run recorded in the trace store, named by its run id', async () => {
    const store = await openStore({ url: ':memory:' });
    try {
      const repository = sqlTraceRepository(store);
      const tracer = createStoreTracer({ repository, redact: false });
      await defineAgent({ ...goodOptions, tracer }).run('How long does shipping take?', { runId: 'eval-recorded-1' });
      await tracer.close();
      const suite = parseSuite(
        {
          agent: join(fixtures, 'support-agent.ts'),
          repeats: 1,
          cases: [{ name: 'stored run', replay: 'eval-recorded-1', expect: { contains: ['business days'] } }],
        },
        join(dir, 'stored.yaml'),
      );
      const module = await loadAgentModule(suite.agentPath);
      const report = await runSuite({ suite, module, traces: repository });
      expect(report.cases[0]).toMatchObject({ kind: 'replay', passAt1: 1 });
      await expect(runSuite({ suite, module })).rejects.toThrow(/names a run id, but no trace store was given/);
    } finally {
      await store.close();
    }
  });

  it('rejects bad suites, options and baselines with clear errors, before running anything', async () => {
    const errors: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void errors.push(a.join(' ')));
    const write = async (name: string, text: string) => {
      await writeFile(join(dir, name), text);
      return join(dir, name);
    };
    expect((await cli([await write('bad.yaml', 'agent: [oops')])).code).toBe(1);
    expect(errors.at(-1)).toMatch(/CONFIG_INVALID.*not valid YAML/);
    expect(
      (await cli([await write('unknown-check.yaml', `agent: ${join(fixtures, 'support-agent.ts')}\ncases:\n  - { name: a, input: hi, checks: [vibes] }\n`)]))
        .code,
    ).toBe(1);
    expect(errors.at(-1)).toMatch(/unknown check "vibes"/);
    expect((await cli([suitePath, '--repeats', '0'])).code).toBe(1);
    expect(errors.at(-1)).toMatch(/--repeats must be a positive integer/);
    expect((await cli([suitePath, '--baseline', join(dir, 'missing.json')])).code).toBe(1);
    expect(errors.at(-1)).toMatch(/cannot read eval baseline/);
    expect((await cli([await write('no-agent.yaml', `agent: ./nowhere.ts\ncases:\n  - { name: a, input: hi }\n`)])).code).toBe(1);
    expect(errors.at(-1)).toMatch(/No agent module at/);
    spy.mockRestore();
    expect(() => parseSuite({ agent: 'a.ts', cases: [{ name: 'a', input: 'hi', replay: 'r.json' }] }, '/s.yaml')).toThrow(/exactly one of `input` or `replay`/);
    expect(() =>
      parseSuite(
        {
          agent: 'a.ts',
          cases: [
            { name: 'a', input: 'x' },
            { name: 'a', input: 'y' },
          ],
        },
        '/s.yaml',
      ),
    ).toThrow(/two cases are named "a"/);
    expect(() => parseSuite({ agent: 'a.ts', cases: [{ name: 'a', input: 'x', expect: { contain: ['typo'] } }] }, '/s.yaml')).toThrow(/contain/);
  });

  it('draws a progress bar on stderr: one line per tenth of the work off a terminal', () => {
    const writes: string[] = [];
    const stream = { isTTY: false, write: (s: string) => writes.push(s) } as unknown as NodeJS.WriteStream;
    const bar = progressBar(stream, 10);
    for (let done = 0; done <= 20; done++) bar({ done, total: 20, passed: done, failed: 0 });
    expect(writes).toHaveLength(11);
    expect(writes.at(-1)).toBe('[##########] 20/20 trials  20 passed  0 failed\n');
  });
});
