import { spawn, spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { constants } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { DEFAULTS } from '../../defaults.js';
import { SextantError } from '../../errors.js';
import type { SandboxLimits, SandboxResult } from './types.js';

function which(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** The real interpreter behind shims (pyenv, asdf): the sandbox binds its prefix read-only. */
function pythonExecutable(): string | undefined {
  const found = which('python3');
  if (!found) return undefined;
  const probe = spawnSync(found, ['-c', 'import sys; print(sys.executable); print(sys.prefix)'], {
    encoding: 'utf8',
    timeout: DEFAULTS.checks.sandbox.probeTimeoutMs,
  });
  const [executable] = probe.stdout?.trim().split('\n') ?? [];
  return probe.status === 0 && executable ? realpathSync(executable) : undefined;
}

export interface PythonSandbox {
  bwrap: string;
  python: string;
}

const found = new Map<string, PythonSandbox | undefined>();

/** Finds bubblewrap and a Python it can run, checking that bubblewrap can make namespaces here. Probed once per process. */
export function findPythonSandbox(bwrapPath?: string): PythonSandbox | undefined {
  const key = bwrapPath ?? '';
  if (!found.has(key)) found.set(key, probePythonSandbox(bwrapPath));
  return found.get(key);
}

function probePythonSandbox(bwrapPath: string | undefined): PythonSandbox | undefined {
  const bwrap = bwrapPath ?? which('bwrap');
  if (!bwrap || !existsSync(bwrap)) return undefined;
  const python = pythonExecutable();
  if (!python) return undefined;
  const probe = spawnSync(bwrap, [...bwrapArgs(python), python, '-c', 'pass'], { timeout: DEFAULTS.checks.sandbox.probeTimeoutMs });
  return probe.status === 0 ? { bwrap, python } : undefined;
}

function bwrapArgs(python: string): string[] {
  const binds = ['/usr', '/lib', '/lib64', '/bin', '/etc/alternatives', dirname(dirname(python))]
    .filter((p, i, all) => existsSync(p) && all.indexOf(p) === i)
    .flatMap((p) => ['--ro-bind', p, p]);
  return [
    // New user, pid, ipc, uts, cgroup and network namespaces: no network at all.
    '--unshare-all',
    '--die-with-parent',
    '--new-session',
    '--clearenv',
    '--setenv',
    'PATH',
    '/usr/bin:/bin',
    ...binds,
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--tmpfs',
    '/tmp',
    '--chdir',
    '/tmp',
  ];
}

/**
 * Runs Python under bubblewrap: read-only minimal system mounts, no network namespace, an
 * empty environment, an address-space limit, and a kill at the wall-clock limit. Without a
 * working bubblewrap it refuses (SANDBOX_UNAVAILABLE): Python is never run bare.
 */
export async function runPython(options: { code: string; limits: SandboxLimits; signal?: AbortSignal; bwrapPath?: string }): Promise<SandboxResult> {
  const sandbox = findPythonSandbox(options.bwrapPath);
  if (!sandbox) {
    throw new SextantError(
      'SANDBOX_UNAVAILABLE',
      'Python needs bubblewrap (bwrap) to run sandboxed, and it is not available here; install bubblewrap or use JavaScript/TypeScript',
      {
        context: { language: 'python' },
      },
    );
  }
  options.signal?.throwIfAborted();
  const { limits } = options;
  const startedAt = performance.now();
  const cpuSeconds = Math.max(1, Math.ceil(limits.cpuTimeMs / 1000));
  const shell = `ulimit -v ${limits.pythonMemoryMb * 1024}; ulimit -t ${cpuSeconds}; ulimit -f 1024; exec "$0" -I -S -c "$1"`;
  return new Promise((resolve, reject) => {
    const child = spawn(sandbox.bwrap, [...bwrapArgs(sandbox.python), '/bin/sh', '-c', shell, sandbox.python, options.code], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {},
    });
    let output = '';
    let truncated = false;
    let timedOut = false;
    const collect = (chunk: Buffer) => {
      if (truncated) return;
      if (output.length + chunk.length > limits.maxOutputBytes) {
        output += chunk.toString().slice(0, Math.max(0, limits.maxOutputBytes - output.length));
        truncated = true;
        child.kill('SIGKILL');
      } else output += chunk.toString();
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, limits.timeoutMs);
    const onAbort = () => child.kill('SIGKILL');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (error) => reject(new SextantError('SANDBOX_ERROR', `bubblewrap failed: ${error.message}`, { cause: error })));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (options.signal?.aborted) return reject(new SextantError('ABORTED', 'sandbox run aborted'));
      const durationMs = performance.now() - startedAt;
      const pass = code === 0 && !timedOut && !truncated;
      // bubblewrap passes on a signal death of its child as exit code 128 + signal number.
      const cpuKilled = signal === 'SIGXCPU' || code === 128 + constants.signals.SIGXCPU || code === 128 + constants.signals.SIGKILL;
      let status: SandboxResult['status'] = pass ? 'ok' : 'tests_failed';
      if (timedOut) status = 'timeout';
      else if (truncated) status = 'output_limit';
      else if (cpuKilled) status = 'cpu_limit';
      else if (/MemoryError/.test(output)) status = 'memory_limit';
      else if (!pass && !/AssertionError/.test(output)) status = 'error';
      const error = pass ? undefined : output.trim().split('\n').pop() || `${status}: exited with ${signal ?? code}`;
      resolve({ status, ok: pass, error, output, truncated, tests: [{ name: 'python', pass, error, output }], durationMs });
    });
  });
}
