import type { Check, CheckVerdict } from '../types.js';
import { documentTexts, formatDocuments, JUDGE_UNTRUSTED_POLICY, type GraderDocuments } from './documents.js';
import { graderCheck, type GraderCheckOptions } from './grader-check.js';
import { askJudge, type JudgeOptions } from './judge.js';
import { groundednessPrecheck } from './precheck.js';

const SYSTEM = [
  'You check whether an answer is grounded in the given documents.',
  'Answer "yes" only if every factual claim in the answer is stated in, or directly follows from, the documents.',
  'Answer "no" if any claim is missing from the documents, contradicts them, or adds details they do not contain.',
  'Judge support only, not whether the answer is true in the world. Give a one- or two-sentence reason naming the unsupported claim, if any.',
  'Reply with JSON: {"reason": string, "verdict": "yes" | "no"}.',
  JUDGE_UNTRUSTED_POLICY,
].join(' ');

export interface GroundednessOptions extends Partial<JudgeOptions> {
  answer: string;
  documents: GraderDocuments;
  question?: string;
  /** Settle clear cases locally before paying for a judge. Default true. */
  precheck?: boolean;
}

/**
 * Is the answer supported by the documents? The local pre-check settles the clear cases; the
 * rest go to an LLM judge (needs `model` and `modelName`). Without documents nothing can be
 * grounded, so the verdict is a failure.
 */
export async function gradeGroundedness(options: GroundednessOptions): Promise<CheckVerdict> {
  if (options.documents.length === 0)
    return { pass: false, score: 0, reason: 'there are no documents to ground the answer in', evidence: { settledBy: 'precheck' } };
  let precheck;
  if (options.precheck !== false) {
    precheck = groundednessPrecheck({ answer: options.answer, documents: documentTexts(options.documents), question: options.question });
    if (precheck.verdict !== 'undecided') {
      return {
        pass: precheck.verdict === 'supported',
        score: precheck.coverage,
        reason: precheck.reason,
        evidence: { settledBy: 'precheck', ...precheck.evidence },
      };
    }
  }
  if (!options.model || !options.modelName) {
    return {
      pass: 'unknown',
      reason: `the pre-check could not settle it (${precheck?.reason ?? 'pre-check off'}) and no judge model was given`,
      evidence: { settledBy: 'none', precheck },
    };
  }
  const prompt = [
    options.question ? `Question:\n${options.question}\n` : '',
    `Documents:\n${formatDocuments(options.documents)}\n`,
    `Answer:\n${options.answer}\n`,
    'Is every claim of the answer supported by the documents?',
  ].join('\n');
  const verdict = await askJudge({
    model: options.model,
    modelName: options.modelName,
    votes: options.votes,
    retries: options.retries,
    signal: options.signal,
    system: SYSTEM,
    prompt,
  });
  return {
    ...verdict,
    evidence: { settledBy: 'judge', precheck: precheck && { reason: precheck.reason, coverage: precheck.coverage }, ...(verdict.evidence as object) },
  };
}

/** A check that fails answers not supported by what the run retrieved (documents and tool results). */
export function groundednessCheck(options: GraderCheckOptions & { precheck?: boolean } = {}): Check {
  return graderCheck('groundedness', options, (ctx, judge) =>
    gradeGroundedness({ answer: ctx.answer.text, documents: ctx.documents, question: ctx.question, precheck: options.precheck, ...judge }),
  );
}
