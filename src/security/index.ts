/**
 * Security and cost controls: virtual keys and scopes, the admin API, the hash-chained audit log,
 * budget ledgers and rate limiters (with their pipeline middleware), PII redaction, and
 * prompt-injection defences. The SSRF guard and built-in tools live in src/tools.
 */
export { createAdminRoutes, type AdminRoutesOptions } from './admin-routes.js';
export {
  AUDIT_GENESIS_HASH,
  assertAuditIntact,
  createAuditLog,
  type AuditAction,
  type AuditEntry,
  type AuditEvent,
  type AuditLog,
  type AuditLogOptions,
  type AuditProblem,
  type AuditVerification,
} from './audit.js';
export { createMemoryBudgetLedger, type BudgetDenial, type BudgetHold, type BudgetLedger, type BudgetUsage, type ReserveResult } from './budget-ledger.js';
export { createRedisBudgetLedger, type RedisBudgetLedgerOptions } from './budget-ledger-redis.js';
export { createSqlBudgetLedger, journalToSql } from './budget-ledger-sql.js';
export {
  detectInjection,
  guardUntrusted,
  normalizeUntrusted,
  stripInjection,
  UNTRUSTED_CONTENT_POLICY,
  unwrapUntrusted,
  wrapUntrusted,
  type GuardedText,
  type GuardOptions,
  type InjectionAction,
  type InjectionCategory,
  type InjectionFinding,
  type InjectionVerdict,
} from './injection.js';
export {
  ADMIN_KEY_ID,
  KEY_PREFIX,
  authorize,
  createKeyStore,
  hashKey,
  parseBudget,
  type ApiKeyRecord,
  type CreateKeyOptions,
  type Identity,
  type KeyLimits,
  type KeyStore,
  type KeyStoreOptions,
} from './keys.js';
export {
  createPlaceholderVault,
  findPii,
  PII_TYPES,
  redact,
  redactValue,
  type PiiMatch,
  type PiiType,
  type PlaceholderVault,
  type RedactOptions,
} from './pii.js';
export {
  createMemoryRateLimiter,
  createRedisRateLimiter,
  type AcquireResult,
  type RateBucket,
  type RateLimiter,
  type RateLimiterOptions,
} from './rate-limiter.js';
export { parseScopes, scopesAllow, type AccessRequest, type Scope } from './scopes.js';
// Pipeline stages, given to createPipeline's slots: pipeline/ sits below security/ and cannot import them.
export {
  budgetKey,
  budgetMiddleware,
  keyBudgets,
  type BudgetMiddlewareOptions,
  type BudgetRule,
  type BudgetScope,
  type BudgetWindow,
} from './budget-middleware.js';
export { keyRateLimits, rateLimitMiddleware, type RateLimitMiddlewareOptions, type RateLimitRule } from './rate-limit-middleware.js';
export { redactMiddleware, type RedactMiddlewareOptions } from './redact-middleware.js';
