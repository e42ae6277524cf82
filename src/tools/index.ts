/** Tools: defineTool (typed, zod in and out), the built-in tools (fetch_url, scrape_page, http_json, sql_query), the SSRF guard they fetch through, and MCP servers as tool sources (mcpTools). */
export {
  defineTool,
  ToolRetryRequest,
  type Tool,
  type ToolContext,
  type ToolDefinition,
  type ToolDocument,
  type ToolErrorMode,
  type ToolInputDefinition,
  type ToolLogger,
  type ToolOptions,
} from './define-tool.js';
export { networkFailure, transientToolError, type ToolRetryPolicy } from './retry-policy.js';
export {
  blockedReason,
  checkUrl,
  parseLooseIpv4,
  safeFetch,
  systemResolver,
  type ResolvedAddress,
  type Resolver,
  type SafeFetchOptions,
  type SafeFetchResponse,
  type SsrfPolicy,
} from './ssrf.js';
export * from './builtin/index.js';
export { mcpTools, type McpHttpServer, type McpStdioServer, type McpToolSource, type McpToolsOptions } from './mcp.js';
