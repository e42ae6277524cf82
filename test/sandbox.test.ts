import { describe, expect, it } from 'vitest';
import { findPythonSandbox, runCode, sandboxLimits } from '../src/checks/sandbox/index.js';
import { runPython } from '../src/checks/sandbox/python.js';
import { isSextantError } from '../src/errors.js';

// Tight CPU, memory and output limits keep the file fast; the mechanisms are the same as with the
// defaults. The wall clock is generous so that a loaded machine hits the CPU limit, not the clock.
const limits = { cpuTimeMs: 600, timeoutMs: 15_000, memoryBytes: 8 * 1024 * 1024, maxOutputBytes: 4096 };
const js = (code: string, tests?: string) => runCode({ language: 'javascript', code, tests, limits });

describe.concurrent('code sandbox: generated code and its unit tests', () => {
  it('runs TypeScript with its tests and reports pass or fail per test, with output', async () => {
    const result = await runCode({
      language: 'typescript',
      code: 'export function add(a: number, b: number): number { return a + b; }\ninterface P { x: number }\nexport const origin: P = { x: 0 };',
      tests: [
        "test('adds', () => { console.log('sum', add(1, 2)); expect(add(1, 2)).toBe(3); });",
        "test('deep equal', () => expect({ a: [1, origin.x] }).toEqual({ a: [1, 0] }));",
        "test('wrong on purpose', () => assert.equal(add(2, 2), 5));",
        "test('throws', () => expect(() => { throw new TypeError('bad'); }).toThrow('bad'));",
        "test('async', async () => { const v = await Promise.resolve(add(1, 1)); assert(v === 2); });",
      ].join('\n'),
      limits,
    });
    expect(result.status).toBe('tests_failed');
    expect(result.ok).toBe(false);
    expect(result.tests.map((t) => [t.name, t.pass])).toEqual([
      ['adds', true],
      ['deep equal', true],
      ['wrong on purpose', false],
      ['throws', true],
      ['async', true],
    ]);
    expect(result.tests[0].output).toBe('sum 3\n');
    expect(result.tests[2].error).toBe('AssertionError: expected 4 to be 5');
  });

  it('reports ok when every test passes, and top-level output apart from the tests', async () => {
    const result = await js("console.log('top');\nfunction sq(x) { return x * x }", "test('sq', () => expect(sq(3)).toBe(9));");
    expect(result).toMatchObject({ status: 'ok', ok: true, output: 'top\n', tests: [{ name: 'sq', pass: true }] });
  });

  it('reports code that does not parse as an error, without running anything', async () => {
    const result = await runCode({ language: 'typescript', code: 'function (', limits });
    expect(result.status).toBe('error');
    expect(result.error).toMatch(/does not parse/);
  });

  it('contains constructor.constructor: it reaches only the sandbox global, which has no host objects', async () => {
    const result = await js(
      "const g = ({}).constructor.constructor('return this')();\nconsole.log(typeof g.process, typeof g.require, typeof g.fetch, typeof g.setTimeout);",
      "test('no process via Function', () => expect(() => Function('return process')()).toThrow('process'));",
    );
    expect(result.output).toBe('undefined undefined undefined undefined\n');
    expect(result.status).toBe('ok');
    const direct = await js("constructor.constructor('return process')().exit(1)");
    expect(direct).toMatchObject({ status: 'error', error: "ReferenceError: 'process' is not defined" });
  });

  it('contains eval and prototype pollution: the host is untouched', async () => {
    const result = await js(
      "Object.prototype.polluted = 'yes'; Array.prototype.push = () => 0; console.log(eval('typeof require'), eval('typeof globalThis.process'));",
    );
    expect(result.output).toBe('undefined undefined\n');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect([1].push(2)).toBe(2);
  });

  it('contains require, import and dynamic import', async () => {
    const required = await js("require('fs').readFileSync('/etc/passwd', 'utf8')");
    expect(required).toMatchObject({ status: 'error', error: "ReferenceError: 'require' is not defined" });
    const imported = await runCode({
      language: 'typescript',
      code: "import { readFileSync } from 'node:fs';\nconsole.log(readFileSync('/etc/passwd', 'utf8'));",
      limits,
    });
    expect(imported).toMatchObject({ status: 'error', error: "ReferenceError: 'require' is not defined" });
    const dynamic = await js('', "test('dynamic import', async () => { await import('fs'); });");
    expect(dynamic.status).toBe('tests_failed');
    expect(dynamic.tests[0].pass).toBe(false);
  });

  it('stops an infinite loop at the CPU limit', async () => {
    const result = await js('while (true) {}');
    expect(result).toMatchObject({ status: 'cpu_limit', ok: false });
  });

  it('stops an infinite loop inside a test, and a loop that catches the interrupt', async () => {
    const result = await js('for (;;) { try { while (true) {} } catch (e) { /* swallow and go on */ } }');
    expect(result.status).toBe('cpu_limit');
  });

  it('stops a memory bomb at the memory limit', async () => {
    const result = await js('const hog = []; for (let n = 1; ; n *= 2) hog.push(new Array(n).fill(n));');
    expect(result).toMatchObject({ status: 'memory_limit', ok: false });
    const doubling = await js("let s = 'x'; for (;;) s = s + s;");
    expect(doubling).toMatchObject({ status: 'error', error: 'InternalError: string too long' });
  });

  it('contains a memory bomb the interpreter cannot interrupt, at the latest with the wall clock', async () => {
    // Large string building runs in C between interrupt checks; whichever limit comes first ends it.
    const strings = await runCode({
      language: 'javascript',
      code: "const hog = []; for (let i = 0; ; i++) hog.push('x'.repeat(1 << 20) + i);",
      limits: { ...limits, timeoutMs: 2_000 },
    });
    expect(['memory_limit', 'cpu_limit', 'timeout']).toContain(strings.status);
    expect(strings.ok).toBe(false);
  });

  it('turns deep recursion into a stack overflow error', async () => {
    const result = await js('function down(n) { return down(n + 1) + 1; } down(0);');
    expect(result.status).toBe('error');
    expect(result.error).toMatch(/stack/i);
  });

  it('caps huge outputs and stops the run', async () => {
    const result = await js("for (let i = 0; ; i++) console.log('spam '.repeat(20) + i);");
    expect(result).toMatchObject({ status: 'output_limit', truncated: true });
    expect(result.output.length).toBeLessThanOrEqual(4096);
  });

  it('kills the child at the wall-clock limit when the interpreter cannot be interrupted', async () => {
    // A single regular-expression match with catastrophic backtracking runs in C without interrupt checks.
    const result = await runCode({
      language: 'javascript',
      code: "/(a+)+$/.test('a'.repeat(40) + 'b')",
      limits: { ...limits, cpuTimeMs: 60_000, timeoutMs: 2_000 },
    });
    expect(['timeout', 'cpu_limit']).toContain(result.status);
    expect(result.ok).toBe(false);
  });

  it('cannot forge test results by calling the harness back', async () => {
    const result = await js("test('real', () => { throw new Error('fails'); });\ntry { __sx_report(0, true, ''); } catch (e) { console.log(e.name); }");
    expect(result.output).toBe('ReferenceError\n');
    expect(result.tests).toEqual([{ name: 'real', pass: false, error: 'Error: fails', output: '' }]);
  });

  it('aborts with the caller signal', async () => {
    const controller = new AbortController();
    const pending = runCode({ language: 'javascript', code: 'while (true) {}', limits: { ...limits, cpuTimeMs: 60_000 }, signal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED' });
  });
});

describe('python sandbox', () => {
  const available = findPythonSandbox() !== undefined;

  it('refuses Python with SANDBOX_UNAVAILABLE when bubblewrap is not where it is looked for', async () => {
    const error = await runPython({
      code: "open('/tmp/sextant-python-ran-2', 'w').write('x')",
      limits: sandboxLimits(),
      bwrapPath: '/nonexistent/bwrap',
    }).catch((e: unknown) => e);
    expect(isSextantError(error, 'SANDBOX_UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toMatch(/needs bubblewrap/);
    const { existsSync } = await import('node:fs');
    expect(existsSync('/tmp/sextant-python-ran-2')).toBe(false);
  });

  it.skipIf(available)('refuses Python with SANDBOX_UNAVAILABLE on this machine, which has no bubblewrap, never running it bare', async () => {
    const error = await runCode({ language: 'python', code: "open('/tmp/sextant-python-ran', 'w').write('x')" }).catch((e: unknown) => e);
    expect(isSextantError(error, 'SANDBOX_UNAVAILABLE')).toBe(true);
    const { existsSync } = await import('node:fs');
    expect(existsSync('/tmp/sextant-python-ran')).toBe(false);
  });

  it.runIf(available)('runs Python under bubblewrap: tests pass or fail, no network, read-only system', async () => {
    const passing = await runCode({ language: 'python', code: 'def add(a, b):\n    return a + b', tests: 'assert add(1, 2) == 3\nprint("ok")' });
    expect(passing).toMatchObject({ status: 'ok', ok: true, output: 'ok\n' });
    const failing = await runCode({ language: 'python', code: 'def add(a, b):\n    return a - b', tests: 'assert add(1, 2) == 3' });
    expect(failing.status).toBe('tests_failed');
    const network = await runCode({ language: 'python', code: "import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=2)" });
    expect(network.ok).toBe(false);
    expect(network.error).toMatch(/Network is unreachable/);
    const write = await runCode({ language: 'python', code: "open('/usr/evil', 'w')" });
    expect(write.ok).toBe(false);
    expect(write.error).toContain('Read-only file system');
    const env = await runCode({ language: 'python', code: 'import os\nprint(sorted(os.environ))' });
    expect(env.output).not.toMatch(/HOME|KEY|TOKEN/);
    const loop = await runCode({ language: 'python', code: 'while True: pass', limits: { cpuTimeMs: 1000, timeoutMs: 3000 } });
    expect(['cpu_limit', 'timeout']).toContain(loop.status);
    const bomb = await runCode({ language: 'python', code: 'x = bytearray(2 * 1024 ** 3)' });
    expect(bomb.status).toBe('memory_limit');
    const spam = await runCode({ language: 'python', code: "while True: print('spam ' * 20)", limits: { maxOutputBytes: 4096 } });
    expect(spam).toMatchObject({ status: 'output_limit', truncated: true });
  });
});
