import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineAgent } from '../src/agent/index.js';
import { isSextantError, type SextantError } from '../src/errors.js';
import type { ModelRequest } from '../src/model/types.js';
import { scriptedModel } from '../src/model/providers/scripted/provider.js';
import { mcpTools, type McpStdioServer, type McpToolSource } from '../src/tools/mcp.js';
import { fixtureServer } from './fixtures/mcp-server.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/mcp-server.ts', import.meta.url));
const logDir = mkdtempSync(join(tmpdir(), 'sextant-mcp-'));
afterAll(() => rmSync(logDir, { recursive: true, force: true }));

/** The fixture server as a child process; the marker argument finds it in the process table. */
function fixture(env: Record<string, string> = {}): McpStdioServer & { marker: string; log: string } {
  const marker = `--marker=${randomUUID()}`;
  const log = join(logDir, `${marker.slice(9)}.log`);
  return { command: process.execPath, args: ['--import', 'tsx', FIXTURE, marker], env: { MCP_FIXTURE_LOG: log, ...env }, marker, log };
}

function processesWith(marker: string): string[] {
  const table = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return table.split('\n').filter((line) => line.includes(marker));
}

function logOf(path: string): string[] {
  return existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n') : [];
}

/** Waits for something the server does on its own schedule (it gets the cancellation after the client moves on). */
async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 25));
  expect(check()).toBe(true);
}

