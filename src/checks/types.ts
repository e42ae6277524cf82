/**
 * The shape of a check: what the agent runtime's `checks` option takes. A check looks at one
 * moment of a run (a tool result, a candidate answer, the final answer), returns a verdict,
 * and says what the runtime must do when the verdict is a failure.
 */
import type { Message } from '../model/types.js';
import type { Model } from '../model/model.js';

/**
 * When a check runs:
 * - `input`: on the user's input, beside the run's first model call (an input guardrail): a
 *   failing `block` check aborts that call and stops the run before any tool runs;
 * - `tool-result`: after each tool call returns, before the model sees the result;
 * - `answer`: on every candidate answer (a model turn without tool calls), before it is accepted;
 * - `final`: once, on the answer the run is about to return (after the `answer` checks passed).
 */
export type CheckStage = 'input' | 'tool-result' | 'answer' | 'final';

/**
 * What the runtime does with a failed verdict:
 * - `reask`: feeds the verdict's reason back to the model (Reflexion-style) and lets it try
 *   again, at most `maxReasks` times; past that the failure blocks the run;
 * - `fix`: replaces the answer (or tool result) with what the check's `fix` returns;
 * - `block`: stops the run with stopReason `check_failed`;
 * - `warn`: records the failure and goes on.
 */
export type CheckOnFail = 'reask' | 'fix' | 'block' | 'warn';

export interface CheckVerdict {
  /** `'unknown'` when the check could not decide (e.g. a judge kept returning malformed verdicts). Never a pass. */
  pass: boolean | 'unknown';
  /** A graded score in [0, 1] when the check has one (share of claims supported, tests passed...). */
  score?: number;
  /** Why: shown in the trace and, on a re-ask, fed back to the model. */
  reason: string;
  /** What the verdict rests on (unsupported claims, failing tests, the judge's raw answer...). JSON-serializable. */
  evidence?: unknown;
}

/** A passage the run saw: a retrieved document or a tool result, with the id answers cite it by. */
export interface CheckDocument {
  /** Source id: the document id for retrievals, the tool call id for tool results. */
  id: string;
  text: string;
  kind: 'retrieval' | 'tool-result';
  /** Title, URL, tool name...: free-form, shown with citations. */
  metadata?: Record<string, unknown>;
}

/** The answer under check: its text and, when the agent has an output schema, the parsed output. */
export interface CheckAnswer {
  text: string;
  output?: unknown;
}

/** The tool call a `tool-result` check looks at. */
export interface CheckToolCall {
  id: string;
  name: string;
  /** Parsed input. */
  input: unknown;
}

export interface CheckToolResult {
  /** The output as the tool returned it. */
  output: unknown;
  /** The text the model would see. */
  text: string;
  isError?: boolean;
}

export interface CheckContext {
  stage: CheckStage;
  /** The user's question (the last user message of the run's input). */
  question: string;
  /** The candidate answer; empty text at the `tool-result` stage, the user's input at the `input` stage. */
  answer: CheckAnswer;
  /** Everything the run retrieved or got from tools so far, in order. */
  documents: CheckDocument[];
  /** Set at the `tool-result` stage only. */
  toolCall?: CheckToolCall;
  toolResult?: CheckToolResult;
  /** The conversation so far, for checks that need more than the question. */
  messages: Message[];
  /** The run's signal: a check that calls a model or a sandbox must pass it on. */
  signal: AbortSignal;
  /** The run's model pipeline, for checks that call a model (LLM judges). */
  model: Model;
  /** The agent's model string; judges use it unless given their own. */
  modelName: string;
  /** How many times this check has already re-asked in this run (0 on the first try). */
  attempt: number;
  runId?: string;
}

/** What `fix` returns: the replacement answer (at `tool-result`, the replacement tool result text). */
export type CheckFix = CheckAnswer;

export interface Check {
  readonly name: string;
  readonly stage: CheckStage;
  readonly onFail: CheckOnFail;
  /** Bound on re-asks for this check in one run (only with `onFail: 'reask'`). */
  readonly maxReasks: number;
  /** What an `'unknown'` verdict counts as: a failure (default, safe) or a warning only. */
  readonly onUnknown: 'fail' | 'warn';
  run(ctx: CheckContext): Promise<CheckVerdict> | CheckVerdict;
  /** Required with `onFail: 'fix'`: produces the replacement from the failed verdict. */
  fix?(ctx: CheckContext, verdict: CheckVerdict): Promise<CheckFix> | CheckFix;
}

export interface CheckOptions {
  name: string;
  stage: CheckStage;
  onFail: CheckOnFail;
  run(ctx: CheckContext): Promise<CheckVerdict> | CheckVerdict;
  fix?(ctx: CheckContext, verdict: CheckVerdict): Promise<CheckFix> | CheckFix;
  /** Defaults to DEFAULTS.checks.maxReasks. */
  maxReasks?: number;
  /** Defaults to `'fail'`. */
  onUnknown?: 'fail' | 'warn';
}

/** A check's verdict as recorded by the runtime (trace span, run result). */
export interface CheckRecord {
  check: string;
  stage: CheckStage;
  verdict: CheckVerdict;
  /** What the runtime did: nothing on a pass, otherwise the on-fail action taken. */
  action: 'none' | CheckOnFail;
  attempt: number;
  durationMs: number;
}
