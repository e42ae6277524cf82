/** Graders: LLM judges (groundedness, relevance) and the local groundedness pre-check. */
export { askJudge, parseJudgeReply, type JudgeOptions, type JudgeVerdict } from './judge.js';
export { gradeGroundedness, groundednessCheck, type GroundednessOptions } from './groundedness.js';
export type { GraderCheckOptions } from './grader-check.js';
export { gradeRelevance, relevanceCheck, type RelevanceOptions } from './relevance.js';
export { groundednessPrecheck, type GroundednessPrecheckInput, type GroundednessPrecheckResult } from './precheck.js';
export type { GraderDocuments } from './documents.js';
