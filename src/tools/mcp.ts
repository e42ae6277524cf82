import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, McpError, type CallToolResult, type Tool as McpTool } from '@modelcontextprotocol/sdk/types.js';
import { DEFAULTS } from '../defaults.js';
import { SextantError, isSextantError } from '../errors.js';
import { defineTool, type Tool } from './define-tool.js';

/** A local MCP server, started as a child process and spoken to over its stdin and stdout. */
export interface McpStdioServer {
  command: string;
  args?: string[];
  /**
   * Added to the few variables a child inherits by default (HOME, PATH, SHELL, TERM, USER,
   * LOGNAME): the rest of this process's environment, its API keys included, is not passed on.
   */
  env?: Record<string, string>;
  cwd?: string;
}

/** A remote MCP server over Streamable HTTP. */
export interface McpHttpServer {
  url: string | URL;
  /** Sent with every request (an Authorization header, a tenant id). */
  headers?: Record<string, string>;
}

export interface McpToolsOptions {
  server: McpStdioServer | McpHttpServer;
  /** Only these of the server's tools (names as the server gives them). An unknown name is an error. */
  include?: string[];
  /** All of the server's tools but these. An unknown name is an error: a typo must not let a tool through. */
  exclude?: string[];
  /**
   * Put before each tool's name with `_` (`crm` makes `lookup` into `crm_lookup`), so two
   * servers' tools cannot clash. Characters a model API refuses in a name (MCP allows `.`) become `_`.
   */
  prefix?: string;
  /**
   * The server's outputs are the application's own text. Default false: MCP tool output is
   * untrusted (scanned for prompt injections, shown to the model inside untrusted-content markers).
   */
  trusted?: boolean;
  /** Per-call time limit of every tool, in ms. Default: the agent's tool timeout (DEFAULTS.agent.toolTimeoutMs). */
  timeoutMs?: number;
  /** Starting the server, the handshake and listing its tools. Default DEFAULTS.mcp.connectTimeoutMs. */
  connectTimeoutMs?: number;
}

export interface McpToolSource {
  /** The server's tools as Sextant tools, ready for `defineAgent({ tools })`. */
  tools: Tool[];
  /** Ends the session: a stdio server's process is stopped (end of stdin, then SIGTERM, then SIGKILL). Safe to call twice. */
  close(): Promise<void>;
}

// The largest delay setTimeout takes. The SDK's own per-request limit (60 s by default) would cut
// a call the agent allows longer: the tool's timeout and the run's signal govern calls instead.
const NO_SDK_TIMEOUT_MS = 2_147_483_647;

/**
 * Connects to an MCP server and turns each of its tools into a Sextant tool: the server's name
 * (prefixed), description and input JSON Schema; `tools/call` with the run's signal, so a run's
 * time limit or cancellation cancels the request on the server; text and structured content as
 * the output, an `isError` result as a tool error the model sees. Close it when done.
 */
export async function mcpTools(options: McpToolsOptions): Promise<McpToolSource> {
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULTS.mcp.connectTimeoutMs;
  for (const [option, value] of [
    ['connectTimeoutMs', connectTimeoutMs],
    ['timeoutMs', options.timeoutMs ?? 1],
  ] as const) {
    if (!(value > 0)) throw new SextantError('CONFIG_INVALID', `mcpTools: ${option} must be positive`, { context: { [option]: value } });
  }
  const server = describeServer(options.server);
  const stderr = stderrTail();
  const transport = openTransport(options.server, stderr);
  const client = new Client({ name: 'sextant', version: '0.1.0' });
  // Fires when the transport has really closed (a stdio server's process has exited), including
  // after a failed handshake, where the SDK starts closing on its own and client.close() returns at once.
  const closed = new Promise<void>((resolve) => (client.onclose = resolve));
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= client.close().then(() => settleWithin(closed, DEFAULTS.mcp.closeWaitMs)));

  let listed: McpTool[];
  try {
    listed = await connectAndList(client, transport, connectTimeoutMs);
  } catch (cause) {
    await close();
    const timedOut = cause instanceof McpError && cause.code === ErrorCode.RequestTimeout;
    const log = stderr.text();
    throw new SextantError(
      timedOut ? 'TIMEOUT' : 'UPSTREAM_ERROR',
      `MCP server ${server} ${timedOut ? `did not start and list its tools within ${connectTimeoutMs}ms` : `failed to start: ${(cause as Error).message}`}${log ? `; its stderr ends with: ${log}` : ''}`,
      { cause, context: { server, ...(log ? { stderr: log } : {}) } },
    );
  }

  try {
    const selected = select(listed, options, server);
    const names = uniqueNames(selected, options.prefix, server);
    const tools = selected.map((tool, i) => toTool(tool, names[i], { client, server, options, stderr }));
    return { tools, close };
  } catch (error) {
    await close();
    throw error;
  }
}

