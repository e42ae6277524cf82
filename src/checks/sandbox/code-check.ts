import { isSextantError } from '../../errors.js';
import { defineCheck } from '../define-check.js';
import type { Check, CheckContext, CheckOnFail, CheckVerdict } from '../types.js';
import { runCode } from './run-code.js';
import type { SandboxLanguage, SandboxLimits, SandboxResult } from './types.js';

const FENCE = /```([\w+-]*)[^\n]*\n([\s\S]*?)```/g;

/** The code blocks of an answer, joined; the whole answer when it has no fenced block. */
export function extractCode(text: string): string {
  const blocks = [...text.matchAll(FENCE)].map((m) => m[2]);
  return blocks.length > 0 ? blocks.join('\n') : text;
}

/** A verdict from a sandbox run: passes only when the code ran and every test passed. */
export function sandboxVerdict(result: SandboxResult): CheckVerdict {
  const failed = result.tests.filter((t) => !t.pass);
  const score = result.tests.length > 0 ? (result.tests.length - failed.length) / result.tests.length : result.ok ? 1 : 0;
  const evidence = { status: result.status, tests: result.tests, output: result.output, truncated: result.truncated };
  if (result.ok) return { pass: true, score, reason: `the code ran${result.tests.length ? ` and all ${result.tests.length} tests passed` : ''}`, evidence };
  if (result.status === 'tests_failed') {
    return {
      pass: false,
      score,
      reason: `${failed.length} of ${result.tests.length} tests failed: ${failed.map((t) => `"${t.name}" (${t.error})`).join('; ')}`,
      evidence,
    };
  }
  return { pass: false, score, reason: `the code did not run to the end (${result.status}): ${result.error ?? ''}`.trim(), evidence };
}

export interface CodeCheckOptions {
  name?: string;
  language: SandboxLanguage;
  /** Unit tests run against the code: fixed, or derived from the run (e.g. the task). */
  tests?: string | ((ctx: CheckContext) => string | undefined);
  /** Where the code is; defaults to the answer's fenced code blocks. */
  extract?: (ctx: CheckContext) => string;
  limits?: Partial<SandboxLimits>;
  onFail?: CheckOnFail;
  maxReasks?: number;
}

/**
 * Runs the answer's code (and its unit tests) in the sandbox. Failing tests, errors and limits
 * fail the check with a reason a re-asked model can act on; where the language cannot be
 * sandboxed the verdict is `'unknown'`.
 */
export function codeCheck(options: CodeCheckOptions): Check {
  return defineCheck({
    name: options.name ?? 'code',
    stage: 'answer',
    onFail: options.onFail ?? 'reask',
    maxReasks: options.maxReasks,
    async run(ctx) {
      const code = options.extract ? options.extract(ctx) : extractCode(ctx.answer.text);
      const tests = typeof options.tests === 'function' ? options.tests(ctx) : options.tests;
      try {
        return sandboxVerdict(await runCode({ language: options.language, code, tests, limits: options.limits, signal: ctx.signal }));
      } catch (error) {
        if (isSextantError(error, 'SANDBOX_UNAVAILABLE')) return { pass: 'unknown', reason: error.message };
        throw error;
      }
    },
  });
}
