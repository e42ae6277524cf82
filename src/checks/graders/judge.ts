import { z } from 'zod';
import { DEFAULTS } from '../../defaults.js';
import { isSextantError } from '../../errors.js';
import type { Model } from '../../model/model.js';
import type { CheckVerdict } from '../types.js';

/** The judge's answer: the reason comes first so the model reasons before it commits to a verdict. */
const JudgeVerdict = z.object({
  reason: z.string().min(1),
  verdict: z.enum(['yes', 'no']),
});
export type JudgeVerdict = z.infer<typeof JudgeVerdict>;

/** The response format of every judge call: how a replay tells a check's model call from the agent's. */
export const JUDGE_FORMAT = { type: 'json_schema', name: 'verdict', schema: z.toJSONSchema(JudgeVerdict), strict: true } as const;

export interface JudgeOptions {
  /** The pipeline to call. */
  model: Model;
  /** The judge's model string. */
  modelName: string;
  /** Votes to take; the majority wins. Defaults to DEFAULTS.checks.judgeVotes. */
  votes?: number;
  /** Re-asks after a malformed verdict. Defaults to DEFAULTS.checks.judgeRetries. */
  retries?: number;
  signal?: AbortSignal;
}

export interface JudgeVote {
  verdict?: JudgeVerdict;
  /** What was wrong with each malformed answer. */
  malformed: string[];
}

/** Parses a judge reply: JSON (tolerating a fenced block) matching the verdict schema. */
export function parseJudgeReply(text: string): { ok: true; value: JudgeVerdict } | { ok: false; error: string } {
  const body = text.trim().replace(/^```(?:json)?\s*([\s\S]*?)\s*```$/, '$1');
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, error: `not JSON: ${body.slice(0, 80)}` };
  }
  const parsed = JudgeVerdict.safeParse(json);
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
}

async function vote(options: JudgeOptions, system: string, prompt: string): Promise<JudgeVote> {
  const retries = options.retries ?? DEFAULTS.checks.judgeRetries;
  const malformed: string[] = [];
  for (let attempt = 0; attempt <= retries; attempt++) {
    try {
      const response = await options.model.generate(
        {
          model: options.modelName,
          messages: [
            { role: 'system', content: system },
            { role: 'user', content: prompt },
          ],
          responseFormat: JUDGE_FORMAT,
          temperature: 0,
          maxTokens: DEFAULTS.checks.judgeMaxTokens,
        },
        { signal: options.signal },
      );
      const parsed = parseJudgeReply(response.message.content ?? '');
      if (parsed.ok) return { verdict: parsed.value, malformed };
      malformed.push(parsed.error);
    } catch (error) {
      // A cancelled run or a budget that refuses the call is the run's to act on, not a malformed vote.
      if (options.signal?.aborted || isSextantError(error, 'ABORTED') || isSextantError(error, 'BUDGET_EXCEEDED')) throw error;
      malformed.push(error instanceof Error ? error.message : String(error));
    }
  }
  return { malformed };
}

/**
 * Asks an LLM judge a yes/no question, `votes` times, and returns the majority. A vote whose
 * reply stays malformed after the retries does not count; with no valid vote, or a tie, the
 * verdict is `'unknown'` — never a pass. `score` is the share of valid votes saying yes.
 */
export async function askJudge(options: JudgeOptions & { system: string; prompt: string }): Promise<CheckVerdict> {
  const votes = Math.max(1, options.votes ?? DEFAULTS.checks.judgeVotes);
  const results: JudgeVote[] = [];
  for (let i = 0; i < votes; i++) results.push(await vote(options, options.system, options.prompt));
  const valid = results.flatMap((r) => (r.verdict ? [r.verdict] : []));
  const yes = valid.filter((v) => v.verdict === 'yes');
  const no = valid.filter((v) => v.verdict === 'no');
  const evidence = { votes: results.map((r) => r.verdict ?? { malformed: r.malformed }) };
  if (valid.length === 0) {
    return { pass: 'unknown', reason: `the judge gave no valid verdict (${results.flatMap((r) => r.malformed).slice(-1)[0] ?? 'no reply'})`, evidence };
  }
  const score = yes.length / valid.length;
  if (yes.length === no.length) return { pass: 'unknown', score, reason: `the judge's votes are split ${yes.length}–${no.length}`, evidence };
  const winner = yes.length > no.length ? yes : no;
  return { pass: winner === yes, score, reason: winner[0].reason, evidence };
}
