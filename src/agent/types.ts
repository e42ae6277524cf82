import type { z } from 'zod';
import type { SextantError } from '../errors.js';
import type { AssistantMessage, Cost, Message, RequestMetadata, ToolCall, Usage } from '../model/types.js';
import type { CheckRecord } from '../checks/types.js';
import type { InjectionAction, InjectionFinding } from '../security/injection.js';
import type { LoopEvidence } from '../checks/loop-detector.js';

/**
 * Why a run stopped. Every stop has one of these and a human-readable detail: there is no
 * silent stop.
 */
export const STOP_REASONS = [
  'completed',
  'max_steps',
  'timeout',
  'max_tokens',
  'max_cost',
  'tool_call_limit',
  'loop_detected',
  'aborted',
  'approval_required',
  'output_invalid',
  'check_failed',
  'error',
] as const;
export type StopReason = (typeof STOP_REASONS)[number];

/** Hard limits of a run. Defaults in DEFAULTS.agent; each settable per agent and per run. */
export interface Limits {
  maxSteps: number;
  /** Wall-clock limit of the run, in ms: aborts the in-flight model call and every running tool. */
  timeoutMs: number;
  /** Input + output tokens over all the run's model calls. */
  maxTokens: number;
  maxCostUsd: number;
  /** Calls per tool: one number for all tools, or per tool name (unlisted tools get the default). */
  maxCallsPerTool: number | Record<string, number>;
  /** After a limit stops the run, one last call without tools asks for the best answer so far, if the budget allows. */
  answerOnLimit: boolean;
}

export interface ToolResultRecord {
  toolCallId: string;
  name: string;
  /** Parsed input, or the raw argument text when it did not parse. */
  input: unknown;
  /**
   * The text the model saw. For an untrusted tool (the default) the model saw it inside
   * untrusted-content markers, which are not part of this text.
   */
  content: string;
  /** The tool's output value (undefined on error). */
  output?: unknown;
  isError: boolean;
  /** The tool asked to be called again (ToolRetryRequest). */
  retryRequested?: boolean;
  attempts: number;
  durationMs: number;
  /** Set on results of untrusted tools: the prompt-injection detector's verdict and what was done about it. */
  injection?: ToolInjectionVerdict;
}

export interface ToolInjectionVerdict {
  /** 0..1, see detectInjection. */
  score: number;
  /** The score reached the threshold. */
  detected: boolean;
  /** What was done: `none` when nothing was detected, else the agent's `untrustedContent.action`. */
  action: 'none' | InjectionAction;
  findings: InjectionFinding[];
}

/** One step: a model call and the tool calls it asked for. */
export interface StepRecord {
  index: number;
  response: {
    id: string;
    model: string;
    message: AssistantMessage;
    finishReason: string;
    usage: Usage;
    costUsd: number;
  };
  toolResults: ToolResultRecord[];
  durationMs: number;
}

/** A tool call waiting for a human. Approve or reject it with `approve()` / `reject()`. */
export interface PendingApproval {
  toolCallId: string;
  toolName: string;
  input: unknown;
  /** Hash of the exact canonical arguments: an approval only applies to these. */
  argsHash: string;
}

export interface ApprovalDecision {
  toolCallId: string;
  argsHash: string;
  approved: boolean;
  /** Told to the model when a call is rejected. */
  reason?: string;
}

/** The serialized state of a run: enough to resume it in another process. */
export interface RunState {
  version: 1;
  runId: string;
  agent: string;
  sessionId?: string;
  metadata: RequestMetadata;
  /**
   * The user's question: the last user message of the run's input. Checks judge answers against
   * it, never against a re-ask or a corrective message the run added later. Absent in states
   * saved before it existed (the last user message stands in).
   */
  question?: string;
  /** The conversation without the agent's instructions (the agent supplies those on resume). */
  messages: Message[];
  steps: StepRecord[];
  usage: Usage;
  cost: Cost;
  toolCalls: Record<string, number>;
  /** A step whose tool calls are not all done: the model's message, the results so far, calls that started. */
  pending?: {
    message: AssistantMessage;
    /** In the order they settled (a list, not keyed by call id: each new key would make a new object shape). */
    results: ToolResultRecord[];
    started: string[];
    approvals: PendingApproval[];
  };
  repairs: { output: number; toolArguments: number };
  reasks: Record<string, number>;
  checks: CheckRecord[];
  /** The loop detector: the step it warned at (its window is rebuilt from the steps). */
  loop: { warnedAtStep?: number };
  /** Wall-clock time the run has used so far, carried over on resume. */
  elapsedMs: number;
  /**
   * Set when the run completed: its answer, as returned. A completed run is final — resuming it
   * returns this result again without calling the model (continue a conversation with a new run
   * in the same session).
   */
  completed?: { text: string; output?: unknown; detail: string };
}

export interface RunResult<Output = string> {
  runId: string;
  sessionId?: string;
  /** The answer: text, or the parsed object when the agent has an output schema. Undefined if none was produced. */
  output: Output | undefined;
  /** The answer's text as the model wrote it. */
  text: string;
  stopReason: StopReason;
  /** What stopped the run, in words: which limit and its value, the loop evidence, the error. */
  stopDetail: string;
  steps: StepRecord[];
  usage: Usage;
  cost: Cost;
  messages: Message[];
  checks: CheckRecord[];
  /** Set when stopReason is 'loop_detected'. */
  loop?: LoopEvidence;
  /** Set when stopReason is 'approval_required'. */
  pendingApprovals?: PendingApproval[];
  /**
   * The run's state: pass it to `agent.resume()` (after approvals, or to continue after any other
   * stop). Resuming a completed run returns the same result without calling the model.
   */
  state: RunState;
  /** Set when stopReason is 'error', 'output_invalid' or 'check_failed'. */
  error?: SextantError;
}

/**
 * What `agent.stream()` yields, in order. While a model call streams: text and reasoning deltas,
 * and each tool call the model is writing (`tool-call-start`, then its argument text in
 * `tool-call-delta`s, by index). `tool-call` is sent when a call is about to run.
 */
export type AgentEvent<Output = string> =
  | { type: 'step-start'; step: number }
  | { type: 'text-delta'; step: number; delta: string }
  | { type: 'reasoning-delta'; step: number; delta: string }
  | { type: 'tool-call-start'; step: number; index: number; toolCallId: string; toolName: string }
  | { type: 'tool-call-delta'; step: number; index: number; argumentsDelta: string }
  | { type: 'tool-call'; step: number; toolCall: ToolCall }
  | { type: 'tool-result'; step: number; result: ToolResultRecord }
  | { type: 'step-finish'; step: StepRecord }
  | { type: 'loop-warning'; step: number; evidence: LoopEvidence }
  | { type: 'finish'; result: RunResult<Output> };

export type OutputSchema<Output> = z.ZodType<Output>;
