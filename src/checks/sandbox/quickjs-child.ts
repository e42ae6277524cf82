/**
 * Child process entry of the JavaScript sandbox. Receives one job over IPC, runs it in a
 * fresh QuickJS runtime (WebAssembly: no host object is reachable from inside), sends the
 * result back and exits. The parent kills this process at the wall-clock limit, and the
 * process runs with a small V8 heap, so even a fault in the interpreter stays bounded.
 */
import { getQuickJS, type QuickJSContext, type QuickJSHandle } from 'quickjs-emscripten';
import { HARNESS_SOURCE } from './harness.js';
import type { SandboxLimits, SandboxStatus, SandboxTestResult } from './types.js';

export interface ChildJob {
  source: string;
  limits: SandboxLimits;
}

export interface ChildResult {
  status: Exclude<SandboxStatus, 'timeout' | 'crashed'>;
  error?: string;
  output: string;
  truncated: boolean;
  tests: SandboxTestResult[];
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function runJob(job: ChildJob): Promise<ChildResult> {
  const QuickJS = await getQuickJS();
  const runtime = QuickJS.newRuntime();
  runtime.setMemoryLimit(job.limits.memoryBytes);
  runtime.setMaxStackSize(job.limits.stackBytes);
  const cpuStart = cpuMs();
  let cpuExceeded = false;
  let outputExceeded = false;
  // Called regularly by the interpreter: returning true raises an uncatchable interrupt.
  runtime.setInterruptHandler(() => {
    if (cpuMs() - cpuStart > job.limits.cpuTimeMs) cpuExceeded = true;
    return cpuExceeded || outputExceeded;
  });
  const vm = runtime.newContext();

  const outputs = new Map<number, string>();
  let outputBytes = 0;
  let truncated = false;
  const names: string[] = [];
  const reports = new Map<number, { pass: boolean; error: string }>();

  const define = (name: string, fn: (...args: QuickJSHandle[]) => void) => {
    const handle = vm.newFunction(name, fn);
    vm.setProp(vm.global, name, handle);
    handle.dispose();
  };
  define('__sx_emit', (index, text) => {
    const line = `${vm.getString(text)}\n`;
    const key = vm.getNumber(index);
    if (outputBytes + line.length > job.limits.maxOutputBytes) {
      truncated = true;
      outputExceeded = true;
      return;
    }
    outputBytes += line.length;
    outputs.set(key, (outputs.get(key) ?? '') + line);
  });
  define('__sx_register', (name) => void names.push(vm.getString(name)));
  define('__sx_report', (index, pass, error) => {
    const i = vm.getNumber(index);
    if (i >= 0 && i < names.length && !reports.has(i)) reports.set(i, { pass: vm.dump(pass) === true, error: vm.getString(error) });
  });

  const finish = (status: ChildResult['status'], error?: string): ChildResult => {
    const tests = names.map((name, i) => {
      const r = reports.get(i);
      const result: SandboxTestResult = { name, pass: r?.pass ?? false, output: outputs.get(i) ?? '' };
      if (!r) result.error = 'the test did not finish';
      else if (!r.pass) result.error = r.error;
      return result;
    });
    return { status, error, output: outputs.get(-1) ?? '', truncated, tests };
  };
  const failure = (handle: QuickJSHandle): ChildResult => {
    const message = describe(vm, handle);
    handle.dispose();
    if (cpuExceeded) return finish('cpu_limit', `CPU time limit of ${job.limits.cpuTimeMs} ms exceeded`);
    if (outputExceeded) return finish('output_limit', `output limit of ${job.limits.maxOutputBytes} bytes exceeded`);
    if (/out of memory/i.test(message)) return finish('memory_limit', `memory limit of ${job.limits.memoryBytes} bytes exceeded`);
    return finish('error', message);
  };

  const harness = vm.evalCode(HARNESS_SOURCE, 'harness.js');
  if (harness.error) return failure(harness.error);
  const runTests = harness.value;

  const program = vm.evalCode(job.source, 'generated.js');
  if (program.error) return failure(program.error);
  program.value.dispose();

  const started = vm.callFunction(runTests, vm.undefined);
  runTests.dispose();
  if (started.error) return failure(started.error);
  started.value.dispose();
  // Async tests settle as the job queue drains; the interrupt handler bounds this loop too.
  for (;;) {
    const jobs = runtime.executePendingJobs();
    if (jobs.error) return failure(jobs.error);
    if (jobs.value === 0) break;
  }
  if (cpuExceeded) return finish('cpu_limit', `CPU time limit of ${job.limits.cpuTimeMs} ms exceeded`);
  if (outputExceeded) return finish('output_limit', `output limit of ${job.limits.maxOutputBytes} bytes exceeded`);
  const result = finish('ok');
  if (result.tests.some((t) => !t.pass)) result.status = 'tests_failed';
  return result;
}

function describe(vm: QuickJSContext, handle: QuickJSHandle): string {
  try {
    const value = vm.dump(handle) as unknown;
    if (value && typeof value === 'object' && 'message' in value) {
      const e = value as { name?: string; message?: string };
      return `${e.name ?? 'Error'}: ${e.message ?? ''}`;
    }
    return String(value);
  } catch {
    return 'uncaught exception';
  }
}

process.once('message', (job: ChildJob) => {
  runJob(job).then(
    (result) => process.send?.(result, () => process.exit(0)),
    (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      const status = /memory|OOM|Aborted/i.test(message) ? 'memory_limit' : 'error';
      process.send?.({ status, error: message, output: '', truncated: false, tests: [] } satisfies ChildResult, () => process.exit(0));
    },
  );
});
