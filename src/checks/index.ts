/** Checks on every answer: defineCheck, graders, validators, the code sandbox; and the loop detector, which checks a run's steps (the agent loop and the gateway's sessions both use it). */
export type {
  Check,
  CheckAnswer,
  CheckContext,
  CheckDocument,
  CheckFix,
  CheckOnFail,
  CheckOptions,
  CheckRecord,
  CheckStage,
  CheckToolCall,
  CheckToolResult,
  CheckVerdict,
} from './types.js';
export { defineCheck } from './define-check.js';
export { runCheck, isFailure } from './run-check.js';
export * from './graders/index.js';
export * from './validators/index.js';
export * from './sandbox/index.js';
export {
  correctiveMessage,
  detect as detectLoop,
  emptyLoopState,
  observeStep,
  resolveLoopOptions,
  type LoopDetectorOptions,
  type LoopDetectorState,
  type LoopEvidence,
  type LoopPattern,
  type LoopVerdict,
  type StepObservation,
} from './loop-detector.js';
