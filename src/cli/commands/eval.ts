import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { SextantError } from '../../errors.js';
import { compareWithBaseline, loadBaseline, type RegressionVerdict } from '../../eval/baseline.js';
import { loadAgentModule } from '../../eval/agent-module.js';
import { progressBar } from '../../eval/progress.js';
import { toJUnitXml, type EvalReport } from '../../eval/report.js';
import { runSuite } from '../../eval/run-suite.js';
import { loadSuite } from '../../eval/suite.js';
import { openStore } from '../../store/db.js';
import { sqlTraceRepository } from '../../store/traces.js';

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new SextantError('CONFIG_INVALID', `--${name} must be a positive integer, got "${value}"`);
  return n;
}

function fraction(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new SextantError('CONFIG_INVALID', `--${name} must be a non-negative number, got "${value}"`);
  return n;
}

async function write(path: string, text: string): Promise<void> {
  await mkdir(dirname(resolve(path)), { recursive: true });
  await writeFile(path, text);
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`.padStart(7);

function printReport(report: EvalReport, verdict: RegressionVerdict | undefined): void {
  const width = Math.max(4, ...report.cases.map((c) => c.name.length));
  console.log(`${'case'.padEnd(width)}   pass@1  pass^k   cost (USD)  p50 ms`);
  for (const c of report.cases) {
    console.log(
      `${c.name.padEnd(width)}  ${pct(c.passAt1)} ${pct(c.passHatK)}  ${c.costUsd.toFixed(6).padStart(11)}  ${Math.round(c.latencyP50Ms).toString().padStart(6)}`,
    );
    for (const t of c.trials.filter((t) => !t.pass).slice(0, 1)) {
      const why =
        t.error ??
        t.assertions
          .filter((a) => !a.pass)
          .map((a) => `${a.name}: ${a.reason}`)
          .join('; ');
      console.log(`${''.padEnd(width)}  ✗ trial ${t.trial}: ${why}`);
    }
  }
  const s = report.summary;
  console.log(
    `\n${s.cases} cases × k=${s.k}: pass@1 ${pct(s.passAt1).trim()}, pass^k ${pct(s.passHatK).trim()}, cost $${s.costUsd.toFixed(6)} ($${s.meanCostPerTrialUsd.toFixed(6)} per trial), latency p50 ${Math.round(s.latencyP50Ms)} ms, p95 ${Math.round(s.latencyP95Ms)} ms`,
  );
  if (!verdict) return;
  if (verdict.regressed) {
    console.log(`\nREGRESSION against the baseline:`);
    for (const reason of verdict.reasons) console.log(`  - ${reason}`);
  } else {
    console.log(
      `\nNo regression against the baseline (pass@1 ${pct(verdict.passAt1.baseline).trim()} → ${pct(verdict.passAt1.current).trim()}, pass^k ${pct(verdict.passHatK.baseline).trim()} → ${pct(verdict.passHatK.current).trim()}).`,
    );
  }
}

export interface EvalCommandOptions {
  agent?: string;
  repeats?: string;
  concurrency?: string;
  baseline?: string;
  passTolerance?: string;
  costTolerance?: string;
  json?: string;
  junit?: string;
  /** False with --no-progress. */
  progress: boolean;
}

/** `sextant eval`: runs a suite and prints its report; exits 3 on a regression against the baseline. */
export async function evalCommand(suitePath: string, values: EvalCommandOptions): Promise<number> {
  const suite = await loadSuite(suitePath);
  if (values.agent) suite.agentPath = resolve(values.agent);
  const repeats = positiveInt('repeats', values.repeats);
  const concurrency = positiveInt('concurrency', values.concurrency);
  const tolerances = { passRate: fraction('pass-tolerance', values.passTolerance), cost: fraction('cost-tolerance', values.costTolerance) };
  // Read the baseline first: a missing or broken one should fail before paying for the runs.
  const baseline = values.baseline ? await loadBaseline(values.baseline) : undefined;
  const module = await loadAgentModule(suite.agentPath);
  const needsStore = suite.cases.some((c) => c.replay !== undefined && !c.replay.endsWith('.json'));
  const store = needsStore ? await openStore() : undefined;
  let report: EvalReport;
  try {
    report = await runSuite({
      suite,
      module,
      repeats,
      concurrency,
      traces: store ? sqlTraceRepository(store) : undefined,
      onProgress: values.progress ? progressBar() : undefined,
    });
  } finally {
    await store?.close();
  }
  const verdict = baseline ? compareWithBaseline(report, baseline, tolerances) : undefined;
  if (values.json) await write(values.json, `${JSON.stringify({ ...report, ...(verdict ? { regression: verdict } : {}) }, null, 2)}\n`);
  if (values.junit) await write(values.junit, toJUnitXml(report));
  printReport(report, verdict);
  return verdict?.regressed ? 3 : 0;
}
