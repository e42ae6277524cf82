/** The agent runtime: defineAgent, the run loop's result and event types, stop reasons, the in-memory stores. */
export { defineAgent, type Agent, type AgentOptions, type AgentStream, type ResumeOptions, type RunOptions } from './define-agent.js';
export { defineTool, ToolRetryRequest, type Tool, type ToolContext, type ToolDefinition, type ToolDocument } from '../tools/index.js';
export type { UntrustedContentOptions } from './untrusted.js';
export {
  STOP_REASONS,
  type AgentEvent,
  type ApprovalDecision,
  type Limits,
  type PendingApproval,
  type RunResult,
  type RunState,
  type StepRecord,
  type StopReason,
  type ToolInjectionVerdict,
  type ToolResultRecord,
} from './types.js';
export { approve, reject, argsHash } from './approvals.js';
export { parseRunState, RUN_STATE_VERSION } from './run-state.js';
export { memoryCheckpointStore, memorySessionStore } from './memory-stores.js';
export type { ContextPolicy, ContextStrategy } from './context-window.js';
