import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SextantError } from '../errors.js';
import { defineTool, ToolRetryRequest, type Tool, type ToolDefinition } from '../tools/define-tool.js';
import { runTool } from './run-tool.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const call = { id: 'call_1', name: 'lookup', arguments: '{}' };

/** A socket error as Node's net module throws it. */
function socketError(code: string): Error {
  return Object.assign(new Error(`read ${code}`), { code, syscall: 'read' });
}

/** A tool whose first `failures` attempts throw what `fail` makes, then answer `ok`. */
function flaky(fail: () => unknown, failures: number, options: Partial<ToolDefinition<Record<string, never>, string>> = {}) {
  let attempts = 0;
  const tool = defineTool({
    name: 'lookup',
    description: 'reads a record',
    input: z.object({}),
    execute: () => {
      attempts++;
      if (attempts <= failures) throw fail();
      return 'ok';
    },
    ...options,
  } as ToolDefinition<Record<string, never>, string>);
  return { tool, attempts: () => attempts };
}

function run(tool: Tool, signal: AbortSignal = new AbortController().signal) {
  return runTool(tool, call, {}, { signal, runId: 'r1', defaultTimeoutMs: 5_000, logger: silent });
}

describe('runTool retries', () => {
  it('retries a plain ECONNRESET of an idempotent tool with backoff and returns the success', async () => {
    const { tool, attempts } = flaky(() => socketError('ECONNRESET'), 2, { retries: 2, idempotent: true });
    const result = await run(tool);
    expect(result).toMatchObject({ isError: false, content: 'ok', attempts: 3 });
    expect(attempts()).toBe(3);
  });

  it("retries fetch's TypeError('fetch failed') whose cause is a refused connection, for any tool (the request never left)", async () => {
    const refused = () => new TypeError('fetch failed', { cause: socketError('ECONNREFUSED') });
    const { tool } = flaky(refused, 1, { retries: 1 });
    expect(await run(tool)).toMatchObject({ isError: false, attempts: 2 });
  });

  it('does not repeat a non-idempotent call that may have reached its server, unless its retryOn says so', async () => {
    const reset = flaky(() => socketError('ECONNRESET'), 1, { retries: 2 });
    expect(await run(reset.tool)).toMatchObject({ isError: true, attempts: 1 });
    expect(reset.attempts()).toBe(1);
    const keyed = flaky(() => socketError('ECONNRESET'), 1, { retries: 2, retryOn: (error) => (error as { code?: string }).code === 'ECONNRESET' });
    expect(await run(keyed.tool)).toMatchObject({ isError: false, attempts: 2 });
  });

  it('does not retry a validation error or a bug', async () => {
    const invalid = flaky(() => z.object({ id: z.string() }).parse({}), 1, { retries: 2, idempotent: true });
    expect(await run(invalid.tool)).toMatchObject({ isError: true, attempts: 1 });
    const bug = flaky(() => new TypeError("Cannot read properties of undefined (reading 'id')"), 1, { retries: 2, idempotent: true });
    expect(await run(bug.tool)).toMatchObject({ isError: true, attempts: 1 });
    const badOutput = defineTool({
      name: 'lookup',
      description: 'x',
      input: z.object({}),
      output: z.number(),
      retries: 2,
      retryOn: () => true,
      execute: () => 'x' as never,
    });
    expect(await run(badOutput)).toMatchObject({ isError: true, attempts: 1 });
  });

  it('waits the retryAfterMs the error carries, and gives up on one too long to wait', async () => {
    const soon = flaky(() => new SextantError('UPSTREAM_RATE_LIMITED', 'busy', { retryable: true, retryAfterMs: 20 }), 1, { retries: 1 });
    expect(await run(soon.tool)).toMatchObject({ isError: false, attempts: 2 });
    const late = flaky(() => new SextantError('UPSTREAM_RATE_LIMITED', 'busy', { retryable: true, retryAfterMs: 3_600_000 }), 1, { retries: 1 });
    expect(await run(late.tool)).toMatchObject({ isError: true, attempts: 1 });
  });

  it('ends the wait between attempts when the run is aborted: the abort propagates at once, no further attempt runs', async () => {
    const controller = new AbortController();
    const reason = new SextantError('ABORTED', 'run cancelled');
    const { tool, attempts } = flaky(
      () => {
        // The run is cancelled while the tool's retry waits 20 s.
        setTimeout(() => controller.abort(reason), 5);
        return new ToolRetryRequest('not ready', { retryAfterMs: 20_000 });
      },
      5,
      { retries: 5 },
    );
    const started = performance.now();
    await expect(run(tool, controller.signal)).rejects.toBe(reason);
    expect(attempts()).toBe(1);
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});
