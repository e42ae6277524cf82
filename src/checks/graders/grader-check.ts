import { defineCheck } from '../define-check.js';
import type { Check, CheckContext, CheckOnFail, CheckStage, CheckVerdict } from '../types.js';
import type { JudgeOptions } from './judge.js';

export interface GraderCheckOptions {
  name?: string;
  /** The judge's model string; defaults to the agent's own model. */
  judgeModel?: string;
  votes?: number;
  onFail?: CheckOnFail;
  stage?: Extract<CheckStage, 'answer' | 'final'>;
  maxReasks?: number;
}

/**
 * A grader as a check: on the answer stage, re-asking on failure, judged by the run's own
 * pipeline and model (or `judgeModel`). `grade` gets the check's context and those judge options.
 */
export function graderCheck(name: string, options: GraderCheckOptions, grade: (ctx: CheckContext, judge: JudgeOptions) => Promise<CheckVerdict>): Check {
  return defineCheck({
    name: options.name ?? name,
    stage: options.stage ?? 'answer',
    onFail: options.onFail ?? 'reask',
    maxReasks: options.maxReasks,
    run: (ctx) => grade(ctx, { model: ctx.model, modelName: options.judgeModel ?? ctx.modelName, votes: options.votes, signal: ctx.signal }),
  });
}
