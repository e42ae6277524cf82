/** Checks on every answer: defineCheck, graders, validators, the code sandbox. */
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
