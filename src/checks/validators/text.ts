import { SextantError } from '../../errors.js';
import { defineCheck } from '../define-check.js';
import type { Check, CheckContext, CheckVerdict } from '../types.js';
import { checkBase, type ValidatorCheckOptions } from './options.js';

export interface RegexCheckOptions extends ValidatorCheckOptions {
  pattern: RegExp;
  /** `true` (default): the answer must match; `false`: it must not (e.g. leaked markers). */
  mustMatch?: boolean;
}

export function validateRegex(text: string, pattern: RegExp, mustMatch = true): CheckVerdict {
  pattern.lastIndex = 0;
  const match = pattern.exec(text);
  pattern.lastIndex = 0;
  if (mustMatch) return match ? { pass: true, reason: `the answer matches ${pattern}` } : { pass: false, reason: `the answer must match ${pattern}` };
  return match
    ? { pass: false, reason: `the answer must not match ${pattern} (found "${match[0]}")`, evidence: { match: match[0] } }
    : { pass: true, reason: `the answer does not match ${pattern}` };
}

export function regexCheck(options: RegexCheckOptions): Check {
  return defineCheck({ ...checkBase(options, 'regex'), run: (ctx) => validateRegex(ctx.answer.text, options.pattern, options.mustMatch) });
}

export interface LengthCheckOptions extends ValidatorCheckOptions {
  min?: number;
  max?: number;
  /** Default `chars`. */
  unit?: 'chars' | 'words';
}

export function validateLength(text: string, options: Omit<LengthCheckOptions, keyof ValidatorCheckOptions>): CheckVerdict {
  const unit = options.unit ?? 'chars';
  const size = unit === 'words' ? (text.trim().match(/\S+/g) ?? []).length : [...text].length;
  if (options.min !== undefined && size < options.min)
    return { pass: false, reason: `the answer has ${size} ${unit}; it needs at least ${options.min}`, evidence: { size } };
  if (options.max !== undefined && size > options.max)
    return { pass: false, reason: `the answer has ${size} ${unit}; it must have at most ${options.max}`, evidence: { size } };
  return { pass: true, reason: `the answer has ${size} ${unit}`, evidence: { size } };
}

export function lengthCheck(options: LengthCheckOptions): Check {
  if (options.min === undefined && options.max === undefined) throw new SextantError('CONFIG_INVALID', 'lengthCheck needs min or max');
  if (options.min !== undefined && options.max !== undefined && options.min > options.max) {
    throw new SextantError('CONFIG_INVALID', `lengthCheck: min (${options.min}) is above max (${options.max})`);
  }
  return defineCheck({ ...checkBase(options, 'length'), run: (ctx) => validateLength(ctx.answer.text, options) });
}

export interface PredicateCheckOptions extends ValidatorCheckOptions {
  name: string;
  /** `true` passes; `false` fails with `reason`; a string fails with that string as the reason. */
  test(answer: CheckContext['answer'], ctx: CheckContext): boolean | string | Promise<boolean | string>;
  /** Reason given when `test` returns false. */
  reason?: string;
}

/** A validator from a plain function over the answer. */
export function predicateCheck(options: PredicateCheckOptions): Check {
  return defineCheck({
    ...checkBase(options, options.name),
    async run(ctx) {
      const result = await options.test(ctx.answer, ctx);
      if (result === true) return { pass: true, reason: `${options.name} holds` };
      return { pass: false, reason: typeof result === 'string' ? result : (options.reason ?? `${options.name} does not hold`) };
    },
  });
}
