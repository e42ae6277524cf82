/**
 * The attribute names every span writer uses (agent runtime, pipeline, gateway), and the
 * shapes of their values. Where the OpenTelemetry GenAI semantic conventions name a thing,
 * we use their name, so the OTel exporter passes it through unchanged; the rest live under
 * `sextant.*`. Values must be JSON-serializable; objects and arrays are kept as they are in
 * the store and serialized to JSON strings on export.
 *
 * Who writes what:
 * - `run` span (one per agent run; its name is the agent's name): RUN_ID, AGENT_NAME,
 *   SESSION_ID, TENANT, USER, RUN_INPUT at start; RUN_OUTPUT, STOP_REASON, STOP_DETAIL,
 *   RUN_STEPS, token and cost totals (INPUT_TOKENS, OUTPUT_TOKENS, COST_USD) at end.
 * - `step` span (child of the run): STEP_INDEX.
 * - `model` span (one per model call, written by the tracing middleware for both fronts: child
 *   of the agent's step or of the gateway's request): OPERATION ('chat' or 'embeddings'), STREAM,
 *   PROVIDER, TARGET, REQUEST_MODEL, RESPONSE_MODEL, RESPONSE_ID, FINISH_REASON, usage, COST_USD,
 *   LATENCY_MS, TTFT_MS (streams), CACHE_STATUS, CACHE_SAVED_USD, ATTEMPTS, RESPONSE_MESSAGE, and
 *   for chat the decision record: DECISION_MESSAGES, DECISION_TOOLS, DECISION_CHOICE,
 *   DECISION_RATIONALE, DECISION_SOURCES.
 * - `tool` span (child of the step): OPERATION='execute_tool', TOOL_NAME, TOOL_CALL_ID,
 *   TOOL_INPUT, TOOL_OUTPUT, TOOL_IS_ERROR. A thrown tool error ends the span with status 'error'.
 * - `check` span (child of the step or the run): CHECK_NAME, CHECK_VERDICT, CHECK_SCORE,
 *   CHECK_REASON, CHECK_ACTION.
 * - events (`handle.event(EVENTS.x, {...})` on the step or run span): limit hits, loop
 *   detector warnings and stops, retries, approvals, checkpoints.
 * - `request` span (gateway, one per HTTP request): REQUEST_ROUTE, HTTP_STATUS, KEY_ID, TENANT.
 */
