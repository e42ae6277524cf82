/** Tools: defineTool (typed, zod in and out), the built-in tools (fetch_url, scrape_page, http_json, sql_query) and the SSRF guard they fetch through. */
export { defineTool, ToolRetryRequest, type Tool, type ToolContext, type ToolDefinition, type ToolDocument, type ToolErrorMode, type ToolLogger } from './define-tool.js';
export { blockedReason, checkUrl, parseLooseIpv4, safeFetch, systemResolver, type ResolvedAddress, type Resolver, type SafeFetchOptions, type SafeFetchResponse, type SsrfPolicy } from './ssrf.js';
export * from './builtin/index.js';
