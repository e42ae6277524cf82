/** The code sandbox: QuickJS in a child process for JavaScript/TypeScript, bubblewrap for Python. */
export type { RunCodeOptions, SandboxLanguage, SandboxLimits, SandboxResult, SandboxStatus, SandboxTestResult } from './types.js';
export { runCode, sandboxLimits } from './run-code.js';
export { findPythonSandbox } from './python.js';
export { codeCheck, extractCode, sandboxVerdict, type CodeCheckOptions } from './code-check.js';
