import { spawn } from 'node:child_process';
import { bundleModule } from '../../bundle-module.js';
import { DEFAULTS } from '../../defaults.js';
import { SextantError, isSextantError } from '../../errors.js';
import { runPython } from './python.js';
import type { ChildJob, ChildResult } from './quickjs-child.js';
import { toSandboxScript } from './transpile.js';
import type { RunCodeOptions, SandboxLimits, SandboxResult } from './types.js';

export function sandboxLimits(overrides: Partial<SandboxLimits> = {}): SandboxLimits {
  return { ...DEFAULTS.checks.sandbox, ...overrides };
}

/**
 * Runs generated code, and its unit tests, in a sandbox. JavaScript and TypeScript run in
 * QuickJS (WebAssembly) inside a child process; Python runs only under bubblewrap and is
 * refused with SANDBOX_UNAVAILABLE where bubblewrap is missing. Limits that stop the code are
 * results (`status`), not exceptions; only an abort or an unavailable sandbox throws.
 */
export async function runCode(options: RunCodeOptions): Promise<SandboxResult> {
  const limits = sandboxLimits(options.limits);
  if (options.language === 'python') {
    return runPython({ code: options.tests ? `${options.code}\n\n${options.tests}\n` : options.code, limits, signal: options.signal });
  }
  const source = options.tests ? `${options.code}\n;\n${options.tests}` : options.code;
  if (options.language !== 'javascript' && options.language !== 'typescript') {
    throw new SextantError('SANDBOX_UNAVAILABLE', `no sandbox for language "${String(options.language)}"`, { context: { language: options.language } });
  }
  const startedAt = performance.now();
  let script: string;
  try {
    script = await toSandboxScript(source, options.language);
  } catch (error) {
    if (!isSextantError(error, 'SANDBOX_ERROR')) throw error;
    return { status: 'error', ok: false, error: error.message, output: '', truncated: false, tests: [], durationMs: performance.now() - startedAt };
  }
  const result = await runInChild(await bundleModule(import.meta.url, 'quickjs-child', ['quickjs-emscripten']), { source: script, limits }, options.signal);
  return { ...result, ok: result.status === 'ok', durationMs: performance.now() - startedAt };
}

function runInChild(program: string, job: ChildJob, signal: AbortSignal | undefined): Promise<Omit<SandboxResult, 'ok' | 'durationMs'>> {
  signal?.throwIfAborted();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`--max-old-space-size=${job.limits.childHeapMb}`, '--input-type=module', '-e', program], {
      // Nothing of the parent's environment (keys, tokens) reaches the child.
      env: {},
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'json',
    });
    let settled = false;
    let stderr = '';
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (child.exitCode === null) child.kill('SIGKILL');
      fn();
    };
    const empty = { output: '', truncated: false, tests: [] };
    const timer = setTimeout(
      () => settle(() => resolve({ status: 'timeout', error: `wall-clock limit of ${job.limits.timeoutMs} ms exceeded`, ...empty })),
      job.limits.timeoutMs,
    );
    const onAbort = () => settle(() => reject(new SextantError('ABORTED', 'sandbox run aborted', { cause: signal?.reason })));
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < 4096) stderr += chunk.toString();
    });
    child.on('message', (message: ChildResult) => settle(() => resolve(message)));
    child.on('error', (error) => settle(() => reject(new SextantError('SANDBOX_ERROR', `sandbox process failed: ${error.message}`, { cause: error }))));
    child.on('exit', (code, sig) =>
      settle(() => {
        const heap = /heap out of memory|Allocation failed/i.test(stderr);
        resolve({ status: heap ? 'memory_limit' : 'crashed', error: `sandbox process exited (${sig ?? code})${heap ? ': heap limit reached' : ''}`, ...empty });
      }),
    );
    child.send(job);
  });
}
