/** Tools: defineTool (typed, zod in and out), built-in tools, the SSRF guard, MCP tool sources. */
export { defineTool, ToolRetryRequest, type Tool, type ToolContext, type ToolDefinition, type ToolErrorMode, type ToolLogger } from './define-tool.js';