export const ATTR = {
  // --- run ---------------------------------------------------------------------------------
  /** The run's id (also the trace's id in the store). */
  RUN_ID: 'sextant.run.id',
  AGENT_NAME: 'gen_ai.agent.name',
  /** The session the run belongs to (a conversation across runs). */
  SESSION_ID: 'gen_ai.conversation.id',
  TENANT: 'sextant.tenant',
  USER: 'sextant.user',
  /** The user input that started the run (string or Message[]). */
  RUN_INPUT: 'sextant.run.input',
  /** The run's final output (text or structured object). */
  RUN_OUTPUT: 'sextant.run.output',
  /** Why the run stopped: 'completed', 'max_steps', 'loop_detected', 'budget_exceeded', ... (the runtime's stopReason). */
  STOP_REASON: 'sextant.run.stop_reason',
  /** Human-readable detail of the stop: the limit and its value, the loop evidence, the error. */
  STOP_DETAIL: 'sextant.run.stop_detail',
  /** Number of steps the run took. */
  RUN_STEPS: 'sextant.run.steps',
  /** Set when the run was resumed from a checkpoint: the step it resumed after. */
  RESUMED_FROM_STEP: 'sextant.run.resumed_from_step',

  // --- step --------------------------------------------------------------------------------
  /** 1-based step number within the run. */
  STEP_INDEX: 'sextant.step.index',

  // --- model call --------------------------------------------------------------------------
  /** 'invoke_agent' on run spans, 'chat' on model spans, 'execute_tool' on tool spans, 'embeddings'. */
  OPERATION: 'gen_ai.operation.name',
  PROVIDER: 'gen_ai.provider.name',
  REQUEST_MODEL: 'gen_ai.request.model',
  RESPONSE_MODEL: 'gen_ai.response.model',
  RESPONSE_ID: 'gen_ai.response.id',
  /** The FinishReason of the response ('stop', 'tool_calls', ...). */
  FINISH_REASON: 'gen_ai.response.finish_reasons',
  TEMPERATURE: 'gen_ai.request.temperature',
  MAX_TOKENS: 'gen_ai.request.max_tokens',
  /** True when the call was streamed. */
  STREAM: 'gen_ai.request.stream',
  INPUT_TOKENS: 'gen_ai.usage.input_tokens',
  OUTPUT_TOKENS: 'gen_ai.usage.output_tokens',
  CACHED_INPUT_TOKENS: 'gen_ai.usage.cache_read.input_tokens',
  REASONING_TOKENS: 'gen_ai.usage.reasoning.output_tokens',
  /** Cost of the call (or, on a run span, of the whole run) in USD. */
  COST_USD: 'sextant.cost.usd',
  /** Wall time of the call in ms, as measured by the pipeline. */
  LATENCY_MS: 'sextant.latency_ms',
  /** Time to first token (first stream chunk) in ms. */
  TTFT_MS: 'sextant.ttft_ms',
  /** The cache's verdict: a CacheStatus ('hit', 'semantic-hit', 'miss', 'bypass', 'refresh'). */
  CACHE_STATUS: 'sextant.cache.status',
  /** Money a cache hit saved, in USD. */
  CACHE_SAVED_USD: 'sextant.cache.saved_usd',
  /** The concrete target that answered (`provider:model`, after fallbacks and routing). */
  TARGET: 'sextant.model.target',
  /** Attempts made for the call (retries and fallbacks included). */
  ATTEMPTS: 'sextant.model.attempts',
  /** The assistant message exactly as returned (content, tool calls, reasoning): what replay serves back. */
  RESPONSE_MESSAGE: 'sextant.model.response',

  // --- decision record (on the model span) -------------------------------------------------
  /** What the model was shown: the request's Message[] as sent (after redaction). */
  DECISION_MESSAGES: 'sextant.decision.messages',
  /** The tools offered: DecisionTool[] (name and description; schemas are not repeated per call). */
  DECISION_TOOLS: 'sextant.decision.tools',
  /** What the model chose: a DecisionChoice. */
  DECISION_CHOICE: 'sextant.decision.choice',
  /** The rationale the model stated (its reasoning text, or the text beside its tool calls), when it stated one. */
  DECISION_RATIONALE: 'sextant.decision.rationale',
  /** The sources an answer rests on: DecisionSource[]. */
  DECISION_SOURCES: 'sextant.decision.sources',

  // --- tool call ---------------------------------------------------------------------------
  TOOL_NAME: 'gen_ai.tool.name',
  TOOL_CALL_ID: 'gen_ai.tool.call.id',
  /** The tool's input: parsed arguments (object), or the raw string when they did not parse. */
  TOOL_INPUT: 'sextant.tool.input',
  /** The tool's output as returned to the model (string or JSON value). */
  TOOL_OUTPUT: 'sextant.tool.output',
  /** True when the result sent back to the model reports an error (timeout, invalid input, thrown). */
  TOOL_IS_ERROR: 'sextant.tool.is_error',
  /** Attempts made (tool retries included). */
  TOOL_ATTEMPTS: 'sextant.tool.attempts',

  // --- check -------------------------------------------------------------------------------
  CHECK_NAME: 'sextant.check.name',
  /** 'pass' or 'fail'. */
  CHECK_VERDICT: 'sextant.check.verdict',
  /** Score in [0, 1], when the check gives one. */
  CHECK_SCORE: 'sextant.check.score',
  CHECK_REASON: 'sextant.check.reason',
  /** What was done on failure: 'reask', 'fix', 'block', 'warn'. */
  CHECK_ACTION: 'sextant.check.action',

  // --- limit and loop events ---------------------------------------------------------------
  /** Which limit: 'steps', 'time', 'tokens', 'cost', 'tool_calls'. */
  LIMIT_NAME: 'sextant.limit.name',
  LIMIT_VALUE: 'sextant.limit.value',
  LIMIT_USED: 'sextant.limit.used',
  /** Which loop pattern: 'repeat', 'cycle', 'no_progress', 'error_loop'. */
  LOOP_PATTERN: 'sextant.loop.pattern',
  /** The step numbers that make up the evidence (number[]). */
  LOOP_STEPS: 'sextant.loop.steps',
  /** 'warn' (corrective message sent) or 'stop'. */
  LOOP_ACTION: 'sextant.loop.action',
  /** Free-text detail for any event (e.g. the corrective message, the retry's error). */
  EVENT_DETAIL: 'sextant.event.detail',

  // --- untrusted tool output ---------------------------------------------------------------
  /** The injection detector's score for a tool's output (0 to 1). */
  INJECTION_SCORE: 'sextant.injection.score',
  /** What was done about it: 'flag', 'strip' or 'block'. */
  INJECTION_ACTION: 'sextant.injection.action',
  /** The detected categories, comma-separated. */
  INJECTION_CATEGORIES: 'sextant.injection.categories',

  // --- gateway request ---------------------------------------------------------------------
  REQUEST_ROUTE: 'http.route',
  HTTP_STATUS: 'http.response.status_code',
  /** Id of the virtual API key (never the key). */
  KEY_ID: 'sextant.key.id',
} as const;