async function failure(promise: Promise<unknown>): Promise<SextantError> {
  try {
    await promise;
  } catch (error) {
    if (isSextantError(error)) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

/** The tool message the model was sent for a call, markers included. */
function toolMessage(request: ModelRequest, toolCallId: string): string {
  const message = request.messages.find((m) => m.role === 'tool' && m.toolCallId === toolCallId);
  return String(message?.content);
}

describe('MCP servers as tool sources (stdio)', () => {
  const server = fixture();
  let mcp: McpToolSource;
  beforeAll(async () => {
    mcp = await mcpTools({ server, prefix: 'shop' });
  });
  afterAll(() => mcp.close());

  it("lists the server's tools with their names, descriptions and input JSON Schemas", () => {
    expect(mcp.tools.map((t) => t.name).sort()).toEqual(['shop_add', 'shop_lookup_order', 'shop_orders_count', 'shop_slow']);
    const add = mcp.tools.find((t) => t.name === 'shop_add')!;
    expect(add.description).toBe('Adds two numbers');
    expect(add.parameters).toMatchObject({
      type: 'object',
      properties: { a: { type: 'number', description: 'first addend' }, b: { type: 'number' } },
      required: ['a', 'b'],
    });
    expect(add.trusted).toBe(false);
  });

  it('runs an agent whose model calls MCP tools: results reach the model, structured content as JSON, text untrusted', async () => {
    const model = scriptedModel({
      replies: [
        {
          toolCalls: [
            { id: 'c1', name: 'shop_add', arguments: { a: 2, b: 40 } },
            { id: 'c2', name: 'shop_lookup_order', arguments: { orderId: 'A-100' } },
            { id: 'c3', name: 'shop_orders_count' },
          ],
        },
        { text: 'Order A-100 has shipped.' },
      ],
    });
    const result = await defineAgent({ model, tools: mcp.tools }).run('Where is my order A-100?');
    expect(result.stopReason).toBe('completed');
    expect(result.text).toBe('Order A-100 has shipped.');
    const [add, lookup, count] = result.steps[0].toolResults;
    expect(add).toMatchObject({ isError: false, output: { sum: 42 }, content: '{"sum":42}' });
    expect(lookup).toMatchObject({ isError: false, content: 'Order A-100: shipped\nTotal: $42.5', injection: { detected: false } });
    expect(count).toMatchObject({ isError: false, content: '2' });
    const seen = toolMessage(model.requests[1], 'c2');
    expect(seen).toContain('Order A-100: shipped\nTotal: $42.5');
    expect(seen).toMatch(/^<untrusted-content id="[0-9a-f]+" source="tool shop_lookup_order">/);
    expect(logOf(server.log)).toEqual(expect.arrayContaining(['add 2 40', 'lookup_order A-100']));
  });

  it('sends an MCP error result back to the model as a tool error, and the run goes on', async () => {
    const model = scriptedModel({
      replies: [{ toolCalls: [{ id: 'c1', name: 'shop_lookup_order', arguments: { orderId: 'Z-9' } }] }, { text: 'I could not find that order.' }],
    });
    const result = await defineAgent({ model, tools: mcp.tools }).run('Where is Z-9?');
    expect(result.stopReason).toBe('completed');
    expect(result.steps[0].toolResults[0]).toMatchObject({ isError: true, content: 'Error (TOOL_ERROR): no order Z-9' });
    expect(toolMessage(model.requests[1], 'c1')).toContain('Error (TOOL_ERROR): no order Z-9');
  });

  it('checks arguments against the JSON Schema before calling the server', async () => {
    const model = scriptedModel({ replies: [{ toolCalls: [{ id: 'c1', name: 'shop_add', arguments: { a: 'two', b: 1 } }] }, { text: 'Sorry.' }] });
    const result = await defineAgent({ model, tools: mcp.tools }).run('add');
    expect(result.steps[0].toolResults[0].isError).toBe(true);
    expect(result.steps[0].toolResults[0].content).toMatch(/a: .*expected number/);
    expect(logOf(server.log).filter((line) => line.startsWith('add two'))).toEqual([]);
  });

  it("cancels a slow call on the server when the run's time limit fires; the run stops with timeout", async () => {
    const model = scriptedModel({
      replies: (request) =>
        request.toolChoice === 'none'
          ? { text: 'Still waiting on the slow tool.' }
          : { toolCalls: [{ id: 'c1', name: 'shop_slow', arguments: { ms: 60_000 } }] },
    });
    const result = await defineAgent({ model, tools: mcp.tools, limits: { timeoutMs: 1_000 } }).run('be slow');
    expect(result.stopReason).toBe('timeout');
    await until(() => logOf(server.log).includes('slow cancelled'));
    expect(logOf(server.log)).not.toContain('slow finished');
  });

  it("cancels a call on the server when the tool's own timeout fires, and the model gets TOOL_TIMEOUT", async () => {
    const quick = await mcpTools({ server, include: ['slow'], timeoutMs: 300 });
    try {
      const model = scriptedModel({ replies: [{ toolCalls: [{ id: 'c1', name: 'slow', arguments: { ms: 60_000 } }] }, { text: 'It timed out.' }] });
      const result = await defineAgent({ model, tools: quick.tools }).run('be slow');
      expect(result.stopReason).toBe('completed');
      expect(result.steps[0].toolResults[0]).toMatchObject({ isError: true, content: expect.stringContaining('Error (TOOL_TIMEOUT)') });
      await until(() => logOf(server.log).filter((line) => line === 'slow cancelled').length === 2);
    } finally {
      await quick.close();
    }
  });
});

describe('MCP tool sources: options, failures and close', () => {
  it('include, exclude and trusted; an unknown name in either list is a CONFIG_INVALID error that lists the tools', async () => {
    const server = fixture();
    const only = await mcpTools({ server, include: ['add'], trusted: true });
    try {
      expect(only.tools.map((t) => [t.name, t.trusted])).toEqual([['add', true]]);
    } finally {
      await only.close();
    }
    const error = await failure(mcpTools({ server, exclude: ['lookup_orders'] }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toMatch(/exclude names tools .* does not have: lookup_orders \(it has: add, lookup_order, orders.count, slow\)/);
    expect(processesWith(server.marker)).toEqual([]);
  });

  it('a server that fails to start gives a clear error with the end of its stderr', async () => {
    const crashing = fixture({ MCP_FIXTURE_CRASH: '1' });
    const error = await failure(mcpTools({ server: crashing }));
    expect(error.code).toBe('UPSTREAM_ERROR');
    expect(error.message).toMatch(
      /^MCP server .*mcp-server\.ts --marker=\S+ failed to start: .*; its stderr ends with: fixture: missing CRM_TOKEN, refusing to start$/,
    );
    expect(error.context).toMatchObject({ stderr: 'fixture: missing CRM_TOKEN, refusing to start' });

    const missing = await failure(mcpTools({ server: { command: '/nonexistent/mcp-server' } }));
    expect(missing.code).toBe('UPSTREAM_ERROR');
    expect(missing.message).toMatch(/^MCP server \/nonexistent\/mcp-server failed to start: .*ENOENT/);

    const nothing = await failure(mcpTools({ server: { command: '' } }));
    expect(nothing.code).toBe('CONFIG_INVALID');
    const badTimeout = await failure(mcpTools({ server: fixture(), timeoutMs: 0 }));
    expect(badTimeout.message).toBe('mcpTools: timeoutMs must be positive');
  });

  it('a server that never answers the handshake times out, and its process is stopped', async () => {
    const marker = `--marker=${randomUUID()}`;
    // Reads its stdin and says nothing; it exits when stdin ends.
    const silent = { command: process.execPath, args: ['-e', 'process.stdin.resume()', '--', marker] };
    const error = await failure(mcpTools({ server: silent, connectTimeoutMs: 300 }));
    expect(error.code).toBe('TIMEOUT');
    expect(error.message).toMatch(/did not start and list its tools within 300ms$/);
    expect(processesWith(marker)).toEqual([]);
  });

  it('close() stops the server process and is safe to call twice; a tool called after it fails as a tool error', async () => {
    const server = fixture();
    const mcp = await mcpTools({ server, include: ['add'] });
    expect(processesWith(server.marker)).toHaveLength(1);
    await Promise.all([mcp.close(), mcp.close()]);
    expect(processesWith(server.marker)).toEqual([]);
    await mcp.close();
    const model = scriptedModel({ replies: [{ toolCalls: [{ id: 'c1', name: 'add', arguments: { a: 1, b: 2 } }] }, { text: 'The tool is gone.' }] });
    const result = await defineAgent({ model, tools: mcp.tools }).run('add');
    expect(result.steps[0].toolResults[0]).toMatchObject({ isError: true, content: expect.stringMatching(/^Error \(TOOL_ERROR\): .*Not connected/) });
  });
});

describe('MCP servers as tool sources (Streamable HTTP)', () => {
  let http: Server;
  let url: string;
  let authorization: string | undefined;
  beforeAll(async () => {
    // Stateless: a fresh server and transport per request, as the SDK documents for that mode.
    http = createServer(async (req, res) => {
      authorization = req.headers.authorization;
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      const server = fixtureServer();
      res.on('close', () => void server.close());
      await server.connect(transport);
      await transport.handleRequest(req, res);
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp?token=secret`;
  });
  afterAll(() => new Promise<void>((resolve) => http.close(() => resolve())));

  it('lists and calls tools over HTTP with the given headers', async () => {
    const mcp = await mcpTools({ server: { url, headers: { authorization: 'Bearer t0ken' } }, include: ['add'] });
    try {
      const model = scriptedModel({ replies: [{ toolCalls: [{ id: 'c1', name: 'add', arguments: { a: 20, b: 22 } }] }, { text: '42' }] });
      const result = await defineAgent({ model, tools: mcp.tools }).run('add');
      expect(result.steps[0].toolResults[0]).toMatchObject({ isError: false, output: { sum: 42 } });
      expect(authorization).toBe('Bearer t0ken');
    } finally {
      await mcp.close();
    }
  });

  it('an unreachable server is a clear error that does not show the URL query', async () => {
    const error = await failure(mcpTools({ server: { url: 'http://127.0.0.1:1/mcp?token=secret' } }));
    expect(error.code).toBe('UPSTREAM_ERROR');
    expect(error.message).toMatch(/^MCP server http:\/\/127\.0\.0\.1:1\/mcp failed to start: /);
    expect(error.message).not.toContain('secret');
    const notUrl = await failure(mcpTools({ server: { url: 'localhost:8080/mcp' } }));
    expect(notUrl.code).toBe('CONFIG_INVALID');
  });
});
