/**
 * The OpenAI-compatible gateway: `createGateway` (the whole server from a config and a store),
 * the pieces it is made of (the HTTP app, the wire mapping, routes, sessions), and the config loader.
 */
export { createGateway, type CreateGatewayOptions, type Gateway } from './gateway.js';
export { createGatewayApp, type GatewayAppOptions } from './app.js';
export { listen as startServer, type ListenOptions, type RunningServer } from './server.js';
export {
  applyEnvOverrides,
  configFromEnv,
  gatewayConfigSchema,
  interpolateEnv,
  loadGatewayConfig,
  parseGatewayConfig,
  type GatewayConfig,
  type GatewayConfigInput,
  type ProviderConfig,
  type Route,
  type Target,
} from './config.js';
export { createRouteTable, type ResolvedRoute, type RouteTable, type RouteTableOptions } from './route-table.js';
export { createSessionTracker, type LoopDetection, type LoopWarning, type SessionTracker, type SessionTrackerOptions } from './sessions.js';
export type { GatewayAuth } from './auth.js';
export { HEADERS as GATEWAY_HEADERS } from './headers.js';
export { toHttpError, type HttpError, type OpenAIErrorBody } from './http-errors.js';
export { parseChatCompletionRequest, parseEmbeddingRequest, type ParsedChatRequest, type ParsedEmbeddingRequest } from './openai-request.js';
export { createChunkEncoder, toChatCompletion, toEmbeddingList } from './openai-response.js';
