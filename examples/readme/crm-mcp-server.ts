/**
 * A small CRM as an MCP server over stdio, for the README's MCP example: it refuses to start
 * without the CRM_TOKEN its client passes, and has a tool the example excludes.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

if (!process.env.CRM_TOKEN) {
  process.stderr.write('crm-mcp-server: CRM_TOKEN is not set\n');
  process.exit(1);
}

const ORDERS: Record<string, string> = { 'A-100': 'shipped with UPS on 2026-11-20', 'A-101': 'processing' };
const server = new McpServer({ name: 'crm', version: '1.0.0' });
server.registerTool('lookup_order', { description: 'Finds an order by its id', inputSchema: { orderId: z.string() } }, ({ orderId }) => {
  const order = ORDERS[orderId];
  return order
    ? { content: [{ type: 'text', text: `Order ${orderId}: ${order}` }] }
    : { isError: true, content: [{ type: 'text', text: `No order ${orderId}` }] };
});
server.registerTool('delete_customer', { description: 'Deletes a customer and their orders', inputSchema: { customerId: z.string() } }, () => ({
  content: [{ type: 'text', text: 'deleted' }],
}));
await server.connect(new StdioServerTransport());
