import type { Check, CheckVerdict } from '../types.js';
import { graderCheck, type GraderCheckOptions } from './grader-check.js';
import { askJudge, type JudgeOptions } from './judge.js';

const SYSTEM = [
  'You check whether an answer addresses the question that was asked.',
  'Answer "yes" if the answer responds to what the question asks (a correct refusal or "I don\'t know" with a reason counts as addressing it).',
  'Answer "no" if it answers a different question, evades, or only restates the question. Do not judge factual accuracy.',
  'Give a one- or two-sentence reason. Reply with JSON: {"reason": string, "verdict": "yes" | "no"}.',
].join(' ');

export interface RelevanceOptions extends JudgeOptions {
  question: string;
  answer: string;
}

/** Does the answer address the question? An LLM judge with a binary verdict and a reason. */
export async function gradeRelevance(options: RelevanceOptions): Promise<CheckVerdict> {
  if (options.answer.trim().length === 0) return { pass: false, score: 0, reason: 'the answer is empty' };
  const prompt = `Question:\n${options.question}\n\nAnswer:\n${options.answer}\n\nDoes the answer address the question?`;
  return askJudge({ ...options, system: SYSTEM, prompt });
}

/** A check that fails answers that do not address the user's question. */
export function relevanceCheck(options: GraderCheckOptions = {}): Check {
  return graderCheck('relevance', options, (ctx, judge) => gradeRelevance({ question: ctx.question, answer: ctx.answer.text, ...judge }));
}
