import type { Assertion } from './grade.js';

/** One run of one case. */
export interface EvalTrial {
  trial: number;
  pass: boolean;
  assertions: Assertion[];
  stopReason: string;
  text: string;
  costUsd: number;
  tokens: number;
  latencyMs: number;
  /** Set when the run threw, or the replay diverged. */
  error?: string;
}

export interface EvalCaseReport {
  name: string;
  kind: 'input' | 'replay';
  trials: EvalTrial[];
  successes: number;
  /** Share of trials that passed. */
  passAt1: number;
  /** Chance that all k = trials runs pass (τ-bench pass^k). */
  passHatK: number;
  costUsd: number;
  latencyP50Ms: number;
}

export interface EvalSummary {
  cases: number;
  trials: number;
  /** Trials per case (the suite's k). */
  k: number;
  passAt1: number;
  passHatK: number;
  /** Total cost of all trials. */
  costUsd: number;
  meanCostPerTrialUsd: number;
  latencyP50Ms: number;
  latencyP95Ms: number;
  durationMs: number;
}

export interface EvalReport {
  suite: string;
  agent: string;
  startedAt: string;
  summary: EvalSummary;
  cases: EvalCaseReport[];
}

const xml = (s: string) =>
  s
    .replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!)
    .replace(/[^\t\n\r\x20-\uD7FF\uE000-\uFFFD]/g, '');

/** JUnit XML: one testcase per trial, so CI shows flaky cases as partly failing. */
export function toJUnitXml(report: EvalReport): string {
  const failures = report.cases.reduce((n, c) => n + c.trials.filter((t) => !t.pass).length, 0);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${xml(report.suite)}" tests="${report.summary.trials}" failures="${failures}" time="${(report.summary.durationMs / 1000).toFixed(3)}">`,
    `  <testsuite name="${xml(report.suite)}" tests="${report.summary.trials}" failures="${failures}" time="${(report.summary.durationMs / 1000).toFixed(3)}" timestamp="${report.startedAt}">`,
  ];
  for (const c of report.cases) {
    for (const t of c.trials) {
      lines.push(`    <testcase classname="${xml(report.suite)}" name="${xml(`${c.name} #${t.trial}`)}" time="${(t.latencyMs / 1000).toFixed(3)}">`);
      if (!t.pass) {
        const failed = t.assertions.filter((a) => !a.pass).map((a) => `${a.name}: ${a.reason}`);
        const message = t.error ?? failed[0] ?? 'failed';
        lines.push(`      <failure message="${xml(message)}">${xml([...(t.error ? [t.error] : []), ...failed].join('\n'))}</failure>`);
      }
      lines.push(`      <system-out>${xml(t.text)}</system-out>`, '    </testcase>');
    }
  }
  lines.push('  </testsuite>', '</testsuites>', '');
  return lines.join('\n');
}
