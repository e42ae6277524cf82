import type { CheckContext, CheckFix, CheckOnFail, CheckStage, CheckVerdict } from '../types.js';

/** Options every validator check takes. Validators default to re-asking: a model fixes format errors well when told what is wrong. */
export interface ValidatorCheckOptions {
  name?: string;
  stage?: Extract<CheckStage, 'answer' | 'final'>;
  onFail?: CheckOnFail;
  maxReasks?: number;
  /** Required with `onFail: 'fix'`: the replacement answer. */
  fix?(ctx: CheckContext, verdict: CheckVerdict): Promise<CheckFix> | CheckFix;
}

export function checkBase(options: ValidatorCheckOptions, name: string) {
  return {
    name: options.name ?? name,
    stage: options.stage ?? ('answer' as const),
    onFail: options.onFail ?? ('reask' as const),
    maxReasks: options.maxReasks,
    fix: options.fix,
  };
}
