/** Regression suites: load a suite, run it (pass@1, pass^k, cost, latency), compare with a baseline, report. */
export { loadSuite, parseSuite, type EvalSuite, type EvalCase, type EvalCheckRef, type EvalExpectations } from './suite.js';
export { loadAgentModule, type AgentFactory, type AgentModule, type AgentSetup, type LoadAgentModuleOptions } from './agent-module.js';
export { resolveAgentModule } from './resolve-agent-module.js';
export { loadRecording, recordingFromSpans, type RecordedModelCall, type RecordedToolCall, type Recording } from './recording.js';
export { compareRecordings, replayRun, type Divergence, type DivergenceKind, type ReplayOptions, type ReplayResult } from './replay.js';
export { runSuite, type RunSuiteOptions, type EvalProgress } from './run-suite.js';
export { checkExpectations, documentsOfRun, gradeWithChecks, resolveCheck, type Assertion } from './grade.js';
export { passAt1, passHatK } from './metrics.js';
export { compareWithBaseline, loadBaseline, type CaseComparison, type EvalBaseline, type RegressionVerdict, type Tolerances } from './baseline.js';
export { toJUnitXml, type EvalCaseReport, type EvalReport, type EvalSummary, type EvalTrial } from './report.js';
export { progressBar } from './progress.js';