async function connectAndList(client: Client, transport: Transport, timeoutMs: number): Promise<McpTool[]> {
  const deadline = Date.now() + timeoutMs;
  const remaining = () => ({ timeout: Math.max(1, deadline - Date.now()) });
  await client.connect(transport, remaining());
  const tools: McpTool[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor === undefined ? {} : { cursor }, remaining());
    tools.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return tools;
}

function openTransport(server: McpStdioServer | McpHttpServer, stderr: StderrTail): Transport {
  if ('url' in server) {
    return new StreamableHTTPClientTransport(new URL(server.url), server.headers ? { requestInit: { headers: server.headers } } : undefined);
  }
  const transport = new StdioClientTransport({ command: server.command, args: server.args, env: server.env, cwd: server.cwd, stderr: 'pipe' });
  // Read from the start (the stream exists before the process does), or a full pipe would stall the server.
  transport.stderr?.on('data', (chunk: Buffer) => stderr.append(chunk.toString('utf8')));
  return transport;
}

/** How errors name the server: its command line, or its URL without the query (which may hold a token). */
function describeServer(server: McpStdioServer | McpHttpServer): string {
  if ('url' in server) {
    const url = URL.canParse(String(server.url)) ? new URL(server.url) : undefined;
    if (url?.protocol !== 'http:' && url?.protocol !== 'https:') {
      throw new SextantError('CONFIG_INVALID', `mcpTools: server.url must be an http(s) URL, got ${String(server.url)}`, {
        context: { url: String(server.url) },
      });
    }
    return `${url.origin}${url.pathname}`;
  }
  if (typeof server.command !== 'string' || server.command === '') {
    throw new SextantError('CONFIG_INVALID', 'mcpTools: server needs a command (stdio) or a url (Streamable HTTP)', { context: { server } });
  }
  return [server.command, ...(server.args ?? [])].join(' ');
}

function select(listed: McpTool[], options: McpToolsOptions, server: string): McpTool[] {
  const names = new Set(listed.map((t) => t.name));
  for (const [option, wanted] of [
    ['include', options.include],
    ['exclude', options.exclude],
  ] as const) {
    const unknown = (wanted ?? []).filter((name) => !names.has(name));
    if (unknown.length > 0) {
      throw new SextantError(
        'CONFIG_INVALID',
        `mcpTools: ${option} names tools the MCP server ${server} does not have: ${unknown.join(', ')} (it has: ${[...names].join(', ')})`,
        {
          context: { server, option, unknown, available: [...names] },
        },
      );
    }
  }
  return listed.filter((t) => (!options.include || options.include.includes(t.name)) && !options.exclude?.includes(t.name));
}

interface ToolScope {
  client: Client;
  server: string;
  options: McpToolsOptions;
  stderr: StderrTail;
}

