/**
 * A help-center search as an MCP server over Streamable HTTP, for the README's MCP example. It
 * answers only requests that carry `Authorization: Bearer <token>`.
 *
 *   DOCS_TOKEN=... npx tsx examples/readme/docs-mcp-server.ts   # listens on http://127.0.0.1:3001/mcp
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

const PAGES = [{ id: 'returns.md', text: 'Unworn items can be returned within 30 days for a full refund.' }];

function docsServer(): McpServer {
  const server = new McpServer({ name: 'docs', version: '1.0.0' });
  server.registerTool('search_docs', { description: 'Searches the help center', inputSchema: { query: z.string() } }, ({ query }) => {
    const words = query.toLowerCase().split(/\W+/);
    const hits = PAGES.filter((page) => words.some((word) => word.length > 3 && page.text.toLowerCase().includes(word)));
    return { content: hits.map((page) => ({ type: 'text' as const, text: `${page.id}: ${page.text}` })) };
  });
  return server;
}

export async function startDocsMcpServer(options: { token: string; port?: number }): Promise<{ url: string; close(): Promise<void> }> {
  const http: Server = createServer(async (req, res) => {
    if (req.headers.authorization !== `Bearer ${options.token}`) {
      res.writeHead(401).end();
      return;
    }
    // Stateless: a fresh server and transport per request, as the SDK documents for that mode.
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    const server = docsServer();
    res.on('close', () => void server.close());
    await server.connect(transport);
    await transport.handleRequest(req, res);
  });
  await new Promise<void>((resolve) => http.listen(options.port ?? 0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`,
    close: () => new Promise<void>((resolve) => http.close(() => resolve())),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { url } = await startDocsMcpServer({ token: process.env.DOCS_TOKEN ?? 'demo-token', port: 3001 });
  console.log(`docs MCP server on ${url}`);
}
