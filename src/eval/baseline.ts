import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { DEFAULTS } from '../defaults.js';
import { SextantError } from '../errors.js';
import type { EvalReport } from './report.js';

/** What is read from a baseline: a report saved by an earlier `sextant eval --json`. */
const Baseline = z.object({
  suite: z.string(),
  summary: z.object({ passAt1: z.number(), passHatK: z.number(), meanCostPerTrialUsd: z.number() }),
  cases: z.array(z.object({ name: z.string(), passAt1: z.number(), passHatK: z.number() })),
});
export type EvalBaseline = z.infer<typeof Baseline>;

export interface CaseComparison {
  name: string;
  baselinePassAt1?: number;
  passAt1?: number;
  /** `regressed`: passed every trial in the baseline and none now. */
  status: 'regressed' | 'worse' | 'same' | 'better' | 'new' | 'removed';
}

export interface RegressionVerdict {
  regressed: boolean;
  /** Why, in words; empty when nothing regressed. */
  reasons: string[];
  passAt1: { baseline: number; current: number };
  passHatK: { baseline: number; current: number };
  meanCostPerTrialUsd: { baseline: number; current: number };
  cases: CaseComparison[];
}

export interface Tolerances {
  /** Absolute drop of pass@1 or pass^k tolerated. */
  passRate: number;
  /** Relative growth of the mean cost per trial tolerated. */
  cost: number;
}

export async function loadBaseline(path: string): Promise<EvalBaseline> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new SextantError('CONFIG_INVALID', `cannot read eval baseline ${path}: ${(error as Error).message}`, { context: { path }, cause: error });
  }
  const parsed = Baseline.safeParse(data);
  if (!parsed.success)
    throw new SextantError('CONFIG_INVALID', `${path} is not an eval report: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`, {
      context: { path },
    });
  return parsed.data;
}

/**
 * Compares a report with a baseline. A regression is: pass@1 or pass^k lower by more than the
 * tolerance, the mean cost per trial higher by more than its tolerance, or a case that passed
 * every trial in the baseline and passes none now (one broken case is not noise).
 */
export function compareWithBaseline(report: EvalReport, baseline: EvalBaseline, tolerances: Partial<Tolerances> = {}): RegressionVerdict {
  const tol: Tolerances = { passRate: tolerances.passRate ?? DEFAULTS.eval.passRateTolerance, cost: tolerances.cost ?? DEFAULTS.eval.costTolerance };
  const reasons: string[] = [];
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const { summary } = report;
  if (summary.passAt1 < baseline.summary.passAt1 - tol.passRate)
    reasons.push(`pass@1 fell from ${pct(baseline.summary.passAt1)} to ${pct(summary.passAt1)} (tolerance ${pct(tol.passRate)})`);
  if (summary.passHatK < baseline.summary.passHatK - tol.passRate)
    reasons.push(`pass^k fell from ${pct(baseline.summary.passHatK)} to ${pct(summary.passHatK)} (tolerance ${pct(tol.passRate)})`);
  const baseCost = baseline.summary.meanCostPerTrialUsd;
  if (baseCost > 0 && summary.meanCostPerTrialUsd > baseCost * (1 + tol.cost)) {
    reasons.push(`mean cost per trial rose from $${baseCost.toFixed(6)} to $${summary.meanCostPerTrialUsd.toFixed(6)} (tolerance +${pct(tol.cost)})`);
  }
  const before = new Map(baseline.cases.map((c) => [c.name, c]));
  const cases: CaseComparison[] = report.cases.map((c) => {
    const b = before.get(c.name);
    before.delete(c.name);
    if (!b) return { name: c.name, passAt1: c.passAt1, status: 'new' };
    let status: CaseComparison['status'] = c.passAt1 > b.passAt1 ? 'better' : c.passAt1 < b.passAt1 ? 'worse' : 'same';
    if (b.passHatK === 1 && c.passAt1 === 0) {
      status = 'regressed';
      reasons.push(`case "${c.name}" passed every trial in the baseline and fails every trial now`);
    }
    return { name: c.name, baselinePassAt1: b.passAt1, passAt1: c.passAt1, status };
  });
  for (const b of before.values()) cases.push({ name: b.name, baselinePassAt1: b.passAt1, status: 'removed' });
  return {
    regressed: reasons.length > 0,
    reasons,
    passAt1: { baseline: baseline.summary.passAt1, current: summary.passAt1 },
    passHatK: { baseline: baseline.summary.passHatK, current: summary.passHatK },
    meanCostPerTrialUsd: { baseline: baseCost, current: summary.meanCostPerTrialUsd },
    cases,
  };
}