/** The names the model calls: prefixed, with what model APIs refuse (MCP allows `.`) made `_`; two tools may not end up with one. */
function uniqueNames(tools: McpTool[], prefix: string | undefined, server: string): string[] {
  const seen = new Map<string, string>();
  return tools.map((tool) => {
    const name = `${prefix ? `${prefix}_` : ''}${tool.name}`.replace(/[^a-zA-Z0-9_-]/g, '_');
    const clash = seen.get(name);
    if (clash !== undefined) {
      throw new SextantError('CONFIG_INVALID', `mcpTools: the MCP server ${server}'s tools "${clash}" and "${tool.name}" both become "${name}"; exclude one`, {
        context: { server, tools: [clash, tool.name], name },
      });
    }
    seen.set(name, tool.name);
    return name;
  });
}

function toTool(mcp: McpTool, name: string, scope: ToolScope): Tool {
  try {
    return defineTool({
      name,
      description: mcp.description ?? mcp.title ?? '',
      inputSchema: mcp.inputSchema,
      timeoutMs: scope.options.timeoutMs,
      trusted: scope.options.trusted ?? false,
      execute: (input, ctx) => callTool(mcp.name, input, ctx.signal, scope),
    });
  } catch (error) {
    if (!isSextantError(error, 'CONFIG_INVALID')) throw error;
    throw new SextantError('CONFIG_INVALID', `mcpTools: the MCP server ${scope.server}'s tool "${mcp.name}": ${error.message}. Leave it out with exclude.`, {
      cause: error,
      context: { server: scope.server, tool: mcp.name },
    });
  }
}

async function callTool(name: string, input: unknown, signal: AbortSignal, scope: ToolScope): Promise<unknown> {
  let result: CallToolResult;
  try {
    result = (await scope.client.callTool({ name, arguments: input as Record<string, unknown> }, undefined, {
      signal,
      timeout: NO_SDK_TIMEOUT_MS,
    })) as CallToolResult;
  } catch (error) {
    // An abort is the run's or the attempt's own (time limit, cancellation): the runtime reports it.
    if (signal.aborted) throw signal.reason;
    throw callError(error, name, scope);
  }
  if (result.isError) {
    throw new SextantError('TOOL_ERROR', renderContent(result) || `the MCP tool "${name}" reported an error without a message`, {
      context: { server: scope.server, tool: name },
    });
  }
  return result.structuredContent ?? renderContent(result);
}

function callError(error: unknown, name: string, scope: ToolScope): SextantError {
  const context = { server: scope.server, tool: name };
  if (error instanceof McpError && error.code === ErrorCode.ConnectionClosed) {
    const log = scope.stderr.text();
    return new SextantError('TOOL_ERROR', `the MCP server ${scope.server} closed the connection${log ? `; its stderr ends with: ${log}` : ''}`, {
      cause: error,
      context: { ...context, ...(log ? { stderr: log } : {}) },
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new SextantError('TOOL_ERROR', message, { cause: error, context });
}

/** The result's content as the text the model reads: text as is, other blocks named by what they are. */
function renderContent(result: CallToolResult): string {
  return result.content
    .map((block) => {
      switch (block.type) {
        case 'text':
          return block.text;
        case 'image':
        case 'audio':
          return `[${block.type} ${block.mimeType}, ${Math.floor((block.data.length * 3) / 4)} bytes]`;
        case 'resource':
          return 'text' in block.resource
            ? block.resource.text
            : `[resource ${block.resource.uri}${block.resource.mimeType ? ` ${block.resource.mimeType}` : ''}]`;
        case 'resource_link':
          return `[resource ${block.uri}${block.name ? ` "${block.name}"` : ''}]`;
        default:
          return `[${(block as { type: string }).type}]`;
      }
    })
    .join('\n');
}

function settleWithin(promise: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]).finally(() => clearTimeout(timer));
}

interface StderrTail {
  append(text: string): void;
  text(): string;
}

function stderrTail(): StderrTail {
  let tail = '';
  return {
    append(text) {
      tail = (tail + text).slice(-DEFAULTS.mcp.stderrTailChars);
    },
    text: () => tail.trim(),
  };
}
