/**
 * The test API evaluated inside the sandbox before the generated code. It reaches the host
 * only through three functions the host defines and the harness captures then removes from
 * the global scope: `__sx_emit` (output), `__sx_register` (a test was declared) and
 * `__sx_report` (a test's outcome). Test outcomes are counted on the host side, so code that
 * tampers with the harness can drop its tests' results but not forge more of them.
 */
export const HARNESS_SOURCE = String.raw`
(function () {
  const emit = globalThis.__sx_emit, register = globalThis.__sx_register, report = globalThis.__sx_report;
  delete globalThis.__sx_emit; delete globalThis.__sx_register; delete globalThis.__sx_report;
  const tests = [];
  let current = -1;
  const show = (v) => {
    if (typeof v === 'string') return v;
    try { const s = JSON.stringify(v); return s === undefined ? String(v) : s; } catch (e) { return String(v); }
  };
  const log = (...args) => emit(current, args.map(show).join(' '));
  globalThis.console = { log, info: log, warn: log, error: log, debug: log };

  class AssertionError extends Error { constructor(message) { super(message); this.name = 'AssertionError'; } }
  const fail = (message) => { throw new AssertionError(message); };
  const deepEqual = (a, b) => {
    if (Object.is(a, b)) return true;
    if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
    if (Array.isArray(a) !== Array.isArray(b)) return false;
    const ka = Object.keys(a), kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
  };
  const throwsLike = (fn, expected) => {
    try { fn(); } catch (e) {
      if (expected === undefined) return true;
      const message = e && e.message !== undefined ? String(e.message) : String(e);
      if (typeof expected === 'string') return message.includes(expected);
      if (expected instanceof RegExp) return expected.test(message);
      if (typeof expected === 'function') return e instanceof expected;
      return true;
    }
    return false;
  };
  function assert(condition, message) { if (!condition) fail(message || 'assertion failed'); }
  assert.ok = assert;
  assert.equal = (a, b, m) => { if (!Object.is(a, b)) fail(m || 'expected ' + show(a) + ' to be ' + show(b)); };
  assert.deepEqual = (a, b, m) => { if (!deepEqual(a, b)) fail(m || 'expected ' + show(a) + ' to equal ' + show(b)); };
  assert.throws = (fn, expected, m) => { if (!throwsLike(fn, expected)) fail(m || 'expected function to throw'); };
  function expect(actual) {
    const make = (negate) => {
      const check = (ok, message) => { if (ok === negate) fail((negate ? 'not: ' : '') + message); };
      return {
        toBe: (e) => check(Object.is(actual, e), 'expected ' + show(actual) + ' to be ' + show(e)),
        toEqual: (e) => check(deepEqual(actual, e), 'expected ' + show(actual) + ' to equal ' + show(e)),
        toThrow: (e) => check(throwsLike(actual, e), 'expected function to throw' + (e === undefined ? '' : ' ' + show(String(e)))),
        toBeTruthy: () => check(!!actual, 'expected ' + show(actual) + ' to be truthy'),
        toBeFalsy: () => check(!actual, 'expected ' + show(actual) + ' to be falsy'),
        toContain: (e) => check(actual != null && actual.includes(e), 'expected ' + show(actual) + ' to contain ' + show(e)),
        toBeGreaterThan: (e) => check(actual > e, 'expected ' + show(actual) + ' > ' + show(e)),
        toBeLessThan: (e) => check(actual < e, 'expected ' + show(actual) + ' < ' + show(e)),
      };
    };
    const matchers = make(false);
    matchers.not = make(true);
    return matchers;
  }
  function test(name, fn) { tests.push({ name: String(name), fn }); register(String(name)); }
  // esbuild's CommonJS output assigns to these when the generated code has exports.
  globalThis.module = { exports: {} }; globalThis.exports = globalThis.module.exports;
  globalThis.test = test; globalThis.it = test; globalThis.assert = assert; globalThis.expect = expect;

  return async function runTests() {
    for (let i = 0; i < tests.length; i++) {
      current = i;
      try { await tests[i].fn(); report(i, true, ''); }
      catch (e) { report(i, false, e && e.name ? e.name + ': ' + e.message : String(e)); }
    }
    current = -1;
  };
})()
`;