export type AttributeName = (typeof ATTR)[keyof typeof ATTR];

/** Names for `handle.event(name, attributes)`. */
export const EVENTS = {
  /** A hard limit was hit (LIMIT_NAME, LIMIT_VALUE, LIMIT_USED). */
  LIMIT: 'limit',
  /** The loop detector fired (LOOP_PATTERN, LOOP_STEPS, LOOP_ACTION, EVENT_DETAIL). */
  LOOP: 'loop',
  /** A retried model or tool call (ATTEMPTS, EVENT_DETAIL). */
  RETRY: 'retry',
  /** A tool call waits for approval, or was approved / rejected (TOOL_NAME, TOOL_CALL_ID, EVENT_DETAIL). */
  APPROVAL: 'approval',
  /** The run's state was checkpointed (STEP_INDEX). */
  CHECKPOINT: 'checkpoint',
  /** A structured-output or tool-argument repair re-ask (EVENT_DETAIL). */
  REASK: 'reask',
  /** The injection detector found instructions in a tool's output (INJECTION_SCORE, INJECTION_ACTION, INJECTION_CATEGORIES, EVENT_DETAIL). */
  INJECTION: 'injection',
} as const;

/** Values of OPERATION. */
export const OPERATIONS = {
  INVOKE_AGENT: 'invoke_agent',
  CHAT: 'chat',
  EXECUTE_TOOL: 'execute_tool',
  EMBEDDINGS: 'embeddings',
} as const;

/** A tool as offered to the model (DECISION_TOOLS). */
export interface DecisionTool {
  name: string;
  description?: string;
}

/** What the model chose (DECISION_CHOICE): tool calls, or an answer. */
export type DecisionChoice = { type: 'tool_calls'; toolCalls: { id: string; name: string; arguments: string }[] } | { type: 'answer'; text: string };

/** One source an answer rests on (DECISION_SOURCES). */
export interface DecisionSource {
  kind: 'tool_result' | 'document';
  /** Tool call id for a tool result; document id for a retrieved document. */
  id: string;
  /** Tool name or document title. */
  title?: string;
  /** Relevance score of a retrieved document, when known. */
  score?: number;
}
