import { fileURLToPath } from 'node:url';
import { defineAgent, mcpTools } from 'sextant';

const { CRM_TOKEN = 'demo-token', DOCS_TOKEN = 'demo-token', DOCS_MCP_URL = 'http://127.0.0.1:3001/mcp' } = process.env;

// A stdio server is a command (a published one would be e.g. `npx -y @acme/crm-mcp`); it gets only the env you give it.
const crmServer = fileURLToPath(new URL('./crm-mcp-server.ts', import.meta.url));
const crm = await mcpTools({
  server: { command: process.execPath, args: ['--import', 'tsx', crmServer], env: { CRM_TOKEN } },
  prefix: 'crm',
  exclude: ['delete_customer'],
});
// A Streamable HTTP server is a URL, with the headers it needs.
const docs = await mcpTools({ server: { url: DOCS_MCP_URL, headers: { authorization: `Bearer ${DOCS_TOKEN}` } } });
const agent = defineAgent({ model: 'openai:gpt-4o-mini', tools: [...crm.tools, ...docs.tools] });
console.log('tools:', [...crm.tools, ...docs.tools].map((tool) => tool.name).join(', '));

const result = await agent.run('Where is order A-100, and can I still return it?');
for (const call of result.steps.flatMap((step) => step.toolResults)) console.log(`${call.name} → ${call.content}`);
console.log(result.stopReason, result.text);
await Promise.all([crm.close(), docs.close()]);
