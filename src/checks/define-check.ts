import { DEFAULTS } from '../defaults.js';
import { SextantError } from '../errors.js';
import type { Check, CheckOptions } from './types.js';

const STAGES = ['input', 'tool-result', 'answer', 'final'] as const;
const ACTIONS = ['reask', 'fix', 'block', 'warn'] as const;

/** Declares a check. Bad options fail here, at definition time, not in the middle of a run. */
export function defineCheck(options: CheckOptions): Check {
  const { name, stage, onFail } = options;
  const invalid = (message: string) => new SextantError('CONFIG_INVALID', `check "${name}": ${message}`, { context: { check: name } });
  if (typeof name !== 'string' || name.length === 0) throw new SextantError('CONFIG_INVALID', 'a check needs a non-empty name');
  if (!STAGES.includes(stage)) throw invalid(`stage must be one of ${STAGES.join(', ')}, got ${String(stage)}`);
  if (!ACTIONS.includes(onFail)) throw invalid(`onFail must be one of ${ACTIONS.join(', ')}, got ${String(onFail)}`);
  if (typeof options.run !== 'function') throw invalid('run must be a function');
  if (onFail === 'fix' && typeof options.fix !== 'function') throw invalid("onFail 'fix' needs a fix function");
  // An input check runs beside the first model call, on what the user sent: nothing to re-ask or rewrite.
  if (stage === 'input' && (onFail === 'reask' || onFail === 'fix')) throw invalid(`an input check blocks or warns; onFail '${onFail}' has nothing to act on`);
  const maxReasks = options.maxReasks ?? DEFAULTS.checks.maxReasks;
  if (!Number.isInteger(maxReasks) || maxReasks < 0) throw invalid(`maxReasks must be a non-negative integer, got ${maxReasks}`);
  return {
    name,
    stage,
    onFail,
    maxReasks,
    onUnknown: options.onUnknown ?? 'fail',
    run: options.run,
    fix: options.fix,
  };
}
