import { createHash } from 'node:crypto';
import { canonicalJson } from '../canonical-json.js';
import type { ModelRequest } from '../model/types.js';
import { textOf } from '../model/types.js';

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Everything but the messages that changes an answer. `metadata` is left out on purpose: it names who asked, not what. */
function parametersOf(request: ModelRequest) {
  const { model, tools, toolChoice, parallelToolCalls, responseFormat, temperature, topP, maxTokens, stop, seed, providerOptions } = request;
  return { model, tools, toolChoice, parallelToolCalls, responseFormat, temperature, topP, maxTokens, stop, seed, providerOptions };
}

export interface CacheKeys {
  /** Hash of everything that changes an answer, tenant included: equal keys may share an answer. */
  exactKey: string;
  /** Tenant, model, system prompt, tools and parameters: the unit for metrics and invalidation. */
  scopeKey: string;
  /** The scope plus every earlier turn: semantic search only compares queries with the same context. */
  partitionKey: string;
  /** The text embedded for semantic lookup: the last user message. Undefined when the last message is not the user's. */
  queryText?: string;
  /** User turns in the conversation. */
  turns: number;
}

export function cacheKeys(request: ModelRequest, tenant: string): CacheKeys {
  const parameters = parametersOf(request);
  const system = request.messages.filter((m) => m.role === 'system');
  const last = request.messages[request.messages.length - 1];
  const scopeKey = sha256(canonicalJson({ tenant, parameters, system }));
  const exactKey = sha256(canonicalJson({ tenant, parameters, messages: request.messages }));
  const earlier = request.messages.slice(0, -1);
  const partitionKey = sha256(canonicalJson({ scopeKey, earlier }));
  const queryText = last?.role === 'user' ? textOf(last.content) : undefined;
  return { exactKey, scopeKey, partitionKey, queryText, turns: request.messages.filter((m) => m.role === 'user').length };
}
