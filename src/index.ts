/** Sextant's public API. Each folder's entry file says what it exports. */
export * from './errors.js';
export { DEFAULTS, type Defaults } from './defaults.js';
export * from './model/index.js';
export * from './pipeline/index.js';
export * from './cache/index.js';
export * from './store/index.js';
export * from './trace/index.js';
export * from './agent/index.js';
export * from './checks/index.js';
export * from './knowledge/index.js';
export * from './eval/index.js';
export * from './tools/index.js';
export * from './gateway/index.js';
export * from './security/index.js';
// Both the agent (loop detector, approvals) and the cache (keys) have one; the package exports the agent's, which also drops undefined fields.
export { canonicalJson } from './canonical-json.js';
