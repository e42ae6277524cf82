/**
 * The exact and semantic response cache: `createCache` + `cacheMiddleware` put it in a pipeline;
 * embedders, vector indexes and verifiers are its stages, open to other implementations.
 */
export { createCache, type Cache, type CacheOptions, type InvalidateFilter, type LookupResult, type StoreOptions } from './cache.js';
export { cacheMiddleware } from './middleware.js';
export { cacheKeys, type CacheKeys } from './key.js';
export { dot, normalize, type Embedder, type EmbedOptions } from './embedder.js';
export { createHashedEmbedder, type HashedEmbedderOptions } from './hashed-embedder.js';
export { createOpenAIEmbedder, type OpenAIEmbedderOptions } from './openai-embedder.js';
export { createExactIndex, createHnswIndex, createVectorIndex, type VectorIndex, type VectorMatch } from './vector-index.js';
export {
  checkRules,
  createRuleVerifier,
  RULE_NAMES,
  type RuleName,
  type RuleVerifierOptions,
  type Verdict,
  type Verifier,
  type VerifyInput,
} from './verifier.js';
export { createLlmVerifier, type LlmVerifierOptions } from './llm-verifier.js';
export { createRedisExactCache, type RedisExactCacheOptions } from './redis-exact.js';
export type { CacheEntry, SharedAnswer, SharedExactCache } from './entry.js';
export { readMetrics, type ScopeMetrics } from './metrics.js';
export { chooseThreshold, curve, precisionRecall, readPairs, scorePairs, type CurvePoint, type LabelledPair, type ScoredPair } from './calibrate.js';
export { replayAsStream } from './replay.js';
