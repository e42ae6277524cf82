import { readFile } from 'node:fs/promises';
import type { RunResult } from '../agent/types.js';
import { DEFAULTS } from '../defaults.js';
import { SextantError, toSextantError } from '../errors.js';
import { textOf } from '../model/types.js';
import type { TraceRepository } from '../store/traces.js';
import { loadRecording as loadStoredRecording, type Recording } from './recording.js';
import { replayRun } from './replay.js';
import type { AgentModule } from './agent-module.js';
import { checkExpectations, gradeWithChecks, resolveCheck, type Assertion } from './grade.js';
import { mean, passAt1, passHatK, percentile } from './metrics.js';
import type { EvalCaseReport, EvalReport, EvalTrial } from './report.js';
import type { EvalCase, EvalSuite } from './suite.js';

export interface EvalProgress {
  done: number;
  total: number;
  passed: number;
  failed: number;
}

export interface RunSuiteOptions {
  suite: EvalSuite;
  module: AgentModule;
  /** Trials per case; default: the suite's, else DEFAULTS.eval.repeats. */
  repeats?: number;
  /** Trials running at once; default: the suite's, else DEFAULTS.eval.concurrency. */
  concurrency?: number;
  onProgress?: (progress: EvalProgress) => void;
  signal?: AbortSignal;
  /** Where replay cases given by run id are read from. */
  traces?: TraceRepository;
}

function questionOf(c: EvalCase): string {
  if (typeof c.input === 'string') return c.input;
  return textOf([...(c.input ?? [])].reverse().find((m) => m.role === 'user')?.content ?? '');
}

async function loadRecording(ref: string, traces: TraceRepository | undefined): Promise<Recording> {
  if (!ref.endsWith('.json')) {
    if (!traces) throw new SextantError('CONFIG_INVALID', `replay case "${ref}" names a run id, but no trace store was given`, { context: { runId: ref } });
    return loadStoredRecording({ repository: traces, runId: ref });
  }
  const path = ref;
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Recording;
  } catch (error) {
    throw new SextantError('CONFIG_INVALID', `cannot read recorded run ${path}: ${(error as Error).message}`, { context: { path }, cause: error });
  }
}

/**
 * Runs every case of a suite `repeats` times, at most `concurrency` trials at once, grades each
 * trial (expectations, then checks), and reports pass@1, pass^k, cost and latency. A trial
 * that throws is a failed trial with the error, not the end of the suite.
 */
export async function runSuite(options: RunSuiteOptions): Promise<EvalReport> {
  const { suite, module } = options;
  const startedAt = new Date();
  const began = performance.now();
  const signal = options.signal ?? new AbortController().signal;
  const defaultRepeats = options.repeats ?? suite.repeats ?? DEFAULTS.eval.repeats;
  const concurrency = options.concurrency ?? suite.concurrency ?? DEFAULTS.eval.concurrency;

  // Resolve every check and recording before the first run: a typo fails fast and costs nothing.
  const plans = await Promise.all(
    suite.cases.map(async (c) => ({
      case: c,
      checks: [...(suite.checks ?? []), ...(c.checks ?? [])].map((ref) => resolveCheck(ref, module)),
      recording: c.replay ? await loadRecording(c.replay, options.traces) : undefined,
      repeats: options.repeats ?? c.repeats ?? defaultRepeats,
    })),
  );
  if (plans.some((p) => p.recording) && !module.options) {
    throw new SextantError(
      'CONFIG_INVALID',
      `replay cases need the agent module ${suite.agentPath} to export the agent's options (what it passes to defineAgent), not a built agent`,
    );
  }

  const jobs = plans.flatMap((plan, caseIndex) => Array.from({ length: plan.repeats }, (_, trial) => ({ plan, caseIndex, trial: trial + 1 })));
  const trials: EvalTrial[][] = plans.map(() => []);
  const progress: EvalProgress = { done: 0, total: jobs.length, passed: 0, failed: 0 };
  options.onProgress?.({ ...progress });

  const runTrial = async (job: (typeof jobs)[number]): Promise<EvalTrial> => {
    const { plan } = job;
    const started = performance.now();
    let result: RunResult<unknown>;
    const assertions: Assertion[] = [];
    let error: string | undefined;
    try {
      if (plan.recording) {
        const replay = await replayRun({ recording: plan.recording, agent: module.options! });
        result = replay.result;
        assertions.push({
          name: 'replay matches the recording',
          pass: replay.matched,
          reason: replay.divergence ? `step ${replay.divergence.step}: ${replay.divergence.detail}` : 'same steps',
        });
      } else {
        result = await module.agent.run(plan.case.input as never, { signal, metadata: { tags: ['eval', suite.name] } });
      }
    } catch (e) {
      if (signal.aborted) throw e;
      error = toSextantError(e).message;
      return { trial: job.trial, pass: false, assertions, stopReason: 'error', text: '', costUsd: 0, tokens: 0, latencyMs: performance.now() - started, error };
    }
    const latencyMs = performance.now() - started;
    const question = plan.case.input ? questionOf(plan.case) : textOf(plan.recording?.input.findLast((m) => m.role === 'user')?.content ?? '');
    assertions.push(...checkExpectations(result, plan.case.expect));
    try {
      assertions.push(...(await gradeWithChecks({ checks: plan.checks, result, question, module, signal })));
    } catch (e) {
      if (signal.aborted) throw e;
      error = `grading failed: ${toSextantError(e).message}`;
    }
    return {
      trial: job.trial,
      pass: error === undefined && assertions.every((a) => a.pass),
      ...(error ? { error } : {}),
      assertions,
      stopReason: result.stopReason,
      text: result.text,
      costUsd: result.cost.totalUsd,
      tokens: result.usage.totalTokens,
      latencyMs,
    };
  };

  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++];
      const trial = await runTrial(job);
      trials[job.caseIndex].push(trial);
      progress.done++;
      if (trial.pass) progress.passed++;
      else progress.failed++;
      options.onProgress?.({ ...progress });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, jobs.length)) }, worker));

  const cases: EvalCaseReport[] = plans.map((plan, i) => {
    const list = trials[i].sort((a, b) => a.trial - b.trial);
    const successes = list.filter((t) => t.pass).length;
    return {
      name: plan.case.name,
      kind: plan.recording ? 'replay' : 'input',
      trials: list,
      successes,
      passAt1: passAt1(successes, list.length),
      passHatK: passHatK(successes, list.length, list.length),
      costUsd: list.reduce((sum, t) => sum + t.costUsd, 0),
      latencyP50Ms: percentile(
        list.map((t) => t.latencyMs),
        50,
      ),
    };
  });
  const all = cases.flatMap((c) => c.trials);
  const costUsd = all.reduce((sum, t) => sum + t.costUsd, 0);
  return {
    suite: suite.name,
    agent: suite.agentPath,
    startedAt: startedAt.toISOString(),
    summary: {
      cases: cases.length,
      trials: all.length,
      k: defaultRepeats,
      passAt1: mean(cases.map((c) => c.passAt1)),
      passHatK: mean(cases.map((c) => c.passHatK)),
      costUsd,
      meanCostPerTrialUsd: all.length ? costUsd / all.length : 0,
      latencyP50Ms: percentile(
        all.map((t) => t.latencyMs),
        50,
      ),
      latencyP95Ms: percentile(
        all.map((t) => t.latencyMs),
        95,
      ),
      durationMs: performance.now() - began,
    },
    cases,
  };
}
