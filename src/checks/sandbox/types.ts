/** What the code sandbox takes and returns. */

export type SandboxLanguage = 'javascript' | 'typescript' | 'python';

export interface SandboxLimits {
  /** Wall clock: the child process is killed past it. */
  timeoutMs: number;
  /** CPU time inside the interpreter. */
  cpuTimeMs: number;
  /** Interpreter heap. */
  memoryBytes: number;
  /** Interpreter stack (deep recursion ends in an error here). */
  stackBytes: number;
  /** V8 heap of the child process, in MB. */
  childHeapMb: number;
  /** Captured output; past it the run stops with `output_limit` and `truncated` is set. */
  maxOutputBytes: number;
  /** Python only: address-space limit in MB. */
  pythonMemoryMb: number;
}

export interface RunCodeOptions {
  language: SandboxLanguage;
  /** The code under test. */
  code: string;
  /**
   * Unit tests, run after the code in the same scope. JavaScript/TypeScript use the sandbox's
   * test API: `test(name, fn)`, `assert(cond, msg)`, `assert.equal`, `assert.deepEqual`,
   * `assert.throws`, `expect(x).toBe / toEqual / toThrow / toBeTruthy / toContain`. Python tests
   * are plain `assert` statements, reported as one test.
   */
  tests?: string;
  limits?: Partial<SandboxLimits>;
  signal?: AbortSignal;
}

/**
 * - `ok`: ran to the end and every test passed;
 * - `tests_failed`: ran to the end, some test failed;
 * - `error`: the code threw (syntax error, ReferenceError for host APIs, stack overflow...);
 * - `cpu_limit`, `memory_limit`, `output_limit`, `timeout`: a limit stopped it;
 * - `crashed`: the child process died without a result.
 */
export type SandboxStatus = 'ok' | 'tests_failed' | 'error' | 'cpu_limit' | 'memory_limit' | 'output_limit' | 'timeout' | 'crashed';

export interface SandboxTestResult {
  name: string;
  pass: boolean;
  /** The failure, as `Name: message`. */
  error?: string;
  /** What the test printed. */
  output: string;
}

export interface SandboxResult {
  status: SandboxStatus;
  ok: boolean;
  /** The error that ended the run, when it did not finish. */
  error?: string;
  /** Output printed outside tests (top-level code). */
  output: string;
  truncated: boolean;
  tests: SandboxTestResult[];
  durationMs: number;
}
