/** The model pipeline: middleware type, compose, and the middleware that make calls resilient. */
export * from './middleware.js';
export {
  createPipeline,
  PIPELINE_STAGES,
  type MiddlewareInsertion,
  type Pipeline,
  type PipelineOptions,
  type PipelineStage,
  type PipelineTimeouts,
} from './create-pipeline.js';
export { retry, isRetryableError, type RetryOptions, type RetryEvent, type RetryRecord } from './retry.js';
export { totalTimeout, attemptTimeout, type TotalTimeoutOptions, type AttemptTimeoutOptions } from './timeout.js';
export { fallback, DEFAULT_FALLBACK_ON, type FallbackOptions, type FallbackEvent, type TargetFailure } from './fallback.js';
export {
  createCircuitBreaker,
  circuitBreaker,
  isUpstreamFailure,
  type CircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitBreakerMiddlewareOptions,
  type CircuitPermit,
  type CircuitSnapshot,
  type CircuitState,
  type CircuitStateChange,
} from './circuit-breaker.js';
export { usageCost } from './usage-cost.js';
